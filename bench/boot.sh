#!/usr/bin/env bash
# Benchmark: PXE power-on -> selftest done, virtio-net, QEMU TCG, through
# dhcpd + tftpd-hpa in a network namespace (rambox boot --net netns, with
# the IPv6 RA responder), for each bundle `just demo` built; memory used
# after boot; bzImage and initramfs sizes. Median of $RUNS boots.
# Writes bench/boot.md. Run through `just bench-boot` (after `just demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/rambox" ./cmd/rambox
export COSIGN_PASSWORD=bench
(cd "$work" && ./rambox keygen >/dev/null)
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rows=()
for p in linux-2.6.39 linux-6.1; do
  dir=artifacts/$p
  [[ -f $dir/bundle.json ]] || { echo "bench: $dir not built (just demo builds it); skipped" >&2; continue; }
  ref=$("$work/rambox" publish --bundle "$dir" --to "oci:$work/oci:$p" --key "$work/cosign.key")
  "$work/rambox" pull "$ref" --key "$work/cosign.pub" --tftp-root "$work/tftp-$p" --inventory ci/demo/nodes.yaml >/dev/null
  t=() mem=()
  for ((i = 0; i < runs; i++)); do
    "$work/rambox" boot --tftp-root "$work/tftp-$p" --net netns --inventory ci/demo/nodes.yaml \
      --append-extra rambox.selftest --log "$work/serial.log" 2>"$work/boot.log"
    # "seen at ... selftest-end 7.6s": QEMU start to the end of the block.
    t+=($(sed -n 's/.*selftest-end \([0-9.]*\)s.*/\1/p' "$work/boot.log"))
    mem+=($(tr -d '\r' <"$work/serial.log" | sed -n 's/^mem_used_kb=//p'))
  done
  rows+=("| $p | $(median "${t[@]}") | $(median "${mem[@]}") | $(stat -c %s "$dir/bzImage") | $(stat -c %s "$dir/initramfs.cpio.gz") |")
done
{
  echo "# PXE boot benchmark"
  echo
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores; QEMU TCG, virtio-net, dhcpd + tftpd-hpa + RA responder"
  echo "in a network namespace; median of $runs boots. Produced by \`just bench-boot\` (bench/boot.sh)."
  echo
  echo "| bundle | power-on -> selftest done (s) | memory used (KiB) | bzImage (bytes) | initramfs (bytes) |"
  echo "|---|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Targets: boot <= 6 s; memory <= 12 MB (2.6.39); bzImage <= 1.6 MB and initramfs <= 0.8 MB (2.6.39)."
  echo "The boot time includes about 2 s of the selftest's own pings (3 echo requests, 1 s apart)."
  echo "The initramfs holds busybox 1.35's defconfig build (398 applets, 2.3 MB static); a trimmed"
  echo "rootfs/busybox/busybox.config is the way to the 0.8 MB target."
} >bench/boot.md
cat bench/boot.md
