package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"rambox/boot"
	"rambox/pull"
	"rambox/selftest"
)

func runBoot(args []string) error {
	fs := newFlagSet("boot", "--tftp-root DIR [--nic virtio|e1000] [--firmware seabios|ovmf|ovmf-secureboot|aavmf] [--nic-rom ipxe|none] [--http-boot] [--mac MAC] [--net user|netns] [--inventory nodes.yaml] [--append-extra WORDS]... [--timeout 180s] [--log FILE]")
	var o boot.Options
	fs.StringVar(&o.TFTPRoot, "tftp-root", "", "TFTP root `directory` laid out by rambox pull")
	fs.StringVar(&o.NIC, "nic", boot.DefaultNIC, "the client's network card: virtio or e1000")
	fs.StringVar(&o.Firmware, "firmware", boot.DefaultFirmware, "the client's firmware: seabios (BIOS), ovmf (UEFI, Debian's ovmf), ovmf-secureboot (UEFI with Secure Boot on, the snakeoil key enrolled) or aavmf (arm64 UEFI on qemu-system-aarch64 -M virt)")
	fs.StringVar(&o.NICROM, "nic-rom", "", "the NIC's boot ROM: ipxe (QEMU's own; the default) or none (with ovmf and virtio: the firmware's own UEFI PXE; the default and only choice with aavmf)")
	fs.BoolVar(&o.HTTPBoot, "http-boot", false, "with ovmf or ovmf-secureboot and --nic-rom none: turn the firmware's PXE off, so that it boots by UEFI HTTP Boot")
	fs.StringVar(&o.MAC, "mac", "", "the client's `MAC` (default: the inventory's first node, else "+boot.DefaultMAC+")")
	fs.StringVar(&o.Net, "net", boot.DefaultNet, "server side: user (QEMU's own DHCP/TFTP) or netns (dhcpd, tftpd-hpa and an RA responder in a private network namespace; needs root)")
	fs.StringVar(&o.Inventory, "inventory", "", "node inventory `file` (nodes.yaml); required with --net netns")
	var extra multiFlag
	fs.Var(&extra, "append-extra", "kernel command line `words` added to every APPEND line, served from a copy of the TFTP root's configs (repeatable)")
	fs.DurationVar(&o.Timeout, "timeout", boot.DefaultTimeout, "kill QEMU and fail when the box has not ended its run by then")
	fs.IntVar(&o.MemoryMB, "memory", boot.DefaultMemoryMB, "guest memory in `MiB`")
	fs.BoolVar(&o.NoRA, "no-ra", false, "netns: do not answer IPv6 router solicitations (iPXE then waits ~13 s for IPv6 autoconfiguration)")
	fs.StringVar(&o.QEMU, "qemu", boot.DefaultQEMU, "QEMU `binary`")
	logFile := fs.String("log", "", "write the raw serial log to `file` (default: standard output)")
	serveBundle := fs.String("serve-bundle", "", "instead of --tftp-root: serve this pinned `REF` with rambox serve alone in a private namespace (needs root and --inventory; trust as serve's flags say)")
	var trust pull.Trust
	addTrustFlags(fs, &trust)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, e := range extra {
		o.AppendExtra = append(o.AppendExtra, strings.Fields(e)...) // one flag may carry several words
	}
	if *serveBundle == "" {
		if err := o.Validate(); err != nil {
			return err
		}
	}

	var serial io.Writer = os.Stdout
	if *logFile != "" {
		f, err := os.Create(*logFile)
		if err != nil {
			return err
		}
		defer f.Close()
		serial = f
	}
	o.Serial, o.Progress = serial, os.Stderr

	// Ctrl-C and SIGTERM cancel the run; Run stops QEMU and the servers and
	// deletes the namespace before it returns.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var res *boot.Result
	var err error
	if *serveBundle != "" {
		res, err = serveBoot(ctx, o, *serveBundle, trust)
	} else {
		res, err = boot.Run(ctx, o)
	}
	if res != nil {
		fmt.Fprintf(os.Stderr, "boot: QEMU ran %.1fs\n", res.Elapsed.Seconds())
		if len(res.Marks) > 0 {
			fmt.Fprintf(os.Stderr, "boot: seen at %s\n", boot.FormatMarks(res.Marks))
		}
		if err == nil && strings.TrimSpace(res.Stderr) != "" {
			fmt.Fprintf(os.Stderr, "boot: QEMU said: %s\n", strings.TrimSpace(res.Stderr))
		}
		if r, perr := selftest.Parse(res.Log); perr == nil {
			f := r.Fields
			fmt.Fprintf(os.Stderr, "boot: selftest eth0_ip=%s ipconfig_proto=%s ping=%s mem_used_kb=%s uptime_ms=%s\n",
				f["eth0_ip"], f["ipconfig_proto"], f["ping"], f["mem_used_kb"], f["uptime_ms"])
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%v; QEMU and the servers stopped", context.Cause(ctx))
	}
	return err
}
