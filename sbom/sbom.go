// Package sbom writes a boot bundle's software bill of materials: an SPDX
// 2.3 JSON document naming the kernel (version, source pin, patches and
// .config), busybox (version, pin and .config), the toolchain the build
// ran in, and the output files with their digests.
//
// The document is a function of the bundle's inputs and outputs only: its
// creation time is SOURCE_DATE_EPOCH, its namespace is derived from the
// digests it lists, and every list is sorted, so two builds of the same
// inputs write the same bytes (the repro gate compares them).
package sbom

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"rambox/bundle"
)

// File is the name an SBOM has among a bundle's outputs.
const File = "sbom.spdx.json"

// MediaType is SPDX's registered JSON media type.
const MediaType = "application/spdx+json"

// Document is the subset of SPDX 2.3 rambox writes, in SPDX's field order.
type Document struct {
	SPDXVersion       string         `json:"spdxVersion"`
	DataLicense       string         `json:"dataLicense"`
	SPDXID            string         `json:"SPDXID"`
	Name              string         `json:"name"`
	DocumentNamespace string         `json:"documentNamespace"`
	CreationInfo      CreationInfo   `json:"creationInfo"`
	DocumentDescribes []string       `json:"documentDescribes"`
	Packages          []Package      `json:"packages"`
	Files             []FileInfo     `json:"files"`
	Relationships     []Relationship `json:"relationships"`
}

type CreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
	Comment  string   `json:"comment,omitempty"`
}

type Package struct {
	SPDXID                string        `json:"SPDXID"`
	Name                  string        `json:"name"`
	VersionInfo           string        `json:"versionInfo,omitempty"`
	PackageFileName       string        `json:"packageFileName,omitempty"`
	DownloadLocation      string        `json:"downloadLocation"`
	FilesAnalyzed         bool          `json:"filesAnalyzed"`
	Checksums             []Checksum    `json:"checksums,omitempty"`
	LicenseConcluded      string        `json:"licenseConcluded"`
	LicenseDeclared       string        `json:"licenseDeclared"`
	CopyrightText         string        `json:"copyrightText"`
	Comment               string        `json:"comment,omitempty"`
	ExternalRefs          []ExternalRef `json:"externalRefs,omitempty"`
	PrimaryPackagePurpose string        `json:"primaryPackagePurpose,omitempty"`
}

type ExternalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type FileInfo struct {
	SPDXID           string     `json:"SPDXID"`
	FileName         string     `json:"fileName"`
	FileTypes        []string   `json:"fileTypes,omitempty"`
	Checksums        []Checksum `json:"checksums"`
	LicenseConcluded string     `json:"licenseConcluded"`
	CopyrightText    string     `json:"copyrightText"`
	Comment          string     `json:"comment,omitempty"`
}

type Checksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type Relationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}

const noAssertion = "NOASSERTION"

// Input is what a document is made from: bundle.json's record of the
// build (profile, epoch, source pins, toolchain), the output directory
// (bzImage, initramfs.cpio.gz, kernel.config, busybox.config) and the
// profile's patches directory (may be nil).
type Input struct {
	Info    *bundle.Info
	Outputs fs.FS
	Patches fs.FS
}

var (
	kernelVersionLine  = regexp.MustCompile(`(?m)^# Linux/\S+ (\S+) Kernel Configuration$`)
	busyboxVersionLine = regexp.MustCompile(`(?m)^# Busybox version: (\S+)$`)
)

// KernelVersion reads the version a kernel .config was made for from its
// header ("# Linux/x86_64 6.1.192 Kernel Configuration").
func KernelVersion(config []byte) (string, error) {
	m := kernelVersionLine.FindSubmatch(config)
	if m == nil {
		return "", fmt.Errorf("sbom: %s: no \"# Linux/ARCH VERSION Kernel Configuration\" header line", bundle.KernelConfig)
	}
	return string(m[1]), nil
}

// BusyboxVersion reads the version a busybox .config was made by from its
// header ("# Busybox version: 1.35.0").
func BusyboxVersion(config []byte) (string, error) {
	m := busyboxVersionLine.FindSubmatch(config)
	if m == nil {
		return "", fmt.Errorf("sbom: %s: no \"# Busybox version: VERSION\" header line", bundle.BusyboxConfig)
	}
	return string(m[1]), nil
}

