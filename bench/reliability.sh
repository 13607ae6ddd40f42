#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2317 # (cleanup and predicates are called indirectly)
# bench/reliability.sh: does attlsd hold under abuse, churn, reloads and faults?
# Each scenario of issue 13 runs against attlsd (and HAProxy where it applies)
# with real clients on loopback, bounded in time, and ends in one table row:
# load held, good-client success %, p99, RSS and fd growth, error lines, bytes
# lost, and a verdict against the issue's figure. See bench/README.md.
#
#   bench/reliability.sh --short    # every scenario small, about 2 minutes (make check: t87)
#   bench/reliability.sh            # the issue's counts: run it on an idle machine
#
# Environment knobs (defaults: full run [short run]):
#   ATTLSD      attlsd binary [<repo>/build/attlsd]
#   OUT         output directory [bench/out/reliability]
#   BIN         where tlsload and backend are built [bench/bin]
#   PROXIES     "attlsd haproxy" ["attlsd"]; haproxy is skipped when not installed
#   SLOW_N      silent connections from one source in slowloris [5000 [600]]
#   EXHAUST_N   connection attempts from one source in slot exhaustion [20000 [2000]]
#   CHURN_S     seconds of each churn half [120 [6]]
#   CHURN_RSS_PCT  RSS growth allowed from the first churn half to the second [5]
#   RELOAD_S    seconds of SIGHUP every 0.5 s [60 [6]]
#   GOOD_S      seconds good clients loop in slowloris/exhaustion [20 [4]]
#   GOOD_C      good clients in flight [32 [8]]
#   CHURN_RESUME  1: churn clients resume sessions (tlsload -R), to fit 1,000,000
#               connections in the time [1 [0]]
#   INTEG_N     integrity connections [1000 [8]], INTEG_BYTES each way [1048576 [262144]]
#   SLOWREAD_N  integrity connections through a backend reading 256 KiB/s [64 [4]]
#   SLOWREAD_KIB  attlsd's RSS growth allowed per slowread connection in flight [512]
#   SCENARIOS   which to run [slowloris exhaustion churn reload backend diskfull
#               integrity slowread]
# Under an ASan build of attlsd (ATTLSD=build-asan/attlsd), a LeakSanitizer
# report in attlsd's log at the end of a scenario fails it.
# Exit status: 0 every verdict passed, 1 a scenario failed its figure, 2 setup failed.
set -u
set -o pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
SHORT=0
[ "${1:-}" = --short ] && SHORT=1
pick() { if [ "$SHORT" = 1 ]; then echo "$2"; else echo "$1"; fi; }

if [ -z "${ATTLSD:-}" ]; then
	ATTLSD=$ROOT/build/attlsd
	[ -x "$ATTLSD" ] || ATTLSD=$ROOT/attlsd
fi
OUT=${OUT:-$BENCH/out/reliability}
BIN=${BIN:-$BENCH/bin}
PROXIES=${PROXIES:-$(pick "attlsd haproxy" "attlsd")}
SLOW_N=${SLOW_N:-$(pick 5000 600)}
EXHAUST_N=${EXHAUST_N:-$(pick 20000 2000)}
CHURN_S=${CHURN_S:-$(pick 120 6)}
RELOAD_S=${RELOAD_S:-$(pick 60 6)}
GOOD_S=${GOOD_S:-$(pick 20 4)}
GOOD_C=${GOOD_C:-$(pick 32 8)}
INTEG_N=${INTEG_N:-$(pick 1000 8)}
INTEG_BYTES=${INTEG_BYTES:-$(pick 1048576 262144)}
CHURN_RESUME=${CHURN_RESUME:-$(pick 1 0)}
SLOWREAD_N=${SLOWREAD_N:-$(pick 64 4)}
SLOWREAD_KIB=${SLOWREAD_KIB:-512}
SCENARIOS=${SCENARIOS:-slowloris exhaustion churn reload backend diskfull integrity slowread}
PY=${PYTHON:-python3}
HOLD=$ROOT/tests/integration/holdconns.py
TLSCLIENT=$ROOT/tests/integration/tlsclient.py
ECHO_BACKEND=$ROOT/tests/integration/backend.py

mkdir -p "$OUT" || exit 2
: >"$OUT/run.log"
declare -a STARTED=() ROWS=()
FAILS=0

