// Package pull is a boot server's side of a bundle: fetch it by digest,
// verify its signature, blobs and attachments, and lay it out in a TFTP
// root for pxelinux.
package pull

import (
	"errors"

	"rambox/ocibundle"
	"rambox/signing"
)

// Trust says which signatures a boot server trusts: a cosign public key,
// or a keyless signer's identity and OIDC issuer.
type Trust struct {
	Key          string // cosign public key file
	CertIdentity string // keyless signer identity (checked by the cosign CLI), instead of Key
	CertIssuer   string // the OIDC issuer of CertIdentity
	// SignedIdentity is the repository signatures must name, when it is
	// not the one pulled from: a mirror of it (--signed-identity).
	SignedIdentity string
}

// Validate reports every problem with t, each naming its flag.
func (t Trust) Validate() error {
	var errs []error
	keyless := t.CertIdentity != "" || t.CertIssuer != ""
	if keyless && (t.CertIdentity == "" || t.CertIssuer == "") {
		errs = append(errs, errors.New("--certificate-identity and --certificate-oidc-issuer go together"))
	}
	if !keyless && t.Key == "" {
		errs = append(errs, errors.New("--key: no public key (or --certificate-identity) given"))
	}
	return errors.Join(errs...)
}

// verifier returns the signature check t describes, for bundles pulled
// from ref.
func (t Trust) verifier(ref ocibundle.Ref) (ocibundle.Verifier, error) {
	identity := t.SignedIdentity
	if identity == "" {
		identity = ref.Identity()
	}
	if t.CertIdentity != "" || t.CertIssuer != "" {
		return signing.KeylessVerifier{Ref: ref, Identity: t.CertIdentity, Issuer: t.CertIssuer, SignedIdentity: identity}, nil
	}
	key, err := signing.LoadVerifier(t.Key)
	if err != nil {
		return nil, err
	}
	return signing.KeyVerifier{Key: key, SignedIdentity: identity}, nil
}
