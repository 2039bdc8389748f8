#!/usr/bin/env bash
# Ship a signed boot bundle: the script the GitHub workflow
# (ci/github/release.yml) runs, and any other CI system can run as it is.
#
#   1. set up: Debian packages, a Dagger engine (Docker's, or a local one),
#      the toolchain rootfs;
#   2. the reproducibility gate (ci/repro.sh): two clean builds with
#      different host and user names, compared file by file, the SBOM
#      included; any difference fails the release;
#   3. publish build a to the registry, with its SBOM and SLSA provenance
#      attached as OCI referrers, all signed;
#   4. pull it back by digest and verify signature, blobs and attachments;
#   5. print the pinned ref for boot servers (stdout's only line; also in
#      $GITHUB_OUTPUT as `ref` and in $GITHUB_STEP_SUMMARY when set).
#
# Usage: ci/release.sh --profile NAME [--profile NAME2 ...] --to REGISTRY/REPO[:TAG] [rambox build flags...]
# One profile publishes one bundle manifest; several (one per architecture,
# e.g. linux-6.1 and linux-6.1-arm64) each pass the gate, then publish as
# one signed multi-arch OCI image index, and every platform is pulled back.
# Signing (one of):
#   COSIGN_PRIVATE_KEY  the cosign.key text (a CI secret), with COSIGN_PASSWORD
#   COSIGN_KEY_FILE     a path to cosign.key, with COSIGN_PASSWORD
#   RAMBOX_KEYLESS=1    cosign keyless (OIDC): the cosign CLI on PATH and an
#                       identity token (GitHub: permissions id-token: write);
#                       RAMBOX_CERT_IDENTITY and RAMBOX_CERT_ISSUER, when set,
#                       are checked at step 4.
# Registry credentials: RAMBOX_REGISTRY_USERNAME / RAMBOX_REGISTRY_PASSWORD,
# or what `docker login` saved. Outputs go to RAMBOX_RELEASE_OUT
# (default artifacts/release): repro/<profile>/ (both builds, diffoscope reports),
# attachments/<profile>/, publish.log, cosign.pub, ref; never a private key. No set-up step sees
# COSIGN_PRIVATE_KEY or COSIGN_PASSWORD in its environment.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "release: $*" >&2; exit 2; }

to="" profiles=() build_args=()
while (($#)); do
  case $1 in
  --to) to=${2:?--to needs a value}; shift 2 ;;
  --to=*) to=${1#--to=}; shift ;;
  --profile) profiles+=("${2:?--profile needs a value}"); shift 2 ;;
  --profile=*) profiles+=("${1#--profile=}"); shift ;;
  *) build_args+=("$1"); shift ;;
  esac
