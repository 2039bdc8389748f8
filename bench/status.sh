#!/usr/bin/env bash
# Benchmark: the status server with 1,000 nodes on record (issue 12):
# serve/status's Handler on loopback, 32 concurrent clients, 2,000 GETs of
# /api/v1/status and then 200 of the HTML page /, each body read to the
# end; p50 and p99 per request. $RUNS runs (default 5). Records
# bench/results/status.jsonl. Run through `just bench-status`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-5}
nodes=1000 clients=32 requests=2000 page_requests=200
bench_init status
go build -o "$work/statusload" ./bench/internal/statusload
for ((i = 1; i <= runs; i++)); do
  "$work/statusload" -nodes "$nodes" -clients "$clients" -requests "$requests" -page-requests "$page_requests" >"$work/load.txt"
  v() { awk -v k="$1" '$1 == k { print $2 }' "$work/load.txt"; }
  record sample -id status.api.p99 -title "GET /api/v1/status, $nodes nodes, $clients clients: request time p99" -unit ms -run "$i" -value "$(v api.p99-ms)"
  record sample -id status.api.p50 -title "GET /api/v1/status, $nodes nodes, $clients clients: request time p50" -unit ms -run "$i" -value "$(v api.p50-ms)"
  record sample -id status.html.p99 -title "GET / (HTML page), $nodes nodes, $clients clients: request time p99" -unit ms -run "$i" -value "$(v html.p99-ms)"
  record sample -id status.html.p50 -title "GET / (HTML page), $nodes nodes, $clients clients: request time p50" -unit ms -run "$i" -value "$(v html.p50-ms)"
done
record note "status: on 127.0.0.1, clients and server in one process on the same $(nproc) shared cores;" \
  "the JSON is $(v api.bytes) bytes and the page $(v html.bytes) bytes for $nodes nodes; every request copies the records out (as serve's source does);" \
  "last run: $(v api.rps) API and $(v html.rps) page requests per second."
bench_done
