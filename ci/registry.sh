#!/usr/bin/env bash
# ci/registry.sh start|stop|status|addr — a private, local OCI registry for tests.
#
# Runs Debian's `docker-registry` package (CNCF distribution registry v2, 2.8.x
# on Debian 12) on loopback with its own config and storage, independent of the
# Debian service (/etc/docker/registry/config.yml and its init script/systemd
# unit are never used, enabled or touched).
#
#   RAMBOX_REGISTRY_DIR   state dir (config.yml, data/, registry.pid, registry.log, addr)
#                         default /var/lib/rambox-registry
#   RAMBOX_REGISTRY_ADDR  listen address host:port, default 127.0.0.1:5000
#
#   start   start (or reuse) the registry; waits for GET /v2/ == 200; prints ADDR
#   stop    stop the registry started from this state dir (by pid file)
#   status  exit 0 if it is up and answering (prints ADDR), 1 otherwise
#   addr    print ADDR (the running one if up, else the configured one)
#
# The config enables deletes (storage.delete.enabled) so tamper tests can
# replace blobs/manifests.  Registry 2.8 accepts OCI image manifests and
# indexes, including OCI 1.1 `artifactType`/`subject` fields, but does not
# implement the referrers API (/v2/<name>/referrers/<digest> -> 404), so
# clients fall back to the `sha256-<hex>` tag schema.
set -euo pipefail

dir="${RAMBOX_REGISTRY_DIR:-/var/lib/rambox-registry}"
want_addr="${RAMBOX_REGISTRY_ADDR:-127.0.0.1:5000}"
bin=/usr/bin/docker-registry
conf="$dir/config.yml"
pidfile="$dir/registry.pid"
addrfile="$dir/addr"
logfile="$dir/registry.log"

