#!/usr/bin/env bash
# ci/engine.sh — provision and run a local Dagger engine (v0.19.7) without Docker.
#
# The engine, CLI and helpers are built from the Go module sources (only the Go
# module proxy is needed), cached under $RAMBOX_CACHE/dagger/<version>/, and the
# engine runs as root inside private mount/net/pid namespaces (unshare).
# The engine cannot pull images: containers must come from a local rootfs
# (Container().WithRootfs(Host().Directory(DIR)) or Container().Import(FILE)).
#
# Usage: ci/engine.sh build|start|stop|restart|status|env|prune|smoke|logs
#   build   download + build binaries into the cache (no-op when cached)
#   start   build if needed, start the engine in the background, wait until it
#           answers, print the env exports for the SDK
#   stop    stop the engine (SIGTERM, then SIGKILL) and clean up
#   status  exit 0 when the engine is running
#   env     print `export ...` lines; use: eval "$(ci/engine.sh env)"
#   prune   delete the engine state dir (engine must be stopped)
#   smoke   run a tiny Go SDK program (busybox rootfs, `echo hello`) against it
#   logs    tail the engine log
#
# Environment:
#   RAMBOX_CACHE            cache root            (default ~/.cache/rambox)
#   RAMBOX_ENGINE_STATE     engine state dir      (default /var/lib/rambox-dagger)
#   RAMBOX_ENGINE_GC_MAX_MB engine GC max used space in MB (default 20000)
#   RAMBOX_ENGINE_TIMEOUT   seconds to wait for the engine to answer (default 120)
#   RAMBOX_ENGINE_LOG_LEVEL engine log level: error|warn|info|debug (default info)
#   RAMBOX_SMOKE_BUST       smoke: any value busts the exec cache
set -euo pipefail

DAGGER_VERSION=v0.19.7
CACHE=${RAMBOX_CACHE:-$HOME/.cache/rambox}
BIN_DIR=$CACHE/dagger/$DAGGER_VERSION
STATE=${RAMBOX_ENGINE_STATE:-/var/lib/rambox-dagger}
SOCK=$STATE/engine.sock
PIDFILE=$STATE/engine.pid
LOG=$STATE/engine.log
RUNDIR=$STATE/ns            # overlay upper/work dirs, cni bin dir
ROOTDIR=$STATE/root         # the engine's --root (buildkit state, cache)
GC_MAX_MB=${RAMBOX_ENGINE_GC_MAX_MB:-20000}
TIMEOUT=${RAMBOX_ENGINE_TIMEOUT:-120}
LOG_LEVEL=${RAMBOX_ENGINE_LOG_LEVEL:-info}
BINARIES=(dagger-engine dagger dagger-init dnsname dial-stdio)
APT_PKGS=(runc containernetworking-plugins dnsmasq-base iptables iproute2)
SELF=$(readlink -f "${BASH_SOURCE[0]}")

log() { printf 'engine.sh: %s\n' "$*" >&2; }
die() { printf 'engine.sh: error: %s\n' "$*" >&2; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "'$1' must run as root (namespaces, mounts, runc)"; }

# ---------------------------------------------------------------- packages
ensure_pkgs() { # ensure_pkgs PKG... — install missing Debian packages (root only)
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get"
	need_root "installing ${missing[*]}"
	log "installing: ${missing[*]}"
	# Wait for a concurrent apt/dpkg run instead of failing on its lock.
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed (try: apt-get update)"
}

# ---------------------------------------------------------------- build
built() {
	local b
	for b in "${BINARIES[@]}"; do [ -x "$BIN_DIR/$b" ] || return 1; done
	[ -f "$BIN_DIR/.complete" ]
}

