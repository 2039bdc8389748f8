#!/usr/bin/env bash
# Benchmark: PXE power-on -> selftest done, virtio-net, QEMU TCG, through
# dhcpd + tftpd-hpa in a network namespace (rambox boot --net netns, with
# the IPv6 RA responder), for each bundle `just demo` built; memory used
# after boot; bzImage and initramfs sizes. $RUNS boots each (default 5).
# Records bench/results/boot.jsonl. Run through `just bench-boot` (after `just demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-5}
bench_init boot
export COSIGN_PASSWORD=bench
"$work/rambox" keygen --dir "$work" >/dev/null
for p in linux-2.6.39 linux-6.1; do
  dir=artifacts/$p
  if [[ ! -f $dir/bundle.json ]]; then
    echo "bench: $dir not built (just demo builds it); skipped" >&2
    record note "boot: $dir was not built (\`just demo\` builds it), so $p was not measured."
    continue
  fi
  # The targets are issue 13's, for 2.6.39 (tighter than the seed
  # article's 1.6 MB bzImage, 0.8 MB initramfs and 12 MB of memory).
  mem_t=() bz_t=() init_t=()
  if [[ $p == linux-2.6.39 ]]; then
    mem_t=(-target "<= 3 MiB") bz_t=(-target "<= 1.5 MB") init_t=(-target "<= 0.6 MB")
  fi
  ref=$("$work/rambox" publish --bundle "$dir" --to "oci:$work/oci:$p" --key "$work/cosign.key")
  "$work/rambox" pull "$ref" --key "$work/cosign.pub" --tftp-root "$work/tftp-$p" --inventory ci/demo/nodes.yaml >/dev/null
  for ((i = 1; i <= runs; i++)); do
    "$work/rambox" boot --tftp-root "$work/tftp-$p" --net netns --inventory ci/demo/nodes.yaml \
      --append-extra rambox.selftest --log "$work/serial.log" 2>"$work/boot.log"
    # "seen at ... selftest-end 7.6s": QEMU start to the end of the block.
    record sample -id "boot.$p.time" -title "$p: PXE power-on -> selftest done (QEMU TCG, virtio-net, dhcpd + tftpd-hpa in a netns)" \
      -unit s -target "<= 6 s" -run "$i" -value "$(sed -n 's/.*selftest-end \([0-9.]*\)s.*/\1/p' "$work/boot.log")"
    record sample -id "boot.$p.mem" -title "$p: memory used after boot (selftest mem_used_kb)" -unit KiB "${mem_t[@]}" \
      -run "$i" -value "$(tr -d '\r' <"$work/serial.log" | sed -n 's/^mem_used_kb=//p')"
  done
  record sample -id "boot.$p.bzimage" -title "$p: bzImage size" -unit B "${bz_t[@]}" -run 1 -value "$(stat -c %s "$dir/bzImage")"
  record sample -id "boot.$p.initramfs" -title "$p: initramfs size" -unit B "${init_t[@]}" -run 1 -value "$(stat -c %s "$dir/initramfs.cpio.gz")"
done
record note "boot: the bundles are the ones in artifacts/ (\`just demo\` builds them); the boot time includes the selftest's" \
  "own pings (3 echo requests, each sent when the last reply is in: ping -A). The initramfs holds busybox 1.35 built from" \
  "rootfs/busybox/busybox.config (the seed's toolset, static musl)."
bench_done
