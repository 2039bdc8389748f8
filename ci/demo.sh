#!/usr/bin/env bash
# Boots a kernel and initramfs in QEMU (TCG) to the rambox selftest and
# prints a short report. Offline. Usage: demo.sh BUNDLE_DIR [NAME]
# BUNDLE_DIR holds bzImage and initramfs.cpio.gz (rambox build --out).
set -euo pipefail
dir=${1:?usage: demo.sh BUNDLE_DIR [NAME]}
name=${2:-$(basename "$dir")}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "demo: $name: PXE-less boot in QEMU (TCG, virtio-net, kernel DHCP)..." >&2
start=$(date +%s%N)
timeout 180 qemu-system-x86_64 -machine accel=tcg -m 256 -nographic -no-reboot \
  -kernel "$dir/bzImage" -initrd "$dir/initramfs.cpio.gz" \
  -append "console=ttyS0 ip=dhcp rambox.selftest" \
  -nic user,model=virtio-net-pci >"$log" 2>&1 || true
end=$(date +%s%N)
block=$(tr -d '\r' <"$log" | sed -n '/^RAMBOX-SELFTEST-BEGIN$/,/^RAMBOX-SELFTEST-END$/p')
if [[ $block != *RAMBOX-SELFTEST-END ]]; then
  echo "demo: $name: no complete selftest block; serial log follows" >&2
  cat "$log" >&2
  exit 1
fi
field() { sed -n "s/^$1=//p" <<<"$block"; }
verdict=PASS
[[ $(field root_fstype) == rootfs && $(field hostname) == rambox && $(field ping) == ok && -n $(field eth0_ip) ]] || verdict=FAIL
printf '%s\n' \
  "demo: $name" \
  "  kernel            $(field kernel)  bzImage $(stat -c %s "$dir/bzImage") bytes  sha256 $(sha256sum "$dir/bzImage" | cut -c1-16)…" \
  "  initramfs         $(stat -c %s "$dir/initramfs.cpio.gz") bytes  sha256 $(sha256sum "$dir/initramfs.cpio.gz" | cut -c1-16)…" \
  "  eth0 (kernel DHCP) $(field eth0_ip) from $(field ipconfig_server), ping $(field ping) ($(field ping_received)/3)" \
  "  memory used       $(field mem_used_kb) KiB of $(field mem_total_kb) KiB; rootfs $(field rootfs_kb) KiB on $(field root_fstype)" \
  "  boot              selftest at $(field uptime_ms) ms kernel uptime; power-on to power-off $(( (end - start) / 1000000 )) ms" \
  "  selftest          $verdict"
[[ $verdict == PASS ]]
