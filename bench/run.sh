#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/run.sh: attlsd against stunnel4, haproxy and hitch, same backend, same
# RSA-2048 certificate, all on loopback. See bench/README.md.
#
#   bench/run.sh                      # everything, ~8-10 minutes
#   PROXIES="attlsd haproxy" DUR=5 bench/run.sh
#
# Environment knobs (defaults in brackets):
#   PROXIES     which proxies to run ["attlsd stunnel haproxy hitch"]
#   ATTLSD      attlsd binary [<repo>/attlsd]
#   DUR         measured seconds per throughput test [8]
#   WARM        warm-up seconds before each measurement [1]
#   HS_CONC     handshakes in flight [32]
#   KA_CONNS    keep-alive connections [32]
#   BULK_CONNS  bulk streaming connections [4]
#   IDLE_COUNTS idle connection counts for the RSS test ["1000 9000"]
#   PROXY_CORE / LOAD_CORE   cores for the proxy / for load client+backend [0 / 1]
#   REPEAT      run each throughput measurement N times and keep the best [1]
#   RETRY       extra runs, at most, for a measurement disturbed by other processes [2];
#               RETRY_TOTAL caps such extra runs for the whole run [12]
#   SKIP_WORKERS=1           skip the attlsd 1-vs-2 workers (unpinned) handshake test
#   QUIET_MAX   before each test, wait (up to QUIET_WAIT s [15]) until the whole machine
#               uses less than this much CPU, in % of one core [10]; at most
#               QUIET_TOTAL s [180] of such waiting per run
set -u
set -o pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=$BENCH/out
BIN=$BENCH/bin
TLSLOAD=$BIN/tlsload
BACKEND=$BIN/backend

PROXIES=${PROXIES:-"attlsd stunnel haproxy hitch"}
# contrib/build.sh builds in build/; an in-tree build leaves ./attlsd.
if [ -z "${ATTLSD:-}" ]; then
	ATTLSD=$ROOT/build/attlsd
	[ -x "$ATTLSD" ] || ATTLSD=$ROOT/attlsd
fi
ATTLSD_SRC=$ATTLSD
ATTLSD_BUILT="-"
DUR=${DUR:-8}
WARM=${WARM:-1}
HS_CONC=${HS_CONC:-32}
KA_CONNS=${KA_CONNS:-32}
BULK_CONNS=${BULK_CONNS:-4}
IDLE_COUNTS=${IDLE_COUNTS:-"1000 9000"}
IDLE_INFLIGHT=${IDLE_INFLIGHT:-64}
PROXY_CORE=${PROXY_CORE:-0}
LOAD_CORE=${LOAD_CORE:-1}
SKIP_WORKERS=${SKIP_WORKERS:-0}
REPEAT=${REPEAT:-1}
RETRY=${RETRY:-2}
RETRIES_LEFT=${RETRY_TOTAL:-12} # whole-run cap on such repeats, keeps the run bounded
QUIET_MAX=${QUIET_MAX:-10}
QUIET_WAIT=${QUIET_WAIT:-15}
QUIET_TOTAL=${QUIET_TOTAL:-180}
SAT=90   # CPU% at which a side counts as saturated
OTHER=10 # CPU% used by processes outside the bench that marks a result as disturbed

# Ports: backend BASE_PORT, attlsd/stunnel/haproxy/hitch BASE_PORT+1..4, all in 18000-18999.
# Without BASE_PORT the first block of 5 free ports from 18900 on (step 10) is used.
BASE_PORT=${BASE_PORT:-}
declare -A PORT=()
BACKEND_PORT=

declare -A VAL=() CPU=() NOTE=()
declare -a STARTED=()
PROXY_PID=
PROXY_PORT=
BACKEND_PID=

mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/idle-*.out "$OUT"/raw.txt "$OUT"/results.txt "$OUT"/attlsd.bin
: >"$OUT/run.log"
: >"$OUT/raw.txt"

log() { printf '[%s] %s\n' "$(date +%T)" "$*" | tee -a "$OUT/run.log" >&2; }
die() {
	log "FATAL: $*"
	exit 1
}

# ---- process bookkeeping: only processes this script started are ever signalled ----

forget() {
	local p keep=()
	for p in "${STARTED[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done
	STARTED=("${keep[@]}")
}

