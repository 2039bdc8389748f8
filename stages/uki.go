package stages

import (
	_ "embed"
	"fmt"
	"strconv"

	"dagger.io/dagger"
)

// The steps' names after Marker (scripts/uki.sh prints them).
const (
	StepUKI     = "uki"
	StepUKISign = "uki sign"
)

// UKI sections systemd-stub 252 reads (its strings list .linux, .osrel,
// .cmdline, .initrd, .splash, .dtb, .pcrsig, .pcrpkey; .uname came in
// 253). UKIContents is their order in the image.
const (
	UKIOsrel   = ".osrel"
	UKICmdline = ".cmdline"
	UKILinux   = ".linux"
	UKIInitrd  = ".initrd"
)

// UKIContents are the sections of a UKI in layout order: small ones first,
// the kernel, then the initramfs (the stub hands it to the kernel where
// it lies).
var UKIContents = []string{UKIOsrel, UKICmdline, UKILinux, UKIInitrd}

// peStamp is scripts/pe-stamp.pl (script embeds only *.sh).
//
//go:embed scripts/pe-stamp.pl
var peStamp string

// UKIInput is what the UKI is made of besides the kernel and initramfs.
type UKIInput struct {
	Osrel   string // os-release text: names the image in boot menus
	Cmdline string // the kernel command line, exactly (no newline added)
	// Layout is LayoutUKI's answer for UKIContents with these sizes.
	Layout []UKISection
}

// UKI assembles the unsigned unified kernel image: the toolchain's
// systemd-stub with os-release, command line, bzImage and initramfs
// added as sections at Layout's addresses (objcopy, as systemd documents
// for 252), then the PE header stamped with SourceDateEpoch
// (scripts/pe-stamp.pl). Two builds of the same inputs give the same
// bytes: objcopy's only varying output, the header's timestamp and with
// it the checksum, is rewritten.
func UKI(c *dagger.Client, tc *dagger.Container, kernel, initramfs *dagger.File, in UKIInput, r Repro) *dagger.File {
	files := map[string]string{UKIOsrel: "/work/uki/osrel", UKICmdline: "/work/uki/cmdline", UKILinux: "/work/uki/linux", UKIInitrd: "/work/uki/initrd"}
	args := []string{"sh", "/work/uki.sh", "build", UKIStub, "/work/rambox.efi", strconv.FormatInt(r.SourceDateEpoch, 10)}
	for _, s := range in.Layout {
		args = append(args, fmt.Sprintf("%s=%s@%#x", s.Name, files[s.Name], s.VMA))
	}
	parts := c.Directory().
		WithNewFile("osrel", in.Osrel).
		WithNewFile("cmdline", in.Cmdline).
		WithFile("linux", kernel).
		WithFile("initrd", initramfs)
	return r.exec(r.apply(tc).
		WithMountedFile("/work/uki.sh", script(c, "uki.sh")).
		WithMountedFile("/work/pe-stamp.pl", c.Directory().WithNewFile("pe-stamp.pl", peStamp).File("pe-stamp.pl")).
		WithMountedDirectory("/work/uki", parts),
		args).
		File("/work/rambox.efi")
}

// UKISign signs uki for UEFI Secure Boot with sbsign (Authenticode,
// SHA-256, RSA). The private key enters only as a Dagger secret mounted
// for this one step: it is in no layer, argument, variable or log, and
// not in the engine's cache as a file (the cache keys on the secret's
// name; name it after the certificate, see pipeline). cert is the
// matching X.509 certificate (PEM). The step fails unless sbverify
// accepts the result with cert and `sbattach --remove` gives back uki's
// exact bytes.
//
// Not reproducible for a fixed key, measured: sbsign (OpenSSL's
// PKCS7_sign) puts a signingTime attribute, the wall clock, among the
// signed attributes, so two signings differ in that time and in the
// RSA signature over it (258 bytes with the checksum). The signed
// image's payload is reproducible: strip the signature and the unsigned
// UKI comes back, byte for byte (the step checks it).
func UKISign(c *dagger.Client, tc *dagger.Container, uki *dagger.File, key *dagger.Secret, cert *dagger.File, r Repro) *dagger.File {
	return r.exec(r.apply(tc).
		WithMountedFile("/work/uki.sh", script(c, "uki.sh")).
		WithMountedFile("/work/unsigned.efi", uki).
		WithMountedFile("/work/db.pem", cert).
		WithMountedSecret("/run/secrets/db.key", key),
		[]string{"sh", "/work/uki.sh", "sign", "/work/unsigned.efi", "/run/secrets/db.key", "/work/db.pem", "/work/rambox.efi"}).
		File("/work/rambox.efi")
}
