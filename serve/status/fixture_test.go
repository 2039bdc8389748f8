package status

import "time"

var t0 = time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)

const (
	dA = "sha256:aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111"
	dB = "sha256:bbbbbbbbbbbb2222222222222222222222222222222222222222222222222222"
)

// fixture is a small fleet: one serving group, one failed group.
func fixture() Snapshot {
	return Snapshot{
		Server:    "10.0.0.1",
		Generated: t0,
		Groups: []Group{
			{Name: "web", Serving: dA, Desired: dA, State: "serving"},
			{Name: "db", Serving: dA, Desired: dB, Previous: "", State: StateFailed, Reason: "verify " + Short(dB) + ": signature invalid"},
		},
		Nodes: []Node{
			{Name: "pxe01", MAC: "52:54:00:00:00:01", IP: "10.0.0.11", Group: "web", Given: dA, Booted: dA, Result: ResultPass, State: "booted",
				LastDHCP: t0.Add(-30 * time.Second), LastFile: t0.Add(-25 * time.Second), LastFileName: "initramfs.cpio.gz",
				LastReport: t0.Add(-12 * time.Second), BootTime: 9500 * time.Millisecond},
			{Name: "pxe02", MAC: "52:54:00:00:00:02", Group: "db", Given: dA, State: "dhcp", LastDHCP: t0.Add(-2 * time.Second)},
		},
	}
}
