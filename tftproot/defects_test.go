package tftproot

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"rambox/bundle"
)

// serving reads what tftpd would serve from root: each served name, and
// every file under pxelinux.cfg/, through the symlinks.
func serving(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, n := range append([]string{KernelFile, InitramfsFile}, BootloaderFiles...) {
		b, err := os.ReadFile(filepath.Join(root, n))
		if err != nil {
			t.Fatalf("serving %s: %v", n, err)
		}
		got[n] = string(b)
	}
	ents, err := os.ReadDir(filepath.Join(root, ConfigDir))
	if err != nil {
		t.Fatalf("serving %s: %v", ConfigDir, err)
	}
	for _, e := range ents {
		got[ConfigDir+"/"+e.Name()] = read(t, filepath.Join(root, ConfigDir, e.Name()))
	}
	got["current/"+bundle.InfoFile] = read(t, filepath.Join(root, Current, bundle.InfoFile))
	return got
}

// servesBundle fails unless root serves one of fs, complete and byte for
// byte, and returns which.
func servesBundle(t *testing.T, root string, fs ...*bundle.Fetched) *bundle.Fetched {
	t.Helper()
	got := serving(t, root)
	for _, f := range fs {
		if got[KernelFile] != string(f.Files[KernelFile]) {
			continue
		}
		for n, b := range f.Files {
			if c, err := os.ReadFile(filepath.Join(root, Current, n)); err != nil || !bytes.Equal(c, b) {
				t.Errorf("current/%s = %q (%v), want %q", n, c, err, b)
			}
		}
		if got["current/"+bundle.InfoFile] != string(f.InfoJSON) {
			t.Errorf("current/%s = %q, want %q", bundle.InfoFile, got["current/"+bundle.InfoFile], f.InfoJSON)
		}
		return f
	}
	t.Fatalf("%s serves kernel %q, none of the bundles", root, got[KernelFile])
	return nil
}

// Defect 1: a re-install of a present digest ignored a changed inventory.
func TestReinstallFollowsConfig(t *testing.T) {
	root, bl := t.TempDir(), bootloaders(t)
	a := fetched("kernel A")
	steps := []struct {
		nodes    map[string]string
		def      string
		want     []string
		wantNone []string
	}{
		{map[string]string{"C0A818CB": "cfg cb"}, "", []string{"C0A818CB"}, []string{"C0A818CC", "default"}},
		{map[string]string{"C0A818CB": "cfg cb", "C0A818CC": "cfg cc"}, "", []string{"C0A818CB", "C0A818CC"}, []string{"default"}},
		{map[string]string{"C0A818CC": "cfg cc2"}, "dflt", []string{"C0A818CC", "default"}, []string{"C0A818CB"}},
	}
	for i, s := range steps {
		if _, err := Install(root, a, Options{BootloaderDirs: []string{bl}, NodeConfigs: s.nodes, DefaultConfig: s.def}); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		got := serving(t, root)
		for _, n := range s.want {
			want := s.nodes[n]
			if n == "default" {
				want = s.def
			}
			if got[ConfigDir+"/"+n] != want {
				t.Errorf("step %d: %s/%s = %q, want %q", i, ConfigDir, n, got[ConfigDir+"/"+n], want)
			}
		}
		for _, n := range s.wantNone {
			if _, ok := got[ConfigDir+"/"+n]; ok {
				t.Errorf("step %d: %s/%s is served, want none", i, ConfigDir, n)
			}
		}
	}
}

// Defect 2: an existing bundles/<hex> was trusted because it existed.
func TestReuseChecksBundleDir(t *testing.T) {
	a := fetched("kernel A")
	hexd := a.Manifest.Digest.Encoded()
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string)
	}{
		{"empty dir", func(t *testing.T, dir string) { os.MkdirAll(dir, 0o755) }},
		{"0-byte kernel", func(t *testing.T, dir string) {
			os.MkdirAll(dir, 0o755)
			for n, b := range a.Files {
				os.WriteFile(filepath.Join(dir, n), b, 0o644)
			}
			os.WriteFile(filepath.Join(dir, KernelFile), nil, 0o644)
		}},
		{"symlink to another dir", func(t *testing.T, dir string) {
			other := t.TempDir()
			os.WriteFile(filepath.Join(other, KernelFile), []byte("not kernel A"), 0o644)
			os.MkdirAll(filepath.Dir(dir), 0o755)
			os.Symlink(other, dir)
		}},
		{"a file", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Dir(dir), 0o755)
			os.WriteFile(dir, []byte("x"), 0o644)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, BundlesDir, hexd)
			c.damage(t, dir)
			if _, err := Install(root, a, Options{BootloaderDirs: []string{bootloaders(t)}, DefaultConfig: "d"}); err != nil {
				t.Fatalf("Install over %s: %v", c.name, err)
			}
			servesBundle(t, root, a)
			if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
				t.Errorf("%s after Install: %v, %v; want a real directory", dir, fi.Mode(), err)
			}
		})
	}
	t.Run("corrupted after install", func(t *testing.T) {
		root := t.TempDir()
		o := Options{BootloaderDirs: []string{bootloaders(t)}, DefaultConfig: "d"}
		if _, err := Install(root, a, o); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(root, BundlesDir, hexd, InitramfsFile), []byte("initrX"), 0o644)
		if _, err := Install(root, a, o); err != nil {
			t.Fatal(err)
		}
		servesBundle(t, root, a)
	})
}

