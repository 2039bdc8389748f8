#!/usr/bin/env bash
# Benchmark of the build pipeline, linux-6.1 profile from Debian's
# linux-source-6.1:
#   1. clean builds, $RUNS runs (default 3), each run back to back:
#      a cache-busted `rambox build` vs the same work without the engine:
#      the pipeline's own scripts (kernel unpack, configure, build; busybox;
#      rambox initramfs), one after another, in a chroot of the same
#      toolchain rootfs on the host; then a cache-busted build with
#      --timings (stages one after another: each stage's own seconds) and a
#      `rambox publish --timings` of its bundle to an OCI layout (sign and
#      publish seconds);
#   2. warm no-op `rambox build`, $RUNS runs (default 5);
#   3. a one-file rootfs change -> new outputs, $RUNS runs (default 5).
# The one-line fragment change (the edit loop) is bench/editloop.sh.
# Records bench/results/build.jsonl. Run through `just bench-build` (engine,
# toolchain and deps are set up by the recipe).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
clean_runs=${RUNS:-3}
runs=${RUNS:-5}
src=/usr/src/linux-source-6.1.tar.xz
epoch=1700000000
bench_init build
usage=$("$work/rambox" build -h 2>&1 || true)
if [[ $usage != *-timings* ]]; then
  echo "bench: this rambox build has no --timings flag" >&2
  exit 1
fi
override="linux=$src@sha256:$(sha256sum "$src" | cut -d' ' -f1)"
bust=bench-$(date +%s)
build() { "$work/rambox" build --source "$override" --epoch "$epoch" "$@" >"$work/last.log" 2>&1 || { tail -30 "$work/last.log" >&2; exit 1; }; }
# The host side does the pipeline's work with the pipeline's scripts and
# toolchain, so the ratio is the engine's cost alone: a private mount
# namespace, the toolchain rootfs as an overlay's lower layer (never
# written), the inputs bind-mounted at the paths the stages use.
toolchain=$(bash ci/toolchain.sh --print | cut -d' ' -f1)
bb_src=$HOME/.cache/rambox/sources/sha256/$(sed -n 's/.*"sha256": *"\([0-9a-f]*\)".*/\1/p' rootfs/busybox/sources.json)
host_build() {
  local h=$work/host
  rm -rf "$h" && mkdir -p "$h/upper" "$h/ovl" "$h/root" "$h/in" "$h/out"
  cp stages/scripts/kernel.sh stages/scripts/busybox.sh "$work/rambox" "$h/in/"
  cp -r kernel-configs/linux-6.1 "$h/in/profile" && mkdir -p "$h/in/patches"
  cp -r rootfs "$h/in/rootfs"
  # The architecture variables are the ones stages/kernel.go sets from
  # profile.ArchX86_64, the linux-6.1 profile's.
  unshare --mount --fork env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SOURCE_DATE_EPOCH=$epoch \
    KBUILD_BUILD_USER=rambox KBUILD_BUILD_HOST=rambox LC_ALL=C TZ=UTC \
    ARCH=x86_64 KERNEL_IMAGE=bzImage KERNEL_IMAGE_PATH=arch/x86/boot/bzImage \
    bash -euc '
    t=$1 h=$2 src=$3 bb=$4
    mount --make-rprivate /
    mount -t overlay overlay -o "lowerdir=$t,upperdir=$h/upper,workdir=$h/ovl" "$h/root"
    mount -t proc proc "$h/root/proc"
    mount --rbind /dev "$h/root/dev"
    mkdir -p "$h/root/work/in" "$h/root/work/out"
    mount --bind "$h/in" "$h/root/work/in"
    mount --bind "$h/out" "$h/root/work/out"
    cp "$src" "$h/root/work/linux.tar" && cp "$bb" "$h/root/work/busybox.tar"
    chroot "$h/root" sh -euc "
      sh /work/in/kernel.sh unpack /work/linux.tar /work/in/patches
      sh /work/in/kernel.sh configure /work/in/profile
      sh /work/in/kernel.sh build /work/out/kernel
      sh /work/in/busybox.sh /work/busybox.tar /work/in/rootfs/busybox/busybox.config /work/out/busybox
      /work/in/rambox initramfs --rootfs /work/in/rootfs --busybox /work/out/busybox/busybox \
        --udhcpc-script /work/out/busybox/simple.script --zoneinfo /usr/share/zoneinfo \
        --timezone $5 --epoch \$SOURCE_DATE_EPOCH -o /work/out/initramfs.cpio.gz"
    ' sh "$toolchain" "$h" "$src" "$bb_src" "$timezone" >"$work/host.log" 2>&1 || { tail -30 "$work/host.log" >&2; exit 1; }
}
# The timezone the pipeline's builds get (rambox build's default).
timezone=$(grep -A1 -- "-timezone" <<<"$usage" | sed -n 's/.*(default "\(.*\)").*/\1/p')
[[ -n $timezone ]] || { echo "bench: no default timezone in rambox build -h" >&2; exit 1; }
export COSIGN_PASSWORD=bench
"$work/rambox" keygen --dir "$work/key" >/dev/null

