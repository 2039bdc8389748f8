// Command rambox builds, signs, publishes and serves RAM-only PXE boot
// bundles. Each subcommand lives in a file of its own.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

// command is one subcommand: its one-line summary and its entry point,
// which parses its own flags.
type command struct {
	summary string
	run     func(args []string) error
}

var commands = map[string]command{
	"build":        {"build kernel, busybox and initramfs in containers (Dagger)", runBuild},
	"fetch":        {"put a pinned source archive into the content-addressed cache", runFetch},
	"initramfs":    {"build the deterministic initramfs from a rootfs directory", runInitramfs},
	"keygen":       {"make a cosign-compatible signing key pair", runKeygen},
	"public-key":   {"print the public key (cosign.pub) of a cosign private key", runPublicKey},
	"publish":      {"push a built bundle as a signed OCI artifact; prints the pinned ref", runPublish},
	"sign":         {"add a signature to a published bundle and its attachments (a second key, for k-of-n)", runSign},
	"verify":       {"check a published bundle's signature and blobs", runVerify},
	"pull":         {"fetch a pinned, verified bundle into a TFTP root (atomic switch)", runPull},
	"mirror":       {"copy a verified bundle with its signatures and referrers to another registry or OCI layout", runMirror},
	"rollback":     {"make the previous bundle in a TFTP root current again", runRollback},
	"hexip":        {"print an IPv4 address (or host) as pxelinux's hex config name", runHexIP},
	"dhcpd-conf":   {"write an ISC dhcpd.conf with PXE options from a node inventory", runDhcpdConf},
	"kea-conf":     {"write a kea-dhcp4 config (reservations, PXE classes) from a node inventory", runKeaConf},
	"dnsmasq-conf": {"write a dnsmasq proxy-DHCP (and TFTP) config from a node inventory", runDnsmasqConf},
	"boot":         {"PXE-boot a TFTP root in QEMU and print the serial log", runBoot},
	"serve":        {"serve verified bundles to PXE clients over DHCP, TFTP and HTTP (one, or node groups from serve.yaml)", runServe},
	"status":       {"print a rambox serve's groups and nodes (its status API) as tables", runStatus},
}

// errUsage marks an error already explained by a flag set's usage text.
var errUsage = errors.New("usage")

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		os.Exit(2)
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "rambox: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := cmd.run(os.Args[2:]); err != nil {
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		// Joined errors print one per line, each under the command's name.
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(os.Stderr, "rambox %s: %s\n", os.Args[1], line)
		}
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: rambox <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nrun 'rambox <command> -h' for a command's flags")
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: rambox %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and rejects leftovers, so a misplaced flag is not
// silently taken as an argument.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "rambox %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
