package main

import (
	"errors"
	"io"
	"strings"
	"testing"

	"rambox/pull"
)

// The ref may come before, between or after the flags, as pull's and
// verify's usage lines show it in different places.
func TestParseRefArg(t *testing.T) {
	const ref = "oci:/srv/layout@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		args    string
		wantKey string
		wantErr bool
	}{
		{ref + " --key k --tftp-root r", "k", false},
		{"--key k " + ref + " --tftp-root r", "k", false},
		{"--key k --tftp-root r " + ref, "k", false},
		{"--key=k --tftp-root=r " + ref, "k", false},
		{"--tftp-root r " + ref, "cosign.pub", false},
		{"--key k --tftp-root r", "", true},                   // no ref
		{ref + " --key k " + ref, "", true},                   // two refs
		{"--key k " + ref + " --tftp-root r extra", "", true}, // a stray word
		{"--nope " + ref, "", true},
	}
	for _, tc := range tests {
		fs := newFlagSet("pull", "REF")
		fs.SetOutput(io.Discard)
		var trust pull.Trust
		addTrustFlags(fs, &trust)
		root := fs.String("tftp-root", "", "")
		got, err := parseRefArg(fs, strings.Fields(tc.args))
		if tc.wantErr {
			if !errors.Is(err, errUsage) {
				t.Errorf("parseRefArg(%q) = %v, want a usage error", tc.args, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseRefArg(%q) = %v, want ref %q", tc.args, err, ref)
			continue
		}
		if got.String() != ref || trust.Key != tc.wantKey || *root != "r" {
			t.Errorf("parseRefArg(%q) = ref %q, --key %q, --tftp-root %q, want %q, %q, %q", tc.args, got.String(), trust.Key, *root, ref, tc.wantKey, "r")
		}
	}
}
