package signing

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Keygen writes a cosign-compatible key pair, cosign.key (encrypted with
// password, scrypt + secretbox as cosign does) and cosign.pub, into dir.
// It refuses to overwrite an existing key.
func Keygen(dir string, password []byte) (keyPath, pubPath string, err error) {
	keyPath, pubPath = filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	if _, err := os.Stat(keyPath); err == nil {
		return "", "", fmt.Errorf("%s exists; not overwriting a signing key", keyPath)
	}
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyPath, kb.PrivateBytes, 0o600); err != nil {
		return "", "", err
	}
	return keyPath, pubPath, os.WriteFile(pubPath, kb.PublicBytes, 0o644)
}

// LoadSigner reads a cosign private key.
func LoadSigner(path string, password []byte) (signature.SignerVerifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sv, err := cosign.LoadPrivateKey(b, password, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (is COSIGN_PASSWORD right?)", path, err)
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

// LoadOrMakeSigner reads the cosign private key at keyPath, making a key
// pair first when there is none. made says whether it did.
func LoadOrMakeSigner(keyPath string, password []byte) (s signature.Signer, made bool, err error) {
	if _, err := os.Stat(keyPath); errors.Is(err, os.ErrNotExist) {
		if _, _, err := Keygen(filepath.Dir(keyPath), password); err != nil {
			return nil, false, err
		}
		made = true
	}
	s, err = LoadSigner(keyPath, password)
	return s, made, err
}
