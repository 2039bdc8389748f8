#!/usr/bin/env bash
# Benchmark: `rambox serve --dhcp off` under load on loopback, for the
# linux-6.1 bundle: 32 concurrent TFTP clients each fetching bzImage and
# the initramfs from serve, then from tftpd-hpa serving the same bytes;
# 256 concurrent HTTP clients fetching both from serve; every download's
# sha256 checked; serve's memory idle and under each load. $RUNS runs
# (default 5). Records bench/results/serve-load.jsonl.
# Run through `just bench-serve` (after `just demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-5}
dir=artifacts/linux-6.1
bench_init serve-load
go build -o "$work/serveload" ./bench/internal/serveload
publish_built "$dir" >"$work/bundle"
for ((i = 1; i <= runs; i++)); do
  "$work/serveload" -rambox "$work/rambox" -key "$work/cosign.pub" -bundle-file "$work/bundle" -bundle-dir "$dir" \
    -inventory ci/demo/nodes.yaml >"$work/load.txt"
  v() { awk -v k="$1" '$1 == k { print $2 }' "$work/load.txt"; }
  record sample -id serve-load.tftp.serve -title "TFTP: 32 clients x (bzImage + initramfs), rambox serve, aggregate" -unit MB/s -run "$i" -value "$(v tftp.serve.mbps)"
  record sample -id serve-load.tftp.tftpd -title "TFTP: 32 clients x (bzImage + initramfs), tftpd-hpa, aggregate" -unit MB/s -run "$i" -value "$(v tftp.tftpd.mbps)"
  record sample -id serve-load.tftp.ratio -title "TFTP: 32 clients, rambox serve vs tftpd-hpa (throughput)" -unit MB/s -target "ratio >= 1.0" \
    -run "$i" -value "$(v tftp.serve.mbps)" -compare "$(v tftp.tftpd.mbps)"
  record sample -id serve-load.http -title "HTTP: 256 clients x (bzImage + initramfs), rambox serve, aggregate" -unit MB/s -run "$i" -value "$(v http.mbps)"
  record sample -id serve-load.http.p99 -title "HTTP: 256 clients, one file's request time, p99" -unit ms -run "$i" -value "$(v http.p99-ms)"
  record sample -id serve-load.rss.idle -title "rambox serve RSS, idle (VmRSS)" -unit KiB -run "$i" -value "$(v rss.idle-kb)"
  record sample -id serve-load.rss.tftp -title "rambox serve RSS, peak under the TFTP load (VmRSS sampled every 20 ms)" -unit KiB -run "$i" -value "$(v rss.tftp-kb)"
  record sample -id serve-load.rss.http -title "rambox serve RSS, peak under the HTTP load (VmRSS sampled every 20 ms)" -unit KiB -run "$i" -value "$(v rss.http-kb)"
  record sample -id serve-load.hwm -title "rambox serve peak RSS after both loads (VmHWM)" -unit KiB -run "$i" -value "$(v hwm.kb)"
done
record note "serve-load: on 127.0.0.1, clients and servers on the same $(nproc) shared cores; TFTP block size 1468, no windowsize" \
  "(tftpd-hpa has none); every download's sha256 checked against the bundle's files; MB = 10^6 bytes."
bench_done
