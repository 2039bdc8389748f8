package ci

import (
	"bufio"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// stubBash stands in for `bash` on release.sh's PATH: the set-up scripts
// and the repro gate it runs as `bash ci/X.sh` only record their
// environment (and the gate leaves what the real one leaves: two bundle
// directories, its throwaway cosign.key, and a rambox binary, here a stub
// recording its environment and arguments). Anything else runs real bash.
const stubBash = `#!/bin/sh
case $1 in
ci/deps.sh|ci/engine.sh|ci/toolchain.sh|ci/repro.sh)
  env >"$STUB_LOG/$(basename "$1" .sh).env"
  if [ "$1" = ci/repro.sh ]; then
    echo "$RAMBOX_REPRO_OUT $*" >>"$STUB_LOG/repro.calls"
    mkdir -p "$RAMBOX_REPRO_OUT/a" "$RAMBOX_REPRO_OUT/b"
    echo sbom >"$RAMBOX_REPRO_OUT/a/sbom.spdx.json"
    echo repro-throwaway-key >"$RAMBOX_REPRO_OUT/cosign.key"
    cp "$STUB_RAMBOX" "$RAMBOX_REPRO_OUT/rambox"
  fi
  [ "$(basename "$1" .sh)" = "$STUB_FAIL" ] && exit 1
  exit 0 ;;
esac
exec /bin/bash "$@"
`

// stubRambox records, per subcommand, its environment, its arguments and
// whether the --key file it was given holds the secret.
const stubRambox = `#!/bin/sh
cmd=$1; shift
env >"$STUB_LOG/rambox-$cmd.env"
printf '%s\n' "$@" >"$STUB_LOG/rambox-$cmd.args"
echo "$*" >>"$STUB_LOG/rambox-$cmd.calls"
bundles=0
while [ $# -gt 0 ]; do
  case $1 in
  --bundle)
    # What the real publish says of each bundle when there are several.
    arch=amd64; case $2 in *arm64*) arch=arm64 ;; esac
    echo "rambox publish: $2 as linux/$arch: 127.0.0.1:1/rambox@sha256:$arch" >&2; shift ;;
  --key) grep -q "$STUB_SECRET" "$2" 2>/dev/null && echo yes >"$STUB_LOG/rambox-$cmd.keyok"; shift ;;
  --attachments) mkdir -p "$2" && cp "$(dirname "$0")/a/sbom.spdx.json" "$2/"; shift ;;
  esac
  shift
done
[ "$cmd" = "$STUB_FAIL" ] && exit 1
case $cmd in
publish) echo 127.0.0.1:1/rambox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef ;;
public-key) echo PUBLIC-KEY ;;
esac
exit 0
`

// runRelease runs release.sh with the set-up, the gate and rambox
// stubbed, signing with a key handed over as CI hands over its secret.
func runRelease(t *testing.T, fail string, profiles ...string) (out, dir, log string, err error) {
	dir = t.TempDir()
	bin, log, outDir := filepath.Join(dir, "bin"), filepath.Join(dir, "log"), filepath.Join(dir, "release")
	os.MkdirAll(bin, 0o755)
	os.MkdirAll(log, 0o755)
	os.WriteFile(filepath.Join(bin, "bash"), []byte(stubBash), 0o755)
	os.WriteFile(filepath.Join(bin, "docker"), []byte("#!/bin/sh\nexit 1\n"), 0o755) // no Docker: release.sh starts the engine
	os.WriteFile(filepath.Join(dir, "rambox"), []byte(stubRambox), 0o755)
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "COSIGN_") && !strings.HasPrefix(k, "RAMBOX_") && !strings.HasPrefix(k, "GITHUB_") && k != "PATH" && k != "_EXPERIMENTAL_DAGGER_RUNNER_HOST" {
			env = append(env, kv)
		}
	}
	if len(profiles) == 0 {
		profiles = []string{"linux-6.1"}
	}
	args := []string{"release.sh", "--to", "127.0.0.1:1/rambox:t"}
	for _, p := range profiles {
		args = append(args, "--profile", p)
	}
	cmd := exec.Command("/bin/bash", args...)
	cmd.Env = append(env, "PATH="+bin+":/usr/bin:/bin", "STUB_LOG="+log, "STUB_FAIL="+fail, "STUB_RAMBOX="+filepath.Join(dir, "rambox"), "STUB_SECRET=SECRET-KEY-TEXT",
		"RAMBOX_RELEASE_OUT="+outDir, "TMPDIR="+dir,
		"COSIGN_PRIVATE_KEY=SECRET-KEY-TEXT", "COSIGN_PASSWORD=SECRET-PASSWORD")
	b, err := cmd.CombinedOutput()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("release.sh output:\n%s", b)
		}
	})
	return string(b), dir, log, err
}

func envOf(t *testing.T, file string) map[string]string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("%v (the step did not run)", err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			m[k] = v
		}
	}
	return m
}

