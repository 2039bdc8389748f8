package tftp_test

import (
	"fmt"
	"testing"

	"rambox/tftproot"
)

// TestHostileOptions: option values out of their RFC ranges are ignored,
// the file still arrives, and the server serves on. (pack.ag/tftp, which
// this package used first, panicked on blksize 0: one packet killed the
// server.)
func TestHostileOptions(t *testing.T) {
	_, addr := serving(t)
	want := "loader " + tftproot.BootFile
	for _, tc := range []struct {
		opts []string
		oack string // fmt of the OACK's options; "map[]" for none
	}{
		{[]string{"blksize", "0"}, "map[]"},
		{[]string{"blksize", "7"}, "map[]"},
		{[]string{"blksize", "65465"}, "map[]"},
		{[]string{"blksize", "-1"}, "map[]"},
		{[]string{"blksize", "many"}, "map[]"},
		{[]string{"timeout", "0"}, "map[]"},
		{[]string{"timeout", "256"}, "map[]"},
		{[]string{"windowsize", "0"}, "map[]"},
		{[]string{"tsize", "5"}, "map[]"},
		// The file is 17 bytes: one full block, then an empty one.
		{[]string{"blksize", "17"}, fmt.Sprint(map[string]string{"blksize": "17"})},
		{[]string{"BLKSIZE", "8", "tsize", "0"}, fmt.Sprint(map[string]string{"blksize": "8", "tsize": fmt.Sprint(len(want))})},
	} {
		r := get(t, addr, 1, tftproot.BootFile, tc.opts...)
		oack := fmt.Sprint(r.oack)
		if r.oack == nil {
			oack = "map[]"
		}
		if string(r.data) != want || oack != tc.oack || r.isErr {
			t.Errorf("RRQ %s %q = OACK %s, %q, error %q; want OACK %s, %q", tftproot.BootFile, tc.opts, oack, r.data, r.errMsg, tc.oack, want)
		}
	}
}
