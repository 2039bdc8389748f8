// Package boot PXE-boots a TFTP root laid out by `rambox pull` in QEMU
// (TCG) and returns the serial log. Two server sides:
//
//   - user: QEMU's user networking with its built-in DHCP and TFTP
//     (the client gets 10.0.2.15);
//   - netns: the seed's own stack in a private network namespace: a bridge
//     carrying the inventory's server address, a tap for QEMU, ISC dhcpd
//     with the generated dhcpd.conf (fixed address per node), tftpd-hpa,
//     and dnsmasq answering IPv6 router solicitations so that iPXE does
//     not wait ~13 s for IPv6 autoconfiguration;
//   - a namespace of the caller's (NewNetns, Options.Netns): the same
//     namespace, bridge, tap and RA responder without dhcpd and tftpd,
//     for a server the caller runs in it (`rambox serve`).
//
// A run ends when QEMU exits by itself (a box's /init ends its selftest
// with `reboot -f`, and QEMU runs with -no-reboot), on timeout, or when
// the context is cancelled; everything started is torn down in every case.
package boot

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"rambox/pxe"
	"rambox/tftproot"
)

// Server sides (--net).
const (
	NetUser  = "user"
	NetNetns = "netns"
)

// nicModels maps --nic to QEMU's device model.
var nicModels = map[string]string{
	"virtio": "virtio-net-pci",
	"e1000":  "e1000",
}

// Client firmware (--firmware).
const (
	FirmwareSeaBIOS = "seabios" // QEMU's default BIOS
	FirmwareOVMF    = "ovmf"    // UEFI (Debian's ovmf), no Secure Boot
	// FirmwareOVMFSecureBoot is UEFI with Secure Boot enforced: Debian's
	// secboot build with the snakeoil variable store, whose PK, KEK and
	// db hold OVMFSnakeoilCert. It starts only EFI programs signed by
	// that key (the test bundles' UKI); Debian's ipxe.efi, syslinux.efi
	// and an unsigned bzImage are refused.
	FirmwareOVMFSecureBoot = "ovmf-secureboot"
	// FirmwareAAVMF is arm64 UEFI (Debian's qemu-efi-aarch64) on
	// qemu-system-aarch64's virt machine: an arm64 node, which PXE-boots
	// with the firmware's own virtio-net driver (client architecture 11).
	FirmwareAAVMF = "aavmf"
)

// NIC boot ROMs (--nic-rom).
const (
	// NICROMiPXE is QEMU's own iPXE ROM for the NIC (Debian ipxe-qemu):
	// under either firmware the client arrives running iPXE (DHCP user
	// class "iPXE").
	NICROMiPXE = "ipxe"
	// NICROMNone loads no option ROM, so that OVMF's own network stack
	// does the PXE boot (client architecture 7, EFI x86-64).
	NICROMNone = "none"
)

// OVMF's firmware image (mapped read-only) and the variable store
// template that every run gets a fresh copy of, since the firmware
// writes it.
var (
	OVMFCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	OVMFVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
	// The Secure Boot build (SMM, so that only the firmware can write
	// the authenticated variables) and the store with the snakeoil key
	// enrolled as PK, KEK and db, Secure Boot on.
	OVMFSecureBootCode = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
	OVMFSecureBootVars = "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd"
	// OVMFSnakeoilCert is the certificate enrolled in OVMFSecureBootVars;
	// its key, OVMFSnakeoilKey (PEM, passphrase "snakeoil"), signs what
	// that firmware trusts.
	OVMFSnakeoilCert = "/usr/share/ovmf/PkKek-1-snakeoil.pem"
	OVMFSnakeoilKey  = "/usr/share/ovmf/PkKek-1-snakeoil.key"
	// AAVMF's image and variable store template (Debian's
	// qemu-efi-aarch64).
	AAVMFCode = "/usr/share/AAVMF/AAVMF_CODE.fd"
	AAVMFVars = "/usr/share/AAVMF/AAVMF_VARS.fd"
)

// ovmfImages are the firmware image and variable store template of a
// UEFI firmware; ok is false for a BIOS one.
func ovmfImages(firmware string) (code, vars string, ok bool) {
	switch firmware {
	case FirmwareOVMF:
		return OVMFCode, OVMFVars, true
	case FirmwareOVMFSecureBoot:
		return OVMFSecureBootCode, OVMFSecureBootVars, true
	case FirmwareAAVMF:
		return AAVMFCode, AAVMFVars, true
	}
	return "", "", false
}

// firmwarePackages name the Debian package of each UEFI firmware, for
// errors.
var firmwarePackages = map[string]string{FirmwareOVMF: "ovmf", FirmwareOVMFSecureBoot: "ovmf", FirmwareAAVMF: "qemu-efi-aarch64"}

// QEMUAarch64 is the QEMU binary AAVMF boots in (Debian's qemu-system-arm).
const QEMUAarch64 = "qemu-system-aarch64"

// DefaultMAC is QEMU's own default MAC, used in user mode without an
// inventory.
const DefaultMAC = "52:54:00:12:34:56"

