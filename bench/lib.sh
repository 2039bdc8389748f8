# bench/lib.sh — sourced by the bench scripts (run from the repository root).
# Each bench records every run's raw values with bench/internal/record into
# a results file; bench/internal/report takes the medians and writes
# bench/REPORT.md. A results file replaces bench/results/NAME.jsonl only
# when the whole bench ran ($BENCH_RESULTS overrides the directory).

# bench_init NAME: a work dir removed on exit, rambox (static) and record
# built into it, and a new results file whose first line says when, where
# and from which commit.
bench_init() {
  bench_name=$1
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  CGO_ENABLED=0 go build -o "$work/rambox" ./cmd/rambox
  go build -o "$work/record" ./bench/internal/record
  results=$work/$bench_name.jsonl
  "$work/record" start "$results" "$bench_name"
}

# record sample|note|timings ARGS: appends to this bench's results file.
record() { "$work/record" "$1" "$results" "${@:2}"; }

# bench_done: moves the results into place.
bench_done() {
  local dir=${BENCH_RESULTS:-bench/results}
  mkdir -p "$dir"
  cp "$results" "$dir/.$bench_name.jsonl.tmp"
  mv "$dir/.$bench_name.jsonl.tmp" "$dir/$bench_name.jsonl"
  echo "bench: recorded $dir/$bench_name.jsonl" >&2
}

# timed VAR ms|s CMD...: runs CMD in this shell and sets VAR to its wall
# time in whole milliseconds or in seconds (3 decimals).
timed() {
  local _var=$1 _unit=$2 _start _ns
  shift 2
  _start=$(date +%s%N)
  "$@"
  _ns=$(($(date +%s%N) - _start))
  if [[ $_unit == ms ]]; then
    printf -v "$_var" '%d' $((_ns / 1000000))
  else
    printf -v "$_var" '%d.%03d' $((_ns / 1000000000)) $((_ns / 1000000 % 1000))
  fi
}

# publish_built BUNDLE: after bench_init, signs the built bundle dir BUNDLE
# with a fresh key ($work/cosign.key, .pub) into the OCI layout $work/oci
# and prints its pinned ref. A bundle not built is an error naming it.
publish_built() {
  if [[ ! -f $1/bundle.json ]]; then
    echo "bench: $1 not built (just demo builds it)" >&2
    return 1
  fi
  export COSIGN_PASSWORD=bench
  "$work/rambox" keygen --dir "$work" >/dev/null
  "$work/rambox" publish --bundle "$1" --to "oci:$work/oci:$(basename "$1")" --key "$work/cosign.key"
}
