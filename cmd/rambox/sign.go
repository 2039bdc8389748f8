package main

import (
	"context"
	"fmt"
	"os"

	"rambox/publish"
	"rambox/signing"
)

func runSign(args []string) error {
	fs := newFlagSet("sign", "--key release.key REF@sha256:HEX")
	keyPath := fs.String("key", "cosign.key", "cosign private `key` ($COSIGN_PASSWORD decrypts it)")
	keyless := fs.Bool("keyless", false, "sign with cosign's keyless OIDC flow (the cosign CLI) instead of --key")
	ref, err := parseRefArg(fs, args)
	if err != nil {
		return err
	}
	var signer signing.Signer
	if *keyless {
		signer = signing.KeylessSigner{}
	} else {
		key, err := signing.LoadSigner(*keyPath, signing.PasswordFromEnv().Value)
		if err != nil {
			return err
		}
		signer = signing.KeySigner{Key: key}
	}
	signed, err := publish.Sign(context.Background(), ref, signer)
	if err != nil {
		return err
	}
	for _, d := range signed[1:] {
		fmt.Fprintf(os.Stderr, "rambox sign: signed attachment %s (%s)\n", d.Digest, d.ArtifactType)
	}
	fmt.Println(ref.Pinned())
	return nil
}
