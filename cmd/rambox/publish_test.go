package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rambox/bundle/bundletest"
)

// runEnv runs the CLI in dir with COSIGN_PASSWORD unset, then env added.
func runEnv(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	t.Setenv("COSIGN_PASSWORD", "") // so the test restores it
	os.Unsetenv("COSIGN_PASSWORD")
	return run(t, dir, env, args...)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestPublishKeyHandling: publish makes the key pair it is told to (KEY
// and KEY with .pub), only with an explicit COSIGN_PASSWORD (set but
// empty counts); keygen never overwrites half a pair.
func TestPublishKeyHandling(t *testing.T) {
	bundleDir := bundletest.Write(t, "kernel", "rw")
	publish := func(t *testing.T, key string, env ...string) (string, error) {
		to := "oci:" + filepath.Join(t.TempDir(), "oci") + ":latest"
		return runEnv(t, t.TempDir(), env, "publish", "--bundle", bundleDir, "--to", to, "--key", key, "--source-url", "x", "--revision", "y")
	}

	t.Run("no password", func(t *testing.T) {
		key := filepath.Join(t.TempDir(), "cosign.key")
		out, err := publish(t, key)
		if err == nil || !strings.Contains(out, "COSIGN_PASSWORD") {
			t.Errorf("publish without COSIGN_PASSWORD: %v\n%s\nwant a refusal naming COSIGN_PASSWORD", err, out)
		}
		if exists(key) {
			t.Errorf("publish without COSIGN_PASSWORD made %s", key)
		}
	})
	t.Run("explicit empty password", func(t *testing.T) {
		key := filepath.Join(t.TempDir(), "cosign.key")
		if out, err := publish(t, key, "COSIGN_PASSWORD="); err != nil {
			t.Errorf("publish with COSIGN_PASSWORD set empty: %v\n%s", err, out)
		}
	})
	t.Run("named key", func(t *testing.T) {
		dir := t.TempDir()
		key := filepath.Join(dir, "release.key")
		out, err := publish(t, key, "COSIGN_PASSWORD=pw")
		if err != nil {
			t.Fatalf("publish --key %s: %v\n%s", key, err, out)
		}
		for _, want := range []string{key, filepath.Join(dir, "release.pub")} {
			if !exists(want) {
				t.Errorf("publish --key %s did not make %s", key, want)
			}
		}
		if exists(filepath.Join(dir, "cosign.key")) {
			t.Errorf("publish --key %s made cosign.key", key)
		}
	})
	t.Run("keygen keeps an existing pub", func(t *testing.T) {
		dir := t.TempDir()
		pub := filepath.Join(dir, "cosign.pub")
		os.WriteFile(pub, []byte("keep me"), 0o644)
		if out, err := runEnv(t, dir, []string{"COSIGN_PASSWORD=pw"}, "keygen", "--dir", dir); err == nil {
			t.Errorf("keygen over an existing %s succeeded\n%s", pub, out)
		}
		if b, _ := os.ReadFile(pub); string(b) != "keep me" {
			t.Errorf("keygen overwrote %s", pub)
		}
		if exists(filepath.Join(dir, "cosign.key")) {
			t.Errorf("keygen left half a pair: cosign.key without its own cosign.pub")
		}
	})
}