# The pid and all its live descendants (hitch forks workers).
descendants() {
	local all=("$1") i=0 c st
	while [ "$i" -lt "${#all[@]}" ]; do
		for c in $(pgrep -P "${all[$i]}" 2>/dev/null); do
			st=$(awk '{print $3}' "/proc/$c/stat" 2>/dev/null)
			[ -n "$st" ] && [ "$st" != Z ] && all+=("$c")
		done
		i=$((i + 1))
	done
	echo "${all[@]}"
}

stop_pid() {
	local pid=$1 kids i
	[ -z "$pid" ] && return
	kids=$(descendants "$pid")
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# children of a proxy we started (hitch workers) must not outlive it
	for i in $kids; do
		[ "$i" = "$pid" ] && continue
		if kill -0 "$i" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$i/stat" 2>/dev/null)" != Z ]; then
			sleep 0.5
			kill -KILL "$i" 2>/dev/null
		fi
	done
	forget "$pid"
}

cleanup() {
	local p
	trap - EXIT INT TERM
	for p in "${STARTED[@]}"; do stop_pid "$p"; done
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---- measurement helpers ----

rss_kib() { # sum of Rss (smaps_rollup, else VmRSS) over pids, KiB
	local t=0 p v
	for p in "$@"; do
		v=$(awk '/^Rss:/{print $2; exit}' "/proc/$p/smaps_rollup" 2>/dev/null)
		[ -z "$v" ] && v=$(awk '/^VmRSS:/{print $2; exit}' "/proc/$p/status" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

fd_count() {
	local t=0 p
	for p in "$@"; do t=$((t + $(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l))); done
	echo "$t"
}

# CPU busy over all CPUs during $1 seconds, in % of one CPU (from /proc/stat)
sys_busy_pct() {
	local a b
	a=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
	sleep "$1"
	b=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
	awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN{split(a,x," "); split(b,y," ");
		t=y[2]-x[2]; if (t<=0) t=1; printf "%.1f", 100*n*(y[1]-x[1])/t}'
}

# Other users of this machine (builds, tests) distort the figures: wait for quiet.
QUIET_SPENT=0 # half-seconds spent waiting, capped at QUIET_TOTAL s for the whole run
wait_quiet() {
	local i busy n=$((QUIET_WAIT * 2))
	for i in $(seq "$n"); do
		busy=$(sys_busy_pct 0.5)
		awk -v b="$busy" -v m="$QUIET_MAX" 'BEGIN{exit !(b<m)}' && return 0
		QUIET_SPENT=$((QUIET_SPENT + 1))
		if [ "$QUIET_SPENT" -gt $((QUIET_TOTAL * 2)) ]; then
			[ "$QUIET_SPENT" = $((QUIET_TOTAL * 2 + 1)) ] &&
				log "  waited ${QUIET_TOTAL}s in all for a quiet machine; no more waiting this run"
			return 0
		fi
		[ "$i" = 1 ] && log "  machine busy (${busy}% of a core outside the bench); waiting up to ${QUIET_WAIT}s"
	done
	log "  machine still busy (${busy}%); measuring anyway (see 'other' in the saturation table)"
}

kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

choose_ports() {
	local b i ok
	for b in ${BASE_PORT:-$(seq 18900 10 18990) $(seq 18500 10 18890)}; do
		ok=1
		for i in 0 1 2 3 4; do listening $((b + i)) && ok=0; done
		[ "$ok" = 1 ] && break
	done
	[ "$ok" = 1 ] || die "no free block of ports (tried ${BASE_PORT:-18500-18990}); set BASE_PORT"
	BACKEND_PORT=$b
	PORT=([attlsd]=$((b + 1)) [stunnel]=$((b + 2)) [haproxy]=$((b + 3)) [hitch]=$((b + 4)))
}

port_free_or_die() {
	listening "$1" && die "port $1 is already in use; stop whatever listens there"
	return 0
}

# ---- setup ----

setup_tools() {
	local need=()
	command -v stunnel4 >/dev/null || need+=(stunnel4)
	command -v haproxy >/dev/null || need+=(haproxy)
	command -v hitch >/dev/null || need+=(hitch)
	command -v openssl >/dev/null || need+=(openssl)
	command -v taskset >/dev/null || need+=(util-linux)
	command -v ss >/dev/null || need+=(iproute2)
	command -v pgrep >/dev/null || need+=(procps)
	command -v pkg-config >/dev/null || need+=(pkg-config)
	[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
	if [ "${#need[@]}" -gt 0 ]; then
		log "installing with apt-get: ${need[*]}"
		apt-get update -qq >>"$OUT/run.log" 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >>"$OUT/run.log" 2>&1 ||
			die "apt-get install ${need[*]} failed"
	fi
	make -s -C "$BENCH" >>"$OUT/run.log" 2>&1 || die "make -C bench failed (see $OUT/run.log)"
}

setup_limits() {
	local hard
	hard=$(ulimit -Hn)
	ulimit -n "$hard" 2>/dev/null
	if [ "$hard" != unlimited ] && [ "$hard" -lt 20000 ]; then
		log "warning: open-file hard limit is $hard (< 20000); 9,000 idle connections may fail"
	fi
}

make_pki() {
	# A fresh self-signed RSA-2048 certificate for CN=localhost every run.
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 7 \
		-keyout "$OUT/server.key" -out "$OUT/server.crt" \
		-subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		>>"$OUT/run.log" 2>&1 || die "openssl req failed"
	cat "$OUT/server.crt" "$OUT/server.key" >"$OUT/server.pem"
	chmod 644 "$OUT/server.key" "$OUT/server.pem" # hitch workers run as nobody
}

write_configs() {
	cat >"$OUT/attlsd.yaml" <<EOF
# generated by bench/run.sh
settings:
  workers: 1
  max_connections: 20000
  idle_timeout: 0
  connect_timeout: 10
  shutdown_timeout: 1
  no_match: clear
keyrings:
  bench-ring:
    certificate: server.crt
    key: server.key
groups:
  bench-grp: { enabled: On, trace: 2 }
environments:
  bench-env:
    handshake_role: Server
    keyring: bench-ring
    tls_v1_2: On
    tls_v1_3: On
    handshake_timeout: 10
rules:
  bench:
    priority: 1000
    direction: Inbound
    local_addr: 127.0.0.1
    local_port: ${PORT[attlsd]}
    group: bench-grp
    environment: bench-env
    backend: 127.0.0.1:$BACKEND_PORT
EOF
	cat >"$OUT/stunnel.conf" <<EOF
; generated by bench/run.sh
foreground = yes
pid = $OUT/stunnel.pid
debug = 3
[bench]
accept = 127.0.0.1:${PORT[stunnel]}
connect = 127.0.0.1:$BACKEND_PORT
cert = $OUT/server.crt
key = $OUT/server.key
sslVersionMin = TLSv1.2
sslVersionMax = TLSv1.3
EOF
	cat >"$OUT/haproxy.cfg" <<EOF
# generated by bench/run.sh
global
    nbthread 1
    maxconn 9990
defaults
    mode tcp
    timeout connect 10s
    timeout client 30m
    timeout server 30m
    maxconn 9990
frontend bench
    bind 127.0.0.1:${PORT[haproxy]} ssl crt $OUT/server.pem ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3
    default_backend plain
backend plain
    server s1 127.0.0.1:$BACKEND_PORT
EOF
}

start_backend() {
	port_free_or_die "$BACKEND_PORT"
	taskset -c "$LOAD_CORE" "$BACKEND" -p "$BACKEND_PORT" -q >>"$OUT/backend.log" 2>&1 &
	BACKEND_PID=$!
	STARTED+=("$BACKEND_PID")
	local i
	for i in $(seq 50); do
		listening "$BACKEND_PORT" && return 0
		sleep 0.1
	done
	die "backend did not start (see $OUT/backend.log)"
}

# start_proxy NAME pinned|unpinned [WORKERS] -> PROXY_PID, PROXY_PORT; 0 = ready
start_proxy() {
	local name=$1 pin=$2 workers=${3:-1} tsk=() logf=$OUT/$1.log i
	[ "$pin" = pinned ] && tsk=(taskset -c "$PROXY_CORE")
	PROXY_PORT=${PORT[$name]}
	port_free_or_die "$PROXY_PORT"
	echo "---- start $(date +%T) $pin workers=$workers" >>"$logf"
	case $name in
	attlsd)
		"${tsk[@]}" "$ATTLSD" -f "$OUT/attlsd.yaml" -F -w "$workers" >>"$logf" 2>&1 &
		;;
	stunnel)
		"${tsk[@]}" stunnel4 "$OUT/stunnel.conf" >>"$logf" 2>&1 &
		;;
	haproxy)
		"${tsk[@]}" haproxy -db -f "$OUT/haproxy.cfg" >>"$logf" 2>&1 &
		;;
	hitch)
		local user=()
		[ "$(id -u)" = 0 ] && user=(--user=nobody --group=nogroup)
		"${tsk[@]}" hitch --frontend="[127.0.0.1]:$PROXY_PORT" \
			--backend="[127.0.0.1]:$BACKEND_PORT" --workers=1 --daemon=off \
			--tls-protos="TLSv1.2 TLSv1.3" "${user[@]}" "$OUT/server.pem" >>"$logf" 2>&1 &
		;;
	esac
	PROXY_PID=$!
	STARTED+=("$PROXY_PID")
	for i in $(seq 150); do
		if ! kill -0 "$PROXY_PID" 2>/dev/null; then
			log "$name exited during startup; last lines of $logf:"
			tail -5 "$logf" | sed 's/^/    /' >&2
			stop_pid "$PROXY_PID"
			return 1
		fi
		if listening "$PROXY_PORT"; then
			if [ "$name" != attlsd ] || grep -q EZZ4250I "$logf"; then
				break
			fi
		fi
		sleep 0.1
	done
	if ! listening "$PROXY_PORT"; then
		log "$name did not listen on $PROXY_PORT within 15 s"
		stop_pid "$PROXY_PID"
		return 1
	fi
	sleep 0.3
	# sanity: a few full handshakes must work
	local line
	line=$("$TLSLOAD" -m hs -p "$PROXY_PORT" -c 2 -d 0.3 -w 0 -t 5 2>>"$OUT/tlsload.err" | grep '^RESULT')
	if [ -z "$line" ] || [ "$(kv count "$line")" = 0 ]; then
		log "$name: sanity handshake failed: ${line:-no output}"
		stop_pid "$PROXY_PID"
		return 1
	fi
	return 0
}

