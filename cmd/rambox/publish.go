package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"rambox/ocibundle"
	"rambox/publish"
	"rambox/signing"
)

func runKeygen(args []string) error {
	fs := newFlagSet("keygen", "[--dir DIR]")
	dir := fs.String("dir", ".", "`directory` for cosign.key and cosign.pub")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	key := filepath.Join(*dir, "cosign.key")
	pub, err := signing.Keygen(key, signing.PasswordFromEnv())
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
	signer, err := signing.LoadSigner(*keyPath, signing.PasswordFromEnv().Value)
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
	fs := newFlagSet("publish", "[--bundle DIR [--bundle DIR2 ...]] [--to REGISTRY/REPO[:TAG] | oci:DIR[:TAG]] [--key cosign.key | --keyless]")
	var o publish.Options
	fs.Var((*multiFlag)(&o.Bundles), "bundle", "bundle `directory` (rambox build --out; default artifacts); repeat it, one per architecture, to publish a multi-arch image index")
	to := fs.String("to", "oci:artifacts/oci:latest", "where to publish: REGISTRY/REPO[:TAG] or oci:DIR[:TAG]")
	keyPath := fs.String("key", "artifacts/cosign.key", "cosign private `key`; made (with its .pub) on first use")
	keyless := fs.Bool("keyless", false, "sign with cosign's keyless OIDC flow (the cosign CLI, a registry target and an OIDC identity, e.g. GitHub Actions' id-token) instead of --key")
	source := fs.String("source-url", "", "org.opencontainers.image.source (default: the git remote, if any)")
	revision := fs.String("revision", "", "org.opencontainers.image.revision (default: git HEAD, if any)")
	fs.StringVar(&o.BuilderID, "builder-id", defaultBuilderID(), "provenance builder `id`: who built the bundle")
	fs.StringVar(&o.RunID, "run-id", defaultRunID(), "provenance invocation `id`: which run built it")
	timings := fs.String("timings", "", "write the publish and sign seconds to this JSON `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(o.Bundles) == 0 {
		o.Bundles = []string{"artifacts"}
	}
	var err error
	if o.To, err = ocibundle.ParseRef(*to); err != nil {
		return err
	}
	if *keyless {
		o.Signer = signing.KeylessSigner{}
	} else {
		key, pub, err := signing.LoadOrMakeSigner(*keyPath, signing.PasswordFromEnv())
		if err != nil {
			return err
		}
		if pub != "" {
			fmt.Fprintf(os.Stderr, "rambox publish: made a new key pair %s and %s\n", *keyPath, pub)
		}
		o.Signer = signing.KeySigner{Key: key}
	}
	o.SourceURL = orGit(*source, "remote", "get-url", "origin")
	o.Revision = orGit(*revision, "rev-parse", "HEAD")
	res, err := publish.Run(context.Background(), o)
	if err != nil {
		return err
	}
	if len(res.Manifests) > 1 {
		for _, m := range res.Manifests {
			fmt.Fprintf(os.Stderr, "rambox publish: %s as %s/%s: %s\n", m.Bundle, ocibundle.PlatformOS, m.Platform, m.Ref)
		}
	}
	for _, a := range res.Attachments {
		fmt.Fprintf(os.Stderr, "rambox publish: attached %s as %s (referrer %s)\n", a.Name, a.ArtifactType, a.Manifest.Digest)
	}
	if *timings != "" {
		var times stageTimings
		times.add("publish", res.Push)
		times.add("sign", res.Sign)
		if err := times.write(*timings); err != nil {
			return err
		}
	}
	fmt.Println(res.Ref)
	return nil
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
