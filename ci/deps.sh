#!/usr/bin/env bash
# Installs what rambox's builds, tests and demo need on Debian 12, and puts
# the pinned busybox source into the content-addressed cache. Idempotent:
# a second run installs nothing and downloads nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cpio gzip file tzdata
  busybox-static           # the static busybox the initramfs tests boot with
  qemu-system-x86          # TCG boots of the initramfs and, later, PXE
  qemu-system-arm          # qemu-system-aarch64: TCG boots of the linux-6.1-arm64 bundle (-M virt)
  qemu-efi-aarch64         # AAVMF (/usr/share/AAVMF): UEFI firmware for arm64 boots
  linux-source-6.1         # the linux-6.1 profile's source in CI (--source override)
  isc-dhcp-server          # dhcpd -t checks the generated dhcpd.conf
  kea-dhcp4-server         # kea-dhcp4 -t checks rambox kea-conf's output; e2e runs it beside serve --dhcp proxy
  docker-registry          # the loopback registry publish/pull tests use
  pxelinux syslinux-common # pxelinux.0 and ldlinux.c32 for TFTP roots
  tftpd-hpa dnsmasq-base iproute2  # rambox boot --net netns: TFTP, IPv6 RAs, netns/bridge/tap
  ovmf                     # rambox boot --firmware ovmf: UEFI clients (OVMF_CODE_4M.fd, OVMF_VARS_4M.fd); ovmf-secureboot (secboot code, snakeoil vars)
  sbsigntool               # e2e/secureboot_test.go: sbattach/sbsign make the unsigned and wrong-key UKIs the Secure Boot firmware must refuse
  syslinux-efi             # syslinux.efi, ldlinux.e64: what rambox serve hands UEFI pxelinux nodes
  ipxe                     # undionly.kpxe, ipxe.efi, snponly.efi: the loaders rambox serve hands out (and boot/ e2e tests)
  tftp-hpa curl            # serve/tftp and e2e/serve_test.go: real TFTP (and HTTP) clients (curl with tftp://, --tftp-blksize)
  diffoscope-minimal       # the repro gate's report on a difference
  shellcheck               # actionlint checks the workflow's run: scripts with it
  chromium                 # serve/status and e2e: the status page in real headless Chromium
  prometheus               # promtool check metrics on serve's /metrics
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Only promtool is wanted from prometheus: where its postinst started the
# server (systemd hosts; it would hold :9090 and scrape), stop and disable it.
if [[ -d /run/systemd/system ]] && systemctl is-enabled --quiet prometheus 2>/dev/null; then
  systemctl disable --now prometheus >/dev/null 2>&1
fi

# kea-dhcp4-server's package enables (and, under systemd, starts) the
# daemon; the tests run their own in namespaces, and a host kea-dhcp4 would
# hold port 67. Disabling works without a running systemd too.
if command -v systemctl >/dev/null && systemctl is-enabled --quiet kea-dhcp4-server 2>/dev/null; then
  echo "deps: disabling kea-dhcp4-server (the tests start their own)"
  systemctl disable kea-dhcp4-server >/dev/null 2>&1
fi
if command -v systemctl >/dev/null && [ -d /run/systemd/system ] && systemctl is-active --quiet kea-dhcp4-server; then
  systemctl stop kea-dhcp4-server
fi

# The busybox pin (rootfs/busybox/sources.json) is busybox.net's tarball;
# Debian's orig tarball is the same bytes, so where only Debian's archive is
# reachable it fills the cache. `rambox fetch` checks the sha256 either way.
rambox() { go run ./cmd/rambox "$@"; }
if ! rambox fetch --pin rootfs/busybox/sources.json --offline >/dev/null 2>&1; then
  if ! grep -qs '^Types: deb deb-src' /etc/apt/sources.list.d/debian.sources; then
    echo "deps: enabling Debian source packages"
    sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources
    apt-get update -qq
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get source --download-only -qq busybox >/dev/null 2>&1)
  rambox fetch --pin rootfs/busybox/sources.json --file "$tmp"/busybox_*.orig.tar.bz2
fi

# GRUB's arm64 EFI netboot image, which rambox serve hands arm64 UEFI
# nodes. grub-efi-arm64-bin is an arm64 package (not co-installable on an
# amd64 host with the amd64 grub-common it depends on), so only its .deb is
# fetched, through apt's arm64 index, checked against the pin, and the one
# file unpacked to the path the package would install it to.
grub_deb=grub-efi-arm64-bin_2.06-13+deb12u2_arm64.deb
grub_deb_sha256=04e469e0221a357bfe0a1f0fc558f08a92edf99ef13c321aa9ea1e04951a2914
grub_efi=/usr/lib/grub/arm64-efi/monolithic/grubnetaa64.efi
if [[ ! -f $grub_efi ]]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "deps: adding the arm64 architecture to apt (for grub-efi-arm64-bin's .deb)"
    dpkg --add-architecture arm64
  fi
  tmp_grub=$(mktemp -d)
  version=${grub_deb#grub-efi-arm64-bin_}
  version=${version%_arm64.deb}
  if ! (cd "$tmp_grub" && apt-get download -qq -o APT::Sandbox::User=root "grub-efi-arm64-bin:arm64=$version" 2>/dev/null); then
    apt-get update -qq
    (cd "$tmp_grub" && apt-get download -qq -o APT::Sandbox::User=root "grub-efi-arm64-bin:arm64=$version")
  fi
  echo "$grub_deb_sha256  $tmp_grub/$grub_deb" | sha256sum -c --quiet - ||
    { echo "deps: $grub_deb does not match its pinned sha256" >&2; exit 1; }
  dpkg-deb -x "$tmp_grub/$grub_deb" "$tmp_grub/x"
  install -D -m 0644 "$tmp_grub/x$grub_efi" "$grub_efi"
  rm -rf "$tmp_grub"
fi
