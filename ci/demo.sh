#!/usr/bin/env bash
# Boots an initramfs in QEMU (TCG) with Debian's cloud kernel and prints
# the selftest block /init reports. Offline: everything comes from the
# local caches that `just deps` filled.
set -euo pipefail
initrd=${1:?usage: demo.sh INITRAMFS}
kernel=$(bash "$(dirname "$0")/test-kernel.sh")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "demo: booting $initrd with $(basename "$(dirname "$kernel")") in QEMU (TCG)..."
start=$(date +%s%N)
timeout 180 qemu-system-x86_64 -machine accel=tcg -m 256 -nographic -no-reboot \
  -kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 quiet rambox.selftest" \
  -nic user,model=virtio-net-pci >"$log" 2>&1
end=$(date +%s%N)
block=$(tr -d '\r' <"$log" | sed -n '/^RAMBOX-SELFTEST-BEGIN$/,/^RAMBOX-SELFTEST-END$/p')
if [[ -z $block || $block != *RAMBOX-SELFTEST-END ]]; then
  echo "demo: no complete selftest block; serial log follows" >&2
  cat "$log" >&2
  exit 1
fi
echo "$block"
echo "demo: initramfs $(stat -c %s "$initrd") bytes, sha256 $(sha256sum "$initrd" | cut -c1-16)…, power-on to power-off $(( (end - start) / 1000000 )) ms"
