package tftproot

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"rambox/bundle"
)

// The helper process's environment: the root, the boot loader dir, the
// operations to run (A, B: install that bundle; R: rollback), and a hook
// point to stop at (it prints "at POINT" and waits to be killed).
const (
	envHelper = "RAMBOX_TFTPROOT_HELPER"
	envRoot   = "RAMBOX_TFTPROOT_ROOT"
	envLoader = "RAMBOX_TFTPROOT_LOADERS"
	envStopAt = "RAMBOX_TFTPROOT_STOP_AT"
)

// helperBundles are what the helper installs, by name; the parent checks
// against the same.
func helperBundles() map[string]*bundle.Fetched {
	return map[string]*bundle.Fetched{"A": fetched("kernel A"), "B": fetched("kernel B")}
}

// TestHelperProcess is not a test: it is the child that the tests below
// start, to install and roll back from another process.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(envHelper) == "" {
		t.Skip("the child process of the multi-process tests")
	}
	root := os.Getenv(envRoot)
	if stop := os.Getenv(envStopAt); stop != "" {
		testHook = func(point, _ string) {
			if point == stop {
				fmt.Println("at", point)
				select {} // until killed
			}
		}
	}
	o := Options{BootloaderDirs: []string{os.Getenv(envLoader)}, DefaultConfig: "d"}
	bundles := helperBundles()
	for _, op := range os.Args[len(os.Args)-1] {
		var err error
		if op == 'R' {
			_, err = Rollback(root)
		} else {
			_, err = Install(root, bundles[string(op)], o)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "%c: %v\n", op, err)
			os.Exit(1)
		}
	}
	os.Exit(0)
}

// helper returns the child command running ops on root.
func helper(root, loaders, stopAt, ops string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "--", ops)
	cmd.Env = append(os.Environ(), envHelper+"=1", envRoot+"="+root, envLoader+"="+loaders, envStopAt+"="+stopAt)
	return cmd
}

// Defect 5 across processes: flock holds between open files, not only
// between goroutines.
func TestConcurrentProcesses(t *testing.T) {
	root, bl := t.TempDir(), bootloaders(t)
	b := helperBundles()
	if out, err := helper(root, bl, "", "AB").CombinedOutput(); err != nil {
		t.Fatalf("child AB: %v\n%s", err, out)
	}
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	ops := []string{"AB", "RA", "BR", "RB"}
	for r := range rounds {
		var wg sync.WaitGroup
		for i := range ops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				op := ops[(i+r)%len(ops)]
				if out, err := helper(root, bl, "", op).CombinedOutput(); err != nil {
					t.Errorf("round %d: child %s: %v\n%s", r, op, err, out)
				}
			}()
		}
		wg.Wait()
		servesBundle(t, root, b["A"], b["B"])
		if cur, prev := linkOf(root, Current), linkOf(root, Previous); cur == prev {
			t.Fatalf("round %d: current and previous both %s (an update lost)", r, cur)
		}
		if _, err := ReadCurrent(root); err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}

// killAt runs a child installing B on root, kills it with SIGKILL once it
// reaches point, and reaps it.
func killAt(t *testing.T, root, loaders, point string) {
	t.Helper()
	cmd := helper(root, loaders, point, "B")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "at "+point {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not stop at %s: %q, %v", point, line, err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	var ee *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child at %s: %v, want killed by SIGKILL", point, err)
	}
}

// The fault matrix: an install of B dies (kill -9 during populate and
// during the switch; ENOSPC during populate) over a root serving A. The
// root still serves A byte for byte, and the next install succeeds.
func TestFaults(t *testing.T) {
	b := helperBundles()
	cases := []struct {
		name  string
		fault func(t *testing.T, root, loaders string)
	}{
		{"kill -9 during populate", func(t *testing.T, root, loaders string) {
			killAt(t, root, loaders, "populate")
			if left, _ := filepath.Glob(filepath.Join(root, BundlesDir, ".staging-*")); len(left) != 1 {
				t.Errorf("the killed child left staging %v, want one half-written", left)
			}
		}},
		{"kill -9 during switch", func(t *testing.T, root, loaders string) { killAt(t, root, loaders, "switch") }},
		{"ENOSPC during populate", func(t *testing.T, root, loaders string) {
			ballast := filepath.Join(root, "..", "ballast")
			fill(t, ballast)
			defer os.Remove(ballast)
			big := fetched("kernel B")
			big.Files[KernelFile] = make([]byte, 256<<10)
			_, err := Install(root, big, Options{BootloaderDirs: []string{loaders}, DefaultConfig: "d"})
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Install on a full file system = %v, want ENOSPC", err)
			}
			t.Log(err)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join(smallFS(t), "tftp")
			loaders := bootloaders(t)
			o := Options{BootloaderDirs: []string{loaders}, DefaultConfig: "d"}
			if _, err := Install(root, b["A"], o); err != nil {
				t.Fatal(err)
			}
			before := serving(t, root)
			c.fault(t, root, loaders)
			if got := serving(t, root); fmt.Sprint(got) != fmt.Sprint(before) {
				t.Errorf("after %s serving\n%v\nwant\n%v", c.name, got, before)
			}
			servesBundle(t, root, b["A"])
			if _, err := ReadCurrent(root); err != nil {
				t.Errorf("after %s: %v", c.name, err)
			}
			if _, err := Install(root, b["B"], o); err != nil {
				t.Fatalf("the install after %s: %v", c.name, err)
			}
			servesBundle(t, root, b["B"])
			for _, d := range []string{BundlesDir, GenerationsDir} {
				ents, _ := os.ReadDir(filepath.Join(root, d))
				for _, e := range ents {
					if strings.HasPrefix(e.Name(), ".") {
						t.Errorf("%s/%s left after the next install", d, e.Name())
					}
				}
			}
		})
	}
}

// smallFS is a 1 MiB tmpfs of this test's own (for ENOSPC), or, when it
// cannot be mounted, a temporary directory (ENOSPC cases then skip).
func smallFS(t *testing.T) string {
	dir := t.TempDir()
	if !strings.Contains(t.Name(), "ENOSPC") {
		return dir
	}
	if os.Geteuid() != 0 {
		t.Skip("ENOSPC needs a small tmpfs: run as root (mount(2))")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("ENOSPC needs a small tmpfs: mount: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dir
}

// fill writes p until its file system is full, leaving a few pages: the
// lock file and a small staging directory fit, a bundle does not.
func fill(t *testing.T, p string) {
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(p), &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail)*st.Bsize - 64<<10
	if _, err := f.Write(make([]byte, free)); err != nil {
		t.Fatalf("filling %s: %v", p, err)
	}
}
