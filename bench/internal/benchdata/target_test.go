package benchdata

import "testing"

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		want    Target
		wantErr bool
	}{
		{in: "ratio <= 0.50", want: Target{Ratio: true, Op: "<=", Limit: 0.5}},
		{in: "ratio<=1.05", want: Target{Ratio: true, Op: "<=", Limit: 1.05}},
		{in: "<= 3 s", want: Target{Op: "<=", Limit: 3, Unit: "s"}},
		{in: "<= 1000 ms", want: Target{Op: "<=", Limit: 1000, Unit: "ms"}},
		{in: "<=1.6MB", want: Target{Op: "<=", Limit: 1.6, Unit: "MB"}},
		{in: " >= .8 MiB ", want: Target{Op: ">=", Limit: 0.8, Unit: "MiB"}},
		{in: "< 12 KB", want: Target{Op: "<", Limit: 12, Unit: "KB"}},
		{in: "<= 3", wantErr: true},           // a value target needs a unit
		{in: "ratio <= 0.5 s", wantErr: true}, // a ratio has none
		{in: "<= 3 parsecs", wantErr: true},   // unknown unit
		{in: "== 3 s", wantErr: true},         // unknown operator
		{in: "about 3 s", wantErr: true},      // no operator
		{in: "<= -1 s", wantErr: true},        // no negative limits
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseTarget(%q) = %+v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestTargetString(t *testing.T) {
	for in, want := range map[string]string{
		"ratio <= 0.5":  "ratio <= 0.50",
		"ratio<=1.05":   "ratio <= 1.05",
		"<=3 s":         "<= 3 s",
		"<= 1.6 MB":     "<= 1.6 MB",
		"<= 1000 ms":    "<= 1000 ms",
		"ratio >= 12.5": "ratio >= 12.5",
	} {
		tg, err := ParseTarget(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := tg.String(); got != want {
			t.Errorf("ParseTarget(%q).String() = %q, want %q", in, got, want)
		}
	}
}

func TestTargetMet(t *testing.T) {
	tests := []struct {
		target  string
		v       float64
		unit    string
		want    bool
		wantErr bool
	}{
		{target: "ratio <= 0.50", v: 0.30, want: true},
		{target: "ratio <= 0.50", v: 0.50, want: true},
		{target: "ratio <= 0.50", v: 0.51, want: false},
		{target: "ratio <= 1.00", v: 1.03, want: false},
		{target: "<= 3 s", v: 1.2, unit: "s", want: true},
		{target: "<= 3 s", v: 3.2, unit: "s", want: false},
		{target: "<= 3 s", v: 2900, unit: "ms", want: true},
		{target: "<= 3 s", v: 3100, unit: "ms", want: false},
		{target: "<= 1000 ms", v: 38, unit: "ms", want: true},
		{target: "<= 1000 ms", v: 1.2, unit: "s", want: false},
		// MB is 10^6 bytes: 1678352 B is 1.68 MB (and 1.6006 MiB).
		{target: "<= 1.6 MB", v: 1678352, unit: "B", want: false},
		{target: "<= 1.6 MB", v: 1500000, unit: "B", want: true},
		{target: "<= 0.8 MB", v: 1251875, unit: "B", want: false},
		{target: "<= 12 MB", v: 3216, unit: "KiB", want: true},
		{target: "<= 12 MB", v: 11718, unit: "KiB", want: true},    // 11 999 232 B
		{target: "<= 12 MB", v: 11718.75, unit: "KiB", want: true}, // 12 000 000 B
		{target: "<= 12 MB", v: 11719, unit: "KiB", want: false},   // 12 000 256 B
		{target: "< 3 s", v: 3, unit: "s", want: false},
		{target: ">= 2 s", v: 2, unit: "s", want: true},
		{target: "> 2 s", v: 2, unit: "s", want: false},
		{target: ">= 100 MB/s", v: 120, unit: "MB/s", want: true},
		{target: ">= 100 MB/s", v: 80, unit: "MB/s", want: false},
		{target: "<= 3 s", v: 3, unit: "B", wantErr: true},     // time vs size
		{target: ">= 1 MB/s", v: 3, unit: "MB", wantErr: true}, // rate vs size
		{target: "ratio <= 1", v: 3, unit: "s", wantErr: true}, // a value for a ratio target
		{target: "<= 3 s", v: 3, unit: "", wantErr: true},      // a ratio for a value target
	}
	for _, tt := range tests {
		tg, err := ParseTarget(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tg.Met(tt.v, tt.unit)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseTarget(%q).Met(%v, %q) = %v, want an error", tt.target, tt.v, tt.unit, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTarget(%q).Met(%v, %q) = %v, %v; want %v", tt.target, tt.v, tt.unit, got, err, tt.want)
		}
	}
}
