package desired

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"rambox/pull"
	"rambox/pxe"
)

const (
	hexA   = "a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
	nodes3 = `server: {ip: 10.0.0.1, subnet: 10.0.0.0, netmask: 255.255.255.0}
nodes:
  - {name: pxe01, mac: "52:54:00:43:00:11", ip: 10.0.0.11}
  - {name: pxe02, mac: "52:54:00:43:00:12", ip: 10.0.0.12}
  - {name: pxe03, mac: "52:54:00:43:00:13", ip: 10.0.0.13}
`
)

// write puts serve.yaml (and nodes.yaml) in a new directory and returns
// serve.yaml's path.
func write(t *testing.T, serve string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "serve.yaml")
	if err := os.WriteFile(p, []byte(serve), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nodes.yaml"), []byte(nodes3), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	p := write(t, `inventory: nodes.yaml
groups:
  - name: web
    bundle: 127.0.0.1:5000/rambox/web:v2@sha256:`+hexA+`
    nodes: [pxe01, "52:54:00:43:00:12"]
    canary: ["52:54:00:43:00:12"]
    trust:
      keys: [ci.pub, /etc/rambox/release.pub]
      threshold: 2
  - name: rest
    default: true
    bundle: oci:layout@sha256:`+hexA+`
    promote: manual
    trust: {key: cosign.pub, signed-identity: reg.example/rambox}
  - name: keyless
    bundle: r/x@sha256:`+hexA+`
    nodes: [pxe03]
    trust: {certificate-identity: ci@example.org, certificate-oidc-issuer: https://issuer.example}
`)
	dir := filepath.Dir(p)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != p || c.Inventory != filepath.Join(dir, "nodes.yaml") {
		t.Errorf("Load(%q): Path %q, Inventory %q", p, c.Path, c.Inventory)
	}
	web, ok := c.Group("web")
	if !ok {
		t.Fatalf("Group(%q) missing", "web")
	}
	for _, tc := range []struct{ what, got, want string }{
		{"web bundle", web.Bundle.String(), "127.0.0.1:5000/rambox/web@sha256:" + hexA}, // the tag dropped: the digest is what boots
		{"web promote", string(web.Promote), string(PromoteOnSuccess)},
		{"rest bundle", c.Groups[1].Bundle.String(), "oci:" + filepath.Join(dir, "layout") + "@sha256:" + hexA},
		{"rest promote", string(c.Groups[1].Promote), string(PromoteManual)},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.what, tc.got, tc.want)
		}
	}
	wantTrust := []pull.Trust{
		{Keys: []string{filepath.Join(dir, "ci.pub"), "/etc/rambox/release.pub"}, Threshold: 2},
		{Key: filepath.Join(dir, "cosign.pub"), SignedIdentity: "reg.example/rambox"},
		{CertIdentity: "ci@example.org", CertIssuer: "https://issuer.example"},
	}
	for i, want := range wantTrust {
		got := c.Groups[i].Trust
		if got.Key != want.Key || !slices.Equal(got.Keys, want.Keys) || got.Threshold != want.Threshold ||
			got.CertIdentity != want.CertIdentity || got.CertIssuer != want.CertIssuer || got.SignedIdentity != want.SignedIdentity {
			t.Errorf("groups[%d].Trust = %+v, want %+v", i, got, want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("groups[%d].Trust.Validate() = %v", i, err)
		}
	}
	if d, ok := c.DefaultGroup(); !ok || d.Name != "rest" {
		t.Errorf("DefaultGroup() = %v, %v, want rest", d, ok)
	}

	inv, err := pxe.LoadInventory(c.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Resolve(inv)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ node, want string }{{"pxe01", "web"}, {"pxe02", "web"}, {"pxe03", "keyless"}} {
		if got, ok := a.GroupOf(tc.node); !ok || got != tc.want {
			t.Errorf("GroupOf(%q) = %q, %v, want %q", tc.node, got, ok, tc.want)
		}
	}
	if got := a.Members("web"); !slices.Equal(got, []string{"pxe01", "pxe02"}) {
		t.Errorf("Members(%q) = %q", "web", got)
	}
	if got := a.Members("rest"); len(got) != 0 {
		t.Errorf("Members(%q) = %q, want none", "rest", got)
	}
	if got := web.Canary; !slices.Equal(got, []string{"pxe02"}) {
		t.Errorf("web canary after Resolve = %q, want the MAC's node name", got)
	}
	// Resolving again (a reload of the same inventory) gives the same.
	if _, err := c.Resolve(inv); err != nil || !slices.Equal(web.Canary, []string{"pxe02"}) {
		t.Errorf("second Resolve: %v, canary %q", err, web.Canary)
	}
}

// TestResolveDefault: the default group takes every node no other group
// selects; without one, those nodes are unassigned.
func TestResolveDefault(t *testing.T) {
	inv := loadInv(t)
	for _, tc := range []struct {
		name, extra      string
		web, rest, unass []string
	}{
		{"default", `  - {name: rest, default: true, bundle: "r/x@sha256:` + hexA + `", trust: {key: k.pub}}` + "\n",
			[]string{"pxe01"}, []string{"pxe02", "pxe03"}, nil},
		{"none", "", []string{"pxe01"}, nil, []string{"pxe02", "pxe03"}},
	} {
		p := write(t, "inventory: nodes.yaml\ngroups:\n  - {name: web, bundle: \"r/x@sha256:"+hexA+"\", nodes: [pxe01], trust: {key: k.pub}}\n"+tc.extra)
		c, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		a, err := c.Resolve(inv)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := a.Members("web"); !slices.Equal(got, tc.web) {
			t.Errorf("%s: Members(web) = %q, want %q", tc.name, got, tc.web)
		}
		if got := a.Members("rest"); !slices.Equal(got, tc.rest) {
			t.Errorf("%s: Members(rest) = %q, want %q", tc.name, got, tc.rest)
		}
		if got := a.Unassigned(); !slices.Equal(got, tc.unass) {
			t.Errorf("%s: Unassigned() = %q, want %q", tc.name, got, tc.unass)
		}
		if g, ok := a.GroupOf("pxe03"); ok != (tc.rest != nil) {
			t.Errorf("%s: GroupOf(pxe03) = %q, %v", tc.name, g, ok)
		}
	}
}

func loadInv(t *testing.T) *pxe.Inventory {
	t.Helper()
	p := filepath.Join(t.TempDir(), "nodes.yaml")
	if err := os.WriteFile(p, []byte(nodes3), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := pxe.LoadInventory(p)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// group is one group line with the given fields in flow style.
func group(fields string) string {
	return "  - {" + fields + "}\n"
}

const (
	okBundle = `bundle: "r/x@sha256:` + hexA + `"`
	okTrust  = `trust: {key: k.pub}`
)

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string // substrings of the error, each naming what is wrong
	}{
		{"tag only", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, bundle: "r/x:tag", nodes: [pxe01], `+okTrust),
			[]string{`serve.yaml: groups[0] "web": bundle: "r/x:tag": no digest`}},
		{"bad ref", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, bundle: "nodigest", nodes: [pxe01], `+okTrust),
			[]string{`groups[0] "web": bundle: ref "nodigest"`}},
		{"unknown field", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, canray: [pxe01], `+okBundle+`, nodes: [pxe01], `+okTrust),
			[]string{"serve.yaml", "field canray not found"}},
		{"unknown trust field", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, `+okBundle+`, nodes: [pxe01], trust: {kye: k.pub}`),
			[]string{"field kye not found"}},
		{"unknown promote", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, `+okBundle+`, nodes: [pxe01], promote: always, `+okTrust),
			[]string{`groups[0] "web": promote: "always" is neither "on-success" nor "manual"`}},
		{"no inventory", "groups:\n" + group(`name: web, `+okBundle+`, nodes: [pxe01], `+okTrust),
			[]string{"serve.yaml: inventory: missing"}},
		{"no groups", "inventory: nodes.yaml\n", []string{"groups: none listed"}},
		{"no name", "inventory: nodes.yaml\ngroups:\n" + group(okBundle+`, nodes: [pxe01], `+okTrust),
			[]string{"groups[0]: name: missing"}},
		{"same name", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, `+okBundle+`, nodes: [pxe01], `+okTrust) + group(`name: web, `+okBundle+`, nodes: [pxe02], `+okTrust),
			[]string{`groups[1] "web": name: also groups[0]'s`}},
		{"two defaults", "inventory: nodes.yaml\ngroups:\n" + group(`name: a, default: true, `+okBundle+`, `+okTrust) + group(`name: b, default: true, `+okBundle+`, `+okTrust),
			[]string{`groups[1] "b": default: group "a" is the default group already`}},
		{"no nodes", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, `+okBundle+`, `+okTrust),
			[]string{`groups[0] "web": nodes: none listed`}},
		{"node twice", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, `+okBundle+`, nodes: [pxe01, pxe01], `+okTrust),
			[]string{`groups[0] "web": nodes: "pxe01" listed twice`}},
		{"no trust", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, `+okBundle+`, nodes: [pxe01]`),
			[]string{`groups[0] "web": trust: missing`}},
		{"two trusts", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, `+okBundle+`, nodes: [pxe01], trust: {key: a.pub, keys: [b.pub]}`),
			[]string{`groups[0] "web": trust: ["key" "keys"] given together`}},
		{"threshold too high", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, `+okBundle+`, nodes: [pxe01], trust: {keys: [a.pub, b.pub], threshold: 3}`),
			[]string{`groups[0] "web": trust.threshold: 3, want 1 to 2`}},
		{"threshold without keys", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, `+okBundle+`, nodes: [pxe01], trust: {key: a.pub, threshold: 2}`),
			[]string{`trust.threshold: 2 without keys`}},
		{"key twice", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, `+okBundle+`, nodes: [pxe01], trust: {keys: [a.pub, ./a.pub]}`),
			[]string{`trust.keys: "./a.pub" listed twice`}},
		{"issuer alone", "inventory: nodes.yaml\ngroups:\n" + group(`name: web, `+okBundle+`, nodes: [pxe01], trust: {certificate-oidc-issuer: https://i}`),
			[]string{`trust.certificate-identity: and certificate-oidc-issuer go together`}},
		{"every problem", "inventory: nodes.yaml\ngroups:\n" + group(`name: a, bundle: "r/x:t", nodes: [pxe01], promote: x, `+okTrust) + group(`name: b, `+okBundle+`, nodes: [pxe02]`),
			[]string{`groups[0] "a": bundle`, `groups[0] "a": promote`, `groups[1] "b": trust: missing`}},
	} {
		p := write(t, tc.yaml)
		c, err := Load(p)
		if err == nil {
			t.Errorf("%s: Load = %+v, want an error", tc.name, c)
			continue
		}
		msg := strings.ReplaceAll(err.Error(), filepath.Dir(p)+"/", "")
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: Load(%q) = %q, want it to contain %q", tc.name, tc.yaml, msg, w)
			}
		}
	}
}

