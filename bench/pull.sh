#!/usr/bin/env bash
# Benchmark: `rambox pull` (resolve + signature + every blob verified +
# TFTP root laid out and switched) of a bundle from the loopback registry.
# Median of $RUNS runs into fresh TFTP roots. Uses artifacts/linux-6.1 when
# `just demo` built it, else a synthetic bundle of the same size class.
# Writes bench/pull.md. Run through `just bench-pull`.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/rambox" ./cmd/rambox
addr=$(bash ci/registry.sh start)
export COSIGN_PASSWORD=bench
bundle=artifacts/linux-6.1 label=artifacts/linux-6.1
if [[ ! -f $bundle/bundle.json ]]; then
  bundle=$work/bundle label="synthetic, linux-6.1 sizes"
  mkdir -p "$bundle"
  head -c 3245056 /dev/urandom >"$bundle/bzImage"
  head -c 1251859 /dev/urandom >"$bundle/initramfs.cpio.gz"
  echo CONFIG_NET=y >"$bundle/kernel.config"
  echo CONFIG_STATIC=y >"$bundle/busybox.config"
  go run ./bench/internal/mkinfo "$bundle"
fi
(cd "$work" && ./rambox keygen >/dev/null)
ref=$("$work/rambox" publish --bundle "$bundle" --to "$addr/bench/bundle:latest" --key "$work/cosign.key")
ms=()
for ((i = 0; i < runs; i++)); do
  s=$(date +%s%N)
  "$work/rambox" pull "$ref" --key "$work/cosign.pub" --tftp-root "$work/tftp-$i" >/dev/null
  ms+=($(( ($(date +%s%N) - s) / 1000000 )))
done
median=$(printf '%s\n' "${ms[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
size=$(du -sbL "$work/tftp-0/current" | cut -f1)
{
  echo "# pull + verify + layout from the loopback registry"
  echo
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores; bundle $label ($size bytes laid out);"
  echo "median of $runs runs. Produced by \`just bench-pull\` (bench/pull.sh)."
  echo
  echo "| measurement | ms | target |"
  echo "|---|---:|---:|"
  echo "| rambox pull REF@sha256 (signature + blobs verified, TFTP root switched) | $median | <= 1000 |"
  echo
  echo "Runs (ms): ${ms[*]}."
} >bench/pull.md
cat bench/pull.md
