#!/bin/sh
# Runs inside the toolchain container, in three steps that Dagger caches
# separately:
#   kernel.sh unpack ARCHIVE PATCHES_DIR  -> the patched source at $KSRC
#   kernel.sh configure PROFILE_DIR       -> $KCONF/.config
#   kernel.sh build OUT_DIR               -> OUT_DIR/$KERNEL_IMAGE, OUT_DIR/kernel.config
# configure and build work out of tree (make O=): the source stays
# pristine, configuring never unpacks again, and build keeps its objects in
# $KOBJ (a cache volume), so a small config change recompiles only what it
# touches. Every path is fixed, so none differs between machines.
# A fragment change reruns configure and build only, so neither does work
# that unpack can do once: unpack compiles the Kconfig tools into $KCONF
# and records Kconfig's compiler probes (KCONFIG_SHELL_CACHE below), and
# build leaves .config to kbuild's own syncconfig (each Kconfig run costs
# ~1 s here, ~0.7 s of it ~90 compiler probes, ~0.3 s with them
# recorded); build's make records kbuild's own probes too
# (KBUILD_TRY_RUN_CACHE). Each step prints how long its phases took
# ("kernel: PHASE took N ms"), for the engine log and the bench.
# PROFILE_DIR holds fragment.config and profile.env (CONFIG_FINISH: a
# Kconfig target run after allnoconfig, or none; MAKE_VARS); PATCHES_DIR
# holds *.patch, applied in name order.
# Reproducibility inputs come from the environment: SOURCE_DATE_EPOCH,
# KBUILD_BUILD_USER, KBUILD_BUILD_HOST, KBUILD_BUILD_VERSION.
# The architecture too (profile.Arch, from profile.env's ARCH): ARCH (the
# kernel's ARCH=), CROSS_COMPILE (empty for the toolchain's own gcc),
# KERNEL_IMAGE (the make target and output name) and KERNEL_IMAGE_PATH
# (where kbuild writes it in the object tree).
set -eu
KSRC=${KSRC:-/work/linux}
KCONF=${KCONF:-/work/kconf}
KOBJ=${KOBJ:-/work/kobj}
: "${ARCH:?ARCH must be set}" "${KERNEL_IMAGE:?KERNEL_IMAGE must be set}" "${KERNEL_IMAGE_PATH:?KERNEL_IMAGE_PATH must be set}"
CROSS_COMPILE=${CROSS_COMPILE:-}
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set}"
export KBUILD_BUILD_TIMESTAMP="$(date -u -d "@$SOURCE_DATE_EPOCH" '+%a %b %e %H:%M:%S UTC %Y')"
export KBUILD_BUILD_USER="${KBUILD_BUILD_USER:-rambox}"
export KBUILD_BUILD_HOST="${KBUILD_BUILD_HOST:-rambox}"
export KBUILD_BUILD_VERSION="${KBUILD_BUILD_VERSION:-1}"
export LC_ALL=C TZ=UTC
# Kconfig's $(shell,...) results (compiler probes), for kernels whose
# profile patches Kconfig to read them (linux-6.1's
# 0001-kconfig-shell-cache): unpack's Kconfig run fills the file in the
# configure tree, and configure and build's syncconfig, which both run on
# top of unpack's tree, reuse it instead of probing again. Other kernels
# ignore the variable.
export KCONFIG_SHELL_CACHE="$KCONF/.kconfig-shell-cache"
# kbuild's try-run results (its Makefiles' compiler probes), for kernels
# whose profile patches kbuild to read them (linux-6.1's
# 0003-kbuild-try-run-cache), one file per tree: in the configure tree
# as above, and build's in its object tree (build sets it), whose cache
# volume is one per toolchain, so build's make probes once per tree, not
# in every run. Other kernels ignore the variable.
export KBUILD_TRY_RUN_CACHE="$KCONF/.try-run-cache"

# kmake ARGS...: make in the source tree for $ARCH, with the cross
# compiler when there is one (none on the make line otherwise).
kmake() {
	make -s -C "$KSRC" ARCH="$ARCH" ${CROSS_COMPILE:+CROSS_COMPILE="$CROSS_COMPILE"} "$@"
}