func TestResolveErrors(t *testing.T) {
	inv := loadInv(t)
	for _, tc := range []struct {
		name, groups string
		want         []string
	}{
		{"unknown name", group(`name: web, ` + okBundle + `, nodes: [pxe09], ` + okTrust),
			[]string{`serve.yaml: groups[0] "web": nodes: "pxe09" is not in the inventory`}},
		{"unknown mac", group(`name: web, ` + okBundle + `, nodes: ["52:54:00:43:00:99"], ` + okTrust),
			[]string{`groups[0] "web": nodes: "52:54:00:43:00:99" is not in the inventory`}},
		{"two groups", group(`name: a, `+okBundle+`, nodes: [pxe01], `+okTrust) + group(`name: b, `+okBundle+`, nodes: ["52:54:00:43:00:11"], `+okTrust),
			[]string{`groups[1] "b": nodes: "52:54:00:43:00:11" (node pxe01) is in group "a" too`}},
		{"name and mac", group(`name: a, ` + okBundle + `, nodes: [pxe01, "52:54:00:43:00:11"], ` + okTrust),
			[]string{`groups[0] "a": nodes: "52:54:00:43:00:11" is node pxe01, listed already`}},
		{"canary outside", group(`name: web, `+okBundle+`, nodes: [pxe01], canary: [pxe02], `+okTrust) + group(`name: rest, default: true, `+okBundle+`, `+okTrust),
			[]string{`groups[0] "web": canary: "pxe02" (node pxe02) is not in this group`}},
		{"canary unknown", group(`name: web, ` + okBundle + `, nodes: [pxe01], canary: [pxe07], ` + okTrust),
			[]string{`groups[0] "web": canary: "pxe07" is not in the inventory`}},
		{"canary twice", group(`name: web, ` + okBundle + `, nodes: [pxe01], canary: [pxe01, "52:54:00:43:00:11"], ` + okTrust),
			[]string{`groups[0] "web": canary: "52:54:00:43:00:11" is node pxe01, listed already`}},
	} {
		p := write(t, "inventory: nodes.yaml\ngroups:\n"+tc.groups)
		c, err := Load(p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		a, err := c.Resolve(inv)
		if err == nil {
			t.Errorf("%s: Resolve = %+v, want an error", tc.name, a)
			continue
		}
		msg := strings.ReplaceAll(err.Error(), filepath.Dir(p)+"/", "")
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: Resolve(%q) = %q, want it to contain %q", tc.name, tc.groups, msg, w)
			}
		}
	}
	// Resolve refuses a second default group even in a Config built by
	// hand rather than loaded.
	c := &Config{Path: "serve.yaml", Groups: []Group{{Name: "a", Default: true}, {Name: "b", Default: true}}}
	if _, err := c.Resolve(inv); err == nil || !strings.Contains(err.Error(), `groups[1] "b": default`) {
		t.Errorf("Resolve(two defaults) = %v", err)
	}
}