stop_proxy() {
	stop_pid "$PROXY_PID"
	PROXY_PID=
}

# run_tlsload pinned|unpinned ARGS... -> prints the RESULT line
run_tlsload() {
	local pin=$1 tsk=()
	shift
	[ "$pin" = pinned ] && tsk=(taskset -c "$LOAD_CORE")
	"${tsk[@]}" "$TLSLOAD" "$@" 2>>"$OUT/tlsload.err" | grep '^RESULT' | tail -1
}

# measure NAME KEY pinned|unpinned TLSLOAD-ARGS...  (best of REPEAT runs)
measure() {
	local name=$1 key=$2 pin=$3 pids line best="" r errs eff
	shift 3
	local runs=0 retries=0 other
	while [ "$runs" -lt "$REPEAT" ]; do
		wait_quiet
		pids=$(descendants "$PROXY_PID" | tr ' ' ',')
		line=$(run_tlsload "$pin" -p "$PROXY_PORT" -d "$DUR" -w "$WARM" -P "$pids" -B "$BACKEND_PID" "$@")
		echo "$name $key run=$((runs + retries + 1)) $line" >>"$OUT/raw.txt"
		if [ -n "$line" ]; then
			if [ -z "$best" ] || awk -v a="$(kv rate "$line")" -v b="$(kv rate "$best")" 'BEGIN{exit !(a>b)}'; then
				best=$line
			fi
			# a run disturbed by other processes on the machine is repeated (RETRY times at most)
			other=$(awk -v s="$(kv sys_busy "$line")" -v p="$(kv proxy_cpu "$line")" -v c="$(kv client_cpu "$line")" \
				-v b="$(kv backend_cpu "$line")" 'BEGIN{printf "%.0f", s-p-c-b}')
			if [ "$other" -ge "$OTHER" ] && [ "$retries" -lt "$RETRY" ] && [ "$RETRIES_LEFT" -gt 0 ]; then
				retries=$((retries + 1))
				RETRIES_LEFT=$((RETRIES_LEFT - 1))
				log "  $name $key: $(kv rate "$line") $(kv unit "$line"), disturbed (other processes ${other}% of a core); repeating"
				continue
			fi
		fi
		runs=$((runs + 1))
	done
	line=$best
	if [ -z "$line" ]; then
		VAL[$name.$key]=ERR
		log "  $name $key: tlsload produced no result"
		return
	fi
	VAL[$name.$key]=$(kv rate "$line")
	CPU[$name.$key]="$(kv proxy_cpu "$line") $(kv client_cpu "$line") $(kv backend_cpu "$line") $(kv sys_busy "$line")"
	errs=$(($(kv err_connect "$line") + $(kv err_handshake "$line") + $(kv err_io "$line") + $(kv err_badresp "$line") + $(kv timeouts "$line")))
	NOTE[$name.$key]="reused=$(kv reused "$line") errors=$errs $(kv version "$line") $(kv cipher "$line") $(kv group "$line") cert=$(kv peer_key "$line")"
	case $key in
	hs*)
		# handshakes per second of proxy CPU: the per-core capacity even when the
		# load side, not the proxy, ran out of CPU
		eff=$(awk -v r="$(kv rate "$line")" -v c="$(kv proxy_cpu "$line")" 'BEGIN{ if (c>0) printf "%.1f", r*100/c; else print "n/a"}')
		VAL[$name.${key}eff]=$eff
		;;
	esac
	log "  $name $key: $(kv rate "$line") $(kv unit "$line") (proxy $(kv proxy_cpu "$line")% client $(kv client_cpu "$line")% backend $(kv backend_cpu "$line")% machine $(kv sys_busy "$line")%; reused=$(kv reused "$line") errors=$errs)"
}

