#!/usr/bin/env bash
# Benchmark: PXE power-on -> /init ready and -> selftest done for the
# linux-6.1 bundle, three ways back to back in each run (QEMU TCG, SeaBIOS,
# QEMU's iPXE ROM, virtio-net, each in a network namespace): `rambox serve`
# over HTTP (iPXE -> the script), `rambox serve` over TFTP (node boot:
# pxelinux), and the seed's dhcpd + tftpd-hpa (rambox boot --net netns).
# $RUNS runs (default 5). Records bench/results/serve-boot.jsonl.
# Run through `just bench-serve` (after `just demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-5}
dir=artifacts/linux-6.1
bench_init serve-boot
go build -o "$work/serveboot" ./bench/internal/serveboot
ref=$(publish_built "$dir")
echo "$ref" >"$work/bundle"
"$work/rambox" pull "$ref" --key "$work/cosign.pub" --tftp-root "$work/tftp" --inventory ci/demo/nodes.yaml >/dev/null
for ((i = 1; i <= runs; i++)); do
  # One run of serveboot: one HTTP and one TFTP boot from serve.
  "$work/serveboot" -rambox "$work/rambox" -key "$work/cosign.pub" -bundle-file "$work/bundle" -runs 1 >"$work/serve.txt"
  "$work/rambox" boot --tftp-root "$work/tftp" --net netns --inventory ci/demo/nodes.yaml \
    --append-extra rambox.selftest --log "$work/serial.log" 2>"$work/boot.log"
  # serveboot prints "WAY RUN init S selftest-end S"; rambox boot "... init 3.2s, selftest-end 7.6s".
  mark() { awk -v w="$1" -v m="$2" '$1 == w { for (k = 3; k < NF; k += 2) if ($k == m) print $(k + 1) }' "$work/serve.txt"; }
  seed_init=$(sed -n 's/.* init \([0-9.]*\)s.*/\1/p' "$work/boot.log")
  seed_end=$(sed -n 's/.*selftest-end \([0-9.]*\)s.*/\1/p' "$work/boot.log")
  http_init=$(mark http init) http_end=$(mark http selftest-end)
  tftp_init=$(mark tftp init) tftp_end=$(mark tftp selftest-end)
  way="linux-6.1: PXE power-on ->"
  record sample -id serve-boot.http.init -title "$way /init ready, rambox serve over HTTP (iPXE ROM -> script)" -unit s -target "<= 3 s" -run "$i" -value "$http_init"
  record sample -id serve-boot.http.selftest -title "$way selftest done, rambox serve over HTTP" -unit s -run "$i" -value "$http_end"
  record sample -id serve-boot.tftp.init -title "$way /init ready, rambox serve over TFTP (pxelinux)" -unit s -run "$i" -value "$tftp_init"
  record sample -id serve-boot.tftp.selftest -title "$way selftest done, rambox serve over TFTP" -unit s -run "$i" -value "$tftp_end"
  record sample -id serve-boot.seed.init -title "$way /init ready, seed's dhcpd + tftpd-hpa (pxelinux)" -unit s -run "$i" -value "$seed_init"
  record sample -id serve-boot.seed.selftest -title "$way selftest done, seed's dhcpd + tftpd-hpa" -unit s -run "$i" -value "$seed_end"
  record sample -id serve-boot.ratio.http-tftp -title "$way /init ready: serve HTTP vs serve TFTP" -unit s -run "$i" -value "$http_init" -compare "$tftp_init"
  record sample -id serve-boot.ratio.http-seed -title "$way /init ready: serve HTTP vs seed's tftpd-hpa" -unit s -run "$i" -value "$http_init" -compare "$seed_init"
  record sample -id serve-boot.ratio.serve-seed -title "$way /init ready: serve TFTP vs seed's tftpd-hpa (both pxelinux)" -unit s -run "$i" -value "$tftp_init" -compare "$seed_init"
done
record note "serve-boot: QEMU TCG on $(nproc) shared cores; times from QEMU's start to the serial log's marks" \
  "(boot.Result marks init and selftest-end). The selftest's own pings (3 echo requests, 1 s apart) are in the selftest times." \
  "serve vs seed compares like with like: pxelinux over TFTP from serve's Go TFTP server vs tftpd-hpa." \
  "iPXE's 2 s 'Press Ctrl-B' banner wait (QEMU's ROM and ipxe.efi, compiled in) is answered with a key on the serial console by the boot harness in every way measured here, as someone at the console would."
bench_done
