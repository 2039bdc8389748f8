package initramfs

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	"github.com/ulikunitz/xz"
)

// Compression is how the newc archive is compressed. The kernel finds the
// format by its magic, so the boot loader and the bundle's file name
// (bundle.Initramfs, historically .cpio.gz) do not depend on it; the kernel
// must have the matching CONFIG_RD_* decompressor (KernelOption).
type Compression string

const (
	Gzip Compression = "gzip" // the seed's; every kernel has CONFIG_RD_GZIP
	XZ   Compression = "xz"   // CONFIG_RD_XZ, since 2.6.38
	Zstd Compression = "zstd" // CONFIG_RD_ZSTD, since 5.9
)

// Compressions lists every supported compression, the default first.
var Compressions = []Compression{Gzip, XZ, Zstd}

// ErrUnknownCompression is wrapped by ParseCompression's error.
var ErrUnknownCompression = errors.New("unknown initramfs compression")

// ParseCompression reads a compression name; "" is Gzip.
func ParseCompression(s string) (Compression, error) {
	if s == "" {
		return Gzip, nil
	}
	c := Compression(s)
	if !slices.Contains(Compressions, c) {
		names := make([]string, len(Compressions))
		for i, c := range Compressions {
			names[i] = string(c)
		}
		return "", fmt.Errorf("%w %q (known: %s)", ErrUnknownCompression, s, strings.Join(names, ", "))
	}
	return c, nil
}

// KernelOption is the kernel option that decompresses c at boot.
func (c Compression) KernelOption() string {
	switch c {
	case XZ:
		return "CONFIG_RD_XZ"
	case Zstd:
		return "CONFIG_RD_ZSTD"
	}
	return "CONFIG_RD_GZIP"
}

// Compression parameters. Each library's output depends on them and on its
// version (pinned in go.mod), never on GOMAXPROCS, so these constants are
// part of the archive's identity: changing one changes every digest.
const (
	// pgzip: level, block size and blocks in flight.
	gzipLevel     = pgzip.BestCompression
	gzipBlockSize = 1 << 20
	gzipBlocks    = 4
	// xz: the kernel's decoder (lib/xz) takes LZMA2 only, with a CRC32
	// check or none (not the default CRC64 or SHA-256), and for the
	// initramfs allocates the dictionary the stream asks for: 1 MiB is
	// most of a ~1.3 MB archive's gain for 1 MiB of boot-time memory.
	xzDictCap = 1 << 20
	// zstd: one encoder goroutine, so block boundaries never depend on
	// the machine; a 1 MiB window, for the same reason as xz's dictionary.
	zstdWindow = 1 << 20
)

// compressor wraps w in c's writer with the pinned parameters.
func compressor(w io.Writer, c Compression) (io.WriteCloser, error) {
	switch c {
	case Gzip, "":
		zw, err := pgzip.NewWriterLevel(w, gzipLevel)
		if err != nil {
			return nil, err
		}
		if err := zw.SetConcurrency(gzipBlockSize, gzipBlocks); err != nil {
			return nil, err
		}
		// pgzip writes uint32(ModTime.Unix()) even for the zero time.Time,
		// which is not 0; the epoch itself is.
		zw.ModTime = time.Unix(0, 0)
		return zw, nil
	case XZ:
		return xz.WriterConfig{CheckSum: xz.CRC32, DictCap: xzDictCap}.NewWriter(w)
	case Zstd:
		return zstd.NewWriter(w,
			zstd.WithEncoderLevel(zstd.SpeedBestCompression),
			zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(zstdWindow),
			zstd.WithEncoderCRC(true))
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownCompression, c)
}

// WriteCompressed writes the archive compressed with c.
func WriteCompressed(w io.Writer, c Compression, entries []Entry, bodies map[string][]byte, epoch int64) error {
	zw, err := compressor(w, c)
	if err != nil {
		return err
	}
	if err := WriteCPIO(zw, entries, bodies, epoch); err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}