// licenses of the packages a bundle is made of, as their sources declare.
var licenses = map[string]string{"linux": "GPL-2.0-only", "busybox": "GPL-2.0-only"}

// Generate makes the document for in.
func Generate(in Input) (*Document, error) {
	info := in.Info
	if info == nil || info.Profile == "" {
		return nil, fmt.Errorf("sbom: bundle.json has no profile")
	}
	read := func(fsys fs.FS, name string) ([]byte, error) {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("sbom: %w", err)
		}
		return b, nil
	}
	// Every output is read once: the configs give the versions, and all
	// of them their checksums below.
	outputFiles := map[string][]byte{}
	kernel := info.KernelFile()
	if kernel == "" {
		return nil, fmt.Errorf("sbom: bundle.json: unknown arch %q", info.Arch)
	}
	for _, name := range bundle.OutputsOf(info.Arch) {
		b, err := read(in.Outputs, name)
		if err != nil {
			return nil, err
		}
		outputFiles[name] = b
	}
	// Optional outputs are listed when the bundle has them.
	for _, name := range bundle.Optional {
		if _, err := fs.Stat(in.Outputs, name); err != nil {
			continue
		}
		b, err := read(in.Outputs, name)
		if err != nil {
			return nil, err
		}
		outputFiles[name] = b
	}
	versions := map[string]string{}
	var err error
	if versions["linux"], err = KernelVersion(outputFiles[bundle.KernelConfig]); err != nil {
		return nil, err
	}
	if versions["busybox"], err = BusyboxVersion(outputFiles[bundle.BusyboxConfig]); err != nil {
		return nil, err
	}

	doc := &Document{
		SPDXVersion: "SPDX-2.3",
		DataLicense: "CC0-1.0",
		SPDXID:      "SPDXRef-DOCUMENT",
		Name:        "rambox-bundle-" + info.Profile,
		CreationInfo: CreationInfo{
			Created:  time.Unix(info.SourceDateEpoch, 0).UTC().Format(time.RFC3339),
			Creators: []string{"Tool: rambox"},
			Comment:  "Created at SOURCE_DATE_EPOCH, so that rebuilding the same inputs writes the same document.",
		},
	}
	bundleID := "SPDXRef-Package-bundle"
	doc.DocumentDescribes = []string{bundleID}
	doc.Packages = append(doc.Packages, Package{
		SPDXID: bundleID, Name: "rambox-bundle-" + info.Profile, VersionInfo: info.Profile,
		DownloadLocation: noAssertion, LicenseConcluded: noAssertion, LicenseDeclared: noAssertion, CopyrightText: noAssertion,
		Comment:               "Kernel command line: " + info.KernelCmdline,
		PrimaryPackagePurpose: "OPERATING-SYSTEM",
	})
	rel := func(a, typ, b string) { doc.Relationships = append(doc.Relationships, Relationship{a, typ, b}) }
	rel(doc.SPDXID, "DESCRIBES", bundleID)

	for _, s := range info.Sources {
		id := "SPDXRef-Package-" + spdxIDPart(s.Name)
		p := Package{
			SPDXID: id, Name: s.Name, VersionInfo: versions[s.Name], PackageFileName: s.File,
			DownloadLocation: noAssertion,
			Checksums:        []Checksum{{"SHA256", s.SHA256}},
			LicenseConcluded: noAssertion, LicenseDeclared: orNoAssertion(licenses[s.Name]), CopyrightText: noAssertion,
			PrimaryPackagePurpose: "SOURCE",
		}
		if len(s.URLs) > 0 {
			p.DownloadLocation = s.URLs[0]
		}
		if v := versions[s.Name]; v != "" {
			p.ExternalRefs = []ExternalRef{{"PACKAGE-MANAGER", "purl", "pkg:generic/" + s.Name + "@" + v + "?checksum=sha256:" + s.SHA256}}
		}
		doc.Packages = append(doc.Packages, p)
		rel(bundleID, "GENERATED_FROM", id)
	}

	tc := info.Toolchain
	tcID := "SPDXRef-Package-toolchain"
	tcPkg := Package{
		SPDXID: tcID, Name: "toolchain-" + tc.Kind, VersionInfo: tc.Digest, DownloadLocation: noAssertion,
		LicenseConcluded: noAssertion, LicenseDeclared: noAssertion, CopyrightText: noAssertion,
		Comment:               "The build container's root filesystem: " + tc.Kind + " " + strings.TrimSpace(tc.Ref+" "+tc.Digest),
		PrimaryPackagePurpose: "CONTAINER",
	}
	if tc.Tar != "" {
		tcPkg.Checksums = []Checksum{{"SHA256", tc.Tar}}
		tcPkg.Comment += "; made by ci/toolchain.sh as a tarball with this SHA256"
	}
	doc.Packages = append(doc.Packages, tcPkg)
	rel(tcID, "BUILD_TOOL_OF", bundleID)

	// Output files, then the patches the kernel source was built with.
	outputs := []struct{ name, purpose, related, relType string }{
		{kernel, "BINARY", "SPDXRef-Package-linux", "GENERATED_FROM"},
		{bundle.Initramfs, "ARCHIVE", "SPDXRef-Package-busybox", "CONTAINS"},
		{bundle.KernelConfig, "TEXT", "SPDXRef-Package-linux", "BUILD_DEPENDENCY_OF"},
		{bundle.BusyboxConfig, "TEXT", "SPDXRef-Package-busybox", "BUILD_DEPENDENCY_OF"},
	}
	if _, ok := outputFiles[bundle.UKI]; ok {
		// The UKI holds bzImage and the initramfs (and Debian's systemd-stub,
		// part of the toolchain).
		outputs = append(outputs, struct{ name, purpose, related, relType string }{bundle.UKI, "BINARY", "SPDXRef-Package-linux", "GENERATED_FROM"})
	}
	for _, o := range outputs {
		id := "SPDXRef-File-" + spdxIDPart(o.name)
		doc.Files = append(doc.Files, fileInfo(id, "./"+o.name, o.purpose, outputFiles[o.name]))
		rel(bundleID, "CONTAINS", id)
		rel(id, o.relType, o.related)
	}
	if in.Patches != nil {
		for _, name := range info.Patches {
			b, err := read(in.Patches, name)
			if err != nil {
				return nil, err
			}
			id := "SPDXRef-File-patch-" + spdxIDPart(name)
			f := fileInfo(id, "./patches/"+path.Base(name), "SOURCE", b)
			f.Comment = "Applied to the kernel source before configuring."
			doc.Files = append(doc.Files, f)
			rel(id, "PATCH_APPLIED", "SPDXRef-Package-linux")
		}
	} else if len(info.Patches) > 0 {
		return nil, fmt.Errorf("sbom: bundle.json lists %d patches but no patches directory was given", len(info.Patches))
	}

	sort.Slice(doc.Packages[1:], func(i, j int) bool { return doc.Packages[1+i].SPDXID < doc.Packages[1+j].SPDXID })
	sort.Slice(doc.Files, func(i, j int) bool { return doc.Files[i].SPDXID < doc.Files[j].SPDXID })
	sort.SliceStable(doc.Relationships[1:], func(i, j int) bool {
		a, b := doc.Relationships[1+i], doc.Relationships[1+j]
		return a.SPDXElementID+" "+a.RelationshipType+" "+a.RelatedSPDXElement < b.SPDXElementID+" "+b.RelationshipType+" "+b.RelatedSPDXElement
	})
	doc.DocumentNamespace = namespace(doc)
	return doc, nil
}

// namespace is a URI unique to the document's content: a name-based UUID
// from the digest of everything the document says.
func namespace(doc *Document) string {
	b, _ := json.Marshal(doc)
	sum := sha256.Sum256(b)
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x50 // version 5 layout (name-based)
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(u)
	return "urn:uuid:" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func fileInfo(id, name, fileType string, b []byte) FileInfo {
	s1 := sha1.Sum(b) // SPDX 2.3 requires a SHA1 for every file
	s256 := sha256.Sum256(b)
	return FileInfo{
		SPDXID: id, FileName: name, FileTypes: []string{fileType},
		Checksums:        []Checksum{{"SHA1", hex.EncodeToString(s1[:])}, {"SHA256", hex.EncodeToString(s256[:])}},
		LicenseConcluded: noAssertion, CopyrightText: noAssertion,
	}
}

// spdxIDPart maps a name onto SPDX's identifier alphabet [A-Za-z0-9.-].
func spdxIDPart(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, name)
}

func orNoAssertion(s string) string {
	if s == "" {
		return noAssertion
	}
	return s
}

// Marshal is the document's canonical bytes.
func (d *Document) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
