package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2"

	"rambox/bundle"
	"rambox/provenance"
	"rambox/sbom"
)

// password is the signing key's password, from COSIGN_PASSWORD as cosign
// reads it (an empty password is allowed, as in cosign).
func password() []byte { return []byte(os.Getenv("COSIGN_PASSWORD")) }

func runKeygen(args []string) error {
	fs := newFlagSet("keygen", "[--dir DIR]")
	dir := fs.String("dir", ".", "`directory` for cosign.key and cosign.pub")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	key, pub, err := bundle.Keygen(*dir, password())
	if err != nil {
		return err
	}
	fmt.Printf("private key %s (encrypted with $COSIGN_PASSWORD)\npublic key  %s\n", key, pub)
	return nil
}

func runPublicKey(args []string) error {
	fs := newFlagSet("public-key", "--key cosign.key")
	keyPath := fs.String("key", "cosign.key", "cosign private `key` ($COSIGN_PASSWORD decrypts it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	signer, err := bundle.LoadSigner(*keyPath, password())
	if err != nil {
		return err
	}
	pub, err := signer.PublicKey()
	if err != nil {
		return err
	}
	pem, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(pem)
	return err
}

func runPublish(args []string) error {
	fs := newFlagSet("publish", "[--bundle DIR] [--to REGISTRY/REPO[:TAG] | oci:DIR[:TAG]] [--key cosign.key | --keyless]")
	dir := fs.String("bundle", "artifacts", "bundle `directory` (rambox build --out)")
	to := fs.String("to", "oci:artifacts/oci:latest", "where to publish: REGISTRY/REPO[:TAG] or oci:DIR[:TAG]")
	keyPath := fs.String("key", "artifacts/cosign.key", "cosign private `key`; made (with its .pub) on first use")
	keyless := fs.Bool("keyless", false, "sign with cosign's keyless OIDC flow (the cosign CLI, a registry target and an OIDC identity, e.g. GitHub Actions' id-token) instead of --key")
	source := fs.String("source-url", "", "org.opencontainers.image.source (default: the git remote, if any)")
	revision := fs.String("revision", "", "org.opencontainers.image.revision (default: git HEAD, if any)")
	builderID := fs.String("builder-id", defaultBuilderID(), "provenance builder `id`: who built the bundle")
	runID := fs.String("run-id", defaultRunID(), "provenance invocation `id`: which run built it")
	timings := fs.String("timings", "", "write the publish and sign seconds to this JSON `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ref, err := bundle.ParseRef(*to)
	if err != nil {
		return err
	}
	if ref.Digest != "" {
		return fmt.Errorf("--to %s: a publish target names a repository and tag, not a digest", *to)
	}
	var sign func(ctx context.Context, target oras.Target, d ocispec.Descriptor) error
	if *keyless {
		if ref.Layout != "" {
			return fmt.Errorf("--keyless: cosign signs keyless in a registry, not in the OCI layout %s", ref.Layout)
		}
		sign = func(ctx context.Context, _ oras.Target, d ocispec.Descriptor) error {
			return cosignKeyless(ctx, ref, d)
		}
	} else {
		signer, err := loadOrMakeSigner(*keyPath)
		if err != nil {
			return err
		}
		sign = func(ctx context.Context, target oras.Target, d ocispec.Descriptor) error {
			_, err := bundle.Sign(ctx, target, d, ref.Identity(), signer)
			return err
		}
	}
	info, _, err := bundle.ReadInfo(*dir)
	if err != nil {
		return err
	}
	meta := bundle.Meta{Source: orGit(*source, "remote", "get-url", "origin"), Revision: orGit(*revision, "rev-parse", "HEAD"), Version: info.Profile}
	target, err := ref.Open()
	if err != nil {
		return err
	}
	ctx := context.Background()
	var times stageTimings
	start := time.Now()
	desc, err := bundle.Push(ctx, target, *dir, meta)
	if err != nil {
		return err
	}
	if ref.Tag != "" {
		if err := target.Tag(ctx, desc, ref.Tag); err != nil {
			return fmt.Errorf("tagging %s: %w", ref, err)
		}
	}
	// The SBOM the build wrote and the provenance of this publish, as
	// referrers of the bundle.
	var attachments []bundle.Attachment
	if hasFile(info, sbom.File) {
		b, err := os.ReadFile(filepath.Join(*dir, sbom.File))
		if err != nil {
			return err
		}
		attachments = append(attachments, bundle.Attachment{ArtifactType: sbom.MediaType, Name: sbom.File, Content: b})
	}
	prov, err := provenance.Generate(provenance.Params{Info: info, Manifest: desc, Repository: ref.Identity(),
		SourceURI: meta.Source, Revision: meta.Revision, BuilderID: *builderID, RunID: *runID})
	if err != nil {
		return err
	}
	attachments = append(attachments, bundle.Attachment{ArtifactType: provenance.MediaType, Name: provenance.File, Content: prov,
		Annotations: map[string]string{bundle.AnnotationPredicateType: provenance.PredicateType}})
	signed := []ocispec.Descriptor{desc}
	for _, a := range attachments {
		d, err := bundle.Attach(ctx, target, desc, a, time.Unix(info.SourceDateEpoch, 0))
		if err != nil {
			return err
		}
		signed = append(signed, d)
	}
	times.add("publish", time.Since(start))
	start = time.Now()
	for _, d := range signed {
		if err := sign(ctx, target, d); err != nil {
			return err
		}
	}
	times.add("sign", time.Since(start))
	for i, a := range attachments {
		fmt.Fprintf(os.Stderr, "rambox publish: attached %s as %s (referrer %s)\n", a.Name, a.ArtifactType, signed[i+1].Digest)
	}
	if *timings != "" {
		if err := times.write(*timings); err != nil {
			return err
		}
	}
	ref.Digest = desc.Digest
	fmt.Println(ref.Pinned())
	return nil
}

func hasFile(info *bundle.Info, name string) bool {
	for _, f := range info.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

func loadOrMakeSigner(keyPath string) (signature.Signer, error) {
	if _, err := os.Stat(keyPath); errors.Is(err, os.ErrNotExist) {
		if _, _, err := bundle.Keygen(filepath.Dir(keyPath), password()); err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "rambox publish: made a new key pair %s and %s\n", keyPath, strings.TrimSuffix(keyPath, ".key")+".pub")
	}
	return bundle.LoadSigner(keyPath, password())
}

// defaultBuilderID names the builder for provenance: the GitHub Actions
// workflow when run by one, else this machine's rambox.
func defaultBuilderID() string {
	if server, wf := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_WORKFLOW_REF"); server != "" && wf != "" {
		return server + "/" + wf
	}
	return "urn:rambox:builder:local"
}

// defaultRunID names the CI run, when there is one.
func defaultRunID() string {
	server, repo, run := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_REPOSITORY"), os.Getenv("GITHUB_RUN_ID")
	if server == "" || repo == "" || run == "" {
		return ""
	}
	return server + "/" + repo + "/actions/runs/" + run + "/attempts/" + os.Getenv("GITHUB_RUN_ATTEMPT")
}

// orGit returns v, or the output of git with args when v is empty.
func orGit(v string, args ...string) string {
	if v != "" {
		return v
	}
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
