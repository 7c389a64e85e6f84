// Package data holds the data sets: seeded toy generators in two dimensions with documented
// densities (toy.go; each a pure function of (n, seed)), the IDX and CIFAR-10 binary readers
// (idx.go) and the JPEG/PNG image-folder reader (folder.go). Readers name the file and the
// byte offset of what is wrong.
package data
