#!/bin/sh
# Runs inside the toolchain container, two steps Dagger caches separately:
#   uki.sh build STUB OUT EPOCH NAME=FILE@VMA...  -> OUT, the unsigned UKI
#   uki.sh sign UKI KEY CERT OUT                  -> OUT, UKI signed
# build adds each FILE to systemd-stub as section NAME at VMA (systemd 252
# has no ukify; this is the objcopy recipe its documentation gives, with
# VMAs the pipeline computes from the stub's own sections, see
# stages.LayoutUKI), then pe-stamp.pl makes the PE header reproducible.
# sign runs sbsign, then checks the result: sbverify accepts it
# with CERT, and `sbattach --remove` gives back the unsigned bytes.
set -eu
export LC_ALL=C TZ=UTC
here=$(dirname "$0") # pe-stamp.pl lies beside it
case "$1" in
build)
	stub=$2 out=$3 epoch=$4
	shift 4
	echo "rambox-stage: uki"
	set -- "$@" END
	while [ "$1" != END ]; do
		name=${1%%=*} rest=${1#*=}
		file=${rest%@*} vma=${rest##*@}
		set -- "$@" --add-section "$name=$file" --change-section-vma "$name=$vma" \
			--set-section-flags "$name=data,readonly"
		shift
	done
	shift # END
	objcopy "$@" "$stub" "$out"
	perl "$here/pe-stamp.pl" "$out" "$epoch"
	objdump -h "$out" >&2
	;;
sign)
	uki=$2 key=$3 cert=$4 out=$5
	echo "rambox-stage: uki sign"
	sbsign --key "$key" --cert "$cert" --output "$out" "$uki"
	sbverify --cert "$cert" "$out"
	cp "$out" /tmp/stripped.efi
	sbattach --remove /tmp/stripped.efi
	cmp /tmp/stripped.efi "$uki"
	rm /tmp/stripped.efi
	;;
*)
	echo "uki.sh: unknown step $1" >&2
	exit 2
	;;
esac