// TestResolveArch: a group's Arch is its nodes'; a
// group mixing architectures is refused naming both nodes.
func TestResolveArch(t *testing.T) {
	inv := loadInv(t)
	inv.Nodes[2].Arch = pxe.ArchARM64 // pxe03
	p := write(t, "inventory: nodes.yaml\ngroups:\n"+
		group(`name: x86, `+okBundle+`, nodes: [pxe01, pxe02], `+okTrust)+
		group(`name: arm, `+okBundle+`, nodes: [pxe03], `+okTrust))
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resolve(inv); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ group, arch string }{{"x86", pxe.ArchAMD64}, {"arm", pxe.ArchARM64}} {
		if g, _ := c.Group(want.group); g.Arch != want.arch {
			t.Errorf("group %s: Arch = %q, want %q", want.group, g.Arch, want.arch)
		}
	}
	p = write(t, "inventory: nodes.yaml\ngroups:\n"+group(`name: mixed, `+okBundle+`, nodes: [pxe01, pxe03], `+okTrust))
	if c, err = Load(p); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resolve(inv); err == nil || !strings.Contains(err.Error(), `groups[0] "mixed": nodes: node pxe01 is amd64, node pxe03 is arm64: a group boots one architecture`) {
		t.Errorf("Resolve(mixed arch) = %v", err)
	}
}