done
[[ -n $to ]] || die "--to REGISTRY/REPO[:TAG] is required"
((${#profiles[@]})) || die "--profile NAME is required (repeat it, one per architecture, for a multi-arch index)"
[[ $to != oci:* ]] || [[ -z ${RAMBOX_KEYLESS:-} ]] || die "keyless signing needs a registry, not $to"

out=${RAMBOX_RELEASE_OUT:-artifacts/release}
rm -rf "$out" && mkdir -p "$out"
# However the script ends, no private key stays: neither the secret's
# copy (keydir, below) nor the gate's throwaway key in the outputs.
keydir=""
cleanup() {
  if [[ -n $keydir ]]; then rm -rf "$keydir"; fi
  rm -f "$out"/repro/*/cosign.key
}
trap cleanup EXIT
sign=() trust=()
if [[ -n ${RAMBOX_KEYLESS:-} ]]; then
  command -v "${RAMBOX_COSIGN:-cosign}" >/dev/null || die "RAMBOX_KEYLESS needs the cosign CLI on PATH (or RAMBOX_COSIGN)"
  sign=(--keyless)
  if [[ -n ${RAMBOX_CERT_IDENTITY:-} ]]; then
    trust=(--certificate-identity "$RAMBOX_CERT_IDENTITY" --certificate-oidc-issuer "${RAMBOX_CERT_ISSUER:?RAMBOX_CERT_ISSUER goes with RAMBOX_CERT_IDENTITY}")
  fi
else
  key=${COSIGN_KEY_FILE:-}
  if [[ -z $key ]]; then
    [[ -n ${COSIGN_PRIVATE_KEY:-} ]] || die "no signing key: set COSIGN_PRIVATE_KEY (secret), COSIGN_KEY_FILE, or RAMBOX_KEYLESS=1"
    # The secret goes to a private directory outside the outputs (which CI
    # may upload).
    keydir=$(mktemp -d)
    key=$keydir/cosign.key
    (umask 077 && printf '%s\n' "$COSIGN_PRIVATE_KEY" >"$key")
  fi
  [[ -f $key ]] || die "COSIGN_KEY_FILE $key does not exist"
  [[ -n ${COSIGN_PASSWORD+set} ]] || die "COSIGN_PASSWORD is not set (export it, empty for a key without password)"
  sign=(--key "$key")
fi
# No child sees the secrets in its environment (the engine daemon started
# below lives on, and build steps log): the key text is in the file now,
# and only the two rambox commands that open the key get the password.
password=${COSIGN_PASSWORD:-}
unset COSIGN_PRIVATE_KEY COSIGN_PASSWORD

echo "release: setting up (packages, engine, toolchain)..." >&2
bash ci/deps.sh >&2
if [[ -z ${_EXPERIMENTAL_DAGGER_RUNNER_HOST:-} ]] && ! docker info >/dev/null 2>&1; then
  bash ci/engine.sh start >/dev/null
fi
bash ci/toolchain.sh >&2

# Each profile's gate leaves its two builds in repro/<profile>/; build a
# is the one published.
bundles=()
for p in "${profiles[@]}"; do
  echo "release: reproducibility gate, $p..." >&2
  RAMBOX_REPRO_OUT=$out/repro/$p bash ci/repro.sh --profile "$p" "${build_args[@]}" >&2
  bundles+=(--bundle "$out/repro/$p/a")
done
rambox=$out/repro/${profiles[0]}/rambox

echo "release: publishing to $to..." >&2
# With several bundles, publish says on stderr which platform each went
# in as ("rambox publish: DIR as linux/ARCH: REF"); each is pulled back.
ref=$(COSIGN_PASSWORD=$password "$rambox" publish "${bundles[@]}" --to "$to" "${sign[@]}" 2>"$out/publish.log") ||
  { cat "$out/publish.log" >&2; exit 1; }
cat "$out/publish.log" >&2
declare -A platform_of=()
while read -r dir arch; do platform_of[$dir]=$arch; done < <(sed -n 's|^rambox publish: \(.*\) as linux/\([a-z0-9]*\): .*|\1 \2|p' "$out/publish.log")

echo "release: pulling $ref back to check it..." >&2
if [[ -z ${RAMBOX_KEYLESS:-} ]]; then
  pub=$out/cosign.pub
  COSIGN_PASSWORD=$password "$rambox" public-key --key "$key" >"$pub"
  trust=(--key "$pub")
fi
if ((${#trust[@]})); then
  for p in "${profiles[@]}"; do
    bundle=$out/repro/$p/a arch=()
    if ((${#profiles[@]} > 1)); then
      [[ -n ${platform_of[$bundle]:-} ]] || die "publish did not say which platform $bundle went in as"
      arch=(--arch "${platform_of[$bundle]}")
    fi
    attached=$out/attachments/$p
    "$rambox" verify "$ref" "${trust[@]}" "${arch[@]}" --attachments "$attached" >&2
    cmp "$attached/sbom.spdx.json" "$bundle/sbom.spdx.json" || die "the attached SBOM of $p is not the build's"
  done
fi

echo "$ref" >"$out/ref"
if [[ -n ${GITHUB_OUTPUT:-} ]]; then echo "ref=$ref" >>"$GITHUB_OUTPUT"; fi
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
  {
    echo "### Boot bundle published"
    echo
    echo "Pin boot servers to: \`$ref\`"
    echo
    echo "Reproducibility gate: two clean builds identical, SBOM included."
  } >>"$GITHUB_STEP_SUMMARY"
fi
echo "$ref"
