package main

import (
	"context"
	"fmt"
	"os"

	"rambox/mirror"
	"rambox/ocibundle"
)

func runMirror(args []string) error {
	fs := newFlagSet("mirror", "SRC@sha256:HEX DST --key cosign.pub [--signed-identity REPO]\n\n"+
		"SRC is REGISTRY/REPO@sha256:HEX or oci:DIR@sha256:HEX; DST is REGISTRY/REPO[:TAG] or oci:DIR[:TAG].\n"+
		"Prints the ref to pull at DST; pull it with the --signed-identity printed on stderr.")
	var o mirror.Options
	addTrustFlags(fs, &o.Trust)
	words, err := parseWords(fs, args, 2)
	if err != nil {
		return err
	}
	if o.Src, err = ocibundle.ParseRef(words[0]); err != nil {
		return fmt.Errorf("SRC: %w", err)
	}
	if o.Dst, err = ocibundle.ParseRef(words[1]); err != nil {
		return fmt.Errorf("DST: %w", err)
	}
	res, err := mirror.Mirror(context.Background(), o)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "rambox mirror: verified %s and its copy at %s: %d manifests, %d blobs and manifests copied (%d bytes), %d already there\n",
		o.Src.Pinned(), o.Dst, len(res.Manifests), res.Copied, res.Bytes, res.Skipped)
	for _, d := range res.Ignored {
		fmt.Fprintf(os.Stderr, "rambox mirror: left behind referrer %s (%s: not a rambox attachment, not verified)\n", d.Digest, d.ArtifactType)
	}
	fmt.Fprintf(os.Stderr, "rambox mirror: its signatures name %s: pull with --signed-identity %s\n", res.SignedIdentity, res.SignedIdentity)
	fmt.Println(res.Ref)
	return nil
}