log() { printf '[%s] %s\n' "$(date +%T)" "$*" | tee -a "$OUT/run.log" >&2; }
die() {
	log "FATAL: $*"
	exit 2
}

# Only processes this script started are ever signalled, each by its pid.
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}
cleanup() {
	local p
	trap - EXIT INT TERM
	for p in "${STARTED[@]}"; do stop_pid "$p"; done
	[ -n "${FULLDIR:-}" ] && mountpoint -q "$FULLDIR" && umount "$FULLDIR"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 2' INT TERM

# ---- tools, ports, PKI ----

[ -x "$ATTLSD" ] || die "attlsd not found: $ATTLSD (build it, or set ATTLSD)"
make -s -C "$BENCH" BIN="$BIN" "$BIN/tlsload" "$BIN/backend" >>"$OUT/run.log" 2>&1 ||
	die "cannot build tlsload and backend (see $OUT/run.log)"
TLSLOAD=$BIN/tlsload
BACKEND=$BIN/backend
case " $PROXIES " in *" haproxy "*) command -v haproxy >/dev/null || {
	log "haproxy not installed (bash contrib/deps.sh --bench): attlsd only"
	PROXIES=attlsd
}; esac

free_ports() {
	"$PY" - "$1" <<'EOF'
import random, socket, sys
ports, socks = [], []
while len(ports) < int(sys.argv[1]):
    p = random.randrange(20000, 30000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    socks.append(s)
    ports.append(p)
print(" ".join(map(str, ports)))
EOF
}
read -r P_ATTLSD P_HAPROXY P_BACKEND <<<"$(free_ports 3)"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout "$OUT/server.key" \
	-out "$OUT/server.crt" -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >>"$OUT/run.log" 2>&1 ||
	die "openssl req failed"
cat "$OUT/server.crt" "$OUT/server.key" >"$OUT/server.pem"
# attlsd drops to its user after start-up and must be able to re-read the key
# (doc/security.md): group attlsd, 0640, in a folder that group can traverse.
if [ "$(id -u)" = 0 ] && getent group attlsd >/dev/null; then
	chgrp attlsd "$OUT" "$OUT/server.key" && chmod 0750 "$OUT" && chmod 0640 "$OUT/server.key" ||
		die "cannot give the key to group attlsd"
fi
# Enough descriptors for thousands of held sockets on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# ---- processes ----

listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
wait_listen() {
	local i
	for i in $(seq 100); do
		listening "$1" && return 0
		sleep 0.1
	done
	return 1
}

start_backend() {
	"$BACKEND" -p "$P_BACKEND" -q >>"$OUT/backend.log" 2>&1 &
	BACKEND_PID=$!
	STARTED+=("$BACKEND_PID")
	wait_listen "$P_BACKEND" || die "backend did not start"
}

# attlsd_conf FILE [EXTRA SETTINGS LINES]: the policy of the scenarios.
attlsd_conf() {
	cat >"$1" <<EOF
# generated by bench/reliability.sh
settings:
  workers: ${WORKERS:-2}
  idle_timeout: 0
  connect_timeout: 5
  shutdown_timeout: 5
  control_socket: "Off"
${2:-}
keyrings:
  ring: { certificate: $OUT/server.crt, key: $OUT/server.key }
groups:
  grp: { enabled: On, trace: 2 }
environments:
  env: { handshake_role: Server, keyring: ring, handshake_timeout: 10 }
rules:
  bench: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $P_ATTLSD, group: grp, environment: env, backend: "127.0.0.1:${BE_PORT:-$P_BACKEND}" }
EOF
}

haproxy_conf() {
	cat >"$OUT/haproxy.cfg" <<EOF
# generated by bench/reliability.sh: HAProxy 2.6 as Debian ships it, two threads
global
    nbthread 2
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend bench
    bind 127.0.0.1:$P_HAPROXY ssl crt $OUT/server.pem
    default_backend plain
backend plain
    server s1 127.0.0.1:$P_BACKEND
EOF
}

