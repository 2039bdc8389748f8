package pipeline

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// Errors of a Secure Boot key pair, for errors.Is.
var (
	ErrNoKey        = errors.New("no PEM private key")
	ErrEncryptedKey = errors.New("the private key is encrypted, and sbsign cannot ask for its passphrase inside the build: decrypt it into a file only you can read (openssl pkey -in KEY -out KEY.plain) and pass that")
	ErrKeyMismatch  = errors.New("the private key is not the certificate's")
)

// LoadSecureBoot reads the UKI's signing key and certificate and checks
// that they belong together, so a wrong pair fails before the engine
// starts. Each error names the file at fault.
func LoadSecureBoot(keyFile, certFile string) (*SecureBoot, error) {
	sb := &SecureBoot{}
	var errs []error
	var err error
	var key crypto.Signer
	if sb.Key, err = os.ReadFile(keyFile); err != nil {
		errs = append(errs, err)
	} else if key, err = parseKey(sb.Key); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", keyFile, err))
	}
	var cert *x509.Certificate
	if sb.Cert, err = os.ReadFile(certFile); err != nil {
		errs = append(errs, err)
	} else if der, err := CertDER(sb.Cert); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", certFile, err))
	} else if cert, err = x509.ParseCertificate(der); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", certFile, err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	if !bytes.Equal(pub, cert.RawSubjectPublicKeyInfo) {
		return nil, fmt.Errorf("%s and %s: %w", keyFile, certFile, ErrKeyMismatch)
	}
	return sb, nil
}

// parseKey reads the first private key of a PEM file: PKCS#8, PKCS#1
// (RSA) or SEC 1 (EC), unencrypted.
func parseKey(b []byte) (crypto.Signer, error) {
	for rest := b; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			return nil, ErrNoKey
		}
		if blk.Type == "ENCRYPTED PRIVATE KEY" || blk.Headers["Proc-Type"] == "4,ENCRYPTED" {
			return nil, ErrEncryptedKey
		}
		var k any
		var err error
		switch blk.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(blk.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s block: %w", blk.Type, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%s block: %T cannot sign", blk.Type, k)
		}
		return s, nil
	}
}
