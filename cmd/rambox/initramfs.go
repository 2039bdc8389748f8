package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"rambox/atomicfile"
	"rambox/initramfs"
	"rambox/sources"
)

func runInitramfs(args []string) error {
	fs := newFlagSet("initramfs", "--rootfs DIR --busybox PATH [--epoch N] [--compression gzip|xz|zstd] -o FILE")
	var (
		o      initramfs.Options
		out    string
		script string
		comp   string
	)
	fs.StringVar(&o.Rootfs, "rootfs", "rootfs", "rootfs `directory` holding "+initramfs.ManifestName)
	fs.StringVar(&o.Busybox, "busybox", "", "static busybox `binary`")
	fs.StringVar(&script, "udhcpc-script", "", "udhcpc event `script` (default: examples/udhcp/simple.script from the pinned busybox source in the cache)")
	fs.StringVar(&o.Timezone, "timezone", initramfs.DefaultTimezone, "timezone `name` for /etc/timezone and /etc/localtime")
	fs.StringVar(&o.Zoneinfo, "zoneinfo", "/usr/share/zoneinfo", "zoneinfo `directory`")
	fs.Int64Var(&o.Epoch, "epoch", -1, "mtime of every entry, in seconds (default $SOURCE_DATE_EPOCH, else 0)")
	fs.StringVar(&comp, "compression", string(initramfs.Gzip), "`gzip|xz|zstd` (the kernel needs the matching CONFIG_RD_*)")
	fs.StringVar(&out, "o", "initramfs.cpio.gz", "output `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Epoch < 0 {
		// Not given: the environment's, by the rule rambox build applies.
		epoch, _, err := initramfs.SourceDateEpoch()
		if err != nil {
			return err
		}
		o.Epoch = epoch
	}
	if script == "" {
		tmp, err := udhcpcScriptFromCache(o.Rootfs)
		if err != nil {
			return err
		}
		defer os.Remove(tmp)
		script = tmp
	}
	o.UdhcpcScript = script
	o.Compression = initramfs.Compression(comp)
	return initramfs.Build(o, out)
}

// udhcpcScriptFromCache extracts simple.script from the busybox source
// pinned in the rootfs (busybox/sources.json) into a temporary file.
func udhcpcScriptFromCache(rootfs string) (string, error) {
	pinFile := filepath.Join(rootfs, "busybox", "sources.json")
	pin, err := sources.LoadPin(pinFile)
	if err != nil {
		return "", fmt.Errorf("no --udhcpc-script given, and the busybox pin cannot be read: %w", err)
	}
	archive, err := sources.DefaultCache().Verified(pin)
	if err != nil {
		return "", fmt.Errorf("no --udhcpc-script given: %w (fetch it first, or pass --udhcpc-script)", err)
	}
	body, err := sources.ReadMember(archive, "examples/udhcp/simple.script")
	if err != nil {
		return "", err
	}
	tmp := filepath.Join(os.TempDir(), fmt.Sprintf("rambox-simple.script-%d", os.Getpid()))
	return tmp, atomicfile.Write(tmp, 0o755, func(w io.Writer) error { _, err := w.Write(body); return err })
}
