package newc

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// entry is a header plus its body, for table tests.
type entry struct {
	hdr  Header
	body string
}

func sample() []entry {
	return []entry{
		{Header{Name: "dev", Ino: 1, Mode: TypeDir | 0o755, NLink: 2, MTime: 1}, ""},
		{Header{Name: "dev/console", Ino: 2, Mode: TypeChar | 0o600, NLink: 1, MTime: 1, RDevMajor: 5, RDevMinor: 1}, ""},
		{Header{Name: "init", Ino: 3, Mode: TypeReg | 0o755, NLink: 1, MTime: 1, Size: 10}, "#!/bin/sh\n"},
		{Header{Name: "bin/sh", Ino: 4, Mode: TypeSymlink | 0o777, NLink: 1, MTime: 1, Size: 7}, "busybox"},
		{Header{Name: "odd", Ino: 5, Mode: TypeReg | 0o644, UID: 33, GID: 99, NLink: 1, MTime: 1, Size: 1}, "x"},
	}
}

func writeAll(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if err := w.WriteHeader(&h); err != nil {
			t.Fatalf("WriteHeader(%q): %v", h.Name, err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatalf("Write(%q): %v", h.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// TestGolden pins the exact bytes: a change to header layout, padding or
// the trailer shows up as a diff against testdata/sample.cpio (which GNU
// cpio also lists, see the initramfs package's tests).
func TestGolden(t *testing.T) {
	got := writeAll(t, sample())
	golden := filepath.Join("testdata", "sample.cpio")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("archive differs from %s (len %d, want %d); rerun with UPDATE_GOLDEN=1 if the change is intended", golden, len(got), len(want))
	}
	if len(got)%4 != 0 {
		t.Errorf("archive length %d is not 4-byte aligned", len(got))
	}
}

func TestRoundTrip(t *testing.T) {
	data := writeAll(t, sample())
	r := NewReader(bytes.NewReader(data))
	for _, want := range sample() {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("Next() before %q: %v", want.hdr.Name, err)
		}
		if *got != want.hdr {
			t.Errorf("header = %+v, want %+v", *got, want.hdr)
		}
		body, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("reading %q: %v", want.hdr.Name, err)
		}
		if string(body) != want.body {
			t.Errorf("body of %q = %q, want %q", want.hdr.Name, body, want.body)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next() after last entry = %v, want io.EOF", err)
	}
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func(w *Writer) error
		want error
	}{
		{"body too long", func(w *Writer) error {
			w.WriteHeader(&Header{Name: "f", Mode: TypeReg, Size: 1})
			_, err := w.Write([]byte("ab"))
			return err
		}, ErrWriteTooLong},
		{"body too short", func(w *Writer) error {
			w.WriteHeader(&Header{Name: "f", Mode: TypeReg, Size: 2})
			w.Write([]byte("a"))
			return w.WriteHeader(&Header{Name: "g", Mode: TypeReg})
		}, ErrShortEntry},
		{"short at close", func(w *Writer) error {
			w.WriteHeader(&Header{Name: "f", Mode: TypeReg, Size: 2})
			return w.Close()
		}, ErrShortEntry},
		{"sticky after close", func(w *Writer) error {
			w.Close()
			return w.WriteHeader(&Header{Name: "f"})
		}, ErrClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(NewWriter(io.Discard))
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestBadMagic(t *testing.T) {
	data := writeAll(t, sample())
	data[0] = '1'
	if _, err := NewReader(bytes.NewReader(data)).Next(); !errors.Is(err, ErrBadMagic) {
		t.Errorf("Next() = %v, want ErrBadMagic", err)
	}
}
