#!/usr/bin/env bash
# Benchmark: `rambox serve --dhcp full` under DHCP load. Each run is
# e2e's TestDHCPLoad: 1,000 simulated clients (200 inventory MACs with
# fixed addresses, 800 unknown from the pool), 64 in flight, each doing
# DISCOVER -> OFFER -> REQUEST -> ACK from a second network namespace
# joined to serve's bridge by a veth pair; a run counts only when its
# checks pass (no address acked twice, every fixed address right, every
# client done). $RUNS runs (default 5). Records bench/results/dhcp-load.jsonl.
# Run through `just bench-dhcp` (as root: namespaces). Needs no bundle
# build: the lab serves a small signed stand-in bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-5}
bench_init dhcp-load
# One test binary for every run; it runs from e2e/, as go test runs it.
go test -c -o "$work/e2e.test" ./e2e
title="DHCP: 1000 clients (200 fixed, 800 pool), 64 in flight, rambox serve --dhcp full"
for ((i = 1; i <= runs; i++)); do
  rm -f "$work/load.txt"
  (cd e2e && RAMBOX_E2E=1 RAMBOX_DHCPLOAD_OUT="$work/load.txt" "$work/e2e.test" -test.run '^TestDHCPLoad$' -test.count=1 -test.timeout 10m) \
    >"$work/test.log" 2>&1 || { tail -40 "$work/test.log" >&2; exit 1; }
  v() { awk -v k="$1" '$1 == k { print $2 }' "$work/load.txt"; }
  record sample -id dhcp-load.offers -title "$title: OFFERs per second" -unit msg/s -run "$i" -value "$(v offers-per-s)"
  record sample -id dhcp-load.dora -title "$title: DORA exchanges completed per second" -unit msg/s -run "$i" -value "$(v dora-per-s)"
  record sample -id dhcp-load.offer.p50 -title "$title: DISCOVER -> OFFER, p50" -unit ms -run "$i" -value "$(v offer-p50-ms)"
  record sample -id dhcp-load.offer.p99 -title "$title: DISCOVER -> OFFER, p99" -unit ms -run "$i" -value "$(v offer-p99-ms)"
  record sample -id dhcp-load.dora.p50 -title "$title: DISCOVER -> ACK (whole DORA), p50" -unit ms -run "$i" -value "$(v dora-p50-ms)"
  record sample -id dhcp-load.dora.p99 -title "$title: DISCOVER -> ACK (whole DORA), p99" -unit ms -run "$i" -value "$(v dora-p99-ms)"
  echo "dhcp-load: run $i: $(v offers-per-s) offers/s, DORA p99 $(v dora-p99-ms) ms, $(v resends) resends" >&2
done
record note "dhcp-load: clients and serve in two network namespaces on the same $(nproc) shared cores, one UDP socket for all" \
  "clients (replies told apart by transaction ID); latencies from a client's first DISCOVER, resends included; a rate is" \
  "exchanges over the whole run's wall time, from the first DISCOVER to the last ACK."
bench_done
