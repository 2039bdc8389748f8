// Command bootbreak boots a bundle from `rambox serve` in a network
// namespace (serveboot's lab: SeaBIOS + QEMU's iPXE ROM, one node booting
// the HTTP script, boot: ipxe, one booting pxelinux over TFTP) with the
// kernel told to time itself (printk.time=1 initcall_debug, and loglevel=8
// so the initcall lines reach the serial console), and breaks each boot
// down into phases with boot/breakdown. Per boot it prints
//
//	WAY RUN mark NAME SECONDS       boot.Result's marks init and selftest-end
//	WAY RUN phase NAME SECONDS      one line per phase, in order
//	WAY RUN initcall NAME SECONDS   the slowest initcalls
//	WAY RUN ipconfig PART SECONDS   IP autoconfig apart: before-dhcp, dhcp
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
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"rambox/bench/internal/syncbuf"
	"rambox/boot"
	"rambox/boot/breakdown"
)

// The lab's addresses: the namespace's bridge carries server.
const server = "10.45.0.1"

// ways are the boots measured, by the node's boot: field.
var ways = []struct{ name, mac, boot string }{
	{"http", "52:54:00:45:00:12", "ipxe"},
	{"tftp", "52:54:00:45:00:11", "pxelinux"},
}

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
			known = known || k.name == w
		}
		if !known {
			return fmt.Errorf("-ways: %q is not one of http, tftp", w)
		}
		chosen[w] = true
	}
	dir, err := os.MkdirTemp("", "bootbreak")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	inv := "server:\n  ip: " + server + "\n  subnet: 10.45.0.0\n  netmask: 255.255.255.0\nnodes:\n"
	for i, w := range ways {
		inv += fmt.Sprintf("  - name: n%d\n    mac: %s\n    ip: 10.45.0.%d\n    hostname: n%d.lab\n    boot: %s\n    cmdline: rambox.selftest %s\n",
			i, w.mac, 11+i, i, w.boot, extra)
	}
	inventory := filepath.Join(dir, "nodes.yaml")
	if err := os.WriteFile(inventory, []byte(inv), 0o644); err != nil {
		return err
	}
	ctx := context.Background()
	ns, err := boot.NewNetns(ctx, boot.NetnsOptions{Server: netip.MustParsePrefix(server + "/24"), Progress: io.Discard})
	if err != nil {
		return err
	}
	defer ns.Close()
	argv := ns.Command(bin, "serve", "--bundle-file", bundleFile, "--key", key, "--inventory", inventory,
		"--state", filepath.Join(dir, "state"), "--interface", ns.Bridge(), "--dhcp", "full",
		"--http", server+":80", "--tftp", server+":69")
	log := &syncbuf.Buffer{}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(log.String(), "msg=serving"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("serve did not log msg=serving within 60s:\n%s", log)
		}
	}
	for i := 1; i <= runs; i++ {
		for _, w := range ways {
			if !chosen[w.name] {
				continue
			}
			res, err := boot.Run(ctx, boot.Options{Netns: ns, Firmware: boot.FirmwareSeaBIOS, NICROM: boot.NICROMiPXE, MAC: w.mac,
				Timeout: 180 * time.Second, Progress: io.Discard})
			if err != nil {
				return fmt.Errorf("boot %s (run %d): %w\nserve's log:\n%s", w.name, i, err, log)
			}
			lines := breakdown.Split(res.Log, res.Stamps)
			if logs != "" {
				if err := os.WriteFile(filepath.Join(logs, fmt.Sprintf("%s-%d.log", w.name, i)), breakdown.Format(lines), 0o644); err != nil {
					return err
				}
			}
			for _, m := range res.Marks {
				if m.Name == "init" || m.Name == "selftest-end" {
					fmt.Printf("%s %d mark %s %.3f\n", w.name, i, m.Name, m.At.Seconds())
				}
			}
			b, err := breakdown.Analyze(lines)
			if errors.Is(err, breakdown.ErrIncomplete) && extra != timing {
				fmt.Fprintf(os.Stderr, "bootbreak: %s run %d: no phases with %q: %v\n", w.name, i, extra, err)
				continue
			}
			if err != nil {
				return fmt.Errorf("boot %s (run %d): %w", w.name, i, err)
			}
			for _, n := range b.Notes {
				fmt.Fprintf(os.Stderr, "bootbreak: %s run %d: %s\n", w.name, i, n)
			}
			for _, p := range b.Phases {
				fmt.Printf("%s %d phase %s %.3f\n", w.name, i, p.Name, p.Duration.Seconds())
			}
			for _, c := range b.Slowest(slowest) {
				fmt.Printf("%s %d initcall %s %.3f\n", w.name, i, c.Name, c.Duration.Seconds())
			}
			fmt.Printf("%s %d ipconfig before-dhcp %.3f\n", w.name, i, b.IPConfigBeforeDHCP.Seconds())
			fmt.Printf("%s %d ipconfig dhcp %.3f\n", w.name, i, b.IPConfigDHCP.Seconds())
			fmt.Printf("%s %d total %.3f\n", w.name, i, b.Total().Seconds())
		}
	}
	return nil
}