log() { printf 'registry.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

split_addr() { # host:port -> sets host, port
	host="${1%:*}"
	port="${1##*:}"
	host="${host#[}"; host="${host%]}"
	[[ "$port" =~ ^[0-9]+$ ]] || die "bad address '$1' (want host:port, e.g. 127.0.0.1:5000)"
	[ -n "$host" ] || die "bad address '$1' (want host:port; bind to loopback, e.g. 127.0.0.1:5000)"
}

# HTTP status of GET http://$1/v2/ ("000" when nothing answers).
v2_status() {
	if command -v curl >/dev/null 2>&1; then
		curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$1/v2/" 2>/dev/null || true
		return
	fi
	local h p line
	h="${1%:*}"; p="${1##*:}"; h="${h#[}"; h="${h%]}"
	line="$(timeout 3 bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		printf "GET /v2/ HTTP/1.0\r\nHost: %s\r\n\r\n" "$0:$1" >&3
		head -n1 <&3' "$h" "$p" 2>/dev/null || true)"
	if [[ "$line" =~ ^HTTP/[0-9.]+\ ([0-9]{3}) ]]; then echo "${BASH_REMATCH[1]}"; else echo 000; fi
}

# Is something accepting TCP connections on host:port?
port_in_use() {
	local h p
	h="${1%:*}"; p="${1##*:}"; h="${h#[}"; h="${h%]}"
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$h" "$p" 2>/dev/null
}

# Who listens on the port (best effort, for error messages).
who_listens() {
	local p="${1##*:}"
	command -v ss >/dev/null 2>&1 || return 0
	ss -Hltnp "sport = :$p" 2>/dev/null | sed 's/^/    /' >&2 || true
}

# Is the listener on host:port the Debian package's own service (its
# /etc/docker/registry/config.yml)?  Needs ss(8); false when unsure.
debian_service_on() {
	local p="${1##*:}" pid
	command -v ss >/dev/null 2>&1 || return 1
	for pid in $(ss -Hltnp "sport = :$p" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF /etc/docker/registry/config.yml && return 0
	done
	return 1
}

# pid from the pid file if that process is alive and is our registry.
our_pid() {
	[ -f "$pidfile" ] || return 1
	local pid
	pid="$(cat "$pidfile" 2>/dev/null)" || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# Guard against pid reuse: must be docker-registry serving OUR config.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$conf" || return 1
	echo "$pid"
}

running_addr() { if [ -f "$addrfile" ]; then cat "$addrfile"; else echo "$want_addr"; fi; }

ensure_pkg() {
	[ -x "$bin" ] && return 0
	log "installing Debian package docker-registry"
	local sudo=()
	[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo=(sudo -n); } || true
	[ "$(id -u)" = 0 ] || [ ${#sudo[@]} -gt 0 ] || die "docker-registry is not installed and we are not root: apt-get install docker-registry"
	export DEBIAN_FRONTEND=noninteractive
	if ! "${sudo[@]}" apt-get install -y -o DPkg::Lock::Timeout=600 docker-registry >&2; then
		"${sudo[@]}" apt-get update -o DPkg::Lock::Timeout=600 >&2
		"${sudo[@]}" apt-get install -y -o DPkg::Lock::Timeout=600 docker-registry >&2
	fi
	[ -x "$bin" ] || die "apt-get installed docker-registry but $bin is missing"
	# If apt started the Debian service, leave it alone: it uses
	# /etc/docker/registry/config.yml and listens on :5000 (all interfaces);
	# the port check below then tells the caller to pick another address.
}

write_config() {
	local tmp="$conf.tmp.$$" secret
	# Fixed per-state-dir upload secret (silences the "No HTTP secret" warning).
	if [ ! -s "$dir/.http-secret" ]; then
		od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/.http-secret"
	fi
	secret="$(cat "$dir/.http-secret")"
	cat >"$tmp" <<EOF
# Generated by rambox ci/registry.sh — private test registry; do not edit.
version: 0.1
log:
  level: info
  fields:
    service: rambox-registry
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  redirect:
    disable: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $want_addr
  secret: $secret
  headers:
    X-Content-Type-Options: [nosniff]
EOF
	mv -f "$tmp" "$conf"
}

cmd_start() {
	split_addr "$want_addr"
	mkdir -p "$dir/data"
	exec 9>"$dir/.lock"
	flock -w 60 9 || die "could not lock $dir/.lock"

	local pid
	if pid="$(our_pid)"; then
		local cur; cur="$(running_addr)"
		if { [ "$cur" = "$want_addr" ] || [ -z "${RAMBOX_REGISTRY_ADDR:-}" ]; } && [ "$(v2_status "$cur")" = 200 ]; then
			log "already running (pid $pid) on $cur"
			echo "$cur"; return 0
		fi
		die "a registry from $dir is already running (pid $pid) on $cur, not $want_addr: run '$0 stop' first"
	fi
	rm -f "$pidfile"

	ensure_pkg

	if [ -z "${RAMBOX_REGISTRY_ADDR:-}" ] && port_in_use "$want_addr" && debian_service_on "$want_addr"; then
		# apt may have started the package's own service (Debian config, :5000
		# on all interfaces).  Leave it alone and use the next free port.
		local p alt=""
		for p in $(seq $((port + 1)) $((port + 20))); do
			if ! port_in_use "$host:$p"; then alt="$host:$p"; break; fi
		done
		[ -n "$alt" ] || die "$want_addr is held by the Debian docker-registry service and no free port was found near it; set RAMBOX_REGISTRY_ADDR"
		log "$want_addr is held by the Debian docker-registry service (left alone); using $alt instead"
		want_addr="$alt"
		split_addr "$want_addr"
	fi
	if port_in_use "$want_addr"; then
		log "cannot start: $want_addr is already in use by another process:"
		who_listens "$want_addr"
		die "pick another address, e.g. RAMBOX_REGISTRY_ADDR=127.0.0.1:5055 $0 start"
	fi

	write_config
	echo "$want_addr" >"$addrfile"
	# REGISTRY_* environment variables override config keys in distribution;
	# drop them so only our private config applies.
	local envargs=() v
	for v in $(compgen -e | grep '^REGISTRY_' || true); do envargs+=(-u "$v"); done
	: >>"$logfile"
	setsid env "${envargs[@]}" "$bin" serve "$conf" >>"$logfile" 2>&1 </dev/null 9>&- &
	pid=$!
	echo "$pid" >"$pidfile"

	local i
	for i in $(seq 1 150); do # up to ~30 s
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$pidfile"
			log "docker-registry exited during startup; last log lines ($logfile):"
			tail -n 20 "$logfile" >&2 || true
			exit 1
		fi
		if [ "$(v2_status "$want_addr")" = 200 ]; then
			log "started (pid $pid) on $want_addr, storage $dir/data"
			echo "$want_addr"; return 0
		fi
		sleep 0.2
	done
	kill "$pid" 2>/dev/null || true
	rm -f "$pidfile"
	log "registry did not answer GET http://$want_addr/v2/ with 200 within 30s; last log lines:"
	tail -n 20 "$logfile" >&2 || true
	exit 1
}

cmd_stop() {
	local pid
	if ! pid="$(our_pid)"; then
		rm -f "$pidfile"
		log "not running"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	local i
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid ignored SIGTERM for 10s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
	log "stopped (pid $pid)"
}

cmd_status() {
	local pid cur
	if pid="$(our_pid)"; then
		cur="$(running_addr)"
		if [ "$(v2_status "$cur")" = 200 ]; then
			log "running (pid $pid) on $cur"
			echo "$cur"; return 0
		fi
		log "pid $pid is alive but http://$cur/v2/ does not answer 200"
		return 1
	fi
	log "not running"
	return 1
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
addr) if our_pid >/dev/null; then running_addr; else echo "$want_addr"; fi ;;
*) echo "usage: $0 start|stop|status|addr" >&2; exit 2 ;;
esac