run_throughput() {
	local name=$1
	log "$name: throughput tests (proxy on core $PROXY_CORE, load on core $LOAD_CORE)"
	if ! start_proxy "$name" pinned 1; then
		NOTE[$name.start]="did not start"
		return
	fi
	measure "$name" hs13 pinned -m hs -V 1.3 -c "$HS_CONC"
	measure "$name" hs12 pinned -m hs -V 1.2 -c "$HS_CONC"
	measure "$name" ka pinned -m ka -c "$KA_CONNS"
	measure "$name" down pinned -m bulk-down -c "$BULK_CONNS"
	measure "$name" up pinned -m bulk-up -c "$BULK_CONNS"
	stop_proxy
}

run_idle() {
	local name=$1 n=$2 key=rss$2 base rss fds pids ipid alive est i outf=$OUT/idle-$1-$2.out
	log "$name: $n idle connections (fresh proxy start)"
	if ! start_proxy "$name" pinned 1; then
		VAL[$name.$key]=ERR
		return
	fi
	wait_quiet
	# warm up (lazy init) with a few full connections, then take the baseline
	run_tlsload pinned -m hs -p "$PROXY_PORT" -c 4 -d 0.5 -w 0 >/dev/null
	sleep 1
	pids=$(descendants "$PROXY_PID")
	# shellcheck disable=SC2086
	base=$(rss_kib $pids)
	taskset -c "$LOAD_CORE" "$TLSLOAD" -m idle -p "$PROXY_PORT" -n "$n" -c "$IDLE_INFLIGHT" \
		-T 300 -t 15 >"$outf" 2>&1 &
	ipid=$!
	STARTED+=("$ipid")
	for i in $(seq 2400); do
		grep -q '^READY' "$outf" && break
		kill -0 "$ipid" 2>/dev/null || break
		sleep 0.1
	done
	sleep 2
	pids=$(descendants "$PROXY_PID")
	# shellcheck disable=SC2086
	rss=$(rss_kib $pids)
	# shellcheck disable=SC2086
	fds=$(fd_count $pids)
	kill -USR1 "$ipid" 2>/dev/null
	sleep 0.5
	alive=$(awk '/^ALIVE/{print $2}' "$outf" | tail -1)
	est=$(sed -n 's/^READY established=\([0-9]*\).*/\1/p' "$outf")
	stop_pid "$ipid"
	# let the proxy tear the connections down before it is stopped (stunnel 5.68 can
	# crash when SIGTERM meets thousands of closing threads)
	for i in $(seq 100); do
		# shellcheck disable=SC2046
		[ "$(fd_count $(descendants "$PROXY_PID"))" -lt $((fds / 4 + 50)) ] && break
		sleep 0.1
	done
	stop_proxy
	echo "$name $key base_kib=$base rss_kib=$rss fds=$fds established=${est:-?} alive=${alive:-?} $(grep '^READY' "$outf")" >>"$OUT/raw.txt"
	if [ -z "${alive:-}" ] || [ "$alive" -eq 0 ]; then
		VAL[$name.$key]=ERR
		NOTE[$name.$key]="no idle connection established (see $outf)"
		log "  $name $n idle: failed"
		return
	fi
	VAL[$name.$key]=$(awk -v a="$rss" -v b="$base" -v n="$alive" 'BEGIN{printf "%.1f", (a-b)/n}')
	NOTE[$name.$key]="base ${base} KiB, with conns ${rss} KiB, alive ${alive}/${n}, proxy fds ${fds}"
	[ "$alive" -lt "$n" ] && NOTE[$name.$key]+=" -- REACHED ONLY $alive of $n"
	log "  $name $n idle: ${VAL[$name.$key]} KiB/conn (${NOTE[$name.$key]})"
}

