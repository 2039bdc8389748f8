#!/usr/bin/env bash
# ci/gotool.sh — idempotently provide a pinned Go CLI for tests (the real
# cosign and oras, for interop).
#
# Usage:  BIN="$(bash ci/gotool.sh NAME MODULE/cmd/NAME VERSION)"
# Prints ONLY the path of a working binary on stdout; progress goes to
# stderr. The binary lives in ${RAMBOX_CACHE:-$HOME/.cache/rambox}/bin/NAME
# and is built from source through the Go module proxy (`go install`),
# because no prebuilt download is possible here. A cold build can take
# minutes on a 2-core machine (it runs under `nice`); later calls are
# instant. A binary whose build info names another version is rebuilt.
set -euo pipefail
name=$1 pkg=$2 version=$3

cache="${RAMBOX_CACHE:-$HOME/.cache/rambox}"
bindir="$cache/bin"
bin="$bindir/$name"

log() { printf 'gotool.sh: %s: %s\n' "$name" "$*" >&2; }

# Built from the pinned module version? (`go version -m` reads the build info.)
pinned() {
	[ -x "$bin" ] && go version -m "$bin" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+[^[:space:]]+[[:space:]]+${version}([[:space:]]|$)"
}

if pinned; then
	printf '%s\n' "$bin"
	exit 0
fi

command -v go >/dev/null 2>&1 || { log "go not found in PATH"; exit 1; }
mkdir -p "$bindir"
log "building ${pkg}@${version} into $bindir"
start=$(date +%s)
# Outside any module, so the project's go.mod/GOFLAGS cannot interfere.
# CGO off: a static binary, no C toolchain needed.
(
	cd /
	GOBIN="$bindir" GOFLAGS="-mod=mod" CGO_ENABLED=0 GOWORK=off \
		nice -n 10 go install -trimpath -ldflags="-s -w" "${pkg}@${version}"
) >&2
log "built in $(( $(date +%s) - start ))s"
pinned || { log "built $bin, but its build info does not name ${version}"; exit 1; }
printf '%s\n' "$bin"