# start_proxy NAME [SETTINGS LINES]: sets PID, PORT, LOGF.
start_proxy() {
	LOGF=$OUT/$1.log
	case $1 in
	attlsd)
		attlsd_conf "$OUT/attlsd.yaml" "${2:-}"
		"$ATTLSD" -F -f "$OUT/attlsd.yaml" >"$LOGF" 2>&1 &
		PORT=$P_ATTLSD
		;;
	haproxy)
		haproxy_conf
		haproxy -db -f "$OUT/haproxy.cfg" >"$LOGF" 2>&1 &
		PORT=$P_HAPROXY
		;;
	esac
	PID=$!
	STARTED+=("$PID")
	wait_listen "$PORT" || die "$1 did not listen on $PORT (see $LOGF)"
	if [ "$1" = attlsd ]; then
		local i
		for i in $(seq 100); do
			grep -q EZZ4250I "$LOGF" && break
			sleep 0.1
		done
	fi
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
errlines() { grep -c 'EZD1286I\|ATL1290I' "$LOGF" 2>/dev/null || true; }
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

# good SECS CONC: full handshakes in a loop from 127.0.0.1; sets G_OK G_ERR
# G_RATE G_P99 and G_PCT (success %).
good() {
	local line
	# shellcheck disable=SC2086 # G_FLAGS: extra tlsload options, word-split on purpose
	line=$("$TLSLOAD" -m hs -p "$PORT" -c "$2" -d "$1" -w 0 -t 10 ${G_FLAGS:-} 2>>"$OUT/tlsload.err" |
		grep '^RESULT' | tail -1)
	G_OK=$(kv count "$line")
	G_OK=${G_OK:-0}
	G_ERR=$(($(kv err_connect "$line") + $(kv err_handshake "$line") + $(kv err_io "$line") +
		$(kv err_badresp "$line") + $(kv timeouts "$line")))
	G_RATE=$(kv rate "$line")
	G_P99=$(kv lat_p99_ms "$line")
	G_PCT=$(awk -v o="$G_OK" -v e="$G_ERR" 'BEGIN {printf "%.2f", o + e ? 100 * o / (o + e) : 0}')
}

# row SCENARIO PROXY LOAD PCT P99 RSS FDS ERRLINES LOST VERDICT
row() {
	local r
	r=$(printf '%-16s %-8s %-22s %7s %8s %9s %6s %7s %6s  %s' "$@")
	ROWS+=("$r")
	log "$r"
	# The figures are attlsd's; HAProxy's rows are there for the ratio.
	[ "$2" = attlsd ] || return 0
	case ${10} in FAIL*) FAILS=$((FAILS + 1)) ;; esac
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 >= b + 0)}'; }
verdict() { if "$@"; then echo pass; else echo "FAIL"; fi; }

# ---- scenarios ----

# 1. slowloris: SLOW_N silent sockets from 127.0.0.2 and as many from
# 127.0.0.4 sending one ClientHello byte a second, while good clients loop
# full handshakes.
s_slowloris() {
	local name=$1 base rss0 fd0 hp dp
	start_proxy "$name"
	good "$GOOD_S" "$GOOD_C"
	base=$G_RATE
	rss0=$(rss_kib "$PID") fd0=$(fds "$PID")
	rm -f "$OUT/slow.held"
	"$PY" "$HOLD" --src 127.0.0.2 --mode silent --n "$SLOW_N" --wait 1 \
		--ready "$OUT/slow.held" "127.0.0.1:$PORT" >>"$OUT/run.log" 2>&1 &
	hp=$!
	STARTED+=("$hp")
	rm -f "$OUT/drip.held"
	"$PY" "$HOLD" --src 127.0.0.4 --mode drip --n "$SLOW_N" --wait 1 \
		--ready "$OUT/drip.held" "127.0.0.1:$PORT" >>"$OUT/run.log" 2>&1 &
	dp=$!
	STARTED+=("$dp")
	for _ in $(seq 600); do [ -s "$OUT/slow.held" ] && [ -s "$OUT/drip.held" ] && break; sleep 0.1; done
	good "$GOOD_S" "$GOOD_C"
	local ratio
	ratio=$(awk -v a="$G_RATE" -v b="$base" 'BEGIN {printf "%.0f", (b > 0) ? 100 * a / b : 0}')
	row slowloris "$name" "2x$SLOW_N, $(sed 's/ .*//' "$OUT/slow.held")+$(sed 's/held=\([0-9]*\).*/\1/' "$OUT/drip.held")" "$G_PCT" "$G_P99" \
		$(($(rss_kib "$PID") - rss0)) $(($(fds "$PID") - fd0)) "$(errlines)" - \
		"$(verdict ge "$G_PCT" 99) rate ${ratio}% of ${base}/s"
	[ "$ratio" -ge 80 ] || log "slowloris $name: good-client rate ${ratio}% of the rate without the attack (figure: 80%; a shared machine may not reach it)"
	stop_pid "$hp"
	stop_pid "$dp"
	stop_pid "$PID"
}

