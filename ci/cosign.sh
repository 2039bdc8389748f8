#!/usr/bin/env bash
# ci/cosign.sh — the real cosign CLI, pinned, for interop tests; prints its
# path. Usage:  COSIGN="$(bash ci/cosign.sh)"
set -euo pipefail
exec bash "$(dirname "$0")/gotool.sh" cosign github.com/sigstore/cosign/v2/cmd/cosign v2.6.5
