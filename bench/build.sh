#!/usr/bin/env bash
# Benchmark of the build pipeline, linux-6.1 profile from Debian's
# linux-source-6.1, side by side in one run:
#   1. clean pipeline build (cache-busted) vs bare `make -j2 bzImage` on the
#      host with the same source and .config;
#   2. warm no-op `rambox build` with the engine up;
#   3. a one-line fragment change -> new outputs;
#   4. a one-file rootfs change -> new outputs.
# Writes bench/build.md. Run through `just bench-build` (engine, toolchain
# and deps are set up by the recipe).
set -euo pipefail
cd "$(dirname "$0")/.."
src=/usr/src/linux-source-6.1.tar.xz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/rambox" ./cmd/rambox
override="linux=$src@sha256:$(sha256sum "$src" | cut -d' ' -f1)"
bust=bench-$(date +%s)
build() { "$work/rambox" build --source "$override" --epoch 1700000000 "$@" >"$work/last.log" 2>&1 || { tail -30 "$work/last.log"; exit 1; }; }
secs() { local s=$(date +%s%N); "$@"; awk -v n=$(( $(date +%s%N) - s )) 'BEGIN { printf "%.1f", n / 1e9 }'; }

echo "bench: clean pipeline build (linux-6.1)..." >&2
t_pipe=$(secs build --profile linux-6.1 --out "$work/a" --cache-bust "$bust")

echo "bench: bare make on the host..." >&2
mkdir -p "$work/host/linux"
t_host=$(secs bash -c "tar -xf '$src' -C '$work/host/linux' --strip-components=1 && cd '$work/host/linux' && \
  cp '$work/a/kernel.config' .config && make -s ARCH=x86_64 olddefconfig >/dev/null && \
  SOURCE_DATE_EPOCH=1700000000 KBUILD_BUILD_USER=rambox KBUILD_BUILD_HOST=rambox make -s -j2 ARCH=x86_64 bzImage >/dev/null 2>&1")

echo "bench: warm no-op..." >&2
# (The fragment and rootfs changes below reuse the clean build's cached
# steps and its kernel object tree, as a developer's next build would.)
t_noop=$(secs build --profile linux-6.1 --out "$work/a" --cache-bust "$bust")

echo "bench: one-line fragment change..." >&2
cp -r kernel-configs "$work/profiles"
# One line: BOOTP next to DHCP in the kernel's IP autoconfiguration.
sed -i '/^# CONFIG_IP_PNP_BOOTP is not set$/d' "$work/profiles/linux-6.1/fragment.config"
echo "CONFIG_IP_PNP_BOOTP=y" >>"$work/profiles/linux-6.1/fragment.config"
t_frag=$(secs build --profiles "$work/profiles" --profile linux-6.1 --out "$work/b" --cache-bust "$bust")

echo "bench: one rootfs file change..." >&2
cp -r rootfs "$work/rootfs"
echo "# bench" >>"$work/rootfs/tree/etc/hosts"
t_root=$(secs build --profile linux-6.1 --rootfs "$work/rootfs" --out "$work/c" --cache-bust "$bust")

ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", x / y }'; }
{
  echo "# build pipeline benchmark (linux-6.1 profile, Debian linux-source-6.1)"
  echo
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores; one run each, side by side."
  echo "Produced by \`just bench-build\` (bench/build.sh)."
  echo
  echo "| measurement | seconds | target |"
  echo "|---|---:|---:|"
  echo "| clean pipeline build (fetch cached, all steps run) | $t_pipe | |"
  echo "| bare \`make -j2 bzImage\` on the host, same source and .config | $t_host | |"
  echo "| ratio pipeline / bare make | $(ratio "$t_pipe" "$t_host") | <= 1.05 |"
  echo "| warm no-op \`rambox build\` | $t_noop | <= 3 |"
  echo "| one-line fragment change -> new outputs | $t_frag | <= 10 |"
  echo "| one rootfs file change -> new outputs | $t_root | <= 5 |"
  echo
  echo "Both sides unpack the source and configure it; the pipeline also builds busybox"
  echo "and the initramfs (in parallel with the kernel), and runs every step in a container."
} >bench/build.md
cat bench/build.md
