#!/usr/bin/env bash
# Benchmark of the edit loop, linux-6.1 profile from Debian's
# linux-source-6.1: a one-line fragment change -> new outputs, a different
# option each run on top of the previous one, $RUNS runs back to back
# (default 5), after one unmeasured build that fills the engine's cache and
# the kernel object tree, as a developer's earlier build would have. Each
# run also records the kernel steps' phase times ("kernel: PHASE took N
# ms" in the engine log). Its own bench, apart from bench/build.sh's clean
# builds, so it can be rerun alone in minutes.
# Records bench/results/editloop.jsonl. Run through `just bench-editloop`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-5}
# One new option per run, each touching a file or two.
frag_options=(IP_PNP_BOOTP IP_PNP_RARP TCP_CONG_BIC TCP_CONG_WESTWOOD TCP_CONG_HTCP PRINTK_TIME)
if ((runs > ${#frag_options[@]})); then
  echo "bench: at most ${#frag_options[@]} fragment-change runs (RUNS=$runs)" >&2
  exit 2
fi
src=/usr/src/linux-source-6.1.tar.xz
epoch=1700000000
bench_init editloop
override="linux=$src@sha256:$(sha256sum "$src" | cut -d' ' -f1)"
cp -r kernel-configs "$work/profiles"
frag=$work/profiles/linux-6.1/fragment.config
# A comment line no earlier bench wrote: the engine caches steps by their
# inputs, so a rerun of the same option sequence would be all cache hits.
echo "## bench editloop $(date +%s%N)" >>"$frag"
build() {
  "$work/rambox" build --source "$override" --epoch "$epoch" --profiles "$work/profiles" --profile linux-6.1 \
    --out "$work/out" --log "$work/engine.log" >"$work/last.log" 2>&1 || { tail -30 "$work/last.log" >&2; exit 1; }
}
echo "bench: warm-up build of linux-6.1 (not measured)..." >&2
build
for ((i = 1; i <= runs; i++)); do
  o=${frag_options[i - 1]}
  echo "bench: fragment change $i/$runs: CONFIG_$o=y..." >&2
  sed -i "/^# CONFIG_$o is not set\$/d" "$frag"
  echo "CONFIG_$o=y" >>"$frag"
  timed t s build
  if ! grep -q 'kernel: make took' "$work/engine.log"; then
    echo "bench: fragment change $i: the kernel build step came from the cache, nothing was measured" >&2
    exit 1
  fi
  record sample -id editloop.fragment -title "one-line kernel fragment change -> new outputs (linux-6.1)" -unit s -target "<= 10 s" -run "$i" -value "$t"
  # The phases of this run's kernel configure and build steps.
  while read -r phase ms; do
    record sample -id "editloop.phase.$phase" -title "one-line fragment change, kernel phase $phase" -unit ms -run "$i" -value "$ms"
  done < <(sed 's/\x1b\[[0-9;]*m//g' "$work/engine.log" | sed -n 's/.*kernel: \([a-z-]*\) took \([0-9]*\) ms.*/\1 \2/p')
done
opts=$(printf 'CONFIG_%s=y, ' "${frag_options[@]:0:runs}")
record note "editloop: each run turns on one more option, on top of the previous run's: ${opts%, }; the machine's load" \
  "average at the start is in the results file's meta line."
bench_done