// Defect 4: stale staging directories stayed, and bundles piled up.
func TestCleansStagingAndCollects(t *testing.T) {
	root, bl := t.TempDir(), bootloaders(t)
	o := Options{BootloaderDirs: []string{bl}, DefaultConfig: "d"}
	stale := filepath.Join(root, BundlesDir, ".staging-1234")
	os.MkdirAll(stale, 0o700)
	os.WriteFile(filepath.Join(stale, KernelFile), []byte("half"), 0o644)
	var all []*bundle.Fetched
	for i := range 6 {
		f := fetched(fmt.Sprint("kernel ", i))
		all = append(all, f)
		if _, err := Install(root, f, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Lstat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale %s still there (%v)", stale, err)
	}
	ents, _ := os.ReadDir(filepath.Join(root, BundlesDir))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 3 {
		t.Errorf("bundles/ = %v, want the 3 newest", names)
	}
	for _, f := range all[3:] {
		if _, err := os.Stat(filepath.Join(root, BundlesDir, f.Manifest.Digest.Encoded())); err != nil {
			t.Errorf("bundle %s (one of the 3 newest): %v", f.Files[KernelFile], err)
		}
	}
	if _, err := Rollback(root); err != nil {
		t.Fatalf("Rollback after collection: %v", err)
	}
	if got := servesBundle(t, root, all...); got != all[4] {
		t.Errorf("after rollback serving %q, want %q", got.Files[KernelFile], all[4].Files[KernelFile])
	}
}

// Defect 5: concurrent installs and rollbacks failed spuriously or lost
// an update of previous.
func TestConcurrentInstallsAndRollbacks(t *testing.T) {
	root, bl := t.TempDir(), bootloaders(t)
	o := Options{BootloaderDirs: []string{bl}, DefaultConfig: "d"}
	a, b := fetched("kernel A"), fetched("kernel B")
	for _, f := range []*bundle.Fetched{a, b} {
		if _, err := Install(root, f, o); err != nil {
			t.Fatal(err)
		}
	}
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	for r := range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				switch g % 4 {
				case 0:
					_, err = Install(root, a, o)
				case 1:
					_, err = Install(root, b, o)
				case 2:
					_, err = Rollback(root)
				case 3:
					_, err = Install(root, []*bundle.Fetched{a, b}[r%2], o)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("round %d: %v", r, err)
			}
		}
		servesBundle(t, root, a, b)
		if cur, prev := linkOf(root, Current), linkOf(root, Previous); cur == prev {
			t.Fatalf("round %d: current and previous both %s (an update lost)", r, cur)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}

// Defect 6: a step failing after the switch left current moved.
func TestServedPathNotSymlink(t *testing.T) {
	for _, name := range []string{ConfigDir, KernelFile, Previous} {
		t.Run(name, func(t *testing.T) {
			root, bl := t.TempDir(), bootloaders(t)
			o := Options{BootloaderDirs: []string{bl}, DefaultConfig: "d"}
			a := fetched("kernel A")
			if _, err := Install(root, a, o); err != nil {
				t.Fatal(err)
			}
			before := serving(t, root)
			p := filepath.Join(root, name)
			os.Remove(p)
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(p, "x"), []byte("admin's"), 0o644)
			_, err := Install(root, fetched("kernel B"), o)
			if err == nil || !strings.Contains(err.Error(), p) {
				t.Fatalf("Install with a directory at %s = %v, want an error naming it", p, err)
			}
			if cur := linkOf(root, Current); !strings.HasSuffix(cur, a.Manifest.Digest.Encoded()) {
				t.Errorf("current -> %s after the refused install, want A's", cur)
			}
			os.RemoveAll(p)
			if name != ConfigDir && name != Previous {
				os.Symlink(filepath.Join(Current, name), p)
				if got := serving(t, root); fmt.Sprint(got) != fmt.Sprint(before) {
					t.Errorf("serving %v after the refused install, want %v", got, before)
				}
			}
		})
	}
}

// Rollback went to a previous bundle without checking it was complete.
func TestRollbackChecksPrevious(t *testing.T) {
	root, bl := t.TempDir(), bootloaders(t)
	o := Options{BootloaderDirs: []string{bl}, DefaultConfig: "d"}
	a, b := fetched("kernel A"), fetched("kernel B")
	for _, f := range []*bundle.Fetched{a, b} {
		if _, err := Install(root, f, o); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, BundlesDir, a.Manifest.Digest.Encoded(), KernelFile), nil, 0o644)
	if _, err := Rollback(root); err == nil || !strings.Contains(err.Error(), KernelFile) {
		t.Errorf("Rollback to a truncated bundle = %v, want an error naming %s", err, KernelFile)
	}
	if got := servesBundle(t, root, a, b); got != b {
		t.Errorf("after the refused rollback serving %q, want B", got.Files[KernelFile])
	}
}

func linkOf(root, name string) string {
	t, _ := os.Readlink(filepath.Join(root, name))
	return t
}
