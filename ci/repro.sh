#!/usr/bin/env bash
# The reproducibility gate: two clean builds of one profile (every step
# re-run through fresh cache keys and a fresh kernel object volume, into
# different output directories, with different host and user names inside
# the build containers), then every output file (the SBOM included) and
# the published bundle manifest digest compared. On a difference, diffoscope reports on
# each differing file. Exit 0 only when both builds are identical.
# Usage: repro.sh [rambox build flags...]   (e.g. --profile linux-6.1 --source ...)
# RAMBOX_REPRO_OUT (default artifacts/repro) receives a/, b/ and the reports.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${RAMBOX_REPRO_OUT:-artifacts/repro}
rm -rf "$out" && mkdir -p "$out"
CGO_ENABLED=0 go build -o "$out/rambox" ./cmd/rambox
nonce=$(date +%s%N)
export COSIGN_PASSWORD=repro
(cd "$out" && ./rambox keygen >/dev/null)

digests=()
for side in a b; do
  echo "repro: clean build $side..." >&2
  "$out/rambox" build "$@" --out "$out/$side" --cache-bust "repro-$side-$nonce" \
    --container-host "build-$side" --container-user "builder-$side" 2>"$out/$side.build.log" ||
    { tail -30 "$out/$side.build.log" >&2; exit 1; }
  ref=$("$out/rambox" publish --bundle "$out/$side" --to "oci:$out/oci-$side:repro" --key "$out/cosign.key" --revision repro --source-url repro)
  digests+=("${ref##*@}")
done

differ=()
mapfile -t files < <( (ls -A "$out/a"; ls -A "$out/b") | sort -u)
for f in "${files[@]}"; do
  cmp -s "$out/a/$f" "$out/b/$f" || differ+=("$f")
done
if [[ ${digests[0]} != "${digests[1]}" ]]; then
  echo "repro: bundle manifest digests differ: ${digests[0]} vs ${digests[1]}" >&2
fi
if ((${#differ[@]} == 0)) && [[ ${digests[0]} == "${digests[1]}" ]]; then
  echo "repro: PASS: two clean builds are identical (${files[*]}); bundle ${digests[0]}"
  exit 0
fi
for f in "${differ[@]}"; do
  report=$out/diffoscope-$f.txt
  diffoscope --text "$report" --max-report-size 2000000 "$out/a/$f" "$out/b/$f" >/dev/null 2>&1 || true
  echo "repro: FAIL: $f differs between the two builds (diffoscope report: $report)" >&2
done
exit 1