# 2. slot exhaustion: EXHAUST_N connection attempts from one source, held.
s_exhaustion() {
	local name=$1 hp rss0 fd0
	start_proxy "$name"
	rss0=$(rss_kib "$PID") fd0=$(fds "$PID")
	rm -f "$OUT/exh.held"
	"$PY" "$HOLD" --src 127.0.0.3 --mode silent --n "$EXHAUST_N" --wait 0 \
		--ready "$OUT/exh.held" "127.0.0.1:$PORT" >>"$OUT/run.log" 2>&1 &
	hp=$!
	STARTED+=("$hp")
	sleep 1
	good "$GOOD_S" "$GOOD_C"
	# Its last attempt may come well after the good clients stop (a
	# loaded machine): the row waits for the count, up to 5 minutes.
	for _ in $(seq 3000); do [ -s "$OUT/exh.held" ] && break; sleep 0.1; done
	row exhaustion "$name" "$EXHAUST_N tries, $(sed 's/ .*//' "$OUT/exh.held" 2>/dev/null)" \
		"$G_PCT" "$G_P99" $(($(rss_kib "$PID") - rss0)) $(($(fds "$PID") - fd0)) \
		"$(errlines)" - "$(verdict ge "$G_PCT" 99)"
	stop_pid "$hp"
	stop_pid "$PID"
}

# 3. churn: two halves of full handshakes; RSS after the second within 5% of
# RSS after the first; descriptors back to where they started.
s_churn() {
	local name=$1 fd0 rss1 rss2 n1 grow
	start_proxy "$name"
	fd0=$(fds "$PID")
	[ "$CHURN_RESUME" = 1 ] && G_FLAGS=-R
	good "$CHURN_S" "$GOOD_C"
	n1=$G_OK
	rss1=$(rss_kib "$PID")
	good "$CHURN_S" "$GOOD_C"
	G_FLAGS=
	rss2=$(rss_kib "$PID")
	sleep 0.5
	grow=$(awk -v a="$rss2" -v b="$rss1" 'BEGIN {printf "%.1f", b ? 100 * (a - b) / b : 0}')
	local fdg=$(($(fds "$PID") - fd0)) leaks=0
	[ "$fdg" -le 0 ] || log "churn $name: $fdg more descriptors than at the start"
	stop_pid "$PID"
	# An ASan build reports leaks when it exits: none may be reported.
	[ "$name" = attlsd ] && leaks=$(grep -c 'ERROR: LeakSanitizer' "$LOGF")
	row churn "$name" "$((n1 + G_OK)) conns$([ "$CHURN_RESUME" = 1 ] && echo ", resumed")" \
		"$G_PCT" "$G_P99" "$((rss2 - rss1))" "$fdg" "$(errlines)" - \
		"$(verdict test "$(awk -v g="$grow" -v m="${CHURN_RSS_PCT:-5}" 'BEGIN {print (g <= m)}')" = 1 -a "$fdg" -le 0 -a "$leaks" = 0) rss +${grow}%, $leaks leak reports"
}

