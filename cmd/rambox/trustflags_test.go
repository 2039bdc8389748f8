package main

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"

	"rambox/pull"
)

func parseTrust(t *testing.T, args []string) pull.Trust {
	t.Helper()
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var trust pull.Trust
	addTrustFlags(fs, &trust)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return trust
}

// TestTrustFlags: one --key is Trust.Key, as it always was; several are a
// k-of-n policy; trustArgs says the same policy again (rambox boot passes
// it to rambox serve).
func TestTrustFlags(t *testing.T) {
	for _, tc := range []struct {
		args      string
		key       string
		keys      []string
		threshold int
	}{
		{"", "cosign.pub", nil, 0},
		{"--key a.pub", "a.pub", nil, 0},
		{"--key a.pub --key b.pub", "", []string{"a.pub", "b.pub"}, 0},
		{"--key a.pub --key b.pub --key c.pub --threshold 2", "", []string{"a.pub", "b.pub", "c.pub"}, 2},
		{"--threshold 2 --key=a.pub --key=b.pub", "", []string{"a.pub", "b.pub"}, 2},
	} {
		got := parseTrust(t, strings.Fields(tc.args))
		if got.Key != tc.key || !slices.Equal(got.Keys, tc.keys) || got.Threshold != tc.threshold {
			t.Errorf("flags %q = key %q keys %q threshold %d, want %q %q %d", tc.args, got.Key, got.Keys, got.Threshold, tc.key, tc.keys, tc.threshold)
		}
		again := parseTrust(t, trustArgs(got))
		if again.Key != got.Key || !slices.Equal(again.Keys, got.Keys) || again.Threshold != got.Threshold {
			t.Errorf("trustArgs(flags %q) = %q, which parses to %+v, want %+v", tc.args, trustArgs(got), again, got)
		}
	}
}
