# rambox — run `just` to list recipes. `just demo` and `just test` set up
# everything they need on a fresh Debian 12 machine (as root).

set shell := ["bash", "-euo", "pipefail", "-c"]

cache := env_var_or_default("RAMBOX_CACHE", env_var_or_default("XDG_CACHE_HOME", env_var("HOME") + "/.cache") + "/rambox")
out := "artifacts"

default:
    @just --list

# Install Debian packages and fill the source cache (idempotent).
deps:
    bash ci/deps.sh

# Unit tests and end-to-end tests (real engine, QEMU boots); what CI runs.
test: deps engine toolchain
    #!/usr/bin/env bash
    set -euo pipefail
    eval "$(bash ci/engine.sh env)"
    export RAMBOX_REGISTRY_DIR=${RAMBOX_REGISTRY_DIR:-/var/lib/rambox-registry}
    export RAMBOX_REGISTRY_ADDR=$(bash ci/registry.sh start)
    export RAMBOX_COSIGN=$(bash ci/cosign.sh)
    export RAMBOX_ORAS=$(bash ci/oras.sh)
    # The PXE boot tests boot a real bundle: linux-6.1 from Debian's source
    # (a cache hit once built).
    CGO_ENABLED=0 go build -o .bin/rambox ./cmd/rambox
    src=/usr/src/linux-source-6.1.tar.xz
    # The UKI is signed with the db key of Debian's Secure Boot test
    # firmware (OVMF_VARS_4M.snakeoil.fd); sbsign needs it decrypted.
    sbkey=$(mktemp) && trap 'rm -f "$sbkey"' EXIT
    openssl pkey -in /usr/share/ovmf/PkKek-1-snakeoil.key -passin pass:snakeoil -out "$sbkey"
    .bin/rambox build --profile linux-6.1 --out {{out}}/linux-6.1 \
      --secureboot-key "$sbkey" --secureboot-cert /usr/share/ovmf/PkKek-1-snakeoil.pem \
      --source "linux=$src@sha256:$(sha256sum "$src" | cut -d' ' -f1)" 2>{{out}}/linux-6.1.build.log \
      || { tail -40 {{out}}/linux-6.1.build.log; exit 1; }
    # The Secure Boot boot test needs the selftest on the UKI's own signed
    # command line (systemd-stub ignores any other under Secure Boot): the
    # same bundle with rambox.selftest added, whose kernel, busybox and
    # initramfs steps are cache hits of the build above (~5 s).
    cmdline=$(sed -n 's/^  "kernelCmdline": "\(.*\)",$/\1/p' {{out}}/linux-6.1/bundle.json)
    .bin/rambox build --profile linux-6.1 --out {{out}}/linux-6.1-selftest \
      --cmdline "$cmdline rambox.selftest" \
      --secureboot-key "$sbkey" --secureboot-cert /usr/share/ovmf/PkKek-1-snakeoil.pem \
      --source "linux=$src@sha256:$(sha256sum "$src" | cut -d' ' -f1)" 2>{{out}}/linux-6.1-selftest.build.log \
      || { tail -40 {{out}}/linux-6.1-selftest.build.log; exit 1; }
    # The mixed-rack serve test boots an arm64 bundle beside the amd64 one
    # (cross-built from the same source; ~4 min cold, a cache hit after).
    .bin/rambox build --profile linux-6.1-arm64 --out {{out}}/linux-6.1-arm64 \
      --source "linux=$src@sha256:$(sha256sum "$src" | cut -d' ' -f1)" 2>{{out}}/linux-6.1-arm64.build.log \
      || { tail -40 {{out}}/linux-6.1-arm64.build.log; exit 1; }
    export RAMBOX_TEST_BUNDLE_DIR=$PWD/{{out}}/linux-6.1
    export RAMBOX_TEST_ARM64_BUNDLE_DIR=$PWD/{{out}}/linux-6.1-arm64
    export RAMBOX_TEST_SELFTEST_BUNDLE_DIR=$PWD/{{out}}/linux-6.1-selftest
    export RAMBOX_E2E=1
    export RAMBOX_TEST_KERNEL=$(bash ci/test-kernel.sh)
    export RAMBOX_TEST_BUSYBOX=/bin/busybox
    go vet ./...
    go test -count=1 -timeout 60m ./...

