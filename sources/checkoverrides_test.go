package sources

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckOverrides(t *testing.T) {
	pins := []Pin{{Name: "linux"}, {Name: "busybox"}}
	tests := []struct {
		names   []string
		wantErr []string // substrings; none means accepted
	}{
		{nil, nil},
		{[]string{"linux"}, nil},
		{[]string{"linux", "busybox"}, nil},
		{[]string{"linx"}, []string{`--source linx`, "unknown source", "known: busybox, linux"}},
		{[]string{"busybox", "Linux"}, []string{`--source Linux`, "known: busybox, linux"}},
		{[]string{"linux", "linux"}, []string{"--source linux", "given twice"}},
	}
	for _, tc := range tests {
		var ovs []Override
		for _, n := range tc.names {
			ovs = append(ovs, Override{Name: n})
		}
		err := CheckOverrides(ovs, pins...)
		if tc.wantErr == nil {
			if err != nil {
				t.Errorf("CheckOverrides(%q) = %v, want nil", tc.names, err)
			}
			continue
		}
		for _, w := range tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("CheckOverrides(%q) = %v, want it to mention %q", tc.names, err, w)
			}
		}
	}
	if err := CheckOverrides([]Override{{Name: "linx"}}, pins...); !errors.Is(err, ErrUnknownSource) {
		t.Errorf("CheckOverrides(linx) = %v, want ErrUnknownSource", err)
	}
}
