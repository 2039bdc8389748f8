package profile

import (
	"strings"
	"testing"
)

func TestLoadCompression(t *testing.T) {
	pin2639 := strings.Replace(pin, `"linux.tar"`, `"linux-2.6.39.tar.bz2"`, 1)
	for _, tc := range []struct {
		name, pin, frag, env string
		wantErr              string // "" for none
	}{
		{"default-gzip", pin2639, "CONFIG_RD_GZIP=y\n", "", ""},
		{"xz", pin2639, "CONFIG_RD_XZ=y\n", "INITRAMFS_COMPRESSION=xz\n", ""},
		{"xz-no-rd", pin2639, "CONFIG_RD_GZIP=y\n", "INITRAMFS_COMPRESSION=xz\n", "INITRAMFS_COMPRESSION=xz needs CONFIG_RD_XZ=y"},
		{"zstd-old", pin2639, "CONFIG_RD_ZSTD=y\n", "INITRAMFS_COMPRESSION=zstd\n", "profile zstd-old: INITRAMFS_COMPRESSION=zstd: linux 2.6 has no CONFIG_RD_ZSTD"},
		{"zstd-new", strings.Replace(pin, `"linux.tar"`, `"linux-6.1.tar.xz"`, 1), "CONFIG_RD_ZSTD=y\n", "INITRAMFS_COMPRESSION=zstd\n", ""},
		{"bzip2", pin2639, "CONFIG_RD_GZIP=y\n", "INITRAMFS_COMPRESSION=bzip2\n", `unknown initramfs compression "bzip2"`},
	} {
		root := t.TempDir()
		writeProfile(t, root, tc.name, map[string]string{
			"sources.json": tc.pin, "fragment.config": tc.frag, "budgets.json": budgets,
			"profile.env": "CONFIG_FINISH=oldnoconfig\n" + tc.env,
		})
		_, err := Load(root, tc.name)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("Load(%q) = %v, want no error", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Load(%q) = %v, want an error containing %q", tc.name, err, tc.wantErr)
		}
	}
}