# The reproducibility gate: two clean builds of linux-6.1 (Debian's source)
# compared file by file and by bundle digest; diffoscope reports on a
# difference (artifacts/repro/).
repro *ARGS: deps engine toolchain
    #!/usr/bin/env bash
    set -euo pipefail
    src=/usr/src/linux-source-6.1.tar.xz
    bash ci/repro.sh --profile linux-6.1 --source "linux=$src@sha256:$(sha256sum "$src" | cut -d' ' -f1)" {{ARGS}}

# Ship a bundle the way CI does (ci/release.sh): setup, the repro gate,
# publish with SBOM and SLSA provenance attached as signed OCI referrers,
# pull back and verify, print the pinned ref. By default: linux-6.1 and
# linux-6.1-arm64, each through the gate, as one multi-arch index, to the
# loopback registry, signed with a fresh key handed over as CI hands over
# its secret (COSIGN_PRIVATE_KEY). Set COSIGN_PRIVATE_KEY/COSIGN_KEY_FILE
# or RAMBOX_KEYLESS=1 to sign otherwise; ARGS go to ci/release.sh.
release *ARGS: deps engine toolchain
    #!/usr/bin/env bash
    set -euo pipefail
    addr=$(bash ci/registry.sh start)
    if [[ -z ${COSIGN_PRIVATE_KEY:-}${COSIGN_KEY_FILE:-}${RAMBOX_KEYLESS:-} ]]; then
      keys=$(mktemp -d) && trap 'rm -rf "$keys"' EXIT
      export COSIGN_PASSWORD=${COSIGN_PASSWORD:-release}
      go run ./cmd/rambox keygen --dir "$keys" >/dev/null
      COSIGN_PRIVATE_KEY=$(cat "$keys/cosign.key") && export COSIGN_PRIVATE_KEY
    fi
    src=/usr/src/linux-source-6.1.tar.xz
    bash ci/release.sh --profile linux-6.1 --profile linux-6.1-arm64 \
      --source "linux=$src@sha256:$(sha256sum "$src" | cut -d' ' -f1)" \
      --to "$addr/rambox/linux-6.1:release" {{ARGS}}

# Start a local Dagger engine (no Docker needed) unless one is reachable.
engine:
    #!/usr/bin/env bash
    set -euo pipefail
    if [[ -n ${_EXPERIMENTAL_DAGGER_RUNNER_HOST:-} ]] || docker info >/dev/null 2>&1; then
      echo "engine: using ${_EXPERIMENTAL_DAGGER_RUNNER_HOST:-Docker}"
    else
      bash ci/engine.sh start >/dev/null
    fi

# Stop the local engine.
engine-stop:
    bash ci/engine.sh stop

# Make the local build toolchain rootfs (Debian bookworm, reproducible).
toolchain:
    bash ci/toolchain.sh

# Build kernel, busybox and initramfs through the Dagger pipeline.
build *ARGS: deps engine toolchain
    CGO_ENABLED=0 go build -o .bin/rambox ./cmd/rambox
    .bin/rambox build {{ARGS}}

# Unit tests only: no QEMU, no engine, a few seconds.
test-unit:
    go test ./...

# Build the initramfs from rootfs/ with Debian's static busybox.
initramfs: deps
    mkdir -p {{out}}
    go run ./cmd/rambox initramfs --rootfs rootfs --busybox /bin/busybox -o {{out}}/initramfs.cpio.gz
    sha256sum {{out}}/initramfs.cpio.gz

# The main job, offline: build the linux-6.1 profile (and linux-2.6.39 when
# its kernel.org tarball is in the source cache) through the pipeline, then
# publish each bundle signed into the local OCI layout and PXE-boot it in
# QEMU from `rambox serve` alone (DHCP, TFTP, HTTP) in a network namespace;
# RAMBOX_DEMO_SERVER=seed pulls into a TFTP root for dhcpd + tftpd-hpa instead.
demo: deps engine toolchain
    #!/usr/bin/env bash
    set -euo pipefail
    CGO_ENABLED=0 go build -o .bin/rambox ./cmd/rambox
    src=/usr/src/linux-source-6.1.tar.xz
    t0=$(date +%s)
    .bin/rambox build --profile linux-6.1 --out {{out}}/linux-6.1 \
      --source "linux=$src@sha256:$(sha256sum "$src" | cut -d' ' -f1)"
    echo "demo: linux-6.1 built in $(( $(date +%s) - t0 )) s"
    profiles=(linux-6.1)
    if .bin/rambox fetch --pin kernel-configs/linux-2.6.39/sources.json --offline >/dev/null 2>&1; then
      t0=$(date +%s)
      .bin/rambox build --profile linux-2.6.39 --out {{out}}/linux-2.6.39
      echo "demo: linux-2.6.39 built in $(( $(date +%s) - t0 )) s"
      profiles+=(linux-2.6.39)
    else
      echo "demo: linux-2.6.39 skipped: its kernel.org tarball is not in the source cache (rambox fetch --pin kernel-configs/linux-2.6.39/sources.json)"
    fi
    for p in "${profiles[@]}"; do bash ci/demo.sh .bin/rambox {{out}}/$p $p; done