run_workers() {
	local w
	for w in 1 2; do
		log "attlsd: handshakes with -w $w, proxy and client UNPINNED (backend stays on core $LOAD_CORE)"
		if ! start_proxy attlsd unpinned "$w"; then
			VAL[attlsd.hs13_w$w]=ERR
			VAL[attlsd.hs12_w$w]=ERR
			continue
		fi
		measure attlsd "hs13_w$w" unpinned -m hs -V 1.3 -c "$HS_CONC"
		measure attlsd "hs12_w$w" unpinned -m hs -V 1.2 -c "$HS_CONC"
		stop_proxy
	done
}

# ---- report ----

fmt() { # value decimals
	case $1 in
	'' | ERR | n/a) printf '%s' "${1:-n/a}" ;;
	*) awk -v v="$1" -v d="$2" 'BEGIN{printf "%.*f", d, v}' ;;
	esac
}

is_num() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }

# saturation NAME KEY [capacity%]: which side ran out of CPU, and load from outside
saturation() {
	local c=${CPU[$1.$2]:-} cap=${3:-100}
	[ -z "$c" ] && {
		echo "n/a"
		return
	}
	# shellcheck disable=SC2086
	set -- $c
	awk -v p="${1:-0}" -v c="${2:-0}" -v b="${3:-0}" -v sys="${4:-0}" -v s="$SAT" -v cap="$cap" -v o="$OTHER" 'BEGIN{
		load=c+b; other=sys-p-c-b; if (other<0) other=0;
		ps=(p>=s*cap/100); ls=(load>=s);
		dist = other>=o ? sprintf("; DISTURBED: other processes used %.0f%% of a core", other) : sprintf("; other %.0f%%", other);
		if (cap>100) { printf "proxy %5.1f%% of %d%%, client %5.1f%%, backend %5.1f%% (unpinned)%s", p, cap, c, b, dist; exit }
		w = ps && ls ? "BOTH saturated" : ps ? "proxy-bound" : ls ? "LOAD-SIDE-bound (figure is a lower bound)" : "neither side saturated";
		printf "proxy %5.1f%% | client %5.1f%% + backend %5.1f%% = %5.1f%% -> %s%s", p, c, b, load, w, dist }'
}

