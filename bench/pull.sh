#!/usr/bin/env bash
# Benchmark: `rambox pull` (resolve + signature + every blob verified +
# TFTP root laid out and switched) of a bundle from the loopback registry,
# into a fresh TFTP root each run; $RUNS runs (default 7). Uses
# artifacts/linux-6.1 when `just demo` built it, else a synthetic bundle of
# the same size class.
# Records bench/results/pull.jsonl. Run through `just bench-pull`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-7}
bench_init pull
addr=$(bash ci/registry.sh start)
export COSIGN_PASSWORD=bench
bundle=artifacts/linux-6.1 label=artifacts/linux-6.1
if [[ ! -f $bundle/bundle.json ]]; then
  bundle=$work/bundle label="a synthetic bundle of linux-6.1's sizes (artifacts/linux-6.1 not built)"
  mkdir -p "$bundle"
  head -c 3245056 /dev/urandom >"$bundle/bzImage"
  head -c 1251859 /dev/urandom >"$bundle/initramfs.cpio.gz"
  echo CONFIG_NET=y >"$bundle/kernel.config"
  echo CONFIG_STATIC=y >"$bundle/busybox.config"
  go run ./bench/internal/mkinfo "$bundle"
fi
"$work/rambox" keygen --dir "$work" >/dev/null
ref=$("$work/rambox" publish --bundle "$bundle" --to "$addr/bench/bundle:latest" --key "$work/cosign.key")
pull() { "$work/rambox" pull "$ref" --key "$work/cosign.pub" --tftp-root "$work/tftp-$1" >/dev/null; }
for ((i = 1; i <= runs; i++)); do
  timed t ms pull "$i"
  record sample -id pull -title "\`rambox pull REF@sha256\` from the loopback registry: signature and blobs verified, TFTP root laid out and switched" \
    -unit ms -target "<= 100 ms" -run "$i" -value "$t"
done
record note "pull: the bundle is $label, $(du -sbL "$work/tftp-1/current" | cut -f1) bytes laid out."
bench_done