write_distconsts() { # write_distconsts DIR — the nested module the proxy does not serve
	mkdir -p "$1"
	cat >"$1/go.mod" <<-'EOF'
	module github.com/dagger/dagger/engine/distconsts

	go 1.22
	EOF
	cat >"$1/consts.go" <<-'EOF'
	// Package distconsts: values shared between the engine, the CLI and the SDKs.
	package distconsts

	const (
		EngineContainerName   = "dagger-engine.dev"
		DefaultEngineSockAddr = "unix:///run/dagger/engine.sock"
	)

	const (
		RuncPath       = "/usr/local/bin/runc"
		DaggerInitPath = "/usr/local/bin/dagger-init"

		EngineDefaultStateDir = "/var/lib/dagger"

		EngineContainerBuiltinContentDir   = "/usr/local/share/dagger/content"
		GoSDKManifestDigestEnvName         = "DAGGER_GO_SDK_MANIFEST_DIGEST"
		PythonSDKManifestDigestEnvName     = "DAGGER_PYTHON_SDK_MANIFEST_DIGEST"
		TypescriptSDKManifestDigestEnvName = "DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST"
	)

	const (
		AlpineVersion  = "3.22.1"
		AlpineImage    = "alpine:" + AlpineVersion
		GolangVersion  = "1.25.3"
		GolangImage    = "golang:" + GolangVersion + "-alpine"
		BusyboxVersion = "1.37.0"
		BusyboxImage   = "busybox:" + BusyboxVersion
	)

	const OCIVersionAnnotation = "org.opencontainers.image.version"

	const EngineCustomCACertsDir = "/usr/local/share/ca-certificates"
	EOF
}

