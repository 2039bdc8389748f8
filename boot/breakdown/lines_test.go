package breakdown

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"rambox/boot"
)

func TestSplit(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	// The writes QEMU made, and when each arrived.
	writes := []struct {
		at   int
		text string
	}{
		{10, "\x1b[2JiPXE\r\nConfiguring (net0)..."},
		{50, " ok\r\nFil"},
		{60, "ename: x.ipxe\r\n\r\n"},
		{70, "initramfs.cpio.gz... o"},
		{90, "[    0.000000] Linux version 6.1\r\n[    0.000001] Comm"},
		{95, "and line: rw\n"},
		{99, "tail without newline"},
	}
	var log []byte
	var stamps []boot.Stamp
	for _, w := range writes {
		log = append(log, w.text...)
		stamps = append(stamps, boot.Stamp{End: len(log), At: ms(w.at)})
	}
	var got []string
	for _, l := range Split(log, stamps) {
		got = append(got, fmt.Sprintf("%d-%d %s", l.Start/time.Millisecond, l.At/time.Millisecond, l.Text))
	}
	want := []string{
		"10-10 iPXE",
		"10-50 Configuring (net0)... ok",
		"50-60 Filename: x.ipxe",
		"70-70 initramfs.cpio.gz... o",
		"90-90 [    0.000000] Linux version 6.1",
		"90-95 [    0.000001] Command line: rw",
		"99-99 tail without newline",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Split = %q, want %q", got, want)
	}
	if got := Split(nil, nil); len(got) != 0 {
		t.Errorf("Split(nil) = %q, want none", got)
	}
}

func TestFormatParse(t *testing.T) {
	in := []Line{{Start: 1500 * time.Microsecond, At: 2 * time.Millisecond, Text: "Configuring (net0)... ok"}, {Start: 3 * time.Second, At: 3 * time.Second, Text: "a  b"}}
	out, err := Parse(Format(in))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out) != fmt.Sprint(in) {
		t.Errorf("Parse(Format(%v)) = %v", in, out)
	}
	for _, bad := range []string{"12 text", "x 1 text", "5 4 end before start", "1 y z"} {
		if _, err := Parse([]byte(bad + "\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("Parse(%q) error = %v, want one naming line 1", bad, err)
		}
	}
}
