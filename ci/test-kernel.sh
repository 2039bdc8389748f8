#!/usr/bin/env bash
# Prints the path of a distribution kernel to boot test initramfs images
# with, until the pipeline's own kernel is at hand: Debian's cloud kernel,
# unpacked from its package (not installed) into the rambox cache.
set -euo pipefail
cache=${RAMBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rambox}
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [[ -z $pkg ]]; then
  apt-get update -qq
  pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
fi
dir=$cache/test-kernel/$pkg
if [[ ! -s $dir/vmlinuz ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq "$pkg" 2>/dev/null)
  dpkg-deb -x "$tmp"/*.deb "$tmp/x"
  mkdir -p "$dir"
  cp "$tmp"/x/boot/vmlinuz-* "$dir/vmlinuz.tmp" && mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
fi
echo "$dir/vmlinuz"