report() {
	local peers=() p m best bestname v ratio target met line
	for p in stunnel haproxy hitch; do [[ " $PROXIES " == *" $p "* ]] && peers+=("$p"); done
	{
		echo "attls benchmark -- $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
		echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, kernel $(uname -r)"
		echo "openssl: $(openssl version)"
		echo "attlsd: $([ -x "$ATTLSD" ] && "$ATTLSD" --version 2>&1 | head -1 || echo "not built ($ATTLSD missing)") [copy of $ATTLSD_SRC as of $ATTLSD_BUILT]"
		echo "stunnel: $(stunnel4 -version 2>&1 | grep -m1 '^stunnel')"
		echo "haproxy: $(haproxy -v 2>&1 | head -1)"
		echo "hitch: $(hitch --version 2>&1 | head -1)"
		echo "certificate: RSA-2048 self-signed, CN=localhost (generated this run in bench/out)"
		echo "PINNING: proxy on core $PROXY_CORE (taskset -c $PROXY_CORE); load client AND backend on core $LOAD_CORE (taskset -c $LOAD_CORE)."
		echo "         attlsd -w 1, haproxy nbthread 1, hitch --workers=1, stunnel default (thread per connection)."
		echo "tests: ${DUR}s measured after ${WARM}s warm-up; handshakes: $HS_CONC in flight, new connection per request,"
		echo "       no session ever offered (SSL_session_reused checked on every connection);"
		echo "       keep-alive: $KA_CONNS connections; bulk: $BULK_CONNS connections, MB = 10^6 bytes;"
		echo "       RSS: (RSS with N idle established TLS conns - RSS after warm-up with 0 conns) / N, Rss from smaps_rollup,"
		echo "       summed over the proxy's processes; fresh proxy start for each N."
		echo
		printf '%-30s' "metric"
		for p in $PROXIES; do printf '%11s' "$p"; done
		printf '%18s %11s  %-10s %s\n' "best peer" "attlsd/best" "target" "met"
		for m in hs13 hs13eff hs12 hs12eff ka down up $(for n in $IDLE_COUNTS; do echo "rss$n"; done); do
			local label dec lower=0
			case $m in
			hs13) label="handshakes/s TLS1.3 (full)" dec=0 target=">=1.25x" ;;
			hs12) label="handshakes/s TLS1.2 (full)" dec=0 target=">=1.25x" ;;
			hs13eff) label="  TLS1.3 per proxy CPU-second" dec=0 target=">=1.25x" ;;
			hs12eff) label="  TLS1.2 per proxy CPU-second" dec=0 target=">=1.25x" ;;
			ka) label="keep-alive req/s ($KA_CONNS conns)" dec=0 target=">=1.00x" ;;
			down) label="bulk MB/s backend->client" dec=0 target=">=1.00x" ;;
			up) label="bulk MB/s client->backend" dec=0 target=">=1.00x" ;;
			rss*) label="RSS KiB/idle conn @${m#rss}" dec=1 lower=1 target="<=12 KiB" ;;
			esac
			printf '%-30s' "$label"
			for p in $PROXIES; do printf '%11s' "$(fmt "${VAL[$p.$m]:-n/a}" "$dec")"; done
			best="" bestname=""
			for p in "${peers[@]}"; do
				v=${VAL[$p.$m]:-}
				is_num "$v" || continue
				if [ -z "$best" ] || awk -v a="$v" -v b="$best" -v l="$lower" 'BEGIN{exit !(l ? a<b : a>b)}'; then
					best=$v bestname=$p
				fi
			done
			v=${VAL[attlsd.$m]:-}
			ratio=n/a met=n/a
			if [ -n "$best" ] && is_num "$v"; then
				ratio=$(awk -v a="$v" -v b="$best" 'BEGIN{ if (b>0) printf "%.2fx", a/b; else print "n/a" }')
			fi
			if is_num "$v"; then
				case $m in
				hs*) met=$(awk -v a="$v" -v b="${best:-0}" 'BEGIN{print (b>0 && a>=1.25*b) ? "yes" : "NO"}') ;;
				rss*) met=$(awk -v a="$v" 'BEGIN{print (a<=12) ? "yes" : "NO"}') ;;
				*) met=$(awk -v a="$v" -v b="${best:-0}" 'BEGIN{print (b>0 && a>=b) ? "yes" : "NO"}') ;;
				esac
				case ${CPU[attlsd.$m]:-} in
				'') ;;
				*) saturation attlsd "$m" | grep -q LOAD-SIDE && met="$met (load-bound)" ;;
				esac
			fi
			[ -n "$best" ] && best="$(fmt "$best" "$dec") $bestname"
			printf '%18s %11s  %-10s %s\n' "${best:-n/a}" "$ratio" "$target" "$met"
		done
		echo "(RSS: lower is better, attlsd/best < 1 is good; the others: higher is better."
		echo " 'per proxy CPU-second' = handshakes/s divided by the proxy's measured CPU share: the per-core"
		echo " handshake capacity, meaningful also when the load side saturated first.)"
		echo
		echo "Saturation (CPU% over the measured window from /proc/PID/stat; proxy alone on core $PROXY_CORE, client+backend"
		echo "on core $LOAD_CORE; >=${SAT}% = saturated; 'other' = machine-wide busy minus these three, from /proc/stat):"
		for m in hs13 hs12 ka down up; do
			for p in $PROXIES; do
				[ -n "${CPU[$p.$m]:-}" ] || continue
				printf '  %-5s %-8s %s\n' "$m" "$p" "$(saturation "$p" "$m")"
			done
		done
		echo
		echo "Handshake checks (per proxy: sessions reused, failed connections, negotiated parameters):"
		for m in hs13 hs12; do
			for p in $PROXIES; do
				[ -n "${NOTE[$p.$m]:-}" ] && printf '  %-5s %-8s %s\n' "$m" "$p" "${NOTE[$p.$m]}"
			done
		done
		echo
		echo "Idle connections:"
		for n in $IDLE_COUNTS; do
			for p in $PROXIES; do
				[ -n "${NOTE[$p.rss$n]:-}" ] && printf '  %-5s %-8s %s\n' "$n" "$p" "${NOTE[$p.rss$n]}"
			done
		done
		if [[ " $PROXIES " == *" attlsd "* ]] && [ "$SKIP_WORKERS" != 1 ]; then
			echo
			echo "attlsd handshakes/s, 1 vs 2 workers -- UNPINNED: proxy and load client float over both cores"
			echo "(the backend stays on core $LOAD_CORE); client and proxy compete for the same 2 cores."
			for m in hs13 hs12; do
				local w1=${VAL[attlsd.${m}_w1]:-n/a} w2=${VAL[attlsd.${m}_w2]:-n/a} r=n/a
				is_num "$w1" && is_num "$w2" && r=$(awk -v a="$w2" -v b="$w1" 'BEGIN{ if (b>0) printf "%.2fx", a/b}')
				printf '  %-6s -w 1: %8s   -w 2: %8s   w2/w1: %s\n' "$([ $m = hs13 ] && echo TLS1.3 || echo TLS1.2)" "$(fmt "$w1" 0)" "$(fmt "$w2" 0)" "$r"
				printf '         per proxy CPU-second: -w 1: %s  -w 2: %s (a drop with -w 2 = cost of running 2 threads)\n' \
					"$(fmt "${VAL[attlsd.${m}_w1eff]:-n/a}" 0)" "$(fmt "${VAL[attlsd.${m}_w2eff]:-n/a}" 0)"
				for w in 1 2; do
					[ -n "${CPU[attlsd.${m}_w$w]:-}" ] && printf '         -w %d: %s\n' "$w" "$(saturation attlsd "${m}_w$w" 200)"
				done
			done
		fi
		local notes=0
		for p in $PROXIES; do
			if [ -n "${NOTE[$p.start]:-}" ]; then
				[ $notes = 0 ] && echo && echo "Problems:"
				notes=1
				echo "  $p: ${NOTE[$p.start]} (see bench/out/$p.log)"
			fi
		done
		echo
		printf 'Proxy log volume over the whole run (per-connection logging costs CPU):'
		for p in $PROXIES; do [ -f "$OUT/$p.log" ] && printf ' %s %s lines;' "$p" "$(wc -l <"$OUT/$p.log")"; done
		echo
		echo "raw tlsload lines: bench/out/raw.txt; logs: bench/out/*.log"
	} | tee "$OUT/results.txt"
}

