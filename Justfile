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

# Unit tests and end-to-end tests (QEMU boots); the suite CI runs.
test: deps
    #!/usr/bin/env bash
    set -euo pipefail
    export RAMBOX_E2E=1
    export RAMBOX_TEST_KERNEL=$(bash ci/test-kernel.sh)
    export RAMBOX_TEST_BUSYBOX=/bin/busybox
    go vet ./...
    go test -count=1 ./...

# Unit tests only: no QEMU, no engine, a few seconds.
test-unit:
    go test ./...

# Build the initramfs from rootfs/ with Debian's static busybox.
initramfs: deps
    mkdir -p {{out}}
    go run ./cmd/rambox initramfs --rootfs rootfs --busybox /bin/busybox -o {{out}}/initramfs.cpio.gz
    sha256sum {{out}}/initramfs.cpio.gz

# Build the initramfs and boot it in QEMU to its selftest, offline.
demo: initramfs
    bash ci/demo.sh {{out}}/initramfs.cpio.gz

# Every benchmark; figures go to bench/.
bench: bench-initramfs

# rambox initramfs vs find|cpio|gzip -9 on the same tree: time and size.
bench-initramfs: deps
    bash bench/initramfs.sh