// SlirpClientIP is the address QEMU's user-mode DHCP server gives its first
// client.
var SlirpClientIP = netip.MustParseAddr("10.0.2.15")

// Defaults for zero fields of Options.
const (
	DefaultNIC      = "virtio"
	DefaultNet      = NetUser
	DefaultTimeout  = 180 * time.Second
	DefaultMemoryMB = 256
	DefaultQEMU     = "qemu-system-x86_64"
	DefaultFirmware = FirmwareSeaBIOS
	DefaultNICROM   = NICROMiPXE
)

// Options describe one boot. Zero fields take the defaults above.
type Options struct {
	TFTPRoot    string        // laid out by `rambox pull` (pxelinux.0, ldlinux.c32, pxelinux.cfg/, bzImage, initramfs)
	NIC         string        // virtio or e1000
	Firmware    string        // seabios, ovmf, ovmf-secureboot or aavmf (arm64)
	NICROM      string        // ipxe (QEMU's own) or none (OVMF's native PXE; virtio only)
	HTTPBoot    bool          // ovmf firmwares, NIC ROM none: OVMF's PXE off, so that it boots by UEFI HTTP Boot over IPv4
	MAC         string        // the client's MAC; default: first inventory node's, else DefaultMAC
	Net         string        // user or netns
	Inventory   string        // nodes.yaml; required for netns (optional with Netns: the default MAC, the expected address)
	Netns       *Netns        // boot on this namespace's tap; its owner serves DHCP/TFTP (no TFTPRoot, nothing started)
	AppendExtra []string      // words appended to every APPEND line of pxelinux.cfg/* (served from a copy; the root is untouched)
	Timeout     time.Duration // from QEMU's start; QEMU is killed after it
	MemoryMB    int
	NoRA        bool      // netns: do not answer IPv6 router solicitations (to measure iPXE's wait)
	QEMU        string    // the QEMU binary: qemu-system-x86_64, or qemu-system-aarch64 for aavmf
	Serial      io.Writer // gets the raw serial log as it arrives; may be nil
	Progress    io.Writer // gets one line per step (setup, teardown); may be nil
}

func (o Options) withDefaults() Options {
	if o.NIC == "" {
		o.NIC = DefaultNIC
	}
	if o.Firmware == "" {
		o.Firmware = DefaultFirmware
	}
	if o.NICROM == "" {
		o.NICROM = DefaultNICROM
		if o.Firmware == FirmwareAAVMF {
			// QEMU's iPXE ROMs are x86 code: AAVMF boots with its own
			// virtio-net driver.
			o.NICROM = NICROMNone
		}
	}
	if o.Net == "" && o.Netns != nil {
		o.Net = NetNetns
	}
	if o.Net == "" {
		o.Net = DefaultNet
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MemoryMB == 0 {
		o.MemoryMB = DefaultMemoryMB
	}
	if o.QEMU == "" {
		o.QEMU = DefaultQEMU
		if o.Firmware == FirmwareAAVMF {
			o.QEMU = QEMUAarch64
		}
	}
	return o
}

// plan is a validated Options with everything derived from it.
type plan struct {
	Options
	model    string         // QEMU device model
	mac      string         // lower case, colon-separated
	inv      *pxe.Inventory // nil in user mode without --inventory
	nw       *pxe.Network
	clientIP netip.Addr // the address the client will get, when known
}

// ClientIP returns the IPv4 address the booted client should get:
// 10.0.2.15 with user networking, the node's fixed address with netns
// (invalid when the MAC is not an inventory node's).
func (o Options) ClientIP() (netip.Addr, error) {
	p, err := o.plan()
	if err != nil {
		return netip.Addr{}, err
	}
	return p.clientIP, nil
}

// Validate reports every problem with the options at once, each naming
// its flag.
func (o Options) Validate() error {
	_, err := o.plan()
	return err
}

var macPattern = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)

// TFTP root files every PXE boot reads.
var requiredFiles = []string{tftproot.BootFile, tftproot.LdlinuxFile, tftproot.KernelFile, tftproot.InitramfsFile}

