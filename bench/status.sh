#!/usr/bin/env bash
# Benchmark: the status server with 1,000 nodes on record (issue 12):
# serve/status's Handler on loopback; GETs of /api/v1/status, then of the
# HTML page /, each body read to the end; p50 and p99 per request. Once
# with one client (a request's own time) and once with 32 concurrent
# clients (closed loop: their p99 is mostly queueing behind the other 31).
# $RUNS runs (default 5). Records bench/results/status.jsonl. Run through
# `just bench-status`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-5}
nodes=1000
bench_init status
go build -o "$work/statusload" ./bench/internal/statusload
v() { awk -v k="$1" '$1 == k { print $2 }' "$work/load.txt"; }
for ((i = 1; i <= runs; i++)); do
  "$work/statusload" -nodes "$nodes" -clients 1 -requests 300 -page-requests 50 >"$work/load.txt"
  record sample -id status.api.p99 -title "GET /api/v1/status, $nodes nodes, 1 client: request time p99" -unit ms -run "$i" -value "$(v api.p99-ms)"
  record sample -id status.api.p50 -title "GET /api/v1/status, $nodes nodes, 1 client: request time p50" -unit ms -run "$i" -value "$(v api.p50-ms)"
  record sample -id status.html.p99 -title "GET / (HTML page), $nodes nodes, 1 client: request time p99" -unit ms -run "$i" -value "$(v html.p99-ms)"
  "$work/statusload" -nodes "$nodes" -clients 32 -requests 2000 -page-requests 200 >"$work/load.txt"
  record sample -id status.api32.p99 -title "GET /api/v1/status, $nodes nodes, 32 concurrent clients: request time p99" -unit ms -run "$i" -value "$(v api.p99-ms)"
  record sample -id status.api32.p50 -title "GET /api/v1/status, $nodes nodes, 32 concurrent clients: request time p50" -unit ms -run "$i" -value "$(v api.p50-ms)"
  record sample -id status.html32.p99 -title "GET / (HTML page), $nodes nodes, 32 concurrent clients: request time p99" -unit ms -run "$i" -value "$(v html.p99-ms)"
done
record note "status: on 127.0.0.1, clients and server in one process on the same $(nproc) shared cores;" \
  "the JSON is $(v api.bytes) bytes and the page $(v html.bytes) bytes for $nodes nodes; every request copies the records out" \
  "(as serve's source does); last run, 32 clients: $(v api.rps) API and $(v html.rps) page requests per second."
bench_done
