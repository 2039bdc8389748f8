package ocibundle_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"rambox/bundle"
	"rambox/bundle/bundletest"
	"rambox/ocibundle"
	"rambox/signing"
)

// fixture is a signed bundle in a fresh OCI layout, and the means to
// store hostile variants of it: what a registry could serve.
type fixture struct {
	ref      ocibundle.Ref // pinned
	target   oras.GraphTarget
	signer   signature.Signer
	verifier signature.Verifier
	manifest ocispec.Manifest
	info     bundle.Info
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	key := filepath.Join(t.TempDir(), "cosign.key")
	pub, err := signing.Keygen(key, signing.Password{Set: true})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ref: ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci")}}
	if f.signer, err = signing.LoadSigner(key, nil); err != nil {
		t.Fatal(err)
	}
	if f.verifier, err = signing.LoadVerifier(pub); err != nil {
		t.Fatal(err)
	}
	if f.target, err = f.ref.Open(); err != nil {
		t.Fatal(err)
	}
	desc, err := ocibundle.Push(ctx, f.target, bundletest.Write(t, "kernel", "rw ip=dhcp"), ocibundle.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	f.ref.Digest = desc.Digest
	f.sign(t, desc)
	raw, err := content.FetchAll(ctx, f.target, desc)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &f.manifest); err != nil {
		t.Fatal(err)
	}
	infoJSON, err := content.FetchAll(ctx, f.target, f.manifest.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(infoJSON, &f.info); err != nil {
		t.Fatal(err)
	}
	return f
}

// check is the signature check a boot server pulling f.ref would use.
func (f *fixture) check() ocibundle.Verifier {
	return signing.KeyVerifier{Key: f.verifier, SignedIdentity: f.ref.Identity()}
}

func (f *fixture) sign(t *testing.T, d ocispec.Descriptor) {
	t.Helper()
	if err := (signing.KeySigner{Key: f.signer}).Sign(context.Background(), f.target, f.ref, d); err != nil {
		t.Fatal(err)
	}
}

// push stores b as a blob (or manifest) of mediaType.
func (f *fixture) push(t *testing.T, mediaType string, b []byte) ocispec.Descriptor {
	t.Helper()
	d := content.NewDescriptorFromBytes(mediaType, b)
	if ok, _ := f.target.Exists(context.Background(), d); ok {
		return d
	}
	if err := f.target.Push(context.Background(), d, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	return d
}

// resign stores f's manifest changed by edit, signed, and returns its
// pinned ref.
func (f *fixture) resign(t *testing.T, edit func(m *ocispec.Manifest, info *bundle.Info)) ocibundle.Ref {
	t.Helper()
	var m ocispec.Manifest
	b, _ := json.Marshal(f.manifest)
	json.Unmarshal(b, &m)
	info := f.info
	info.Files = append([]bundle.FileEntry(nil), f.info.Files...)
	edit(&m, &info)
	if info.KernelCmdline != f.info.KernelCmdline || !sameFiles(info.Files, f.info.Files) {
		infoJSON, _ := json.Marshal(info)
		m.Config = f.push(t, ocibundle.MediaTypeConfig, infoJSON)
	}
	raw, _ := json.Marshal(m)
	d := f.push(t, ocispec.MediaTypeImageManifest, raw)
	f.sign(t, d)
	return ocibundle.Ref{Layout: f.ref.Layout, Digest: d.Digest}
}

func sameFiles(a, b []bundle.FileEntry) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// storeSignatures replaces f.ref's .sig manifest with one of layers.
func (f *fixture) storeSignatures(t *testing.T, layers []ocispec.Descriptor) {
	t.Helper()
	ctx := context.Background()
	sigDesc, err := f.target.Resolve(ctx, signing.SignatureTag(f.ref.Digest))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := content.FetchAll(ctx, f.target, sigDesc)
	var m ocispec.Manifest
	json.Unmarshal(raw, &m)
	m.Layers = layers
	raw, _ = json.Marshal(m)
	d := f.push(t, ocispec.MediaTypeImageManifest, raw)
	if err := f.target.Tag(ctx, d, signing.SignatureTag(f.ref.Digest)); err != nil {
		t.Fatal(err)
	}
}

// signatureLayer is f.ref's one real signature layer.
func (f *fixture) signatureLayer(t *testing.T) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	sigDesc, _ := f.target.Resolve(ctx, signing.SignatureTag(f.ref.Digest))
	raw, _ := content.FetchAll(ctx, f.target, sigDesc)
	var m ocispec.Manifest
	json.Unmarshal(raw, &m)
	return m.Layers[0]
}

// huge is a descriptor that claims size bytes of content never stored.
func huge(mediaType string, size int64) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromString("never stored"), Size: size}
}

