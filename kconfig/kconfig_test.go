package kconfig

import (
	"errors"
	"strings"
	"testing"
)

const fragment = `## networking
CONFIG_NET=y
CONFIG_IP_PNP=y
CONFIG_IP_PNP_DHCP=y
# CONFIG_IPV6 is not set
CONFIG_LOCALVERSION="-minimal"
CONFIG_VIRTIO_NET=y
`

func TestParseFragment(t *testing.T) {
	opts, err := ParseFragment(strings.NewReader(fragment), "f")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range opts {
		got = append(got, o.String())
	}
	want := []string{"CONFIG_NET=y", "CONFIG_IP_PNP=y", "CONFIG_IP_PNP_DHCP=y", "# CONFIG_IPV6 is not set", `CONFIG_LOCALVERSION="-minimal"`, "CONFIG_VIRTIO_NET=y"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("options = %q, want %q", got, want)
	}
	if opts[3].Line != 5 {
		t.Errorf("IPV6 on line %d, want 5", opts[3].Line)
	}
}

func TestParseFragmentErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CONFIG_NET=y\nNET=y\n", `f:2: "NET=y" is neither`},
		{"CONFIG_NET=y\n# CONFIG_NET is not set\n", "f:2: CONFIG_NET is already set on line 1"},
	}
	for _, tc := range tests {
		if _, err := ParseFragment(strings.NewReader(tc.in), "f"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFragment(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	opts, _ := ParseFragment(strings.NewReader(fragment), "f")
	config := `CONFIG_NET=y
CONFIG_IP_PNP=y
# CONFIG_IP_PNP_DHCP is not set
CONFIG_IPV6=y
CONFIG_LOCALVERSION="-minimal"
`
	cfg, err := ParseConfig(strings.NewReader(config))
	if err != nil {
		t.Fatal(err)
	}
	dropped := Check(opts, cfg)
	var got []string
	for _, d := range dropped {
		got = append(got, d.Error())
		if !errors.Is(d, ErrDropped) {
			t.Errorf("%v does not match ErrDropped", d)
		}
	}
	want := []string{
		"line 4: CONFIG_IP_PNP_DHCP=y: final .config has CONFIG_IP_PNP_DHCP not set",
		"line 5: # CONFIG_IPV6 is not set: final .config has CONFIG_IPV6=y",
		"line 7: CONFIG_VIRTIO_NET=y: final .config has CONFIG_VIRTIO_NET not set",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dropped:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestExplain(t *testing.T) {
	kconfig := `
config VIRTIO_NET
	tristate "Virtio network driver"
	depends on VIRTIO && NET
	select NET_FAILOVER
	help
	  depends on NOTHING here is help text, but it is still inside the entry

config OTHER
	depends on PCI

menu "Virtio"
config VIRTIO_NET_EXTRA
	depends on VIRTIO_PCI
endmenu
`
	cfg := Config{"NET": "y"}
	d := Dropped{Option: Option{Line: 7, Symbol: "VIRTIO_NET", Value: "y"}, Got: NotSet}
	Explain(&d, kconfig, cfg)
	if got := strings.Join(d.Unmet, ","); got != "CONFIG_VIRTIO" {
		t.Errorf("Unmet = %q, want CONFIG_VIRTIO", got)
	}
	if !strings.Contains(d.Error(), "unmet dependency: CONFIG_VIRTIO is off") {
		t.Errorf("Error() = %q, want it to name the unmet dependency", d.Error())
	}
}
