package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"dagger.io/dagger"

	"rambox/bundle"
	"rambox/stages"
)

// osRelease is the UKI's .osrel: how boot menus name it. Inputs only, so
// it is the same for two builds of a profile.
func osRelease(profile string) string {
	return fmt.Sprintf("ID=rambox\nNAME=rambox\nPRETTY_NAME=\"rambox (%s)\"\nVARIANT_ID=%s\n", profile, profile)
}

// buildUKI lays the UKI's sections out after the toolchain's stub and
// assembles it (stages.UKI), returning it unsigned with its bundle.json
// record. It reads the stub and the sizes of bzImage and initramfs, all
// deterministic, so the layout is too.
func buildUKI(ctx context.Context, c *dagger.Client, tc *dagger.Container, kernel, initramfs *dagger.File, cfg Config) (*dagger.File, *bundle.UKIInfo, error) {
	stub, err := readFile(ctx, tc.File(stages.UKIStub))
	if err != nil {
		return nil, nil, fmt.Errorf("systemd-stub %s in the toolchain (package systemd-boot-efi): %w", stages.UKIStub, err)
	}
	in := stages.UKIInput{Osrel: osRelease(cfg.Profile.Name), Cmdline: cfg.KernelCmdline}
	sizes := map[string]int64{stages.UKIOsrel: int64(len(in.Osrel)), stages.UKICmdline: int64(len(in.Cmdline))}
	for name, f := range map[string]*dagger.File{stages.UKILinux: kernel, stages.UKIInitrd: initramfs} {
		n, err := f.Size(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("UKI section %s: %w", name, err)
		}
		sizes[name] = int64(n)
	}
	var sections []stages.UKISection
	for _, name := range stages.UKIContents {
		sections = append(sections, stages.UKISection{Name: name, Size: sizes[name]})
	}
	if in.Layout, err = stages.LayoutUKI(stub, sections); err != nil {
		return nil, nil, err
	}
	uki := stages.UKI(c, tc, kernel, initramfs, in, cfg.Repro)
	if _, err := uki.Sync(ctx); err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(stub)
	return uki, &bundle.UKIInfo{StubSHA256: hex.EncodeToString(sum[:])}, nil
}

// signUKI signs uki with cfg.SecureBoot and records the signer in info.
// The key becomes a Dagger secret named after the certificate: the
// engine caches the step by the secret's name, so a new certificate
// signs again, and the name tells nothing about the key.
func signUKI(ctx context.Context, c *dagger.Client, tc *dagger.Container, uki *dagger.File, info *bundle.UKIInfo, cfg Config) (*dagger.File, error) {
	der, err := CertDER(cfg.SecureBoot.Cert)
	if err != nil {
		return nil, err
	}
	certSum := sha256.Sum256(der)
	unsigned, err := readFile(ctx, uki)
	if err != nil {
		return nil, err
	}
	unsignedSum := sha256.Sum256(unsigned)
	key := c.SetSecret("rambox-secureboot-key-"+hex.EncodeToString(certSum[:12]), string(cfg.SecureBoot.Key))
	cert := c.Directory().WithNewFile("db.pem", string(cfg.SecureBoot.Cert)).File("db.pem")
	signed := stages.UKISign(c, tc, uki, key, cert, cfg.Repro)
	if _, err := signed.Sync(ctx); err != nil {
		return nil, err
	}
	info.Signed = true
	info.CertSHA256 = hex.EncodeToString(certSum[:])
	info.UnsignedSHA256 = hex.EncodeToString(unsignedSum[:])
	return signed, nil
}

// ErrNoCert is returned for a --secureboot-cert without a PEM certificate.
var ErrNoCert = errors.New("no PEM CERTIFICATE block")

// CertDER returns the DER bytes of the first certificate in a PEM file.
func CertDER(certPEM []byte) ([]byte, error) {
	for rest := certPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return nil, ErrNoCert
		}
		if b.Type == "CERTIFICATE" {
			return b.Bytes, nil
		}
	}
}

// readFile reads a binary file out of the engine. File.Contents
// answers a string through GraphQL, which is no place for bytes that are
// not UTF-8; an export is exact.
func readFile(ctx context.Context, f *dagger.File) ([]byte, error) {
	dir, err := os.MkdirTemp("", "rambox-read-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "file")
	if _, err := f.Export(ctx, p); err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}
