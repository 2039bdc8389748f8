package signing

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestPublicKeyPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"artifacts/cosign.key", "artifacts/cosign.pub"},
		{"dir/release.key", "dir/release.pub"},
		{"signing-key", "signing-key.pub"},
	} {
		if got := PublicKeyPath(tc.in); got != tc.want {
			t.Errorf("PublicKeyPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestKeygen: the pair lands at exactly KEY and its .pub, never over an
// existing file, never half, never without a chosen password.
func TestKeygen(t *testing.T) {
	pw := Password{Value: []byte("pw"), Set: true}
	dir := t.TempDir()
	key := filepath.Join(dir, "keys", "release.key") // a directory made on the way
	pub, err := Keygen(key, pw)
	if err != nil || pub != filepath.Join(dir, "keys", "release.pub") {
		t.Fatalf("Keygen(%q) = %q, %v", key, pub, err)
	}
	if _, err := LoadSigner(key, pw.Value); err != nil {
		t.Error(err)
	}
	if _, err := LoadVerifier(pub); err != nil {
		t.Error(err)
	}
	if _, err := Keygen(key, pw); !errors.Is(err, os.ErrExist) {
		t.Errorf("Keygen(%q) over an existing pair = %v, want ErrExist", key, err)
	}

	lone := filepath.Join(t.TempDir(), "cosign.key")
	os.WriteFile(PublicKeyPath(lone), []byte("keep"), 0o644)
	if _, err := Keygen(lone, pw); !errors.Is(err, os.ErrExist) {
		t.Errorf("Keygen(%q) over an existing .pub = %v, want ErrExist", lone, err)
	}
	if _, err := os.Stat(lone); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Keygen(%q) left %s behind: %v", lone, lone, err)
	}

	unset := filepath.Join(t.TempDir(), "cosign.key")
	if _, err := Keygen(unset, Password{}); !errors.Is(err, ErrNoPassword) {
		t.Errorf("Keygen(%q) without a password = %v, want ErrNoPassword", unset, err)
	}
}
