// Package ocibundle stores boot bundles as OCI 1.1 artifacts, in a
// registry or an OCI image layout: references, media types, push, a
// verified fetch, and the documents attached to a bundle as referrers.
package ocibundle
