// Command bootbreak boots a bundle from `rambox serve` in a network
// namespace (servelab: SeaBIOS + QEMU's iPXE ROM, one node booting
// the HTTP script, boot: ipxe, one booting pxelinux over TFTP) with the
// kernel told to time itself (printk.time=1 initcall_debug, and loglevel=8
// so the initcall lines reach the serial console), and breaks each boot
// down into phases with boot/breakdown. Per boot it prints
//
//	WAY RUN mark NAME SECONDS       boot.Result's marks init and selftest-end
//	WAY RUN phase NAME SECONDS      one line per phase, in order
//	WAY RUN initcall NAME SECONDS   the slowest initcalls
//	WAY RUN ipconfig PART SECONDS   IP autoconfig apart: before-dhcp, dhcp
//	WAY RUN decompress PART SECONDS the decompression apart: kernel, initramfs
//	WAY RUN total SECONDS           the phases' sum, power-on -> selftest end
//
// for bench/bootbreak.sh to record, and with -logs DIR keeps each boot's
// serial log with its host times (breakdown.Format) as DIR/WAY-RUN.log.
// -extra replaces the timing words, to measure what they cost: with
// "quiet" the kernel's lines are gone, so only the marks are printed.
//
//	bootbreak -rambox BIN -key PUB -bundle-file FILE [-runs N] [-ways http,tftp] [-extra WORDS] [-logs DIR]
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"rambox/bench/internal/servelab"
	"rambox/boot/breakdown"
)

// labNet is the lab's subnet, 10.45.0.0/24; ways are the boots measured.
const labNet = 45

var ways = servelab.Ways(labNet)

// timing is what the kernel is told on top of the bundle's command line:
// printk times (off in the profiles' configs), one line per initcall, and
// a console log level that lets those KERN_DEBUG lines reach the serial
// console. It costs console output; -quiet boots measure that cost.
const timing = "printk.time=1 initcall_debug loglevel=8"

func main() {
	bin := flag.String("rambox", "", "the rambox `binary`")
	key := flag.String("key", "", "the public `key` the bundle is signed with")
	bundleFile := flag.String("bundle-file", "", "`file` holding the pinned ref to serve")
	runs := flag.Int("runs", 1, "boots of each way")
	logs := flag.String("logs", "", "`directory` to keep the stamped serial logs in")
	slowest := flag.Int("slowest", 5, "slowest initcalls to print")
	only := flag.String("ways", "http,tftp", "ways to boot, `comma-separated` (http, tftp)")
	extra := flag.String("extra", timing, "kernel command line `words` added for the boots")
	flag.Parse()
	if err := run(*bin, *key, *bundleFile, *logs, *only, *extra, *runs, *slowest); err != nil {
		fmt.Fprintf(os.Stderr, "bootbreak: %v\n", err)
		os.Exit(1)
	}
}

func run(bin, key, bundleFile, logs, only, extra string, runs, slowest int) error {
	chosen := map[string]bool{}
	for _, w := range strings.Split(only, ",") {
		known := false
		for _, k := range ways {
			known = known || k.Name == w
		}
		if !known {
			return fmt.Errorf("-ways: %q is not one of http, tftp", w)
		}
		chosen[w] = true
	}
	lab, err := servelab.Start(bin, key, bundleFile, labNet, ways, extra)
	if err != nil {
		return err
	}
	defer lab.Close()
	for i := 1; i <= runs; i++ {
		for _, w := range ways {
			if !chosen[w.Name] {
				continue
			}
			res, err := lab.Boot(w)
			if err != nil {
				return fmt.Errorf("run %d: %w", i, err)
			}
			lines := breakdown.Split(res.Log, res.Stamps)
			if logs != "" {
				if err := os.WriteFile(filepath.Join(logs, fmt.Sprintf("%s-%d.log", w.Name, i)), breakdown.Format(lines), 0o644); err != nil {
					return err
				}
			}
			for _, m := range res.Marks {
				if m.Name == "init" || m.Name == "selftest-end" {
					fmt.Printf("%s %d mark %s %.3f\n", w.Name, i, m.Name, m.At.Seconds())
				}
			}
			b, err := breakdown.Analyze(lines)
			if errors.Is(err, breakdown.ErrIncomplete) && extra != timing {
				fmt.Fprintf(os.Stderr, "bootbreak: %s run %d: no phases with %q: %v\n", w.Name, i, extra, err)
				continue
			}
			if err != nil {
				return fmt.Errorf("boot %s (run %d): %w", w.Name, i, err)
			}
			for _, n := range b.Notes {
				fmt.Fprintf(os.Stderr, "bootbreak: %s run %d: %s\n", w.Name, i, n)
			}
			for _, p := range b.Phases {
				fmt.Printf("%s %d phase %s %.3f\n", w.Name, i, p.Name, p.Duration.Seconds())
			}
			for _, c := range b.Slowest(slowest) {
				fmt.Printf("%s %d initcall %s %.3f\n", w.Name, i, c.Name, c.Duration.Seconds())
			}
			fmt.Printf("%s %d ipconfig before-dhcp %.3f\n", w.Name, i, b.IPConfigBeforeDHCP.Seconds())
			fmt.Printf("%s %d ipconfig dhcp %.3f\n", w.Name, i, b.IPConfigDHCP.Seconds())
			fmt.Printf("%s %d decompress kernel %.3f\n", w.Name, i, b.KernelDecompress.Seconds())
			fmt.Printf("%s %d decompress initramfs %.3f\n", w.Name, i, b.InitramfsUnpack.Seconds())
			fmt.Printf("%s %d total %.3f\n", w.Name, i, b.Total().Seconds())
		}
	}
	return nil
}
