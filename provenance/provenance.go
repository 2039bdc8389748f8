// Package provenance writes SLSA v1 build provenance for a boot bundle:
// an in-toto v1 statement whose subjects are the bundle's OCI manifest and
// its files, and whose predicate records how it was built (profile,
// kernel command line, SOURCE_DATE_EPOCH, the recipe's commit), from what
// (source pins, toolchain) and by whom (the CI builder and run).
//
// Only inputs go in, never the clock: two publishes of the same bundle
// from the same run write the same bytes.
package provenance

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/in-toto/in-toto-golang/in_toto"
	"github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/common"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"rambox/bundle"
)

const (
	// MediaType is what in-toto statements are stored as.
	MediaType = "application/vnd.in-toto+json"
	// PredicateType is SLSA provenance v1.
	PredicateType = slsa1.PredicateSLSAProvenance
	// StatementType is in-toto's statement v1.
	StatementType = "https://in-toto.io/Statement/v1"
	// BuildType names what externalParameters mean: `rambox build` of a
	// profile, documented in the README.
	BuildType = "urn:rambox:buildtype:bundle:v1"
	// File is the attachment's file name.
	File = "provenance.slsa.json"
)

// Params are the facts a statement is made of.
type Params struct {
	Info       *bundle.Info
	Manifest   ocispec.Descriptor // the published bundle's manifest
	Repository string             // where it was published (ref.Identity())
	SourceURI  string             // the build recipe's repository (git remote)
	Revision   string             // its commit
	BuilderID  string             // who built: the CI workflow, or a local id
	RunID      string             // which run of it (may be empty)
}

// Generate returns the statement for p, canonical JSON with a newline.
func Generate(p Params) ([]byte, error) {
	var missing []string
	if p.Info == nil || p.Info.Profile == "" {
		missing = append(missing, "bundle.json profile")
	}
	if p.Manifest.Digest == "" {
		missing = append(missing, "manifest digest")
	}
	if p.BuilderID == "" {
		missing = append(missing, "builder id")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("provenance: missing %s", strings.Join(missing, ", "))
	}
	info := p.Info
	subjects := []in_toto.Subject{{
		Name:   p.Repository,
		Digest: common.DigestSet{string(p.Manifest.Digest.Algorithm()): p.Manifest.Digest.Encoded()},
	}}
	for _, f := range info.Files {
		subjects = append(subjects, in_toto.Subject{Name: f.Name, Digest: common.DigestSet{"sha256": f.SHA256}})
	}

	var deps []slsa1.ResourceDescriptor
	if p.SourceURI != "" {
		d := slsa1.ResourceDescriptor{Name: "recipe", URI: "git+" + p.SourceURI}
		if p.Revision != "" {
			d.URI += "@" + p.Revision
			d.Digest = common.DigestSet{"gitCommit": p.Revision}
		}
		deps = append(deps, d)
	}
	srcs := append([]bundle.Source(nil), info.Sources...)
	sort.Slice(srcs, func(i, j int) bool { return srcs[i].Name < srcs[j].Name })
	for _, s := range srcs {
		d := slsa1.ResourceDescriptor{Name: s.Name + ":" + s.File, Digest: common.DigestSet{"sha256": s.SHA256}}
		if len(s.URLs) > 0 {
			d.URI = s.URLs[0]
		}
		deps = append(deps, d)
	}
	tc := slsa1.ResourceDescriptor{Name: "toolchain:" + info.Toolchain.Kind, URI: info.Toolchain.Ref}
	if alg, hex, ok := strings.Cut(info.Toolchain.Digest, ":"); ok {
		tc.Digest = common.DigestSet{alg: hex}
	}
	if info.Toolchain.Tar != "" {
		tc.Annotations = map[string]interface{}{"tarSha256": info.Toolchain.Tar}
	}
	deps = append(deps, tc)

	st := in_toto.ProvenanceStatementSLSA1{
		StatementHeader: in_toto.StatementHeader{Type: StatementType, PredicateType: PredicateType, Subject: subjects},
		Predicate: slsa1.ProvenancePredicate{
			BuildDefinition: slsa1.ProvenanceBuildDefinition{
				BuildType: BuildType,
				ExternalParameters: map[string]any{
					"profile":         info.Profile,
					"kernelCmdline":   info.KernelCmdline,
					"sourceDateEpoch": info.SourceDateEpoch,
					"patches":         append([]string{}, info.Patches...),
				},
				ResolvedDependencies: deps,
			},
			RunDetails: slsa1.ProvenanceRunDetails{
				Builder:       slsa1.Builder{ID: p.BuilderID},
				BuildMetadata: slsa1.BuildMetadata{InvocationID: p.RunID},
			},
		},
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