# 4. reload: SIGHUP every 0.5 s under looping clients: no failed connection.
s_reload() {
	local gp end n=0 rss0 fd0 line
	start_proxy attlsd
	rss0=$(rss_kib "$PID") fd0=$(fds "$PID")
	"$TLSLOAD" -m hs -p "$PORT" -c "$GOOD_C" -d "$RELOAD_S" -w 0 -t 10 \
		>"$OUT/reload.out" 2>>"$OUT/tlsload.err" &
	gp=$!
	end=$((SECONDS + RELOAD_S))
	while [ $SECONDS -lt "$end" ] && kill -0 "$gp" 2>/dev/null; do
		kill -HUP "$PID"
		n=$((n + 1))
		sleep 0.5
	done
	wait "$gp"
	line=$(grep '^RESULT' "$OUT/reload.out" | tail -1)
	G_OK=$(kv count "$line")
	G_ERR=$(($(kv err_connect "$line") + $(kv err_handshake "$line") + $(kv err_io "$line") +
		$(kv err_badresp "$line") + $(kv timeouts "$line")))
	row reload attlsd "$n SIGHUP, $G_OK conns" \
		"$(awk -v o="$G_OK" -v e="$G_ERR" 'BEGIN {printf "%.2f", o + e ? 100 * o / (o + e) : 0}')" \
		"$(kv lat_p99_ms "$line")" $(($(rss_kib "$PID") - rss0)) $(($(fds "$PID") - fd0)) \
		"$(errlines)" - "$(verdict test "$G_ERR" = 0) $G_ERR failed"
	stop_pid "$PID"
}

# 5. backend restart under load: connections fail only while it is down, each
# with its RC line; served again within 1 s of the backend: the last failure
# logged is at most 1 s after the backend listens again, and the looping
# clients keep completing handshakes after it.
s_backend() {
	local gp t_be last ms rc line failed
	start_proxy attlsd
	"$TLSLOAD" -m hs -p "$PORT" -c "$GOOD_C" -d 6 -w 0 -t 10 >"$OUT/backend.out" \
		2>>"$OUT/tlsload.err" &
	gp=$!
	sleep 2
	stop_pid "$BACKEND_PID"
	sleep 1
	start_backend
	t_be=$(date +%s%3N)
	wait "$gp"
	line=$(grep '^RESULT' "$OUT/backend.out" | tail -1)
	rc=$(grep -c 'EZD1286I.* RC: 510[123] ' "$LOGF")
	last=$(grep 'EZD1286I.* RC: 510[123] ' "$LOGF" | tail -1 | cut -d' ' -f1)
	last=$(date -d "$last" +%s%3N 2>/dev/null || echo 0)
	ms=$((last > t_be ? last - t_be : 0))
	G_ERR=$(($(kv err_connect "$line") + $(kv err_handshake "$line") + $(kv err_io "$line") +
		$(kv err_badresp "$line") + $(kv timeouts "$line")))
	failed=$G_ERR
	good 1 2 # served after it
	row backend-restart attlsd "1 s outage, $(kv count "$line") ok" "$G_PCT" \
		"$(kv lat_p99_ms "$line")" - - "$rc" - \
		"$(verdict test "$ms" -le 1000 -a "$rc" -gt 0 -a "$G_OK" -gt 0) failures end ${ms} ms after the backend; $failed failed, $rc RC lines"
	stop_pid "$PID"
}

# 6. disk full: capture_dir and event_log on a full 64 KiB tmpfs; failing
# clients produce events and captures; good clients must still be served.
s_diskfull() {
	FULLDIR=$OUT/full
	mkdir -p "$FULLDIR"
	if ! mount -t tmpfs -o size=64k tmpfs "$FULLDIR" 2>>"$OUT/run.log"; then
		row disk-full attlsd "(needs root for a tmpfs)" - - - - - - skipped
		FULLDIR=
		return
	fi
	mkdir -p "$FULLDIR/cap"
	head -c 1M /dev/zero >"$FULLDIR/fill" 2>/dev/null
	start_proxy attlsd "  event_log: $FULLDIR/events.jsonl
  capture_dir: $FULLDIR/cap"
	local i warn
	for i in $(seq 20); do
		printf 'GET / HTTP/1.0\r\n\r\n' >/dev/tcp/127.0.0.1/"$PORT" 2>/dev/null
	done
	good 3 4
	warn=$(grep -ci 'no space\|ENOSPC\|cannot write\|event log' "$LOGF")
	row disk-full attlsd "20 failures, disk full" "$G_PCT" "$G_P99" - - "$(errlines)" - \
		"$(verdict ge "$G_PCT" 99) $warn warning lines"
	stop_pid "$PID"
	umount "$FULLDIR"
	FULLDIR=
}

