#!/usr/bin/env bash
# Benchmark: where the PXE boot's time goes, power-on -> selftest done,
# per profile: each bundle dir given (default: artifacts/linux-6.1 and
# artifacts/linux-2.6.39) is published, served by `rambox serve` in a
# network namespace and booted $RUNS times (default 3) over HTTP (QEMU's
# iPXE ROM -> the script) and over TFTP (pxelinux), QEMU TCG, SeaBIOS,
# with printk.time=1 initcall_debug loglevel=8 added through the node's
# inventory cmdline (no rebuild). bench/internal/bootbreak cuts each
# serial log into phases (boot/breakdown); every phase is one sample, and
# bench/internal/report draws bench/boot-phases.png from them (ids
# boot-phases.PROFILE.WAY.PHASE). Two more HTTP boots per run measure
# what the console costs: the bundle's own log level (printk.time=1 only)
# and `quiet`, compared at /init ready. A bundle not built is skipped
# with a note. Records bench/results/boot-phases.jsonl.
# Run through `just bench-bootbreak` (after `just demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-3}
dirs=("$@")
[[ ${#dirs[@]} -gt 0 ]] || dirs=(artifacts/linux-6.1 artifacts/linux-2.6.39)
bench_init boot-phases
go build -o "$work/bootbreak" ./bench/internal/bootbreak
# What each phase spans, for the row titles.
declare -A what=(
  [firmware]="firmware (SeaBIOS POST, iPXE ROM start)"
  [firmware-dhcp]="firmware DHCP (iPXE ROM: Configuring -> Filename)"
  [loader-fetch]="boot loader fetch (iPXE script, or pxelinux.0 + ldlinux.c32 + config)"
  [transfer]="kernel + initramfs transfer"
  [decompress]="decompression (bzImage to Linux version, initramfs unpack)"
  [kernel-init]="kernel init (initcalls, less unpack and IP autoconfig)"
  [ipconfig]="kernel IP autoconfig (ip_auto_config)"
  [init]="/init (Run /init -> /init ready)"
  [selftest]="selftest, less its pings"
  [pings]="selftest pings"
)
declare -A ipc=(
  [before-dhcp]="before its first DHCP request (device probes, opening, carrier)"
  [dhcp]="DHCP exchange"
)
for dir in "${dirs[@]}"; do
  profile=$(basename "$dir")
  if [[ ! -f $dir/bundle.json ]]; then
    echo "bench: $dir not built, skipping $profile" >&2
    record note "boot-phases: no $profile bundle at $dir (not built here), so no boot phases for $profile."
    continue
  fi
  rm -f "$work/cosign.key" "$work/cosign.pub" # publish_built makes a fresh key per bundle
  publish_built "$dir" >"$work/bundle"
  for ((i = 1; i <= runs; i++)); do
    bb() { "$work/bootbreak" -rambox "$work/rambox" -key "$work/cosign.pub" -bundle-file "$work/bundle" -runs 1 "$@"; }
    bb >"$work/phases.txt"
    bb -ways http -extra printk.time=1 >"$work/plain.txt"
    bb -ways http -extra "printk.time=1 quiet" >"$work/quiet.txt"
    # "WAY 1 phase NAME S", "WAY 1 initcall NAME S", "WAY 1 total S", "WAY 1 mark NAME S".
    while read -r way _ kind name secs; do
      case $kind in
      phase)
        record sample -id "boot-phases.$profile.$way.$name" -title "$profile boot phase over ${way^^}: ${what[$name]:-$name}" \
          -unit s -run "$i" -value "$secs"
        ;;
      ipconfig)
        record sample -id "boot-phases.$profile.$way.ipconfig-$name" -unit s -run "$i" -value "$secs" \
          -title "$profile boot over ${way^^}: IP autoconfig ${ipc[$name]}"
        ;;
      total)
        record sample -id "boot-phases.$profile.$way.total" -title "$profile boot phases over ${way^^}: sum, power-on -> selftest done" \
          -unit s -run "$i" -value "$name"
        ;;
      esac
    done <"$work/phases.txt"
    # mark FILE: the HTTP boot's power-on -> /init ready.
    mark() { awk '$1 == "http" && $3 == "mark" && $4 == "init" { print $5 }' "$1"; }
    timed_init=$(mark "$work/phases.txt") plain_init=$(mark "$work/plain.txt") quiet_init=$(mark "$work/quiet.txt")
    record sample -id "boot-phases.$profile.console.timed" -title "$profile power-on -> /init ready over HTTP: initcall_debug loglevel=8 vs the bundle's log level" \
      -unit s -run "$i" -value "$timed_init" -compare "$plain_init"
    record sample -id "boot-phases.$profile.console.plain" -title "$profile power-on -> /init ready over HTTP: the bundle's log level (7) vs quiet (4)" \
      -unit s -run "$i" -value "$plain_init" -compare "$quiet_init"
    slow=$(awk '$3 == "initcall" { printf "%s%s %s %.0f ms", sep, $1, $4, $5 * 1000; sep = ", " }' "$work/phases.txt")
    record note "boot-phases: $profile run $i, slowest initcalls: $slow."
  done
done
record note "boot-phases: QEMU TCG on $(nproc) shared cores, SeaBIOS + QEMU's iPXE ROM, rambox serve in a netns;" \
  "the kernel gets printk.time=1 initcall_debug loglevel=8 (the initcall lines cost console output, so these boots are slower than serve-boot's)." \
  "Phases come from the serial log alone (boot/breakdown): phase ends at the host arrival times of their lines (the printk clock runs slow under TCG until the TSC is calibrated, so no one offset maps it to host time)," \
  "the initramfs unpack and ip_auto_config from printk and initcall_debug times; the pings are 3 echo requests, each sent when the last reply is in (ping -A), timed by /init (ping_ms; an older /init sent them 1 s apart, taken as 2 s)." \
  "The console rows compare power-on -> /init ready of the instrumented boot, of the bundle's own command line plus printk.time=1, and of that plus quiet, back to back."
bench_done
