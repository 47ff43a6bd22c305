package data

import "fmt"

// checksums holds the MD5 of each upstream file AFTER decompression, keyed
// by dataset and base file name (without .gz). Hashing the decompressed
// bytes lets any faithful copy verify: Debian re-gzipped Fashion-MNIST, so
// its .gz files differ from upstream while the data is identical.
//
// The MNIST values were computed from the GoMNIST module copy, whose .gz
// files match the published .gz MD5s (train-images f68b3c2d…, train-labels
// d53e105e…, t10k-images 9fb629c4…, t10k-labels ec29112d…). The
// Fashion-MNIST values are the ones published for the uncompressed files.
//
// CIFAR-10 is the exception: its one file, the archive, is checked as published, by
// the MD5 of the .tar.gz itself (170,052,171 bytes).
//
// It is a variable only so that tests can install sums for synthetic files.
var checksums = map[Name]map[string]string{
	MNIST: {
		"train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
		"train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
		"t10k-images-idx3-ubyte":  "2646ac647ad5339dbf082846283269ea",
		"t10k-labels-idx1-ubyte":  "27ae3e4e09519cfbb04c329615203637",
	},
	FashionMNIST: {
		"train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
		"train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
		"t10k-images-idx3-ubyte":  "8181f5470baa50b63fa0f6fddb340f0a",
		"t10k-labels-idx1-ubyte":  "15d484375f8d13e6eb1aabb0c3f46965",
	},
	CIFAR10: {
		cifarArchive: "c32a1d4ab5d03f1284b67883e8d87530",
	},
}

// verifyChecksum compares a parsed file's MD5 with the published one.
func verifyChecksum(name Name, base, path string, x *IDX) error {
	want, ok := checksums[name][base]
	if !ok {
		return fmt.Errorf("%s: no known checksum for %s %s", path, name, base)
	}
	if x.MD5 != want {
		return fmt.Errorf("%s: checksum mismatch: MD5 of decompressed data is %s, expected %s (corrupt file, or not the official %s %s)",
			path, x.MD5, want, name, base)
	}
	return nil
}