for ((i = 1; i <= clean_runs; i++)); do
  echo "bench: clean run $i/$clean_runs: rambox build (linux-6.1)..." >&2
  timed pipe s build --profile linux-6.1 --out "$work/clean" --cache-bust "$bust-$i"
  echo "bench: clean run $i/$clean_runs: the same scripts in a chroot of the toolchain..." >&2
  timed host s host_build
  # Same scripts, toolchain, paths and inputs: the same bytes, or the
  # ratio compares different work.
  for f in kernel/bzImage initramfs.cpio.gz; do
    cmp -s "$work/host/out/$f" "$work/clean/$(basename "$f")" || { echo "bench: host $f differs from the pipeline's" >&2; exit 1; }
  done
  rm -rf "$work/host"
  record sample -id build.clean -title "clean build, linux-6.1: \`rambox build\` (every step runs, sources cached) vs the same scripts (kernel unpack, configure, build; busybox; initramfs) one after another in a chroot of the same toolchain on the host" \
    -unit s -target "ratio <= 1.03" -run "$i" -value "$pipe" -compare "$host"

  echo "bench: clean run $i/$clean_runs: rambox build --timings, rambox publish --timings..." >&2
  timed staged s build --profile linux-6.1 --out "$work/staged" --cache-bust "$bust-$i-timings" --timings "$work/build-timings.json"
  record sample -id build.clean-timings -title "clean build, linux-6.1, with --timings (stages one after another)" -unit s -run "$i" -value "$staged"
  record timings -run "$i" -id-prefix build.stage -title "build stage {stage}: clean linux-6.1 build with --timings" "$work/build-timings.json"
  rm -rf "$work/oci"
  "$work/rambox" publish --bundle "$work/staged" --to "oci:$work/oci:bench" --key "$work/key/cosign.key" \
    --timings "$work/publish-timings.json" >/dev/null
  record timings -run "$i" -id-prefix publish.stage -title "publish stage {stage}: \`rambox publish\` of that bundle to a new OCI layout" "$work/publish-timings.json"
done

# The later steps reuse the last clean build's cached steps and its kernel
# object tree, as a developer's next build would.
for ((i = 1; i <= runs; i++)); do
  echo "bench: warm no-op $i/$runs..." >&2
  timed t s build --profile linux-6.1 --out "$work/clean" --cache-bust "$bust-$clean_runs"
  record sample -id build.noop -title "warm no-op \`rambox build\` (engine up, nothing changed)" -unit s -target "<= 3 s" -run "$i" -value "$t"
done

cp -r rootfs "$work/rootfs"
for ((i = 1; i <= runs; i++)); do
  echo "bench: rootfs change $i/$runs..." >&2
  echo "# bench $i" >>"$work/rootfs/tree/etc/hosts"
  timed t s build --profile linux-6.1 --rootfs "$work/rootfs" --out "$work/rootfs-out" --cache-bust "$bust-$clean_runs"
  record sample -id build.rootfs -title "one rootfs file change -> new outputs" -unit s -target "<= 5 s" -run "$i" -value "$t"
done

record note "build: both sides of the clean build do the same work with the same scripts and toolchain rootfs (kernel unpack," \
  "configure, build; busybox; initramfs, one after another, giving the same bzImage and initramfs bytes); the pipeline runs" \
  "each step in a container of the engine, the host side in a chroot. The stage rows and the chart come" \
  "from separate clean builds with --timings, which run the stages one after another; fetch is a source-cache hit" \
  "(sha256 checked)."
bench_done