// noSecretsLeft checks that no file under a run's directory (the outputs,
// and its TMPDIR) holds the key text or the password, and that no
// cosign.key is there; the stubs' own logs are the test's.
func noSecretsLeft(t *testing.T, dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p == filepath.Join(dir, "log") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), "SECRET-KEY-TEXT") || strings.Contains(string(b), "SECRET-PASSWORD") {
			t.Errorf("%s holds a secret after release.sh", p)
		}
		if d.Name() == "cosign.key" {
			t.Errorf("%s: a private key is left in the outputs", p)
		}
		return nil
	})
}

// TestReleaseKeepsSecrets: the set-up (the engine daemon above all, which
// outlives the script), the gate and the builds never have the key or its
// password in their environment; only publish and public-key get the
// password, and the key file, outside the outputs, is gone when the script
// ends, whether it succeeds or fails.
func TestReleaseKeepsSecrets(t *testing.T) {
	out, dir, log, err := runRelease(t, "")
	if err != nil {
		t.Fatalf("release.sh with stubs: %v", err)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); !strings.HasPrefix(lines[len(lines)-1], "127.0.0.1:1/rambox@sha256:") {
		t.Errorf("release.sh did not print the ref last:\n%s", out)
	}
	for _, step := range []string{"deps", "engine", "toolchain", "repro"} {
		env := envOf(t, filepath.Join(log, step+".env"))
		for _, k := range []string{"COSIGN_PRIVATE_KEY", "COSIGN_PASSWORD"} {
			if _, ok := env[k]; ok {
				t.Errorf("ci/%s.sh ran with %s in its environment", step, k)
			}
		}
	}
	for _, sub := range []string{"publish", "public-key"} {
		env := envOf(t, filepath.Join(log, "rambox-"+sub+".env"))
		if _, ok := env["COSIGN_PRIVATE_KEY"]; ok {
			t.Errorf("rambox %s ran with COSIGN_PRIVATE_KEY in its environment", sub)
		}
		if env["COSIGN_PASSWORD"] != "SECRET-PASSWORD" {
			t.Errorf("rambox %s got COSIGN_PASSWORD %q, want the password", sub, env["COSIGN_PASSWORD"])
		}
		if _, err := os.Stat(filepath.Join(log, "rambox-"+sub+".keyok")); err != nil {
			t.Errorf("rambox %s was not given a key file holding the key", sub)
		}
	}
	args, _ := os.ReadFile(filepath.Join(log, "rambox-publish.args"))
	var key string
	for l := range strings.Lines(string(args)) {
		if strings.HasSuffix(strings.TrimSpace(l), "cosign.key") {
			key = strings.TrimSpace(l)
		}
	}
	if key == "" {
		t.Fatalf("rambox publish was given no cosign.key: %q", args)
	}
	if _, err := os.Stat(key); err == nil {
		t.Errorf("the key file %s is left after release.sh", key)
	}
	noSecretsLeft(t, dir)

	// A failing step must not leave the key behind either.
	for _, step := range []string{"repro", "publish"} {
		t.Run("failing "+step, func(t *testing.T) {
			if _, dir, _, err := runRelease(t, step); err == nil {
				t.Errorf("release.sh succeeded with a failing %s", step)
			} else {
				noSecretsLeft(t, dir)
			}
		})
	}
}

// TestReleaseMultiArch: two profiles each pass their own gate, publish
// gets both bundles (one index), and each platform is pulled back with
// the --arch publish said it went in as.
func TestReleaseMultiArch(t *testing.T) {
	out, _, log, err := runRelease(t, "", "linux-6.1", "linux-6.1-arm64")
	if err != nil {
		t.Fatalf("release.sh with two profiles: %v", err)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); !strings.HasPrefix(lines[len(lines)-1], "127.0.0.1:1/rambox@sha256:") {
		t.Errorf("release.sh did not print the ref last:\n%s", out)
	}
	repro, _ := os.ReadFile(filepath.Join(log, "repro.calls"))
	for _, p := range []string{"linux-6.1", "linux-6.1-arm64"} {
		if !strings.Contains(string(repro), "/repro/"+p+" ci/repro.sh --profile "+p+"\n") {
			t.Errorf("no gate of %s into repro/%s:\n%s", p, p, repro)
		}
	}
	publish, _ := os.ReadFile(filepath.Join(log, "rambox-publish.calls"))
	if strings.Count(string(publish), "--bundle ") != 2 {
		t.Errorf("publish was not given both bundles: %s", publish)
	}
	verify, _ := os.ReadFile(filepath.Join(log, "rambox-verify.calls"))
	for _, want := range []string{"--arch amd64 --attachments", "--arch arm64 --attachments"} {
		if !strings.Contains(string(verify), want) {
			t.Errorf("verify calls lack %q:\n%s", want, verify)
		}
	}
}