# ---- main ----

T0=$(date +%s)
setup_tools
setup_limits
choose_ports
make_pki
write_configs
start_backend
log "backend pid $BACKEND_PID on 127.0.0.1:$BACKEND_PORT (core $LOAD_CORE)"

active=""
for p in $PROXIES; do
	case $p in
	attlsd)
		if [ ! -x "$ATTLSD" ]; then
			log "attlsd not found at $ATTLSD (build it: ./bootstrap && ./configure && make); skipping it"
			NOTE[attlsd.start]="not built ($ATTLSD missing)"
			continue
		fi
		# run a private copy so that a rebuild during the bench cannot swap it
		ATTLSD_BUILT=$(date -u -r "$ATTLSD" '+%Y-%m-%d %H:%M:%S UTC')
		cp "$ATTLSD" "$OUT/attlsd.bin" || die "cannot copy $ATTLSD"
		ATTLSD_SRC=$ATTLSD
		ATTLSD=$OUT/attlsd.bin
		log "attlsd: $ATTLSD_SRC (copied to $ATTLSD), $("$ATTLSD" --version 2>&1 | head -1)"
		if ! "$ATTLSD" -t -f "$OUT/attlsd.yaml" >>"$OUT/attlsd.log" 2>&1; then
			log "attlsd -t rejects $OUT/attlsd.yaml (see $OUT/attlsd.log)"
		fi
		;;
	stunnel | haproxy | hitch) ;;
	*) die "unknown proxy '$p'" ;;
	esac
	active+=" $p"
done

for p in $active; do run_throughput "$p"; done
for n in $IDLE_COUNTS; do
	for p in $active; do
		[ -n "${NOTE[$p.start]:-}" ] && continue
		run_idle "$p" "$n"
	done
done
if [[ " $active " == *" attlsd "* ]] && [ -z "${NOTE[attlsd.start]:-}" ] && [ "$SKIP_WORKERS" != 1 ]; then
	run_workers
fi
stop_pid "$BACKEND_PID"
log "total time $(($(date +%s) - T0)) s"
echo
report
