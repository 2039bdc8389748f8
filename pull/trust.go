// Package pull is a boot server's side of a bundle: fetch it by digest,
// verify its signature, blobs and attachments, and lay it out in a TFTP
// root for pxelinux.
package pull

import (
	"errors"
	"fmt"

	"rambox/ocibundle"
	"rambox/signing"
)

// Trust says which signatures a boot server trusts: a cosign public key;
// k of n cosign public keys (a CI key and a release key both required);
// or a keyless signer's identity and OIDC issuer.
type Trust struct {
	Key string // cosign public key file
	// Keys trusts a bundle only when Threshold of these public key files
	// each signed it, instead of Key. Threshold 0 means all of them.
	Keys         []string
	Threshold    int
	CertIdentity string // keyless signer identity (checked by the cosign CLI), instead of Key
	CertIssuer   string // the OIDC issuer of CertIdentity
	// SignedIdentity is the repository signatures must name, when it is
	// not the one pulled from: a mirror of it (--signed-identity).
	SignedIdentity string
}

// keyless reports whether t trusts a keyless identity.
func (t Trust) keyless() bool { return t.CertIdentity != "" || t.CertIssuer != "" }

// Validate reports every problem with t, each naming its flag.
func (t Trust) Validate() error {
	var errs []error
	keyless := t.keyless()
	if keyless && (t.CertIdentity == "" || t.CertIssuer == "") {
		errs = append(errs, errors.New("--certificate-identity and --certificate-oidc-issuer go together"))
	}
	switch {
	case len(t.Keys) > 0:
		if t.Key != "" {
			errs = append(errs, fmt.Errorf("--key: %s and the k-of-n keys %q are both given", t.Key, t.Keys))
		}
		if keyless {
			errs = append(errs, errors.New("--key: k-of-n keys and --certificate-identity are both given"))
		}
		if t.Threshold < 0 || t.Threshold > len(t.Keys) {
			errs = append(errs, fmt.Errorf("--threshold: %d, want 1 to %d (the number of keys)", t.Threshold, len(t.Keys)))
		}
		seen := map[string]bool{}
		for _, k := range t.Keys {
			switch {
			case k == "":
				errs = append(errs, errors.New("--key: an empty key file name"))
			case seen[k]:
				errs = append(errs, fmt.Errorf("--key: %s given twice (it would count once)", k))
			}
			seen[k] = true
		}
	case t.Threshold > 1:
		errs = append(errs, fmt.Errorf("--threshold: %d, but only one --key", t.Threshold))
	case !keyless && t.Key == "":
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
	if len(t.Keys) > 0 {
		v := signing.ThresholdVerifier{Names: t.Keys, Threshold: t.Threshold, SignedIdentity: identity}
		if v.Threshold == 0 {
			v.Threshold = len(t.Keys)
		}
		for _, k := range t.Keys {
			key, err := signing.LoadVerifier(k)
			if err != nil {
				return nil, err
			}
			v.Keys = append(v.Keys, key)
		}
		return v, nil
	}
	if t.keyless() {
		return signing.KeylessVerifier{Ref: ref, Identity: t.CertIdentity, Issuer: t.CertIssuer, SignedIdentity: identity}, nil
	}
	key, err := signing.LoadVerifier(t.Key)
	if err != nil {
		return nil, err
	}
	return signing.KeyVerifier{Key: key, SignedIdentity: identity}, nil
}