// TestFetchRefusesOversized: descriptors that claim more than the limits
// are refused by their size, before anything is fetched, naming the
// digest and the limit (on main, a 3 GiB unsigned signature layer before
// the real one was read into memory, then the pull accepted).
func TestFetchRefusesOversized(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, f *fixture) (ocibundle.Ref, string) // the ref to fetch, the digest the error names
	}{
		{"signature layer", func(t *testing.T, f *fixture) (ocibundle.Ref, string) {
			h := huge(signing.SignatureMediaType, 3<<30)
			f.storeSignatures(t, []ocispec.Descriptor{h, f.signatureLayer(t)})
			return f.ref, h.Digest.String()
		}},
		{"signature count", func(t *testing.T, f *fixture) (ocibundle.Ref, string) {
			real := f.signatureLayer(t)
			var many []ocispec.Descriptor
			for i := 0; i < 1000; i++ {
				many = append(many, real)
			}
			f.storeSignatures(t, many)
			return f.ref, f.ref.Digest.String()
		}},
		{"config", func(t *testing.T, f *fixture) (ocibundle.Ref, string) {
			ref := f.resign(t, func(m *ocispec.Manifest, _ *bundle.Info) { m.Config.Size = 1 << 40 })
			return ref, f.manifest.Config.Digest.String()
		}},
		{"layer", func(t *testing.T, f *fixture) (ocibundle.Ref, string) {
			ref := f.resign(t, func(m *ocispec.Manifest, _ *bundle.Info) { m.Layers[0].Size = 3 << 30 })
			return ref, f.manifest.Layers[0].Digest.String()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ref, d := tc.setup(t, f)
			_, err := ocibundle.Fetch(ctx, ref, f.check(), ocibundle.FetchOptions{AllowTag: true})
			if !errors.Is(err, ocibundle.ErrTooLarge) || !strings.Contains(err.Error(), "limit") || !strings.Contains(err.Error(), d) {
				t.Errorf("Fetch(%s) = %v, want an error naming %s and the limit", ref, err, d)
			}
		})
	}
}

// TestFetchRefusesInconsistent: a signed manifest that is not a coherent
// bundle is refused before anything is returned.
func TestFetchRefusesInconsistent(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, f *fixture) func(m *ocispec.Manifest, info *bundle.Info)
		want string // in the error
	}{
		{"two bzImage layers", func(t *testing.T, f *fixture) func(*ocispec.Manifest, *bundle.Info) {
			evil := f.push(t, ocibundle.MediaTypeKernel, []byte("evil kernel"))
			evil.Annotations = map[string]string{ocispec.AnnotationTitle: bundle.Kernel}
			return func(m *ocispec.Manifest, _ *bundle.Info) { m.Layers = append(m.Layers, evil) }
		}, bundle.Kernel},
		{"newline in kernelCmdline", func(t *testing.T, f *fixture) func(*ocispec.Manifest, *bundle.Info) {
			return func(_ *ocispec.Manifest, info *bundle.Info) { info.KernelCmdline = "rw\nLABEL evil" }
		}, "kernelCmdline"},
		{"control character in kernelCmdline", func(t *testing.T, f *fixture) func(*ocispec.Manifest, *bundle.Info) {
			return func(_ *ocispec.Manifest, info *bundle.Info) { info.KernelCmdline = "rw\x1b[2J" }
		}, "kernelCmdline"},
		{"bundle.json digest differs from the layer", func(t *testing.T, f *fixture) func(*ocispec.Manifest, *bundle.Info) {
			return func(_ *ocispec.Manifest, info *bundle.Info) {
				for i := range info.Files {
					if info.Files[i].Name == bundle.Initramfs {
						info.Files[i].SHA256 = digest.FromString("other").Encoded()
					}
				}
			}
		}, bundle.Initramfs},
		{"bundle.json size differs from the layer", func(t *testing.T, f *fixture) func(*ocispec.Manifest, *bundle.Info) {
			return func(_ *ocispec.Manifest, info *bundle.Info) {
				for i := range info.Files {
					if info.Files[i].Name == bundle.KernelConfig {
						info.Files[i].Size++
					}
				}
			}
		}, bundle.KernelConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ref := f.resign(t, tc.edit(t, f))
			got, err := ocibundle.Fetch(ctx, ref, f.check(), ocibundle.FetchOptions{})
			if err == nil || got != nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Fetch(%s) = %v (fetched: %t); want nothing and an error naming %s", ref, err, got != nil, tc.want)
			}
		})
	}
}

// TestFetchChecksSignedIdentity: a signature binds the repository it was
// made for, and its type, not only the digest. A copy of a signed bundle
// in another store is refused unless the puller names the original.
func TestFetchChecksSignedIdentity(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	mirror := ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "mirror"), Digest: f.ref.Digest}
	dst, err := mirror.Open()
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{f.ref.Digest.String(), signing.SignatureTag(f.ref.Digest)} {
		if _, err := oras.Copy(ctx, f.target, tag, dst, tag, oras.DefaultCopyOptions); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ocibundle.Fetch(ctx, mirror, signing.KeyVerifier{Key: f.verifier, SignedIdentity: mirror.Identity()}, ocibundle.FetchOptions{}); !errors.Is(err, signing.ErrOtherIdentity) {
		t.Errorf("Fetch(%s) of a signature made for %s = %v, want ErrOtherIdentity", mirror, f.ref.Identity(), err)
	}
	// The mirror's way through: name the repository the signature names.
	if _, err := ocibundle.Fetch(ctx, mirror, signing.KeyVerifier{Key: f.verifier, SignedIdentity: f.ref.Identity()}, ocibundle.FetchOptions{}); err != nil {
		t.Errorf("Fetch(%s) with signed identity %s = %v", mirror, f.ref.Identity(), err)
	}

	// A payload of another type, signed with the right key.
	p, _ := json.Marshal(map[string]any{"critical": map[string]any{
		"identity": map[string]string{"docker-reference": f.ref.Identity()},
		"image":    map[string]string{"docker-manifest-digest": f.ref.Digest.String()},
		"type":     "something else"}})
	sig, err := f.signer.SignMessage(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	l := f.push(t, signing.SignatureMediaType, p)
	l.Annotations = map[string]string{signing.SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)}
	f.storeSignatures(t, []ocispec.Descriptor{l})
	if _, err := ocibundle.Fetch(ctx, f.ref, f.check(), ocibundle.FetchOptions{}); !errors.Is(err, signing.ErrNotSignature) || !strings.Contains(err.Error(), "something else") {
		t.Errorf("Fetch(%s) with a payload of type %q = %v, want an error naming it", f.ref, "something else", err)
	}
}