# phase NAME CMD...: runs CMD and prints how long it took.
phase() {
	_name=$1 _t0=$(date +%s%N)
	shift
	"$@"
	echo "kernel: $_name took $((($(date +%s%N) - _t0) / 1000000)) ms"
}

case "$1" in
unpack)
	archive=$2 patches=$3
	echo "rambox-stage: kernel unpack"
	rm -rf "$KSRC" && mkdir -p "$KSRC"
	tar -xf "$archive" -C "$KSRC" --strip-components=1
	for p in "$patches"/*.patch; do
		[ -e "$p" ] || continue
		echo "kernel: applying $(basename "$p")"
		patch -d "$KSRC" -p1 --quiet --forward < "$p"
	done
	# Compiles fixdep and the Kconfig tools into $KCONF (its .config is
	# thrown away), so configure, which reruns on every fragment change,
	# finds them built. 2.6.39's Makefile does not create the O= directory
	# itself, as 6.1's does ("output directory ... does not exist").
	mkdir -p "$KCONF"
	rm -f "$KCONFIG_SHELL_CACHE" "$KBUILD_TRY_RUN_CACHE"
	phase kconfig-tools kmake O="$KCONF" allnoconfig
	rm -f "$KCONF/.config" "$KCONF/.config.old"
	;;
configure)
	profile=$2
	echo "rambox-stage: kernel configure"
	# allnoconfig writes .config from the fragment alone: no earlier
	# .config is read, so the tools unpack left are all that is reused.
	rm -f "$KCONF/.config" "$KCONF/.config.old"
	cp "$profile/profile.env" "$KCONF/.rambox-profile.env"
	. "$profile/profile.env"
	phase allnoconfig kmake O="$KCONF" KCONFIG_ALLCONFIG="$profile/fragment.config" allnoconfig
	# CONFIG_FINISH=none: allnoconfig's .config is final as it is.
	[ "$CONFIG_FINISH" = none ] ||
		phase "$CONFIG_FINISH" kmake O="$KCONF" "$CONFIG_FINISH" </dev/null
	;;
build)
	out=$2
	echo "rambox-stage: kernel build"
	. "$KCONF/.rambox-profile.env"
	mkdir -p "$KOBJ"
	export KBUILD_TRY_RUN_CACHE="$KOBJ/.try-run-cache"
	# Replace the config only when it changed, so an unchanged config keeps
	# every object up to date. configure's .config is final (its finisher
	# ran), so it is not finished again here: a new .config is newer than
	# include/config/auto.conf, and kbuild's syncconfig (silentoldconfig
	# before 4.19) then updates auto.conf and the per-option stamps that
	# decide which objects recompile.
	cmp -s "$KCONF/.config" "$KOBJ/.config" 2>/dev/null || cp "$KCONF/.config" "$KOBJ/.config"
	# The probe file gains a line for each new compiler command line a
	# config brings, and every make that probes reads it all: past 1,000
	# lines (~60 are current) it starts again.
	if [ -f "$KBUILD_TRY_RUN_CACHE" ] && [ "$(wc -l <"$KBUILD_TRY_RUN_CACHE")" -gt 1000 ]; then
		rm -f "$KBUILD_TRY_RUN_CACHE"
	fi
	# shellcheck disable=SC2086 # MAKE_VARS is a list of VAR=value words
	phase make kmake O="$KOBJ" -j"$(nproc)" ${MAKE_VARS:-} \
		KCFLAGS="-fmacro-prefix-map=$KSRC/= -fmacro-prefix-map=$KOBJ/=" "$KERNEL_IMAGE" </dev/null
	mkdir -p "$out"
	cp "$KOBJ/$KERNEL_IMAGE_PATH" "$out/$KERNEL_IMAGE"
	cp "$KOBJ/.config" "$out/kernel.config"
	;;
*)
	echo "usage: kernel.sh unpack ARCHIVE PATCHES_DIR | configure PROFILE_DIR | build OUT_DIR" >&2
	exit 2
	;;
esac
