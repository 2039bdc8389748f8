#!/usr/bin/env bash
# ci/toolchain.sh — build the build-toolchain root filesystem (Debian
# bookworm with the compilers and tools the kernel and busybox stages use),
# reproducibly, with mmdebstrap.
#
# The Dagger engine on an air-gapped machine cannot pull images, so every
# build step runs in a container made from this rootfs. mmdebstrap reads the
# host's apt sources (no mirror is named here) and, with a fixed
# SOURCE_DATE_EPOCH, gives the same tarball bytes on every run for the same
# package versions: its sha256 pins the toolchain.
#
# Output (under ${RAMBOX_CACHE:-$HOME/.cache/rambox}/toolchain/):
#   bookworm.tar     the mmdebstrap tarball
#   bookworm.sha256  its sha256 (one line: the hex digest)
#   bookworm/        the tarball unpacked (as root, numeric owners)
#
# Usage:
#   ci/toolchain.sh           build if absent or damaged; print "DIR SHA256"
#   ci/toolchain.sh --print   print "DIR SHA256" if built, else exit 1
#
# Idempotent: when the tar, the sha256 file and the directory exist, the
# tar still has the recorded digest and this script is unchanged since
# (bookworm.recipe), nothing is rebuilt. Atomic: everything
# is made under temporary names beside the outputs and renamed into place.
#
# ca-certificates is deliberately absent: the engine runs
# update-ca-certificates around every exec in a rootfs that has it (1–2.5 s
# each). Nothing in the package list depends on it (apt only recommends it,
# and mmdebstrap installs no recommends); the build fails if it appears.
set -euo pipefail

# Fixed timestamp for every file mmdebstrap writes (Debian 12.0 release day,
# 2023-06-10 00:00:00 UTC). Changing it changes the toolchain digest.
TOOLCHAIN_SOURCE_DATE_EPOCH=1686355200
SUITE=bookworm
# gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (its glibc, for the static
# busybox; it brings the arm64 kernel headers) cross-build the arm64 profiles;
# binutils-aarch64-linux-gnu comes with the compiler.
PACKAGES=build-essential,bc,flex,bison,libelf-dev,perl,cpio,xz-utils,bzip2,tzdata,patch,file,musl-tools,systemd-boot-efi,sbsigntool,gcc-aarch64-linux-gnu,libc6-dev-arm64-cross

CACHE=${RAMBOX_CACHE:-$HOME/.cache/rambox}
DIR=$CACHE/toolchain
TAR=$DIR/$SUITE.tar
SUM=$DIR/$SUITE.sha256
ROOT=$DIR/$SUITE
RECIPE=$DIR/$SUITE.recipe # sha256 of this script: an edit here rebuilds
SELF=$(readlink -f "${BASH_SOURCE[0]}")

log() { printf 'toolchain.sh: %s\n' "$*" >&2; }
die() { printf 'toolchain.sh: error: %s\n' "$*" >&2; exit 1; }

# present: the outputs exist, were made by this version of the script, and
# the tar matches the recorded digest.
present() {
	[[ -s $TAR && -s $SUM && -d $ROOT/usr/bin && -s $RECIPE ]] || return 1
	[[ $(cat "$RECIPE") == "$(sha256sum "$SELF" | cut -d' ' -f1)" ]] || return 1
	local want got
	want=$(head -c 64 "$SUM")
	got=$(sha256sum "$TAR" | cut -d' ' -f1)
	[[ $want == "$got" ]]
}

case "${1:-}" in
--print)
	[[ -s $TAR && -s $SUM && -d $ROOT/usr/bin ]] || exit 1
	echo "$ROOT $(head -c 64 "$SUM")"
	exit 0
	;;
"") ;;
*) echo "usage: ci/toolchain.sh [--print]" >&2; exit 2 ;;
esac

[[ $(id -u) == 0 ]] || die "must run as root (mmdebstrap root mode, extraction with owners)"
mkdir -p "$DIR"

# One build at a time per cache.
exec 9>"$DIR/.lock"
flock 9

if present; then
	log "up to date"
	echo "$ROOT $(head -c 64 "$SUM")"
	exit 0
fi
recipe=$(sha256sum "$SELF" | cut -d' ' -f1)

if ! command -v mmdebstrap >/dev/null; then
	log "installing mmdebstrap"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 mmdebstrap >/dev/null
fi

tmp=$(mktemp -d "$DIR/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s%N)
log "mmdebstrap $SUITE ($PACKAGES)"
# --variant=apt: essential packages + apt; then the build tools.
# Customize hooks: mmdebstrap copies the host's /etc/resolv.conf and
# /etc/hostname into the rootfs, which would make the digest depend on the
# machine (container runtimes provide both at run time): remove them. Then
# refuse a rootfs with ca-certificates (see the header).
SOURCE_DATE_EPOCH=$TOOLCHAIN_SOURCE_DATE_EPOCH \
	mmdebstrap --quiet --mode=root --variant=apt --format=tar \
	--include="$PACKAGES" \
	--customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"' \
	--customize-hook='if chroot "$1" dpkg-query -W -f="\${Status}" ca-certificates 2>/dev/null | grep -q "ok installed"; then echo "ca-certificates was pulled in" >&2; exit 1; fi' \
	"$SUITE" "$tmp/$SUITE.tar"
mid=$(date +%s%N)

sha=$(sha256sum "$tmp/$SUITE.tar" | cut -d' ' -f1)
echo "$sha" >"$tmp/$SUITE.sha256"

# Unpack as root with the archive's numeric owners, modes and mtimes.
mkdir "$tmp/$SUITE"
tar -xf "$tmp/$SUITE.tar" -C "$tmp/$SUITE" --numeric-owner --same-owner --same-permissions
end=$(date +%s%N)

# Rename into place: the directory first (old one moved aside), then the
# tarball, the digest and the recipe last — `present` only passes once all
# agree.
rm -f "$SUM" "$RECIPE"
if [[ -e $ROOT ]]; then
	mv "$ROOT" "$tmp/old"
fi
mv "$tmp/$SUITE" "$ROOT"
mv "$tmp/$SUITE.tar" "$TAR"
mv "$tmp/$SUITE.sha256" "$SUM"
echo "$recipe" >"$RECIPE.tmp" && mv "$RECIPE.tmp" "$RECIPE"

log "built in $(((mid - start) / 1000000)) ms (mmdebstrap), unpacked in $(((end - mid) / 1000000)) ms; $(stat -c %s "$TAR") bytes"
echo "$ROOT $sha"