cmd_build() {
	if built; then
		log "binaries cached in $BIN_DIR"
		return 0
	fi
	command -v go >/dev/null || die "go not found in PATH (need Go >= 1.24)"
	local t0=$SECONDS
	export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
	export GONOSUMDB="github.com/dagger/dagger${GONOSUMDB:+,$GONOSUMDB}"
	log "downloading github.com/dagger/dagger@$DAGGER_VERSION and dagger.io/dagger@$DAGGER_VERSION"
	(cd / && go mod download "github.com/dagger/dagger@$DAGGER_VERSION" "dagger.io/dagger@$DAGGER_VERSION") ||
		die "go mod download failed (is the Go module proxy reachable?)"
	local modcache engsrc sdksrc work
	modcache=$(go env GOMODCACHE)
	engsrc=$modcache/github.com/dagger/dagger@$DAGGER_VERSION
	sdksrc=$modcache/dagger.io/dagger@$DAGGER_VERSION
	[ -f "$engsrc/go.mod" ] && [ -f "$sdksrc/go.mod" ] || die "module sources not found in $modcache"

	mkdir -p "$CACHE/dagger"
	work=$(mktemp -d "$CACHE/dagger/build.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	log "preparing sources in $work"
	cp -r "$engsrc" "$work/src"
	chmod -R u+w "$work/src"
	rm -rf "$work/src/sdk/go"
	cp -r "$sdksrc" "$work/src/sdk/go"
	chmod -R u+w "$work/src/sdk/go"
	write_distconsts "$work/src/engine/distconsts"

	log "building engine, CLI, init, dnsname, dial-stdio (cold: several minutes)"
	local ld="-s -w -X github.com/dagger/dagger/engine.Version=$DAGGER_VERSION -X github.com/dagger/dagger/engine.Tag=$DAGGER_VERSION"
	mkdir -p "$work/out"
	(
		cd "$work/src"
		go build -trimpath -ldflags "$ld" -o "$work/out/dagger-engine" ./cmd/engine
		go build -trimpath -ldflags "$ld" -o "$work/out/dagger" ./cmd/dagger
		go build -trimpath -ldflags "$ld" -o "$work/out/dagger-init" ./cmd/init
		go build -trimpath -ldflags "$ld" -o "$work/out/dnsname" ./cmd/dnsname
		go build -trimpath -ldflags "$ld" -o "$work/out/dial-stdio" ./cmd/dialstdio
	) >&2 || die "go build failed (see output above)"

	mkdir -p "$BIN_DIR"
	local b
	for b in "${BINARIES[@]}"; do
		install -m 0755 "$work/out/$b" "$BIN_DIR/$b.tmp"
		mv -f "$BIN_DIR/$b.tmp" "$BIN_DIR/$b"
	done
	date -u +%FT%TZ >"$BIN_DIR/.complete"
	rm -rf "$work"
	trap - EXIT
	log "built in $((SECONDS - t0))s -> $BIN_DIR"
}

# ---------------------------------------------------------------- run
engine_pid() { # prints the pid of the namespace launcher if it is alive
	[ -f "$PIDFILE" ] || return 1
	local pid
	pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "__ns_run" || return 1
	echo "$pid"
}

cmd_status() {
	local pid
	if pid=$(engine_pid) && [ -S "$SOCK" ]; then
		echo "running (pid $pid, socket $SOCK)"
		return 0
	fi
	echo "stopped"
	return 1
}

cmd_env() {
	printf 'export _EXPERIMENTAL_DAGGER_CLI_BIN=%q\n' "$BIN_DIR/dagger"
	printf 'export _EXPERIMENTAL_DAGGER_RUNNER_HOST=%q\n' "unix://$SOCK"
}

# Runs as pid 1 of fresh pid/net/mount namespaces (see cmd_start).
ns_run() {
	set -x
	# Private writable /etc (engine writes /etc/resolv.conf, /etc/dagger/...).
	mkdir -p "$RUNDIR"/{etc,bin}-{upper,work} "$RUNDIR/etc-upper/dagger" "$RUNDIR/cgroup"
	printf '{"logLevel":"%s","gc":{"maxUsedSpace":%d}}\n' "$LOG_LEVEL" "$((GC_MAX_MB * 1000 * 1000))" \
		>"$RUNDIR/etc-upper/dagger/engine.json"
	mount -t overlay rambox-etc -o "lowerdir=/etc,upperdir=$RUNDIR/etc-upper,workdir=$RUNDIR/etc-work" /etc
	# runc and dagger-init where the engine expects them (distconsts paths).
	mkdir -p /usr/local/bin
	mount -t overlay rambox-bin -o "lowerdir=/usr/local/bin,upperdir=$RUNDIR/bin-upper,workdir=$RUNDIR/bin-work" /usr/local/bin
	install -m 0755 "$(command -v runc)" /usr/local/bin/runc
	install -m 0755 "$BIN_DIR/dagger-init" /usr/local/bin/dagger-init
	install -m 0755 "$BIN_DIR/dial-stdio" /usr/local/bin/dial-stdio
	mount -t tmpfs -o mode=0755 rambox-run /run
	mount -t proc proc /proc
	# Fresh sysfs for the new netns (else netstat sampling panics), keeping cgroups.
	mount --rbind /sys/fs/cgroup "$RUNDIR/cgroup"
	mount -t sysfs sysfs /sys
	mount --move "$RUNDIR/cgroup" /sys/fs/cgroup
	ip link set lo up
	set +x
	exec "$BIN_DIR/dagger-engine" \
		--root "$ROOTDIR" \
		--addr "unix://$SOCK" \
		--oci-cni-binary-dir "$RUNDIR/cni"
}

engine_answers() {
	# A real round trip: the CLI opens a session against the engine.
	timeout 20 env _EXPERIMENTAL_DAGGER_RUNNER_HOST="unix://$SOCK" \
		"$BIN_DIR/dagger" --silent core version >/dev/null 2>&1
}

cmd_start() {
	need_root start
	if cmd_status >/dev/null; then
		log "already running"
		cmd_env
		return 0
	fi
	ensure_pkgs "${APT_PKGS[@]}"
	local cnidir=/usr/lib/cni
	[ -x "$cnidir/bridge" ] || die "CNI plugins not found in $cnidir (package containernetworking-plugins)"
	command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || die "dnsmasq not found (package dnsmasq-base)"
	cmd_build
	local t0=$SECONDS
	mkdir -p "$STATE"
	rm -rf "$RUNDIR" "$SOCK" "$PIDFILE"
	mkdir -p "$RUNDIR/cni" "$ROOTDIR"
	ln -s "$cnidir"/* "$RUNDIR/cni/"
	ln -sf "$BIN_DIR/dnsname" "$RUNDIR/cni/dnsname"
	printf '=== %s start\n' "$(date -u +%FT%TZ)" >>"$LOG"
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		setsid unshare --mount --net --pid --fork --propagation private --kill-child=SIGTERM \
		"$SELF" __ns_run </dev/null >>"$LOG" 2>&1 &
	echo $! >"$PIDFILE"
	until engine_answers; do
		engine_pid >/dev/null || { tail -n 30 "$LOG" >&2; die "engine exited during start; log: $LOG"; }
		[ $((SECONDS - t0)) -lt "$TIMEOUT" ] || { tail -n 30 "$LOG" >&2; die "engine did not answer within ${TIMEOUT}s; log: $LOG"; }
		sleep 0.5
	done
	log "engine up in $((SECONDS - t0))s (pid $(cat "$PIDFILE"), log $LOG)"
	cmd_env
}

cmd_stop() {
	local pid child i
	if ! pid=$(engine_pid); then
		log "not running"
		rm -f "$PIDFILE" "$SOCK"
		return 0
	fi
	need_root stop
	# SIGTERM the engine (pid 1 of its namespace) for a clean shutdown; the
	# launcher (unshare) exits when it does, and the namespaces go with them.
	child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | awk '{print $1}')
	kill -TERM "${child:-$pid}" 2>/dev/null || true
	for i in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "engine did not stop within 30s, killing"
		[ -n "$child" ] && kill -KILL "$child" 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
		sleep 1
	fi
	rm -f "$PIDFILE" "$SOCK"
	rm -rf "$RUNDIR"
	log "stopped"
}

cmd_prune() {
	if engine_pid >/dev/null; then
		die "engine is running; run '$0 stop' first"
	fi
	[ -d "$STATE" ] || { log "nothing to prune ($STATE absent)"; return 0; }
	case "$STATE" in /|/var|/var/lib|"$HOME") die "refusing to delete $STATE" ;; esac
	need_root prune
	local size
	size=$(du -sh "$STATE" 2>/dev/null | cut -f1)
	rm -rf --one-file-system "$STATE"
	log "pruned $STATE ($size)"
}

# ---------------------------------------------------------------- smoke test
cmd_smoke() {
	cmd_status >/dev/null || die "engine not running; run '$0 start' first"
	ensure_pkgs busybox-static
	local dir=$BIN_DIR/smoke
	mkdir -p "$dir/rootfs/bin"
	if [ ! -x "$dir/rootfs/bin/echo" ]; then
		rm -rf "$dir/rootfs"
		mkdir -p "$dir/rootfs/bin"
		cp /bin/busybox "$dir/rootfs/bin/busybox"
		# Relative links (`busybox --install -s` would point at the host path).
		local a
		for a in $("$dir/rootfs/bin/busybox" --list); do
			[ "$a" = busybox ] || ln -sf busybox "$dir/rootfs/bin/$a"
		done
	fi
	mkdir -p "$dir/prog"
	cat >"$dir/prog/go.mod" <<-EOF
	module rambox.local/engine-smoke

	go 1.24

	require dagger.io/dagger $DAGGER_VERSION
	EOF
	cat >"$dir/prog/main.go" <<-'EOF'
	package main

	import (
		"context"
		"fmt"
		"os"

		"dagger.io/dagger"
	)

	func main() {
		ctx := context.Background()
		c, err := dagger.Connect(ctx, dagger.WithLogOutput(os.Stderr))
		if err != nil {
			fmt.Fprintln(os.Stderr, "connect:", err)
			os.Exit(1)
		}
		defer c.Close()
		ctr := c.Container().WithRootfs(c.Host().Directory(os.Args[1]))
		if bust := os.Getenv("RAMBOX_SMOKE_BUST"); bust != "" {
			ctr = ctr.WithEnvVariable("RAMBOX_SMOKE_BUST", bust)
		}
		out, err := ctr.
			WithExec([]string{"/bin/echo", "hello"}).
			Stdout(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, "exec:", err)
			os.Exit(1)
		}
		fmt.Print(out)
	}
	EOF
	eval "$(cmd_env)"
	(
		cd "$dir/prog"
		export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false"
		[ -f go.sum ] || go mod tidy >&2
		go build -o smoke . >&2
		./smoke "$dir/rootfs"
	)
}

# ---------------------------------------------------------------- main
case "${1:-}" in
build) cmd_build ;;
start) cmd_start ;;
stop) cmd_stop ;;
restart) cmd_stop; cmd_start ;;
status) cmd_status ;;
env) cmd_env ;;
prune) cmd_prune ;;
smoke) cmd_smoke ;;
logs) tail -n "${2:-100}" "$LOG" ;;
__ns_run) ns_run ;;
*)
	sed -n '2,27s/^# \{0,1\}//p' "$SELF" >&2
	exit 2
	;;
esac
