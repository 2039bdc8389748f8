#!/usr/bin/env bash
# Benchmark: OVMF power-on -> /init ready and -> selftest done for the
# linux-6.1 UKI loaded by the firmware's own PXE from `rambox serve` (node
# boot: uki, TFTP), Secure Boot on (OVMF secboot + snakeoil db) vs off
# (plain OVMF), back to back in each run; and the UKI's size vs bzImage +
# initramfs. The bundle is the one whose signed command line asks for the
# selftest (just test builds it: artifacts/linux-6.1-selftest), since under
# Secure Boot the stub runs no other. $RUNS runs (default 5). Records
# bench/results/uki-boot.jsonl. Run through `just bench-uki`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-5}
dir=${UKI_BUNDLE:-artifacts/linux-6.1-selftest}
bench_init uki-boot
go build -o "$work/serveboot" ./bench/internal/serveboot
ref=$(publish_built "$dir")
echo "$ref" >"$work/bundle"
size() { stat -c %s "$dir/$1"; }
uki=$(size rambox.efi) split=$(($(size bzImage) + $(size initramfs.cpio.gz)))
for ((i = 1; i <= runs; i++)); do
  "$work/serveboot" -rambox "$work/rambox" -key "$work/cosign.pub" -bundle-file "$work/bundle" -runs 1 -ways uki >"$work/uki.txt"
  mark() { awk -v w="$1" -v m="$2" '$1 == w { for (k = 3; k < NF; k += 2) if ($k == m) print $(k + 1) }' "$work/uki.txt"; }
  sb_init=$(mark uki-secureboot init) sb_end=$(mark uki-secureboot selftest-end)
  plain_init=$(mark uki-plain init) plain_end=$(mark uki-plain selftest-end)
  way="linux-6.1 UKI, OVMF PXE (TFTP) from rambox serve: power-on ->"
  record sample -id uki-boot.secureboot.init -title "$way /init ready, Secure Boot on" -unit s -run "$i" -value "$sb_init"
  record sample -id uki-boot.secureboot.selftest -title "$way selftest done, Secure Boot on" -unit s -run "$i" -value "$sb_end"
  record sample -id uki-boot.plain.init -title "$way /init ready, Secure Boot off (plain OVMF)" -unit s -run "$i" -value "$plain_init"
  record sample -id uki-boot.plain.selftest -title "$way selftest done, Secure Boot off" -unit s -run "$i" -value "$plain_end"
  record sample -id uki-boot.ratio.selftest -title "$way selftest done: Secure Boot on vs off" -unit s -run "$i" -value "$sb_end" -compare "$plain_end"
  record sample -id uki-boot.size -title "linux-6.1: rambox.efi (signed UKI) vs bzImage + initramfs.cpio.gz" -unit B -run "$i" -value "$uki" -compare "$split"
done
record note "uki-boot: QEMU TCG on $(nproc) shared cores; times from QEMU's start to the serial log's marks." \
  "Secure Boot on is OVMF_CODE_4M.secboot.fd on q35 with SMM (boot.FirmwareOVMFSecureBoot), off is OVMF_CODE_4M.fd on the default machine:" \
  "the difference includes the firmware builds and machine types, not only the signature check."
bench_done
