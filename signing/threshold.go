package signing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2"
)

// ErrThreshold is returned when fewer of a k-of-n policy's keys signed a
// manifest than it requires.
var ErrThreshold = errors.New("too few of the required keys signed")

// ThresholdVerifier trusts a manifest only when at least Threshold
// distinct keys of Keys each made a valid signature of it (claims checked
// as KeyVerifier checks them): a CI key and a release key both required,
// as System Transparency's stboot asks.
type ThresholdVerifier struct {
	Keys  []signature.Verifier
	Names []string // the key files, one per key, to name them in errors
	// Threshold is how many distinct keys must have signed, 1..len(Keys).
	Threshold int
	// SignedIdentity is the repository a signature must name, as in
	// KeyVerifier.
	SignedIdentity string
}

// Verify checks that target holds valid signatures of subject by at
// least v.Threshold distinct keys.
func (v ThresholdVerifier) Verify(ctx context.Context, target oras.ReadOnlyTarget, subject ocispec.Descriptor) error {
	if err := v.validate(); err != nil {
		return fmt.Errorf("%s: %w", subject.Digest, err)
	}
	sigs, err := readSignatures(ctx, target, subject)
	if err != nil {
		return err
	}
	// The same public key listed twice (two files, one key) is one
	// signer: it must not count twice towards the threshold.
	counted := map[string]bool{}
	signed := 0
	var missing []string
	var why []error
	for i, key := range v.Keys {
		id, err := keyID(key)
		if err != nil {
			return fmt.Errorf("%s: %w", v.Names[i], err)
		}
		if err := acceptedBy(key, sigs, subject, v.SignedIdentity); err != nil {
			missing = append(missing, v.Names[i])
			why = append(why, fmt.Errorf("%s: %w", v.Names[i], err))
			continue
		}
		if !counted[id] {
			counted[id] = true
			signed++
		}
	}
	if signed >= v.Threshold {
		return nil
	}
	err = fmt.Errorf("%s: %d of %d required keys signed (missing: %s): %w", subject.Digest, signed, v.Threshold, strings.Join(missing, ", "), ErrThreshold)
	return errors.Join(append([]error{err}, why...)...)
}

func (v ThresholdVerifier) validate() error {
	switch {
	case len(v.Keys) == 0:
		return errors.New("threshold policy without keys")
	case len(v.Names) != len(v.Keys):
		return fmt.Errorf("threshold policy: %d key names for %d keys", len(v.Names), len(v.Keys))
	case v.Threshold < 1 || v.Threshold > len(v.Keys):
		return fmt.Errorf("threshold %d: want 1 to %d (the number of keys)", v.Threshold, len(v.Keys))
	case v.SignedIdentity == "":
		return errors.New("no signed identity to check signatures against")
	}
	return nil
}

// keyID is a public key's PEM, which identifies it whatever file it was
// read from.
func keyID(v signature.Verifier) (string, error) {
	pub, err := v.PublicKey()
	if err != nil {
		return "", err
	}
	pem, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	return string(pem), err
}
