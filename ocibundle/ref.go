package ocibundle

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// Ref names a bundle: in a registry, REGISTRY/REPO[:TAG][@sha256:HEX], or
// in a local OCI image layout, oci:DIR[:TAG][@sha256:HEX].
type Ref struct {
	Layout string // directory of an OCI layout; empty for a registry
	Repo   string // REGISTRY/REPO; empty for a layout
	Tag    string
	Digest digest.Digest
}

// ParseRef parses a bundle reference.
func ParseRef(s string) (Ref, error) {
	var r Ref
	rest := s
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		d, err := digest.Parse(rest[i+1:])
		if err != nil || d.Algorithm() != digest.SHA256 {
			return Ref{}, fmt.Errorf("ref %q: %q is not a sha256 digest", s, rest[i+1:])
		}
		r.Digest, rest = d, rest[:i]
	}
	if dir, ok := strings.CutPrefix(rest, "oci:"); ok {
		if i := strings.LastIndex(dir, ":"); i > strings.LastIndex(dir, "/") {
			dir, r.Tag = dir[:i], dir[i+1:]
		}
		if dir == "" {
			return Ref{}, fmt.Errorf("ref %q: empty layout directory", s)
		}
		r.Layout = dir
		return r, nil
	}
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		rest, r.Tag = rest[:i], rest[i+1:]
	}
	if !strings.Contains(rest, "/") {
		return Ref{}, fmt.Errorf("ref %q: want REGISTRY/REPO[:TAG][@sha256:HEX] or oci:DIR[:TAG][@sha256:HEX]", s)
	}
	r.Repo = rest
	return r, nil
}

// String is the ref in the form ParseRef reads.
func (r Ref) String() string {
	s := r.Repo
	if r.Layout != "" {
		s = "oci:" + r.Layout
	}
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// Pinned is the ref by digest alone, what boot servers should be given.
func (r Ref) Pinned() Ref { return Ref{Layout: r.Layout, Repo: r.Repo, Digest: r.Digest} }

// Identity is the repository name recorded in signatures.
func (r Ref) Identity() string {
	if r.Layout != "" {
		return "oci:" + r.Layout
	}
	return r.Repo
}

// Open is OpenWith(DefaultTimeouts).
func (r Ref) Open() (oras.GraphTarget, error) { return r.OpenWith(Timeouts{}) }

// OpenWith returns the store the ref points into, speaking to a registry
// within t. Registries on loopback are
// spoken to over plain HTTP (a local test or air-gapped registry); others
// over HTTPS, with the credentials `docker login` saved (or
// $RAMBOX_REGISTRY_USERNAME and $RAMBOX_REGISTRY_PASSWORD, for CI).
func (r Ref) OpenWith(t Timeouts) (oras.GraphTarget, error) {
	if r.Layout != "" {
		store, err := oci.New(r.Layout)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r, err)
		}
		return store, nil
	}
	repo, err := remote.NewRepository(r.Repo)
	if err != nil {
		return nil, fmt.Errorf("ref %s: %w", r, err)
	}
	host := repo.Reference.Host()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		repo.PlainHTTP = true
	}
	client := &auth.Client{Client: httpClient(t), Cache: auth.NewCache()}
	if user, pass := os.Getenv("RAMBOX_REGISTRY_USERNAME"), os.Getenv("RAMBOX_REGISTRY_PASSWORD"); user != "" || pass != "" {
		client.Credential = auth.StaticCredential(repo.Reference.Host(), auth.Credential{Username: user, Password: pass})
	} else if store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{}); err == nil {
		client.Credential = credentials.Credential(store)
	}
	repo.Client = client
	return repo, nil
}
