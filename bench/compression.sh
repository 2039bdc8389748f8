#!/usr/bin/env bash
# Benchmark of the compressions each profile could use, for choosing its
# defaults by figures: the kernel image in gzip and xz (CONFIG_KERNEL_*),
# the initramfs in gzip, xz and, from linux 5.9, zstd (profile.env
# INITRAMFS_COMPRESSION). Per profile (default linux-6.1, and linux-2.6.39
# when its source is in the source cache or LINUX_2639_TARBALL names a
# local linux-2.6.39.tar.bz2) it builds four bundles (three for 2.6.39,
# which has no zstd) through `rambox build` from a copy of the profile,
# all under the profile's own name (so they share its kernel object tree
# and each rebuild is incremental): kernel gzip with each initramfs
# compression, and kernel xz with initramfs gzip. Each variant's fragment
# has RD_GZIP plus the one decompressor its initramfs needs, so the
# kernel's growth per decompressor is measured too, and the copy's budgets
# are lifted (a gzip 2.6.39 bzImage is over its own). Then $RUNS rounds
# (default 3), each booting every variant once over HTTP and once over
# TFTP from `rambox serve` (bench/internal/bootbreak: printk.time=1
# initcall_debug loglevel=8), record the kernel's decompression (the
# loader's fetch done -> "Linux version"), the initramfs unpack (printk)
# and power-on -> /init ready, with every variant's exact sizes.
# Records bench/results/compression.jsonl.
# Run through `just bench-compression`.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-3}
profiles=("$@")
[[ ${#profiles[@]} -gt 0 ]] || profiles=(linux-6.1 linux-2.6.39)
epoch=1700000000
bench_init compression
go build -o "$work/bootbreak" ./bench/internal/bootbreak
export COSIGN_PASSWORD=bench
"$work/rambox" keygen --dir "$work" >/dev/null

# source_flag PROFILE: prints the --source override this bench builds
# PROFILE from, or nothing when the pinned source is in the cache; returns
# 1 when there is no source for it here.
source_flag() {
  case $1 in
  linux-6.1)
    local src=/usr/src/linux-source-6.1.tar.xz
    echo "--source linux=$src@sha256:$(sha256sum "$src" | cut -d' ' -f1)"
    ;;
  linux-2.6.39)
    if "$work/rambox" fetch --pin "kernel-configs/$1/sources.json" --offline >/dev/null 2>&1; then
      return 0
    fi
    [[ -n ${LINUX_2639_TARBALL:-} && -f $LINUX_2639_TARBALL ]] || return 1
    echo "--source linux=$LINUX_2639_TARBALL@sha256:$(sha256sum "$LINUX_2639_TARBALL" | cut -d' ' -f1)"
    ;;
  *) return 1 ;;
  esac
}

# build PROFILE OUT: builds $work/profiles/PROFILE (as prepared) into OUT.
# Every variant of a profile is built under the profile's own name, so all
# share its kernel object tree and each rebuild is incremental.
build() {
  # shellcheck disable=SC2086 # the source flag is two words or none
  "$work/rambox" build $srcflag --epoch "$epoch" --profiles "$work/profiles" --profile "$1" \
    --out "$2" --log "$work/engine.log" >"$work/last.log" 2>&1 || {
    echo "bench: building $(basename "$2") failed:" >&2
    tail -30 "$work/last.log" >&2
    exit 1
  }
}

# variant PROFILE KERNEL INITRAMFS: builds the profile with those two
# compressions into $work/v/PROFILE.kKERNEL.iINITRAMFS, its fragment's
# initramfs decompressors replaced by RD_GZIP (what a seed-style initramfs
# needs) and the one INITRAMFS needs.
variant() {
  local p=$1 kc=$2 ic=$3 prof=$work/profiles/$1 c
  rm -rf "$prof" && cp -r "kernel-configs/$p" "$prof"
  local frag=$prof/fragment.config
  sed -i -E '/^(# )?CONFIG_(KERNEL_(GZIP|XZ|BZIP2|LZMA|LZO|LZ4|ZSTD)|RD_[A-Z0-9]+)[= ]/d' "$frag"
  {
    echo "## bench/compression.sh: kernel $kc, initramfs $ic"
    for c in GZIP XZ; do
      if [[ $c == "${kc^^}" ]]; then echo "CONFIG_KERNEL_$c=y"; else echo "# CONFIG_KERNEL_$c is not set"; fi
    done
    echo "CONFIG_RD_GZIP=y"
    [[ $ic == gzip ]] || echo "CONFIG_RD_${ic^^}=y"
  } >>"$frag"
  sed -i '/^INITRAMFS_COMPRESSION=/d' "$prof/profile.env"
  echo "INITRAMFS_COMPRESSION=$ic" >>"$prof/profile.env"
  # Budgets are the shipped profile's business; the variants only measure.
  sed -i -E 's/: *[0-9]+/: 100000000/' "$prof/budgets.json"
  echo "bench: $p: building kernel $kc, initramfs $ic..." >&2
  build "$p" "$work/v/$p.k$kc.i$ic"
  dirs+=("$work/v/$p.k$kc.i$ic")
}

