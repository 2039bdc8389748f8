package initramfs

import (
	"strings"
	"testing"
)

func TestSourceDateEpoch(t *testing.T) {
	tests := []struct {
		env     string
		want    int64
		wantSet bool
		wantErr bool
	}{
		{"", 0, false, false},
		{"0", 0, true, false},
		{"1700000000", 1700000000, true, false},
		{"yesterday", 0, true, true},
		{"-5", 0, true, true},
		{"17e8", 0, true, true},
		{" 1700000000", 0, true, true},
	}
	for _, tc := range tests {
		t.Setenv("SOURCE_DATE_EPOCH", tc.env)
		got, set, err := SourceDateEpoch()
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), `SOURCE_DATE_EPOCH="`+tc.env+`"`) {
				t.Errorf("SourceDateEpoch() with %q = %d, %v, want an error naming SOURCE_DATE_EPOCH and the value", tc.env, got, err)
			}
			continue
		}
		if err != nil || got != tc.want || set != tc.wantSet {
			t.Errorf("SourceDateEpoch() with %q = %d, %v, %v, want %d, %v", tc.env, got, set, err, tc.want, tc.wantSet)
		}
	}
}
