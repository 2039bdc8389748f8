package initramfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"rambox/atomicfile"
)

// ManifestName is the list file inside a rootfs directory.
const ManifestName = "initramfs.list"

// DefaultTimezone is the seed's timezone.
const DefaultTimezone = "America/New_York"

// Options are the inputs of one initramfs. Each one is a value the
// archive's bytes depend on; nothing else (clock, umask, checkout path,
// GOMAXPROCS) is.
type Options struct {
	Rootfs       string      // directory holding initramfs.list and its tree
	Busybox      string      // static busybox binary
	UdhcpcScript string      // busybox's examples/udhcp/simple.script
	Timezone     string      // e.g. America/New_York
	Zoneinfo     string      // zoneinfo database directory, e.g. /usr/share/zoneinfo
	Epoch        int64       // mtime of every entry (SOURCE_DATE_EPOCH)
	Compression  Compression // "" is Gzip
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var errs []error
	need := func(flag, v string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", flag))
		}
	}
	need("rootfs", o.Rootfs)
	need("busybox", o.Busybox)
	need("udhcpc script", o.UdhcpcScript)
	need("timezone", o.Timezone)
	need("zoneinfo", o.Zoneinfo)
	if o.Epoch < 0 || o.Epoch > 0xffffffff {
		errs = append(errs, fmt.Errorf("epoch %d is outside 0..4294967295 (newc stores 32-bit mtimes)", o.Epoch))
	}
	if o.Compression != "" {
		if _, err := ParseCompression(string(o.Compression)); err != nil {
			errs = append(errs, fmt.Errorf("compression: %w", err))
		}
	}
	if o.Timezone != "" && !filepath.IsLocal(o.Timezone) {
		errs = append(errs, fmt.Errorf("timezone %q is not a zone name like %s", o.Timezone, DefaultTimezone))
	}
	return errors.Join(errs...)
}

// Build writes the initramfs, compressed with o.Compression, to out, atomically: on any
// error out is left as it was.
func Build(o Options, out string) error {
	if err := o.Validate(); err != nil {
		return err
	}
	// gen_init_cpio takes file bodies only from paths, so the timezone's
	// name reaches /etc/timezone through a small file of its own.
	tzFile, err := os.CreateTemp("", "rambox-timezone-*")
	if err != nil {
		return err
	}
	defer os.Remove(tzFile.Name())
	_, err = tzFile.WriteString(o.Timezone + "\n")
	if cerr := tzFile.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	vars := map[string]string{
		"BUSYBOX":       o.Busybox,
		"UDHCPC_SCRIPT": o.UdhcpcScript,
		"LOCALTIME":     filepath.Join(o.Zoneinfo, o.Timezone),
		"TIMEZONE_FILE": tzFile.Name(),
	}
	manifest := filepath.Join(o.Rootfs, ManifestName)
	entries, err := ParseManifestFile(manifest, vars)
	if err != nil {
		return err
	}
	bodies, err := ReadBodies(entries, manifest)
	if err != nil {
		return err
	}
	return atomicfile.Write(out, 0o644, func(w io.Writer) error {
		return WriteCompressed(w, o.Compression, entries, bodies, o.Epoch)
	})
}
