#!/usr/bin/env bash
# Benchmark: the arm64 bundle next to the amd64 one. AAVMF power-on ->
# /init ready and -> selftest done, netbooting from `rambox serve` (option
# 93 = 11: GRUB's EFI netboot image, grub.cfg, then Image and initramfs
# over TFTP), $RUNS runs (default 3); each architecture's bundle sizes,
# exact bytes; and clean builds of the profile per architecture,
# $BUILD_RUNS each (default 2), back to back and alternating: the arm64
# cross build vs the amd64 one, from the same source and epoch, every step
# cache-busted. The bundles are the ones `just test` builds
# (artifacts/linux-6.1, artifacts/linux-6.1-arm64; ARM64_BUNDLE and
# AMD64_BUNDLE override). Records bench/results/arm64.jsonl. Run through
# `just bench-arm64`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-3}
arm=${ARM64_BUNDLE:-artifacts/linux-6.1-arm64} amd=${AMD64_BUNDLE:-artifacts/linux-6.1}
bench_init arm64
go build -o "$work/serveboot" ./bench/internal/serveboot
ref=$(publish_built "$arm")
echo "$ref" >"$work/bundle"
"$work/serveboot" -rambox "$work/rambox" -key "$work/cosign.pub" -bundle-file "$work/bundle" -runs "$runs" -ways arm64 >"$work/arm64.txt"
way="linux-6.1-arm64, AAVMF PXE -> GRUB -> Image over TFTP from rambox serve (TCG): power-on ->"
while read -r _ run _ init _ end; do
  record sample -id arm64.netboot.init -title "$way /init ready" -unit s -run "$run" -value "$init"
  record sample -id arm64.netboot.selftest -title "$way selftest done" -unit s -run "$run" -value "$end"
done <"$work/arm64.txt"
size() { stat -c %s "$1"; }
record sample -id arm64.size.kernel -title "kernel: arm64 Image vs amd64 bzImage" -unit B -run 1 -value "$(size "$arm/Image")" -compare "$(size "$amd/bzImage")"
record sample -id arm64.size.initramfs -title "initramfs.cpio.gz: arm64 (static glibc busybox) vs amd64 (static musl busybox)" -unit B -run 1 -value "$(size "$arm/initramfs.cpio.gz")" -compare "$(size "$amd/initramfs.cpio.gz")"
record note "arm64: qemu-system-aarch64 -M virt,acpi=off -cpu cortex-a57 (TCG) on $(nproc) shared cores; times from QEMU's start to the serial log's marks." \
  "The arm64 Image is uncompressed (arm64 boots no self-decompressing image); bzImage is gzip."

build_runs=${BUILD_RUNS:-2}
src=/usr/src/linux-source-6.1.tar.xz
override="linux=$src@sha256:$(sha256sum "$src" | cut -d' ' -f1)"
clean_build() {
  "$work/rambox" build --profile "$1" --source "$override" --epoch 1700000000 --cache-bust "bench-arm64-$(date +%s%N)" \
    --out "$work/build-$1" >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
}
for run in $(seq 1 "$build_runs"); do
  timed arm_s s clean_build linux-6.1-arm64
  timed amd_s s clean_build linux-6.1
  echo "bench: clean build $run: arm64 ${arm_s}s, amd64 ${amd_s}s" >&2
  record sample -id arm64.build.clean -title "clean build, every step cache-busted: linux-6.1-arm64 (cross gcc-aarch64-linux-gnu) vs linux-6.1 (amd64)" -unit s -run "$run" -value "$arm_s" -compare "$amd_s"
done
bench_done