# 7. integrity: random bytes each way through an echo backend, SHA-256 at
# both ends, with 2 workers: no mismatch, no byte lost. The slowread variant's
# backend reads 256 KiB/s, so attlsd must hold back the client (backpressure):
# its RSS may grow by at most 512 KiB per connection in flight, far below the
# bytes each connection moves.
s_integrity() { integ_run integrity "$INTEG_N" 4 0; }
s_slowread() { integ_run slowread "$SLOWREAD_N" 16 "$SLOWREAD_KIB" --read-rate 262144; }

# integ_run ROW N CONCURRENCY KIB [BACKEND OPTIONS]: KIB, when not 0, is the
# RSS growth allowed per connection in flight.
integ_run() {
	local row=$1 n=$2 conc=$3 kib=$4 ep i bad=0 lost=0 out sent recv pids=() rss0 peak r alive
	shift 4
	rm -f "$OUT/echo.ready"
	"$PY" "$ECHO_BACKEND" --ready "$OUT/echo.ready" "$@" echo >"$OUT/echo.log" 2>&1 &
	ep=$!
	STARTED+=("$ep")
	for _ in $(seq 300); do [ -s "$OUT/echo.ready" ] && break; sleep 0.1; done
	BE_PORT=$(cat "$OUT/echo.ready")
	start_proxy attlsd
	BE_PORT=
	rss0=$(rss_kib "$PID") peak=$rss0
	for i in $(seq "$n"); do
		out=$OUT/integ.$((i % conc))
		timeout 300 "$PY" "$TLSCLIENT" --ca "$OUT/server.crt" --timeout 240 "127.0.0.1:$PORT" \
			"send:$INTEG_BYTES" shut recv >"$out.$i" 2>&1 &
		pids+=($!)
		if [ $((i % conc)) = 0 ] || [ "$i" = "$n" ]; then
			# RSS sampled while the batch moves its bytes: the peak counts.
			while :; do
				alive=0
				for r in "${pids[@]}"; do kill -0 "$r" 2>/dev/null && alive=1; done
				r=$(rss_kib "$PID")
				[ "$r" -gt "$peak" ] && peak=$r
				[ "$alive" = 1 ] || break
				sleep 0.2
			done
			wait "${pids[@]}"
			pids=()
		fi
	done
	for out in "$OUT"/integ.*.*; do
		sent=$(sed -n 's/^sent_sha256=//p' "$out")
		recv=$(sed -n 's/^received_sha256=//p' "$out")
		[ -n "$sent" ] && [ "$sent" = "$recv" ] && continue
		bad=$((bad + 1))
		lost=$((lost + INTEG_BYTES - $(sed -n 's/^received=//p' "$out" | head -1)))
	done
	[ "$bad" = 0 ] && rm -f "$OUT"/integ.*.*
	local grow=$((peak - rss0)) cap=-1 capnote=
	[ "$conc" -le "$n" ] || conc=$n
	if [ "$kib" != 0 ]; then
		cap=$((conc * kib))
		capnote=" (cap ${cap}: $kib per connection in flight)"
	fi
	row "$row" attlsd "$n x $INTEG_BYTES B, $conc at once" \
		"$(awk -v b="$bad" -v n="$n" 'BEGIN {printf "%.2f", 100 * (n - b) / n}')" - "$grow" - \
		"$(errlines)" "$lost" \
		"$(verdict test "$bad" = 0 -a \( "$cap" = -1 -o "$grow" -le "$cap" \)) $bad mismatches, peak RSS +${grow} KiB$capnote"
	stop_pid "$PID"
	stop_pid "$ep"
}

start_backend
log "reliability: $( [ $SHORT = 1 ] && echo short || echo full) run; proxies: $PROXIES; attlsd $ATTLSD"
for sc in $SCENARIOS; do
	case $sc in
	slowloris | exhaustion | churn)
		for p in $PROXIES; do "s_$sc" "$p"; done ;;
	reload | backend | diskfull | integrity | slowread) "s_$sc" ;;
	*) die "unknown scenario '$sc'" ;;
	esac
done

{
	printf '%-16s %-8s %-22s %7s %8s %9s %6s %7s %6s  %s\n' scenario proxy "load held" \
		"good %" "p99 ms" "RSS +KiB" "fd +" "errors" "lost" verdict
	printf '%s\n' "${ROWS[@]}"
} | tee "$OUT/results.txt"
[ "$FAILS" = 0 ] || { log "$FAILS scenario(s) missed their figure"; exit 1; }
exit 0