# Every benchmark, each run recorded in bench/results/, then bench/REPORT.md, bench/build-stages.png and bench/boot-phases.png.
bench: deps engine toolchain
    bash bench/initramfs.sh
    bash bench/build.sh
    bash bench/editloop.sh
    bash bench/compression.sh
    bash bench/pull.sh
    bash bench/boot.sh
    bash bench/serve-boot.sh
    bash bench/uki-boot.sh
    bash bench/arm64.sh
    bash bench/serve-load.sh
    bash bench/dhcp-load.sh
    bash bench/status.sh
    bash bench/reconcile.sh
    bash bench/bootbreak.sh
    go run ./bench/internal/report

# Rewrite bench/REPORT.md, bench/build-stages.png and bench/boot-phases.png from bench/results/.
bench-report:
    go run ./bench/internal/report

# PXE power-on -> selftest, memory, sizes, for the bundles `just demo` built.
bench-boot: deps
    bash bench/boot.sh
    go run ./bench/internal/report

# rambox serve: PXE boots over HTTP and TFTP vs dhcpd + tftpd-hpa, TFTP and HTTP load on loopback, RSS.
bench-serve: deps
    bash bench/serve-boot.sh
    bash bench/serve-load.sh
    go run ./bench/internal/report

# OVMF's PXE loading the linux-6.1 UKI from rambox serve, Secure Boot on vs off; UKI size vs bzImage + initramfs.
bench-uki: deps
    bash bench/uki-boot.sh
    go run ./bench/internal/report

# AAVMF netbooting the linux-6.1-arm64 bundle from rambox serve (GRUB); arm64 vs amd64 bundle sizes and clean builds.
bench-arm64: deps engine toolchain
    bash bench/arm64.sh
    go run ./bench/internal/report

# rambox serve --dhcp full: 1,000 simulated DHCP clients from a second netns; offers/s, p50/p99 latency.
bench-dhcp: deps
    bash bench/dhcp-load.sh
    go run ./bench/internal/report

# The status server with 1,000 nodes on record: /api/v1/status and / p50, p99 (no deps: loopback only).
bench-status:
    bash bench/status.sh
    go run ./bench/internal/report

# Where PXE power-on -> selftest goes, per profile (phases, slowest initcalls, console cost); BUNDLE dirs, default both profiles'.
bench-bootbreak *BUNDLES: deps
    bash bench/bootbreak.sh {{BUNDLES}}
    go run ./bench/internal/report

# SIGHUP with a new digest -> "group switched", linux-6.1 from the loopback registry.
bench-reconcile: deps
    bash bench/reconcile.sh
    go run ./bench/internal/report

# pull + verify + layout of a bundle from the loopback registry.
bench-pull: deps
    bash bench/pull.sh
    go run ./bench/internal/report

# The pipeline vs bare make, stage timings, warm no-op and rootfs-change rebuilds.
bench-build: deps engine toolchain
    bash bench/build.sh
    go run ./bench/internal/report

# The edit loop: one-line linux-6.1 fragment changes -> new outputs, with kernel phase times.
bench-editloop: deps engine toolchain
    bash bench/editloop.sh
    go run ./bench/internal/report

# Kernel gzip vs xz, initramfs gzip vs xz vs zstd, per profile: exact sizes, decompression and power-on -> /init ready under TCG.
bench-compression *PROFILES: deps engine toolchain
    bash bench/compression.sh {{PROFILES}}
    go run ./bench/internal/report

# rambox initramfs vs find|cpio|gzip -9 on the same tree: time and size.
bench-initramfs: deps
    bash bench/initramfs.sh
    go run ./bench/internal/report
