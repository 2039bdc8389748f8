package provenance

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"rambox/bundle"
)

func params() Params {
	return Params{
		Info: &bundle.Info{
			Profile: "linux-6.1", KernelCmdline: "rw ip=dhcp rambox", SourceDateEpoch: 1700000000,
			Sources: []bundle.Source{
				{Name: "linux", File: "linux-6.1.tar.xz", SHA256: strings.Repeat("a", 64), URLs: []string{"https://example.org/linux-6.1.tar.xz"}},
				{Name: "busybox", File: "busybox-1.35.0.tar.bz2", SHA256: strings.Repeat("b", 64)},
			},
			Toolchain: bundle.Toolchain{Kind: "rootfs", Digest: "sha256:" + strings.Repeat("c", 64), Tar: strings.Repeat("d", 64)},
			Files:     []bundle.FileEntry{{Name: "bzImage", SHA256: strings.Repeat("e", 64)}, {Name: "sbom.spdx.json", SHA256: strings.Repeat("f", 64)}},
		},
		Manifest:   ocispec.Descriptor{Digest: digest.Digest("sha256:" + strings.Repeat("1", 64))},
		Repository: "127.0.0.1:5000/boot/linux-6.1",
		SourceURI:  "https://example.org/rambox.git",
		Revision:   strings.Repeat("2", 40),
		BuilderID:  "https://example.org/rambox/.github/workflows/release.yml@refs/heads/main",
		RunID:      "https://example.org/rambox/actions/runs/7/attempts/1",
	}
}

func TestGenerate(t *testing.T) {
	b, err := Generate(params())
	if err != nil {
		t.Fatal(err)
	}
	// It decodes into in-toto's own SLSA v1 types with no field left over.
	var st in_toto.ProvenanceStatementSLSA1
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("not a SLSA v1 statement: %v\n%s", err, b)
	}
	if st.Type != StatementType || st.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Errorf("type %q predicateType %q", st.Type, st.PredicateType)
	}
	subjects := map[string]string{}
	for _, s := range st.Subject {
		subjects[s.Name] = s.Digest["sha256"]
	}
	for name, want := range map[string]string{"127.0.0.1:5000/boot/linux-6.1": strings.Repeat("1", 64), "bzImage": strings.Repeat("e", 64), "sbom.spdx.json": strings.Repeat("f", 64)} {
		if subjects[name] != want {
			t.Errorf("subject %s: %q, want %q", name, subjects[name], want)
		}
	}
	deps := map[string]string{}
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		for _, v := range d.Digest {
			deps[d.Name] = v
		}
	}
	for name, want := range map[string]string{"recipe": strings.Repeat("2", 40), "linux:linux-6.1.tar.xz": strings.Repeat("a", 64),
		"busybox:busybox-1.35.0.tar.bz2": strings.Repeat("b", 64), "toolchain:rootfs": strings.Repeat("c", 64)} {
		if deps[name] != want {
			t.Errorf("dependency %s: %q, want %q", name, deps[name], want)
		}
	}
	if st.Predicate.RunDetails.Builder.ID != params().BuilderID {
		t.Errorf("builder %q", st.Predicate.RunDetails.Builder.ID)
	}
	if again, _ := Generate(params()); !bytes.Equal(b, again) {
		t.Error("two statements from the same facts differ")
	}
}

func TestGenerateMissing(t *testing.T) {
	for name, c := range map[string]struct {
		change func(*Params)
		want   string
	}{
		"builder":  {func(p *Params) { p.BuilderID = "" }, "builder id"},
		"manifest": {func(p *Params) { p.Manifest = ocispec.Descriptor{} }, "manifest digest"},
		"profile":  {func(p *Params) { p.Info = &bundle.Info{} }, "bundle.json profile"},
	} {
		p := params()
		c.change(&p)
		if _, err := Generate(p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
}
