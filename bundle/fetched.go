package bundle

import ocispec "github.com/opencontainers/image-spec/specs-go/v1"

// Fetched is a bundle read from a store and checked: its signature, the
// manifest's digest, and every blob's digest and size.
type Fetched struct {
	// Index is the image index Manifest was picked from (its platform's
	// entry), when the ref named one; zero otherwise.
	Index    ocispec.Descriptor
	Manifest ocispec.Descriptor
	Info     *Info
	InfoJSON []byte
	Files    map[string][]byte // by file name: bzImage, initramfs.cpio.gz, kernel.config
}
