package publish_test

import (
	"strings"
	"testing"

	"rambox/ocibundle"
	"rambox/publish"
	"rambox/signing"
)

// TestOptionsValidate names every problem at once.
func TestOptionsValidate(t *testing.T) {
	err := publish.Options{To: ocibundle.Ref{Layout: "oci", Digest: "sha256:00"}}.Validate()
	for _, want := range []string{"Bundle", "digest", "Signer", "BuilderID"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
	err = publish.Options{Bundle: "b", To: ocibundle.Ref{Layout: "oci"}, Signer: signing.KeylessSigner{}, BuilderID: "b"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "keyless") {
		t.Errorf("keyless into a layout: Validate() = %v, want a keyless error", err)
	}
}
