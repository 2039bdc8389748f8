package signing

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PasswordEnv is where cosign, and rambox, read a key's password.
const PasswordEnv = "COSIGN_PASSWORD"

// ErrNoPassword is returned when a key would be made without a password
// anyone chose.
var ErrNoPassword = errors.New(PasswordEnv + " is not set: set it to the new key's password (set but empty, COSIGN_PASSWORD=, for none)")

// Password is a signing key's password. Set says it was given at all: as
// in cosign, COSIGN_PASSWORD= (set but empty) is an explicit empty
// password, an unset one is none.
type Password struct {
	Value []byte
	Set   bool
}

// PasswordFromEnv reads $COSIGN_PASSWORD.
func PasswordFromEnv() Password {
	v, ok := os.LookupEnv(PasswordEnv)
	return Password{Value: []byte(v), Set: ok}
}

// PublicKeyPath is where the public half of the private key at keyPath
// goes: KEY with .key replaced by (or, without it, followed by) .pub.
func PublicKeyPath(keyPath string) string { return strings.TrimSuffix(keyPath, ".key") + ".pub" }

// Keygen writes a cosign-compatible key pair: keyPath (encrypted with the
// password, scrypt + secretbox as cosign does) and PublicKeyPath(keyPath).
// It refuses to overwrite either file, and leaves neither behind when it
// fails.
func Keygen(keyPath string, pw Password) (pubPath string, err error) {
	if !pw.Set {
		return "", fmt.Errorf("making %s: %w", keyPath, ErrNoPassword)
	}
	pubPath = PublicKeyPath(keyPath)
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return pw.Value, nil })
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o755); err != nil {
		return "", err
	}
	if err := writeNew(keyPath, kb.PrivateBytes, 0o600); err != nil {
		return "", err
	}
	if err := writeNew(pubPath, kb.PublicBytes, 0o644); err != nil {
		os.Remove(keyPath)
		return "", err
	}
	return pubPath, nil
}

// writeNew creates path with b, failing if it exists (O_EXCL: no race
// with another keygen), and removes it again if the write fails.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("%w; not overwriting a signing key", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// LoadSigner reads a cosign private key.
func LoadSigner(path string, password []byte) (signature.SignerVerifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sv, err := cosign.LoadPrivateKey(b, password, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (is %s right?)", path, err, PasswordEnv)
	}
	return sv, nil
}

// LoadVerifier reads a PEM public key (cosign.pub).
func LoadVerifier(path string) (signature.Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return signature.LoadVerifier(pub, crypto.SHA256)
}

// LoadOrMakeSigner reads the cosign private key at keyPath, making the
// pair (keyPath, PublicKeyPath(keyPath)) first when there is none; pubPath
// is set when it did.
func LoadOrMakeSigner(keyPath string, pw Password) (s signature.Signer, pubPath string, err error) {
	if _, err := os.Stat(keyPath); errors.Is(err, os.ErrNotExist) {
		if pubPath, err = Keygen(keyPath, pw); err != nil {
			return nil, "", err
		}
	}
	s, err = LoadSigner(keyPath, pw.Value)
	return s, pubPath, err
}
