#!/bin/sh
# Runs inside the toolchain container. Usage:
#   kernel.sh configure SRC_ARCHIVE PROFILE_DIR   -> $KSRC/.config
#   kernel.sh build OUT_DIR                       -> OUT_DIR/bzImage, OUT_DIR/kernel.config
# The source always unpacks at the same path ($KSRC) so that no build path
# differs between machines; PROFILE_DIR holds fragment.config, profile.env
# (CONFIG_FINISH, MAKE_VARS) and patches/*.patch applied in name order.
# Reproducibility inputs come from the environment: SOURCE_DATE_EPOCH,
# KBUILD_BUILD_USER, KBUILD_BUILD_HOST, KBUILD_BUILD_VERSION.
set -eu
KSRC=${KSRC:-/work/linux}
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set}"
export KBUILD_BUILD_TIMESTAMP="$(date -u -d "@$SOURCE_DATE_EPOCH" '+%a %b %e %H:%M:%S UTC %Y')"
export KBUILD_BUILD_USER="${KBUILD_BUILD_USER:-rambox}"
export KBUILD_BUILD_HOST="${KBUILD_BUILD_HOST:-rambox}"
export KBUILD_BUILD_VERSION="${KBUILD_BUILD_VERSION:-1}"
export LC_ALL=C TZ=UTC

case "$1" in
configure)
	archive=$2 profile=$3
	echo "rambox-stage: kernel configure"
	rm -rf "$KSRC" && mkdir -p "$KSRC"
	tar -xf "$archive" -C "$KSRC" --strip-components=1
	for p in "$profile"/patches/*.patch; do
		[ -e "$p" ] || continue
		echo "kernel: applying $(basename "$p")"
		patch -d "$KSRC" -p1 --quiet --forward < "$p"
	done
	cp "$profile/profile.env" "$KSRC/.rambox-profile.env"
	. "$profile/profile.env"
	cd "$KSRC"
	make -s ARCH=x86_64 KCONFIG_ALLCONFIG="$profile/fragment.config" allnoconfig
	make -s ARCH=x86_64 "$CONFIG_FINISH" </dev/null
	;;
build)
	out=$2
	echo "rambox-stage: kernel build"
	. "$KSRC/.rambox-profile.env"
	cd "$KSRC"
	# shellcheck disable=SC2086 # MAKE_VARS is a list of VAR=value words
	make -s ARCH=x86_64 -j"$(nproc)" ${MAKE_VARS:-} \
		KCFLAGS="-fmacro-prefix-map=$KSRC/=" bzImage
	mkdir -p "$out"
	cp arch/x86/boot/bzImage "$out/bzImage"
	cp .config "$out/kernel.config"
	;;
*)
	echo "usage: kernel.sh configure ARCHIVE PROFILE_DIR | build OUT_DIR" >&2
	exit 2
	;;
esac
