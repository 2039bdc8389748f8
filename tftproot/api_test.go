package tftproot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"rambox/bundle"
)

// setHook replaces testHook for one test.
func setHook(t *testing.T, h func(point, path string)) {
	old := testHook
	testHook = h
	t.Cleanup(func() { testHook = old })
}

// Defect 3: nothing was fsynced before the renames.
func TestInstallFsyncs(t *testing.T) {
	root := t.TempDir()
	var mu sync.Mutex
	synced := map[string]bool{}
	staging := regexp.MustCompile(`/\.staging-[^/]*`)
	setHook(t, func(point, p string) {
		if point == "fsync" {
			rel, _ := filepath.Rel(root, staging.ReplaceAllString(p, "/*"))
			mu.Lock()
			synced[rel] = true
			mu.Unlock()
		}
	})
	if _, err := Install(root, fetched("kernel A"), Options{BootloaderDirs: []string{bootloaders(t)}, NodeConfigs: map[string]string{"C0A818CB": "n"}}); err != nil {
		t.Fatal(err)
	}
	want := []string{".", BundlesDir, GenerationsDir}
	for _, d := range []string{filepath.Join(root, BundlesDir), filepath.Join(root, GenerationsDir)} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			filepath.Walk(filepath.Join(d, e.Name()), func(p string, fi os.FileInfo, err error) error {
				if err == nil && (fi.Mode().IsRegular() || fi.IsDir()) {
					rel, _ := filepath.Rel(root, p)
					parts := strings.SplitN(rel, string(filepath.Separator), 3)
					parts[1] = "*"
					want = append(want, filepath.Join(parts...))
				}
				return nil
			})
		}
	}
	for _, w := range want {
		if !synced[w] {
			t.Errorf("%s was not fsynced (synced: %v)", w, synced)
		}
	}
}

func TestLockExcludes(t *testing.T) {
	root := t.TempDir()
	unlock, err := Lock(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{BootloaderDirs: []string{bootloaders(t)}, DefaultConfig: "d", LockWait: 50 * time.Millisecond}
	_, err = Install(root, fetched("kernel A"), o)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), root) {
		t.Errorf("Install while locked = %v, want ErrLocked naming %s", err, root)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lock(ctx, root); !errors.Is(err, ErrLocked) {
		t.Errorf("second Lock = %v, want ErrLocked", err)
	}
	unlock()
	if _, err := Install(root, fetched("kernel A"), o); err != nil {
		t.Errorf("Install after unlock: %v", err)
	}
}

func TestReadCurrent(t *testing.T) {
	root := t.TempDir()
	if _, err := ReadCurrent(root); !errors.Is(err, ErrNoCurrent) {
		t.Errorf("ReadCurrent(empty root) = %v, want ErrNoCurrent", err)
	}
	a := fetched("kernel A")
	dir, err := Install(root, a, Options{BootloaderDirs: []string{bootloaders(t)}, DefaultConfig: "d"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadCurrent(root)
	if err != nil {
		t.Fatal(err)
	}
	if s.Digest != a.Manifest.Digest || s.BundleDir != dir || s.Dir != filepath.Join(root, linkOf(root, Current)) {
		t.Errorf("ReadCurrent = %+v, want digest %s, bundle %s, dir current's", s, a.Manifest.Digest, dir)
	}
	os.WriteFile(filepath.Join(s.Dir, ConfigDir, "default"), []byte("changed"), 0o644)
	if _, err := ReadCurrent(root); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadCurrent after a config changed = %v, want ErrCorrupt", err)
	}
}

func TestKeep(t *testing.T) {
	for _, keep := range []int{1, 2, 4} {
		root := t.TempDir()
		o := Options{BootloaderDirs: []string{bootloaders(t)}, DefaultConfig: "d", Keep: keep}
		var all []*bundle.Fetched
		for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
			f := fetched("kernel " + k)
			all = append(all, f)
			if _, err := Install(root, f, o); err != nil {
				t.Fatal(err)
			}
		}
		// current and previous always stay.
		want := max(keep, 2)
		ents, _ := os.ReadDir(filepath.Join(root, BundlesDir))
		gens, _ := os.ReadDir(filepath.Join(root, GenerationsDir))
		if len(ents) != want || len(gens) != want {
			t.Errorf("Keep %d: %d bundles, %d generations, want %d", keep, len(ents), len(gens), want)
		}
		for _, f := range all[len(all)-want:] {
			if _, err := os.Stat(filepath.Join(root, BundlesDir, f.Manifest.Digest.Encoded())); err != nil {
				t.Errorf("Keep %d: newest bundle %q gone: %v", keep, f.Files[KernelFile], err)
			}
		}
		if _, err := Rollback(root); err != nil {
			t.Errorf("Keep %d: Rollback: %v", keep, err)
		}
	}
}

// BenchmarkInstall10MB: a new ~10 MB bundle into a root (write, fsync,
// switch), and the re-install of a present one (check, switch).
func BenchmarkInstall10MB(b *testing.B) {
	big := func(seed string) *bundle.Fetched {
		f := fetched(seed)
		f.Files[InitramfsFile] = []byte(strings.Repeat(seed, 10<<20/len(seed)))
		return f
	}
	o := Options{BootloaderDirs: []string{bootloaders(b)}, DefaultConfig: "d"}
	b.Run("new", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := Install(b.TempDir(), big("kernel A"), o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reuse", func(b *testing.B) {
		root := b.TempDir()
		f := big("kernel B")
		if _, err := Install(root, f, o); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := Install(root, f, o); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestOptionsValidate(t *testing.T) {
	o := Options{NodeConfigs: map[string]string{"../x": "", "default": ""}, DefaultConfig: "d", Keep: -1, LockWait: -time.Second}
	err := o.Validate()
	for _, want := range []string{`NodeConfigs: unusable pxelinux.cfg/ name "../x"`, `name "default"`, "Keep: -1", "LockWait: -1s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
	if err := (Options{NodeConfigs: map[string]string{"C0A818CB": ""}}).Validate(); err != nil {
		t.Errorf("Validate(good) = %v", err)
	}
	root := t.TempDir()
	if _, err := Install(root, fetched("kernel A"), o); err == nil {
		t.Error("Install with bad options succeeded")
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("Install with bad options wrote %d entries into the root", len(ents))
	}
}
