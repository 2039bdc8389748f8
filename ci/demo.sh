#!/usr/bin/env bash
# The demo's boot-server half, for one built bundle: publish it signed into
# the local OCI layout, PXE-boot it in QEMU from `rambox serve` alone (it
# pulls and verifies the bundle by digest; DHCP, TFTP and HTTP) in a private
# network namespace, and print a short report. RAMBOX_DEMO_SERVER=seed
# takes the seed's way instead: pull into a TFTP root served by real dhcpd +
# tftpd-hpa. Offline. Usage: demo.sh RAMBOX BUNDLE_DIR NAME
set -euo pipefail
rambox=${1:?usage: demo.sh RAMBOX BUNDLE_DIR NAME} dir=${2:?} name=${3:?}
out=$(dirname "$dir")
export COSIGN_PASSWORD=${COSIGN_PASSWORD:-demo}
say() { printf 'demo: %s: %s\n' "$name" "$*" >&2; }

say "publishing signed into oci:$out/oci"
ref=$("$rambox" publish --bundle "$dir" --to "oci:$out/oci:$name" --key "$out/cosign.key")
log=$out/$name.serial.log
if [[ ${RAMBOX_DEMO_SERVER:-serve} == serve ]]; then
  # The node asks for the selftest on its own command line (serve builds
  # each node's from the inventory): ci/demo/nodes.yaml ends with its one
  # node, so the appended line is that node's.
  inventory=$out/nodes-serve.yaml
  { cat ci/demo/nodes.yaml; echo "    cmdline: rambox.selftest"; } >"$inventory"
  say "PXE boot: QEMU (TCG, virtio-net, iPXE) <- rambox serve alone (DHCP, TFTP, HTTP; verifies $ref) in a network namespace..."
  boot_args=(--serve-bundle "$ref" --key "$out/cosign.pub" --inventory "$inventory")
else
  # The seed's way: pull into a TFTP root, dhcpd + tftpd-hpa serve it.
  say "pulling $ref"
  "$rambox" pull "$ref" --key "$out/cosign.pub" --tftp-root "$out/tftp-$name" --inventory ci/demo/nodes.yaml >/dev/null
  say "PXE boot: QEMU (TCG, virtio-net) <- dhcpd + tftpd-hpa in a network namespace..."
  boot_args=(--tftp-root "$out/tftp-$name" --net netns --inventory ci/demo/nodes.yaml --append-extra rambox.selftest)
fi
start=$(date +%s%N)
"$rambox" boot "${boot_args[@]}" --log "$log" 2>"$out/$name.boot.log" || { tail -20 "$out/$name.boot.log" >&2; exit 1; }
end=$(date +%s%N)
block=$(tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' | sed -n '/^RAMBOX-SELFTEST-BEGIN$/,/^RAMBOX-SELFTEST-END$/p')
if [[ $block != *RAMBOX-SELFTEST-END ]]; then
  say "no complete selftest block; serial log: $log"
  exit 1
fi
field() { sed -n "s/^$1=//p" <<<"$block"; }
verdict=PASS
[[ $(field root_fstype) == rootfs && $(field hostname) == rambox && $(field ping) == ok && $(field eth0_ip) == 10.42.0.10 ]] || verdict=FAIL
printf '%s\n' \
  "demo: $name" \
  "  bundle            $ref" \
  "  kernel            $(field kernel)  bzImage $(stat -c %s "$dir/bzImage") bytes" \
  "  initramfs         $(stat -c %s "$dir/initramfs.cpio.gz") bytes" \
  "  eth0 (kernel DHCP) $(field eth0_ip) from $(field ipconfig_server), ping $(field ping) ($(field ping_received)/3)" \
  "  memory used       $(field mem_used_kb) KiB of $(field mem_total_kb) KiB; rootfs $(field rootfs_kb) KiB on $(field root_fstype)" \
  "  boot              PXE power-on to selftest done $(( (end - start) / 1000000 )) ms (incl. netns and server setup; ${RAMBOX_DEMO_SERVER:-serve})" \
  "  selftest          $verdict   (serial log $log)"
[[ $verdict == PASS ]]