mkdir -p "$work/profiles" "$work/v"
for p in "${profiles[@]}"; do
  if ! srcflag=$(source_flag "$p"); then
    echo "bench: no $p source here, skipping it" >&2
    record note "compression: no $p source here (not in the source cache, LINUX_2639_TARBALL not set), so no $p figures."
    continue
  fi
  dirs=()
  inits=(gzip xz)
  [[ $p == linux-2.6.39 ]] || inits+=(zstd)
  for ic in "${inits[@]}"; do variant "$p" gzip "$ic"; done
  variant "$p" xz gzip
  base=$work/v/$p.kgzip.igzip
  if [[ $p == linux-2.6.39 ]]; then
    record note "compression: linux-2.6.39 without CONFIG_EXPERT builds every RD_* decompressor in (they have no prompt and default y), so RD_XZ adds nothing there."
  fi
  kf=bzImage # both profiles source_flag knows are x86
  for d in "${dirs[@]}"; do
    v=$(basename "$d") && kc=${v#*.k} && kc=${kc%%.*} && ic=${v##*.i}
    if [[ $ic == gzip ]]; then
      record sample -id "compression.$p.size.kernel-$kc" -title "$p: $kf size, kernel $kc (RD_GZIP only)" -unit B -run 1 -value "$(stat -c %s "$d/$kf")"
    fi
    if [[ $kc == gzip ]]; then
      record sample -id "compression.$p.size.initramfs-$ic" -title "$p: initramfs size, $ic" -unit B -run 1 -value "$(stat -c %s "$d/initramfs.cpio.gz")"
    fi
    if [[ $kc == gzip && $ic != gzip ]]; then
      record sample -id "compression.$p.size.rd-$ic" -unit B -run 1 -value "$(($(stat -c %s "$d/$kf") - $(stat -c %s "$base/$kf")))" \
        -title "$p: what CONFIG_RD_${ic^^} adds to the $kf (kernel gzip)"
    fi
    "$work/rambox" publish --bundle "$d" --to "oci:$work/oci:$v" --key "$work/cosign.key" >"$work/$v.ref"
  done
  for ((i = 1; i <= runs; i++)); do
    for d in "${dirs[@]}"; do
      v=$(basename "$d") && kc=${v#*.k} && kc=${kc%%.*} && ic=${v##*.i}
      echo "bench: $p round $i/$runs: booting kernel $kc, initramfs $ic..." >&2
      "$work/bootbreak" -rambox "$work/rambox" -key "$work/cosign.pub" -bundle-file "$work/$v.ref" -runs 1 >"$work/phases.txt"
      # "WAY 1 decompress kernel|initramfs S", "WAY 1 mark init S".
      while read -r way _ kind name secs; do
        case $kind/$name in
        decompress/kernel)
          [[ $ic == gzip ]] || continue # kernel gzip: the kgzip.igzip variant's
          record sample -id "compression.$p.$way.kernel-$kc" -unit s -run "$i" -value "$secs" \
            -title "$p over ${way^^}: kernel $kc, its decompression (fetch done -> Linux version)"
          ;;
        decompress/initramfs)
          [[ $kc == gzip ]] || continue
          record sample -id "compression.$p.$way.initramfs-$ic" -unit s -run "$i" -value "$secs" \
            -title "$p over ${way^^}: initramfs $ic, its unpack (printk)"
          ;;
        mark/init)
          record sample -id "compression.$p.$way.init.k$kc.i$ic" -unit s -run "$i" -value "$secs" \
            -title "$p over ${way^^}: kernel $kc, initramfs $ic: power-on -> /init ready"
          ;;
        esac
      done <"$work/phases.txt"
    done
  done
done
record note "compression: QEMU TCG on $(nproc) shared cores, SeaBIOS + QEMU's iPXE ROM, rambox serve in a netns (bench/internal/bootbreak)," \
  "each round boots every variant back to back over HTTP and TFTP with printk.time=1 initcall_debug loglevel=8." \
  "Each variant differs from the kernel gzip / initramfs gzip one in one compression (and the decompressor that needs, whose" \
  "size the rd rows give). The kernel's decompression is the host time from the" \
  "loader's fetch done to the kernel's first line, the initramfs unpack the printk span 'Trying to unpack rootfs' -> 'Freeing initrd memory'."
bench_done
