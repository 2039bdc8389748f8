package boot

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"rambox/tftproot"
)

// makeView copies what a PXE client reads from root (its top-level files,
// symlinks followed, and pxelinux.cfg/) into a new directory, with words
// appended to every APPEND line of the configs. The TFTP root itself is
// never written. The caller removes the returned directory.
func makeView(root string, words []string) (dir string, err error) {
	dir, err = os.MkdirTemp("", "rambox-boot-view-")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
			dir = ""
		}
	}()
	// tftpd and QEMU read it; MkdirTemp makes it 0700.
	if err := os.Chmod(dir, 0o755); err != nil {
		return dir, err
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return dir, err
	}
	changed := 0
	for _, e := range ents {
		name := e.Name()
		// bundles/, current and previous hold whole bundles; the served
		// names point into current.
		if strings.HasPrefix(name, ".") || name == tftproot.BundlesDir || name == tftproot.Current || name == tftproot.Previous {
			continue
		}
		src := filepath.Join(root, name)
		fi, err := os.Stat(src)
		if err != nil {
			return dir, err
		}
		switch {
		case fi.Mode().IsRegular():
			if err := copyFile(src, filepath.Join(dir, name)); err != nil {
				return dir, err
			}
		case fi.IsDir() && name == tftproot.ConfigDir:
			n, err := appendToConfigs(src, filepath.Join(dir, name), words)
			if err != nil {
				return dir, err
			}
			changed += n
		}
	}
	if changed == 0 {
		return dir, fmt.Errorf("--append-extra: no APPEND line in %s/pxelinux.cfg/* to add %q to", root, strings.Join(words, " "))
	}
	return dir, nil
}

func appendToConfigs(src, dst string, words []string) (int, error) {
	if err := os.Mkdir(dst, 0o755); err != nil {
		return 0, err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, e := range ents {
		p := filepath.Join(src, e.Name())
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, err
		}
		out, n := appendWords(string(b), words)
		total += n
		if err := os.WriteFile(filepath.Join(dst, e.Name()), []byte(out), 0o644); err != nil {
			return 0, err
		}
	}
	return total, nil
}

// appendWords adds words to every APPEND line (pxelinux keywords are
// case-insensitive) of a pxelinux config and says how many it changed.
func appendWords(cfg string, words []string) (string, int) {
	if len(words) == 0 {
		return cfg, 0
	}
	extra := strings.Join(words, " ")
	lines := strings.SplitAfter(cfg, "\n")
	n := 0
	for i, l := range lines {
		body := strings.TrimRight(l, "\r\n")
		f := strings.Fields(body)
		if len(f) == 0 || !strings.EqualFold(f[0], "append") {
			continue
		}
		lines[i] = strings.TrimRight(body, " \t") + " " + extra + l[len(body):]
		n++
	}
	return strings.Join(lines, ""), n
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
