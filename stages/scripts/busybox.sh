#!/bin/sh
# Runs inside the toolchain container. Usage:
#   busybox.sh SRC_ARCHIVE CONFIG_FILE OUT_DIR
# Unpacks the busybox source at a fixed path ($BBSRC), builds a static
# busybox with CONFIG_FILE (rootfs/busybox/busybox.config) and writes to
# OUT_DIR:
#   busybox          the stripped static binary
#   busybox.config   the .config it was built with (after oldconfig)
#   simple.script    examples/udhcp/simple.script, the udhcpc event script
# Reproducibility inputs come from the environment: SOURCE_DATE_EPOCH
# (required). The build date, user and host never reach the binary: busybox
# embeds only AUTOCONF_TIMESTAMP (turned off by KCONFIG_NOTIMESTAMP; the
# banner carries the SOURCE_DATE_EPOCH date instead) and the source path is
# fixed.
# It links against musl (Debian musl-tools' musl-gcc), not glibc: the same
# 50 applets are 403,272 B static with musl against 1,424,888 B with glibc
# (measured 2026-12-05). musl-gcc searches only musl's headers, and a few
# applets include <linux/*.h>; $KHEADERS holds just the kernel's UAPI
# directories (linux, asm, asm-generic, mtd) of the toolchain's
# linux-libc-dev, so no glibc header can shadow a musl one.
# With CROSS_COMPILE set (profile.Arch: arm64 is aarch64-linux-gnu-) it is
# cross-built with that gcc against its static glibc instead: Debian has
# musl for the build machine's architecture only. The cross glibc brings
# its own kernel headers. A cross-built busybox cannot run here, so the
# applet list is checked in busybox.links, made from the same config.
set -eu
CROSS_COMPILE=${CROSS_COMPILE:-}
BBSRC=${BBSRC:-/work/busybox}
KHEADERS=${KHEADERS:-/work/kheaders}
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set}"
export SOURCE_DATE_EPOCH KCONFIG_NOTIMESTAMP=1 LC_ALL=C TZ=UTC

# Applets the rootfs /init (rootfs/tree/init) and its scripts call; the
# build fails if the config lost one, rather than the box at boot.
REQUIRED_APPLETS="sh ash mount umount mkdir chmod ln awk cat cut sed grep echo
hostname mdev dmesg ifconfig route ping free du find wc uname sync reboot
switch_root udhcpc date sort tr head tail ls ps top lsmod ip"

if [ $# -ne 3 ]; then
	echo "usage: busybox.sh SRC_ARCHIVE CONFIG_FILE OUT_DIR" >&2
	exit 2
fi
archive=$1 config=$2 out=$3

echo "rambox-stage: busybox build"
if [ -z "$CROSS_COMPILE" ]; then
	rm -rf "$KHEADERS" && mkdir -p "$KHEADERS"
	for d in linux asm-generic mtd; do ln -s "/usr/include/$d" "$KHEADERS/$d"; done
	ln -s "/usr/include/$(gcc -dumpmachine)/asm" "$KHEADERS/asm"
	set -- CC=musl-gcc EXTRA_CFLAGS="-isystem $KHEADERS"
else
	set -- CROSS_COMPILE="$CROSS_COMPILE"
fi
rm -rf "$BBSRC" && mkdir -p "$BBSRC"
tar -xf "$archive" -C "$BBSRC" --strip-components=1
cp "$config" "$BBSRC/.config"
cd "$BBSRC"

# A complete config makes oldconfig ask nothing; for a stale one, every new
# symbol takes its default (the empty answers).
yes "" | make -s oldconfig >/dev/null
if ! grep -qx 'CONFIG_STATIC=y' .config; then
	echo "busybox: CONFIG_STATIC=y is not set in $config" >&2
	exit 1
fi
settings() { grep -v -e '^#' -e '^$' "$1" | sort; }
# The config must be complete and stable for this busybox: a config that
# oldconfig changes is not the one reviewed (rootfs/busybox/busybox.fragment
# says how to regenerate it).
settings "$config" >/tmp/busybox.config.want
settings .config >/tmp/busybox.config.got
if ! cmp -s /tmp/busybox.config.want /tmp/busybox.config.got; then
	echo "busybox: oldconfig changed $config (- given, + after oldconfig); regenerate it:" >&2
	diff -u /tmp/busybox.config.want /tmp/busybox.config.got | sed -n '3,$p' | grep '^[-+]' >&2 || true
	exit 1
fi

# The banner would read "BusyBox v1.35.0 ()" without a timestamp.
bb_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
make -s -j"$(nproc)" "$@" \
	CFLAGS_messages.o="-DBB_EXTRA_VERSION=\"\\\" (rambox $bb_date)\\\"\"" \
	busybox busybox.links

missing=
for a in $REQUIRED_APPLETS; do
	grep -q "/$a\$" busybox.links || missing="$missing $a"
done
if [ -n "$missing" ]; then
	echo "busybox: applets the rootfs needs are missing:$missing" >&2
	exit 1
fi

mkdir -p "$out"
cp busybox "$out/busybox"
cp .config "$out/busybox.config"
cp examples/udhcp/simple.script "$out/simple.script"
echo "busybox: $(wc -c <busybox) bytes, $(file -b busybox)"
