#!/usr/bin/env bash
# ci/cosign.sh — idempotently provide the real cosign CLI for tests.
#
# Prints ONLY the path of a working cosign binary on stdout; progress goes to
# stderr.  Usage:  COSIGN="$(bash ci/cosign.sh)"
#
# The binary lives in ${RAMBOX_CACHE:-$HOME/.cache/rambox}/bin/cosign and is
# built from source through the Go module proxy (`go install`), because no
# prebuilt download is possible here.  A cold build takes several minutes on a
# 2-core machine (it is run under `nice`); later calls are instant.
set -euo pipefail

COSIGN_MODULE="github.com/sigstore/cosign/v2"
COSIGN_VERSION="v2.6.5"

cache="${RAMBOX_CACHE:-$HOME/.cache/rambox}"
bindir="$cache/bin"
bin="$bindir/cosign"

log() { printf 'cosign.sh: %s\n' "$*" >&2; }

# Works and is the pinned version?
have_cosign() {
	[ -x "$bin" ] || return 1
	local out
	out="$("$bin" version 2>&1)" || return 1
	grep -Eq "GitVersion:[[:space:]]+${COSIGN_VERSION}([^0-9]|$)" <<<"$out" && return 0
	# `go install` of a module version reports the module version as GitVersion;
	# accept any working binary whose build info names the pinned module version.
	go version -m "$bin" 2>/dev/null | grep -Eq "mod[[:space:]]+${COSIGN_MODULE}[[:space:]]+${COSIGN_VERSION}([[:space:]]|$)"
}

if have_cosign; then
	printf '%s\n' "$bin"
	exit 0
fi

command -v go >/dev/null 2>&1 || { log "go not found in PATH"; exit 1; }
mkdir -p "$bindir"

log "building ${COSIGN_MODULE}/cmd/cosign@${COSIGN_VERSION} into $bindir (cold build: several minutes)"
start=$(date +%s)
# Run outside any module so the project's go.mod/GOFLAGS (e.g. -mod=vendor)
# cannot interfere; -mod=mod is harmless for `go install pkg@version`.
# CGO off: a static binary, no C toolchain needed.
(
	cd /
	GOBIN="$bindir" GOFLAGS="-mod=mod" CGO_ENABLED=0 GOWORK=off \
		nice -n 10 go install -trimpath -ldflags="-s -w" \
		"${COSIGN_MODULE}/cmd/cosign@${COSIGN_VERSION}"
) >&2
log "built in $(( $(date +%s) - start ))s"

if ! "$bin" version >/dev/null 2>&1; then
	log "built $bin but '$bin version' fails"
	exit 1
fi
printf '%s\n' "$bin"
