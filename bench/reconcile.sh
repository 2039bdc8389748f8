#!/usr/bin/env bash
# Benchmark: SIGHUP with a new digest -> "group switched", for the
# linux-6.1 bundle from the loopback registry: `rambox serve --bundle-file`
# (DHCP off, HTTP and TFTP on loopback) is pointed at the other of two
# digests of the bundle (the same files, another command line) and sent
# SIGHUP; the time runs to its log line saying the group switched to that
# digest (pulled, signature and every blob verified, kept as the last good
# bundle, the new View swapped in). $RUNS runs (default 7), alternating
# digests, so every run pulls afresh. Records bench/results/reconcile.jsonl.
# Run through `just bench-reconcile` (after `just demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-7}
dir=artifacts/linux-6.1
[[ -f $dir/bundle.json ]] || { echo "bench: $dir not built (just demo builds it)" >&2; exit 1; }
bench_init reconcile
addr=$(bash ci/registry.sh start)
export COSIGN_PASSWORD=bench
"$work/rambox" keygen --dir "$work" >/dev/null
cp -r "$dir" "$work/two"
python3 - "$work/two/bundle.json" <<'PY'
import json, sys
p = sys.argv[1]
info = json.load(open(p))
info["kernelCmdline"] += " rambox.bench=two"
json.dump(info, open(p, "w"), indent=2)
PY
refs=("$("$work/rambox" publish --bundle "$dir" --to "$addr/bench/reconcile:one" --key "$work/cosign.key")"
  "$("$work/rambox" publish --bundle "$work/two" --to "$addr/bench/reconcile:two" --key "$work/cosign.key")")
free_port() { python3 -c 'import socket,sys; s=socket.socket(type=getattr(socket,sys.argv[1])); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"; }
echo "${refs[0]}" >"$work/bundle"
"$work/rambox" serve --bundle-file "$work/bundle" --key "$work/cosign.pub" --inventory ci/demo/nodes.yaml \
  --state "$work/state" --dhcp off --http "127.0.0.1:$(free_port SOCK_STREAM)" --tftp "127.0.0.1:$(free_port SOCK_DGRAM)" 2>"$work/serve.log" &
serve=$!
trap 'kill $serve 2>/dev/null; wait $serve 2>/dev/null; rm -rf "$work"' EXIT
# wait_log N TEXT: until TEXT is on at least N lines of serve's log (60 s at most).
wait_log() {
  local deadline=$((SECONDS + 60))
  until (($(grep -cF -- "$2" "$work/serve.log") >= $1)); do
    kill -0 $serve 2>/dev/null || { echo "bench: serve exited:" >&2; cat "$work/serve.log" >&2; exit 1; }
    ((SECONDS < deadline)) || { echo "bench: serve did not log '$2' in 60 s:" >&2; cat "$work/serve.log" >&2; exit 1; }
    sleep 0.005
  done
}
wait_log 1 "msg=serving"
switched=1 # the start's own "group switched"
for ((i = 1; i <= runs; i++)); do
  ref=${refs[$((i % 2))]}
  echo "$ref" >"$work/bundle"
  start=$(date +%s%N)
  kill -HUP $serve
  switched=$((switched + 1))
  wait_log $switched 'msg="group switched"'
  ms=$((($(date +%s%N) - start) / 1000000))
  grep -F 'msg="group switched"' "$work/serve.log" | tail -1 | grep -qF "digest=${ref##*@}" ||
    { echo "bench: run $i switched to another digest than ${ref##*@}:" >&2; cat "$work/serve.log" >&2; exit 1; }
  record sample -id reconcile.switch -title "SIGHUP with a new digest -> group switched (linux-6.1 from the loopback registry: pull, verify, keep, swap)" \
    -unit ms -run "$i" -value "$ms"
done
record note "reconcile: $(du -sb "$dir" | cut -f1) bytes of bundle per pull; serve polls nothing: the SIGHUP starts the reconcile, which runs in the background."
bench_done
