package bundle

import ocispec "github.com/opencontainers/image-spec/specs-go/v1"

// Fetched is a bundle read from a store and checked: its signature, the
// manifest's digest, and every blob's digest and size.
type Fetched struct {
	Manifest ocispec.Descriptor
	Info     *Info
	InfoJSON []byte
	Files    map[string][]byte // by file name: bzImage, initramfs.cpio.gz, kernel.config
}