func (o Options) plan() (*plan, error) {
	o = o.withDefaults()
	p := &plan{Options: o}
	var errs []error
	bad := func(flag, format string, a ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flag, fmt.Sprintf(format, a...)))
	}

	rootOK := false
	if o.Netns != nil {
		// The caller's server serves whatever it serves.
		if o.TFTPRoot != "" {
			bad("tftp-root", "set with a namespace of the caller's (Options.Netns), whose own server serves: leave it empty")
		}
		if len(o.AppendExtra) > 0 {
			bad("append-extra", "needs rambox boot's own TFTP server, not a namespace of the caller's (Options.Netns)")
		}
	} else if o.TFTPRoot == "" {
		bad("tftp-root", "required")
	} else if fi, err := os.Stat(o.TFTPRoot); err != nil {
		bad("tftp-root", "%v", err)
	} else if !fi.IsDir() {
		bad("tftp-root", "%s is not a directory", o.TFTPRoot)
	} else {
		rootOK = true
		if abs, err := filepath.Abs(o.TFTPRoot); err == nil {
			p.TFTPRoot = abs // as logged, and as QEMU and tftpd get it
		}
		for _, f := range requiredFiles {
			if _, err := os.Stat(filepath.Join(o.TFTPRoot, f)); err != nil {
				bad("tftp-root", "%s has no %s (lay it out with rambox pull)", o.TFTPRoot, f)
				rootOK = false
			}
		}
	}

	var ok bool
	if p.model, ok = nicModels[o.NIC]; !ok {
		bad("nic", "%q is not virtio or e1000", o.NIC)
	}
	switch o.Net {
	case NetUser, NetNetns:
	default:
		bad("net", "%q is not user or netns", o.Net)
	}
	if o.Netns != nil && o.Net != NetNetns {
		bad("net", "%s with a namespace of the caller's (Options.Netns): leave it empty", o.Net)
	}
	switch o.Firmware {
	case FirmwareSeaBIOS:
	case FirmwareOVMF, FirmwareOVMFSecureBoot, FirmwareAAVMF:
		if o.Netns == nil {
			bad("firmware", "%s boots EFI programs, and rambox boot's own servers hand out the TFTP root's pxelinux.0, a BIOS one: boot UEFI clients from a server that hands out ipxe.efi or a UKI (a namespace of the caller's, Options.Netns)", o.Firmware)
		}
		code, vars, _ := ovmfImages(o.Firmware)
		for _, f := range []string{code, vars} {
			if _, err := os.Stat(f); err != nil {
				bad("firmware", "%s needs %s (Debian package %s): %v", o.Firmware, f, firmwarePackages[o.Firmware], err)
			}
		}
	default:
		bad("firmware", "%q is not seabios, ovmf, ovmf-secureboot or aavmf", o.Firmware)
	}
	switch o.NICROM {
	case NICROMiPXE:
		if o.Firmware == FirmwareAAVMF {
			bad("nic-rom", "ipxe with --firmware aavmf: QEMU's iPXE ROMs are x86 code; use none")
		}
	case NICROMNone:
		if o.Firmware == FirmwareSeaBIOS {
			bad("nic-rom", "none leaves SeaBIOS without any network boot code: use --firmware ovmf")
		}
		if o.NIC != "virtio" {
			bad("nic-rom", "none with --nic %s: OVMF has a driver for virtio only", o.NIC)
		}
	default:
		bad("nic-rom", "%q is not ipxe or none", o.NICROM)
	}
	if _, _, uefi := ovmfImages(o.Firmware); o.HTTPBoot && (!uefi || o.NICROM != NICROMNone) {
		bad("http-boot", "needs UEFI's own network stack: --firmware ovmf or ovmf-secureboot with --nic-rom none")
	}

	if o.Inventory != "" {
		inv, err := pxe.LoadInventory(o.Inventory)
		if err != nil {
			bad("inventory", "%v", err)
		} else {
			p.inv, p.nw = inv, &inv.Network
		}
	} else if o.Net == NetNetns && o.Netns == nil {
		bad("inventory", "required with --net netns (the server's address and the nodes' fixed addresses come from it)")
	}

	p.mac = strings.ToLower(o.MAC)
	if p.mac != "" && !macPattern.MatchString(p.mac) {
		bad("mac", "%q is not a MAC address like 08:00:07:26:c0:a5", o.MAC)
	}
	if p.mac == "" {
		p.mac = DefaultMAC
		if p.inv != nil {
			p.mac = p.inv.Nodes[0].MAC.String()
		}
	}

	switch o.Net {
	case NetUser:
		p.clientIP = SlirpClientIP
	case NetNetns:
		if p.inv != nil {
			for _, n := range p.inv.Nodes {
				if n.MAC.String() == p.mac {
					p.clientIP = n.IP
				}
			}
			if !p.clientIP.IsValid() && !p.nw.AllowUnknown && o.Netns == nil {
				bad("mac", "%s is no node's in %s and server.allow_unknown is false: dhcpd would not answer", p.mac, o.Inventory)
			}
		}
	}

	if o.Timeout < 0 {
		bad("timeout", "%v is negative", o.Timeout)
	}
	if o.MemoryMB < 32 {
		bad("memory", "%d MiB is too little to boot", o.MemoryMB)
	}
	for _, w := range o.AppendExtra {
		if strings.TrimSpace(w) == "" || strings.ContainsAny(w, "\n\r\"") {
			bad("append-extra", "%q: want kernel command line words, without newlines or double quotes", w)
		}
	}

	// The client must find a pxelinux config, else pxelinux sits at its
	// prompt until the timeout.
	if rootOK && p.clientIP.IsValid() && macPattern.MatchString(p.mac) {
		names, _ := pxe.ConfigNames(strings.ReplaceAll(p.mac, ":", "-"), p.clientIP)
		found := false
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(o.TFTPRoot, tftproot.ConfigDir, n)); err == nil {
				found = true
				break
			}
		}
		if !found {
			bad("tftp-root", "pxelinux.cfg/ has none of the files a client with MAC %s and address %s asks for (%s, %s, ..., default): pull with an inventory listing it, or with --default",
				p.mac, p.clientIP, names[0], names[1])
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}
