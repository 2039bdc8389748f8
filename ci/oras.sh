#!/usr/bin/env bash
# ci/oras.sh — the real oras CLI, pinned, for interop tests; prints its
# path. Usage:  ORAS="$(bash ci/oras.sh)"
set -euo pipefail
exec bash "$(dirname "$0")/gotool.sh" oras oras.land/oras/cmd/oras v1.3.6
