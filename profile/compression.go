package profile

import (
	"fmt"
	"regexp"
	"strconv"

	"rambox/initramfs"
	"rambox/kconfig"
	"rambox/sources"
)

// sinceKernel is the first kernel release with each initramfs
// decompressor (CONFIG_RD_XZ came in 2.6.38, CONFIG_RD_ZSTD in 5.9).
var sinceKernel = map[initramfs.Compression][2]int{
	initramfs.Gzip: {2, 6},
	initramfs.XZ:   {2, 6},
	initramfs.Zstd: {5, 9},
}

var kernelVersion = regexp.MustCompile(`^linux-(\d+)\.(\d+)`)

// checkCompression reports a compression the profile's kernel cannot
// decompress: one newer than the kernel (from the pin's file name), or
// (but gzip, on by default) whose CONFIG_RD_* the fragment does not set to y.
func checkCompression(name, fragFile string, pin sources.Pin, frag []kconfig.Option, c initramfs.Compression) error {
	opt := c.KernelOption()
	if m := kernelVersion.FindStringSubmatch(pin.File); m != nil {
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		min := sinceKernel[c]
		if major < min[0] || major == min[0] && minor < min[1] {
			return fmt.Errorf("profile %s: %s=%s: linux %d.%d has no %s (since %d.%d); use %s or %s",
				name, EnvCompression, c, major, minor, opt, min[0], min[1], initramfs.Gzip, initramfs.XZ)
		}
	}
	if c == initramfs.Gzip {
		// The seed's default: not required here (2.6.39 has it on by
		// default; the 6.1 fragment states it and the kconfig check holds it).
		return nil
	}
	for _, o := range frag {
		if "CONFIG_"+o.Symbol == opt && o.Value == "y" {
			return nil
		}
	}
	return fmt.Errorf("profile %s: %s=%s needs %s=y in %s", name, EnvCompression, c, opt, fragFile)
}
