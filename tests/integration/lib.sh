# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the attlsd integration tests; sourced by tNN-*.sh.
#
# Environment:
#   ATTLSD             attlsd binary (default: the repo's ./attlsd next to the sources,
#                      else ./attlsd in the current (build) directory)
#   ATTLSD_ARGS        extra arguments for every attlsd start (e.g. "-d")
#   ATTLS_TEST_PKI     PKI directory to use/create (default: tests/integration/tmp/pki)
#   ATTLS_TEST_KEEP=1  keep the temporary directory of a test
#   PYTHON             python 3 interpreter (default: python3)
#   ATTLS_VALGRIND=1   run attlsd under valgrind memcheck; a leak, an invalid access or
#                      an uninitialised read fails the test with the report
#   ATTLS_VALGRIND_SCALE  factor for the waits on attlsd under valgrind (default 20)
#   ATTLS_VALGRIND_OPTS   more valgrind options (e.g. --show-leak-kinds=all to look
#                      at what is still reachable at exit)
#
# Exit codes: 0 pass, 1 fail, 77 skip (a required external tool is missing).
# shellcheck disable=SC2034 # variables set here are used by the tests

set -u

T_NAME=$(basename "$0" .sh)
T_DIR=$(cd "$(dirname "$0")" && pwd)
T_TOP=$(cd "$T_DIR/../.." && pwd)
T_PY=${PYTHON:-python3}
T_PIDS=()
T_ATTLSD_N=0
ATTLSD_PID=
ATTLSD_LOG=
T_MARK=0

t_log() { printf '%s: %s\n' "$T_NAME" "$*"; }
t_ok() { printf '%s: ok: %s\n' "$T_NAME" "$*"; }

# t_fail MESSAGE...: report and exit 1 (cleanup dumps the attlsd logs).
t_fail() {
	printf '%s: FAIL: %s\n' "$T_NAME" "$*"
	exit 1
}

# t_fail_soft MESSAGE...: report a failure but keep going; t_done exits 1 later.
T_SOFT_FAILS=0
t_fail_soft() {
	printf '%s: FAIL: %s\n' "$T_NAME" "$*"
	T_SOFT_FAILS=$((T_SOFT_FAILS + 1))
}

# t_done: end of a test: exit 0, or 1 if t_fail_soft was called.
t_done() {
	((T_SOFT_FAILS == 0)) || {
		echo "$T_NAME: $T_SOFT_FAILS failure(s) reported above"
		exit 1
	}
	exit 0
}

t_skip() {
	printf '%s: SKIP: %s\n' "$T_NAME" "$*"
	exit 77
}

# need_tool NAME...: skip the test when an external tool is missing.
need_tool() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || t_skip "required tool '$t' is not installed"
	done
}

# t_running PID: true while PID exists and is not a zombie.
t_running() {
	local st
	[[ -r /proc/$1/stat ]] || return 1
	{ st=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
	st=${st##*) }
	[[ ${st:0:1} != Z ]]
}

# t_track PID: kill PID on exit.
t_track() { T_PIDS+=("$1"); }

# t_kill PID: TERM, then KILL after 3 s (scaled: valgrind's leak check at exit of
# an attlsd must not be cut short); reaps it.
t_kill() {
	local pid=$1 i
	t_running "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 60 * T_SCALE; i++)); do
		t_running "$pid" || break
		sleep 0.05
	done
	t_running "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

t_cleanup() {
	local rc=$? pid f
	trap - EXIT INT TERM HUP
	[[ -n ${T_WATCHDOG:-} ]] && kill -TERM "$T_WATCHDOG" 2>/dev/null
	for pid in "${T_PIDS[@]}"; do
		t_running "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${T_PIDS[@]}"; do t_kill "$pid"; done
	# Every attlsd has exited now: each must have left a clean verdict.
	if ((T_VALGRIND && rc != 77)) && ! valgrind_verdicts final; then
		((rc != 0)) || echo "$T_NAME: FAIL: valgrind found errors in attlsd, or has no verdict (above)"
		rc=1
	fi
	if ((rc != 0 && rc != 77)) && [[ -d ${T_TMP:-} ]]; then
		for f in "$T_TMP"/attlsd.*.log; do
			[[ -f $f ]] || continue
			echo "----- last lines of ${f##*/} -----"
			tail -n 40 "$f"
		done
	fi
	if [[ ${ATTLS_TEST_KEEP:-0} == 1 ]]; then
		echo "$T_NAME: kept $T_TMP"
	else
		rm -rf "${T_TMP:?}"
	fi
	exit "$rc"
}

# ---------------------------------------------------------------- valgrind

# ATTLS_VALGRIND=1: attlsd_start runs attlsd under memcheck, which makes start-up
# and handshakes about 20 times slower. T_SCALE stretches the bounds of every wait
# on attlsd (start, RC lines, stop, kill); a bound is only reached when something
# is wrong, so the scaling costs nothing when all is well. The few bounds tests
# put on a duration themselves (t05, t08, t46: 4-5 times the configured timer)
# are left as they are: under valgrind the timers still fired within 1.15x.
T_VALGRIND=0
T_SCALE=1
if [[ ${ATTLS_VALGRIND:-0} == 1 ]]; then
	T_VALGRIND=1
	T_SCALE=${ATTLS_VALGRIND_SCALE:-20}
fi
# The exit status valgrind gives attlsd when it found an error.
T_VG_STATUS=97

# valgrind_verdicts [final]: checks the memcheck log of every attlsd of this test
# that has exited ("ERROR SUMMARY: 0 errors"); prints the report of each that
# found errors and returns 1. With "final" (all attlsd are gone), a log without a
# summary also fails: that attlsd was killed or crashed before valgrind's checks.
T_VG_SHOWN=" "
valgrind_verdicts() {
	local f n bad=0
	for f in "$T_TMP"/attlsd.*.valgrind.*; do
		[[ -f $f ]] || continue
		# A report already printed (check_sanitizers, then t_cleanup) still counts.
		[[ $T_VG_SHOWN == *" $f "* ]] && { bad=1; continue; }
		n=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f" | tail -n 1)
		if [[ -z $n ]]; then
			[[ ${1:-} == final ]] || continue
			echo "----- ${f##*/}: no ERROR SUMMARY (attlsd killed or crashed under valgrind) -----"
			tail -n 40 "$f"
		elif ((n != 0)); then
			echo "----- valgrind report ${f##*/}: $n error(s) (first 400 lines) -----"
			head -n 400 "$f"
		else
			continue
		fi
		bad=1
		T_VG_SHOWN+="$f "
	done
	return "$bad"
}

# ---------------------------------------------------------------- setup

need_tool "$T_PY" timeout ss
((T_VALGRIND)) && need_tool valgrind
"$T_PY" -c 'import sys, ssl; sys.exit(sys.version_info < (3, 7))' 2>/dev/null ||
	t_skip "$T_PY is not Python >= 3.7 with the ssl module"

T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/attls-$T_NAME.XXXXXX") || {
	echo "$T_NAME: mktemp failed"
	exit 1
}
trap t_cleanup EXIT
trap 'echo "$T_NAME: FAIL: interrupted"; exit 1' INT HUP
trap 'echo "$T_NAME: FAIL: test timed out or was terminated"; exit 1' TERM

# Watchdog: the whole test is bounded (override with T_LIMIT before sourcing).
# It uses the read builtin on a private FIFO so that it has no child to leak.
mkfifo "$T_TMP/.watchdog"
(
	trap - TERM
	read -r -t "$((${T_LIMIT:-120} * (T_VALGRIND ? 3 : 1)))" <>"$T_TMP/.watchdog" || kill -TERM $$ 2>/dev/null
) &
T_WATCHDOG=$!

if [[ -z ${ATTLSD:-} ]]; then
	ATTLSD=$T_TOP/attlsd
	# VPATH build: the scripts live in the source tree, attlsd in the build dir.
	[[ -x $ATTLSD ]] || [[ ! -x ./attlsd ]] || ATTLSD=$PWD/attlsd
fi
[[ $ATTLSD == /* ]] || ATTLSD=$PWD/$ATTLSD
[[ -x $ATTLSD ]] || t_fail "attlsd binary not found or not executable: $ATTLSD (build it first or set ATTLSD)"

# Shared PKI cache; falls back to a private copy when the source tree is read-only.
if [[ -n ${ATTLS_TEST_PKI:-} ]]; then
	T_PKI=$ATTLS_TEST_PKI
elif mkdir -p "$T_DIR/tmp/pki" 2>/dev/null && [[ -w $T_DIR/tmp/pki ]]; then
	T_PKI=$T_DIR/tmp/pki
else
	T_PKI=$T_TMP/pki
fi
need_tool openssl
timeout 60 sh "$T_TOP/contrib/mkpki.sh" "$T_PKI" >/dev/null ||
	t_fail "contrib/mkpki.sh $T_PKI failed"
T_PKI=$(cd "$T_PKI" && pwd)
export ATTLS_PKI=$T_PKI

# ---------------------------------------------------------------- the daemon's user

# attlsd drops to settings.user (default attlsd) once started (doc/security.md):
# as root, the tests make that user when missing, and let it read what a test
# writes (T_TMP: group attlsd, traversable and writable for capture and event
# logs) and the keys (0640 root:attlsd, as doc/security.md asks of keys).
T_DAEMON_USER=attlsd
t_daemon_user() {
	(($(id -u) == 0)) || return 0
	getent passwd "$T_DAEMON_USER" >/dev/null ||
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$T_DAEMON_USER" 2>/dev/null ||
		getent passwd "$T_DAEMON_USER" >/dev/null ||
		t_fail "cannot create the system user $T_DAEMON_USER that attlsd drops to"
}

# key_perms FILE...: owner root, group attlsd, mode 0640: what attlsd accepts
# for a key, PIN or passphrase file and can re-read after its privilege drop.
key_perms() {
	(($(id -u) == 0)) || { chmod 0600 "$@"; return 0; }
	chown "root:$T_DAEMON_USER" "$@" && chmod 0640 "$@" || t_fail "cannot chown/chmod $*"
}

# daemon_writable DIR...: a directory attlsd writes to after the drop (capture,
# event log): group attlsd, mode 0770.
daemon_writable() {
	(($(id -u) == 0)) || return 0
	chown "root:$T_DAEMON_USER" "$@" && chmod 0770 "$@" || t_fail "cannot chown/chmod $*"
}

t_daemon_user
daemon_writable "$T_TMP"
# The shared PKI: each key the way attlsd wants it (mkpki.sh writes them 0600).
for f in "$T_PKI"/*.key; do
	[[ $(stat -c %G:%a "$f") == "$T_DAEMON_USER:640" ]] || key_perms "$f"
done

# shellcheck source=policy.sh
. "$T_DIR/policy.sh"

# ---------------------------------------------------------------- waiting

# wait_until SECS CMD...: runs CMD every 50 ms until it succeeds; 1 if SECS
# (whole seconds of the wall clock, scaled under valgrind) pass first. Every
# wait of a test goes through here or through a helper built on it: the tests
# never sleep to let something happen.
wait_until() {
	local end=$((${EPOCHREALTIME/./} + $1 * T_SCALE * 1000000))
	shift
	until "$@"; do
		((${EPOCHREALTIME/./} < end)) || return 1
		sleep 0.05
	done
}

# ---------------------------------------------------------------- ports

# free_ports N: prints N distinct currently free TCP ports on 127.0.0.1 (and ::1).
free_ports() {
	"$T_PY" - "$1" <<'EOF'
# Ports below the kernel's ephemeral range: a port taken from that range and
# released again can be handed to any client's connect() (this test's or a
# concurrent one's) before attlsd binds it. Random, so that tests running side
# by side rarely pick the same one; each is checked free on IPv4 and IPv6.
import random, socket, sys
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
low = max(low, 12000)
socks, ports = [], []
while len(ports) < int(sys.argv[1]):
    p = random.randrange(10000, low)
    if p in ports:
        continue
    s = socket.socket()
    socks.append(s)
    try:
        s.bind(("0.0.0.0", p))
    except OSError:
        continue
    try:  # a host without IPv6 only needs the IPv4 port
        s6 = socket.socket(socket.AF_INET6)
        socks.append(s6)
        s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s6.bind(("::", p))
    except OSError as e:
        if e.errno == 98:  # EADDRINUSE
            continue
    ports.append(p)
print(" ".join(map(str, ports)))
EOF
}

free_port() { free_ports 1; }

# wait_tcp HOST PORT [SECS]: wait until something accepts TCP connections there.
wait_tcp() {
	wait_until "${3:-10}" timeout 1 bash -c ": >/dev/tcp/$1/$2" 2>/dev/null
}

# port_refused HOST PORT: true when a TCP connect is actively refused.
port_refused() {
	"$T_PY" - "$1" "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.settimeout(2)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
except ConnectionRefusedError:
    sys.exit(0)
except OSError:
    sys.exit(2)
sys.exit(1)
EOF
}

# ---------------------------------------------------------------- files

# write_policy NAME: writes stdin to $T_TMP/NAME.yaml and prints the path.
write_policy() {
	local f=$T_TMP/$1.yaml
	cat >"$f"
	printf '%s\n' "$f"
}

# random_file PATH BYTES
random_file() { head -c "$2" /dev/urandom >"$1"; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# kv FILE KEY: value of "KEY=value" in FILE (as written by tlsclient.py / backend.py).
kv() { sed -n "s/^$2=//p" "$1" | head -n 1; }

# ---------------------------------------------------------------- backends

# start_http_backend DIR: python3 -m http.server serving DIR; sets HTTP_PORT.
start_http_backend() {
	HTTP_PORT=$(free_port)
	"$T_PY" -m http.server --bind 127.0.0.1 --directory "$1" "$HTTP_PORT" \
		>"$T_TMP/http.$HTTP_PORT.log" 2>&1 &
	t_track $!
	wait_tcp 127.0.0.1 "$HTTP_PORT" 10 || t_fail "http.server did not start on port $HTTP_PORT"
}

# start_backend MODE [ARGS...]: tests/integration/backend.py on a port it picks
# itself; sets BACKEND_PORT and BACKEND_REPORT (one line per event).
start_backend() {
	local n=$((${T_BACKEND_N:-0} + 1))
	T_BACKEND_N=$n
	BACKEND_REPORT=$T_TMP/backend.$n.report
	: >"$BACKEND_REPORT"
	"$T_PY" "$T_DIR/backend.py" --ready "$T_TMP/backend.$n.ready" \
		--report "$BACKEND_REPORT" "$@" >"$T_TMP/backend.$n.log" 2>&1 &
	t_track $!
	wait_until 10 p_ready_or_dead "$T_TMP/backend.$n.ready" "$!"
	[[ -s $T_TMP/backend.$n.ready ]] || {
		cat "$T_TMP/backend.$n.log"
		t_fail "backend.py $* did not start"
	}
	BACKEND_PORT=$(<"$T_TMP/backend.$n.ready")
}

# p_ready_or_dead FILE PID: FILE has content, or PID is gone (no point waiting).
p_ready_or_dead() { [[ -s $1 ]] || ! t_running "$2"; }

# wait_report FILE REGEX [SECS]: wait for a line matching REGEX; prints it.
wait_report() {
	wait_until "${3:-10}" grep -Eq -- "$2" "$1" 2>/dev/null || return 1
	grep -E -m1 -- "$2" "$1"
}

# wait_count FILE ERE N [SECS]: wait until at least N lines of FILE match ERE.
wait_count() {
	wait_until "${4:-10}" p_count_ge "$1" "$2" "$3"
}
p_count_ge() { (($(grep -Ec -- "$2" "$1" 2>/dev/null) >= $3)); }

# wait_file FILE [SECS]: wait until FILE exists and is not empty.
wait_file() { wait_until "${2:-10}" test -s "$1"; }

# ---------------------------------------------------------------- clients

# tlsclient ARGS...: runs tests/integration/tlsclient.py (bounded); see its --help.
tlsclient() { timeout 120 "$T_PY" "$T_DIR/tlsclient.py" "$@"; }

# tlsclient_bg OUT ARGS...: the same in the background, output in OUT; sets BG_PID
# (the timeout process itself, so that killing it also stops the client).
tlsclient_bg() {
	local out=$1
	shift
	timeout 120 "$T_PY" "$T_DIR/tlsclient.py" "$@" >"$out" 2>&1 &
	BG_PID=$!
	t_track "$BG_PID"
}

# SCLIENT_VERIFY: the s_client options that check attlsd's server certificate
# the way a careful client does (host name localhost, the test CA).
SCLIENT_VERIFY=(-servername localhost -CAfile "$T_PKI/ca.crt" -verify_return_error)
# HTTP_GET: the request for index.html that the http backends answer (sclient -s).
HTTP_GET='GET /index.html HTTP/1.0\r\n\r\n'

# sclient [-o FILE] [-t SECS] [-s TEXT | -u ERE | -w CMD]... [-x] [HOST:]PORT [s_client OPTIONS...]
# The one openssl s_client of the tests, bounded by SECS (default 15) in all.
# Output (stdout and stderr) in FILE (default $T_TMP/sclient.out). Its stdin
# stays open while the steps run in order: -s writes TEXT (printf %b), -u waits
# until the output matches ERE, -w until "eval CMD" succeeds (both fail at once,
# status 1, if s_client exits or SECS pass first). Then -x ends s_client (the
# conversation is over; status 0), else its stdin is closed and sclient returns
# s_client's exit status (124: SECS passed).
sclient() {
	local out=$T_TMP/sclient.out secs=15 stop=0 steps=() fifo fd pid st=0 i end target
	while (($#)); do
		case $1 in
		-o) out=$2 ;;
		-t) secs=$2 ;;
		-s | -u | -w) steps+=("$1" "$2") ;;
		-x) stop=1 && shift && continue ;;
		*) break ;;
		esac
		shift 2
	done
	target=$1
	shift
	[[ $target == *:* ]] || target=127.0.0.1:$target
	secs=$((secs * T_SCALE))
	end=$((${EPOCHREALTIME/./} + secs * 1000000))
	fifo=$(mktemp -u "$T_TMP/.sclient.XXXXXX")
	mkfifo "$fifo"
	timeout "$secs" openssl s_client -connect "$target" "$@" <"$fifo" >"$out" 2>&1 &
	pid=$!
	exec {fd}>"$fifo"
	rm -f "$fifo"
	for ((i = 0; i < ${#steps[@]}; i += 2)); do
		if [[ ${steps[i]} == -s ]]; then
			# In a subshell: a write after s_client has gone must not SIGPIPE the test.
			(printf '%b' "${steps[i + 1]}" >&"$fd") 2>/dev/null
			continue
		fi
		until p_sclient_step "${steps[@]:i:2}" "$out"; do
			if ! t_running "$pid" || ((${EPOCHREALTIME/./} > end)); then
				p_sclient_step "${steps[@]:i:2}" "$out" && break
				st=1 stop=1
				break 2
			fi
			sleep 0.05
		done
	done
	((stop)) && kill -TERM "$pid" 2>/dev/null
	exec {fd}>&-
	wait "$pid"
	((stop)) || st=$?
	return "$st"
}

# p_sclient_step -u ERE FILE | -w CMD FILE: the condition a step waits for.
p_sclient_step() {
	if [[ $1 == -u ]]; then grep -Eq -- "$2" "$3"; else eval "$2"; fi
}

# sclient_fails [HOST:]PORT [s_client OPTIONS...]: an s_client that must not
# complete a session (fails the test, with its output, if it does).
sclient_fails() {
	if sclient "$@"; then
		cat "$T_TMP/sclient.out"
		t_fail "openssl s_client ${*:2} to $1 succeeded"
	fi
}

# ---------------------------------------------------------------- attlsd

# attlsd_start POLICY [ARGS...]: starts "attlsd -F -f POLICY" with stderr in
# $ATTLSD_LOG and waits for EZZ4250I; fails if attlsd exits or stays silent.
# Under ATTLS_VALGRIND=1 the report goes to attlsd.N.valgrind.PID, apart from the
# log the tests read; valgrind runs attlsd in its own process, so ATTLSD_PID is
# attlsd's and signals reach it directly.
attlsd_start() {
	local policy=$1 i vg=()
	shift
	T_ATTLSD_N=$((T_ATTLSD_N + 1))
	ATTLSD_LOG=$T_TMP/attlsd.$T_ATTLSD_N.log
	: >"$ATTLSD_LOG"
	if ((T_VALGRIND)); then
		vg=(valgrind "--error-exitcode=$T_VG_STATUS" --leak-check=full
			--errors-for-leak-kinds=definite --show-leak-kinds=definite --track-fds=no
			--trace-children=yes
			--log-file="$T_TMP/attlsd.$T_ATTLSD_N.valgrind.%p")
		[[ -f $T_DIR/valgrind.supp ]] && vg+=(--suppressions="$T_DIR/valgrind.supp")
		# shellcheck disable=SC2206 # options are words
		vg+=(${ATTLS_VALGRIND_OPTS:-})
	fi
	# shellcheck disable=SC2086
	"${vg[@]}" "$ATTLSD" -F -f "$policy" ${ATTLSD_ARGS:-} "$@" >"$T_TMP/attlsd.$T_ATTLSD_N.out" 2>"$ATTLSD_LOG" &
	ATTLSD_PID=$!
	t_track "$ATTLSD_PID"
	T_MARK=0
	for ((i = 0; i < 200 * T_SCALE; i++)); do
		if grep -q 'EZZ4250I AT-TLS SERVICES ARE AVAILABLE FOR' "$ATTLSD_LOG"; then
			t_ok "attlsd started (pid $ATTLSD_PID, log ${ATTLSD_LOG##*/})"
			log_mark
			return 0
		fi
		if ! t_running "$ATTLSD_PID"; then
			wait "$ATTLSD_PID"
			local rc=$?
			echo "--- attlsd stderr:"
			cat "$ATTLSD_LOG"
			t_fail "attlsd exited with status $rc before logging EZZ4250I (policy $policy)"
		fi
		sleep 0.05
	done
	echo "--- attlsd stderr:"
	cat "$ATTLSD_LOG"
	t_fail "attlsd did not log EZZ4250I within $((10 * T_SCALE)) s"
}

attlsd_alive() {
	t_running "$ATTLSD_PID" || {
		wait "$ATTLSD_PID"
		t_fail "attlsd (pid $ATTLSD_PID) died unexpectedly with status $?"
	}
}

# wait_exit PID SECS: waits for PID (a child of this shell) to exit; sets
# EXIT_STATUS to its exit status, or to "timeout".
wait_exit() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 20 * T_SCALE; i++)); do
		if ! t_running "$pid"; then
			wait "$pid"
			EXIT_STATUS=$?
			return 0
		fi
		sleep 0.05
	done
	EXIT_STATUS=timeout
}

# attlsd_stop [SECS]: SIGTERM, expect exit status 0 within SECS (default 10; scaled
# under valgrind like every wait_exit).
attlsd_stop() {
	attlsd_alive
	kill -TERM "$ATTLSD_PID"
	wait_exit "$ATTLSD_PID" "${1:-10}"
	# First the sanitizer and valgrind reports: they say why the status is not 0.
	check_sanitizers
	[[ $EXIT_STATUS == 0 ]] || t_fail "attlsd after SIGTERM: expected exit status 0, got '$EXIT_STATUS'"
	t_ok "attlsd stopped cleanly on SIGTERM (exit 0)"
}

# check_sanitizers: fail on sanitizer reports in any attlsd log of this test, and
# on valgrind errors of any attlsd that has exited (under ATTLS_VALGRIND=1).
check_sanitizers() {
	local f
	for f in "$T_TMP"/attlsd.*.log; do
		[[ -f $f ]] || continue
		if grep -Eq 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$f"; then
			grep -E -m5 'Sanitizer|runtime error:' "$f"
			t_fail "sanitizer report in ${f##*/}"
		fi
	done
	((T_VALGRIND == 0)) || valgrind_verdicts || t_fail "valgrind found errors in attlsd"
}

# log_mark: later expectations only look at log lines written after this point.
log_mark() {
	T_MARK=$(wc -l <"$ATTLSD_LOG")
}

log_since_mark() { tail -n "+$((T_MARK + 1))" "$ATTLSD_LOG"; }

show_seen() {
	local seen
	seen=$(log_since_mark | grep -E 'EZD1286I|ATL1288I')
	echo "  seen (EZD1286I/ATL1288I lines since mark): ${seen:+
$seen}${seen:-(none)}"
}

# rc_pattern RC: the EZD1286I regex for a return code ("RC:  402 ", "RC: 5004 ").
rc_pattern() { printf 'EZD1286I TTLS Error .* RC: %4s( |$)' "$1"; }

# wait_log ERE [SECS]: wait (default 10 s) for a line matching ERE among those
# written since the mark; prints the first.
wait_log() {
	wait_until "${2:-10}" p_log_has "$1" || return 1
	log_since_mark | grep -E -m1 -- "$1"
}
p_log_has() { log_since_mark | grep -Eq -- "$1"; }

# cause_of CONNID|RC [SECS]: waits for the ATL1288I cause line of connection
# CONNID (8 hex digits) or, newest first, of return code RC anywhere in the log;
# prints it.
cause_of() {
	local pat
	if [[ $1 =~ ^[0-9A-Fa-f]{8}$ ]]; then
		pat="ATL1288I TTLS Cause CONNID: $1 "
	else
		pat="ATL1288I TTLS Cause CONNID: [0-9A-F]{8} $(printf 'RC: %4s' "$1") "
	fi
	wait_until "${2:-8}" grep -Eq -- "$pat" "$ATTLSD_LOG" || return 1
	grep -E -- "$pat" "$ATTLSD_LOG" | tail -n 1
}

# attlsd_sockets: attlsd's TCP sockets, "STATE RECV-Q LOCAL PEER" each, seen
# from its network namespace (the interception tests run it in one of theirs).
attlsd_sockets() {
	local in=()
	[[ /proc/$ATTLSD_PID/ns/net -ef /proc/$$/ns/net ]] || in=(nsenter -t "$ATTLSD_PID" -n)
	"${in[@]}" ss -Htanp 2>/dev/null | awk -v p="pid=$ATTLSD_PID," 'index($0, p) {print $1, $2, $4, $5}'
}

# attlsd_idle: attlsd holds no connection (only listening sockets with nothing
# waiting to be accepted). It logs a connection's lines before closing its socket.
attlsd_idle() {
	attlsd_sockets | awk '$1 != "LISTEN" || $2 != 0 {busy = 1} END {exit busy}'
}

# attlsd_holds PORT: attlsd has a socket whose peer port is PORT.
attlsd_holds() {
	attlsd_sockets | awk -v p=":$1" '{n = length(p)} substr($4, length($4) - n + 1) == p {f = 1} END {exit !f}'
}

p_let_go() { ! attlsd_holds "$1"; }

# wait_idle [SECS]: wait (default 10 s) until every connection attlsd had has
# ended, and so has been logged; fails the test if not.
wait_idle() {
	wait_until "${1:-10}" attlsd_idle && return 0
	echo "  attlsd's sockets:"
	attlsd_sockets | sed 's/^/    /'
	t_fail "attlsd still holds connections after ${1:-10} s"
}

# expect_rc RC [LOCALPORT] [SECS]: exactly one new EZD1286I line with this RC (and
# LOCAL ..LOCALPORT when given) and its ATL1288I cause line appear; attlsd lives.
# Sets RC_LINE, RC_CONNID and RC_CAUSE (the cause line) for further checks.
expect_rc() {
	local rc=$1 lport=${2:-} secs=${3:-8} line connid n cause pat peer
	pat=$(rc_pattern "$rc")
	if ! line=$(wait_log "$pat" "$secs"); then
		echo "  expected: an EZD1286I line with $(printf 'RC: %4s' "$rc") within ${secs}s"
		show_seen
		t_fail "RC $rc was not logged"
	fi
	if [[ -n $lport ]] && ! grep -Eq "LOCAL: [^ ]*\.\.$lport " <<<"$line"; then
		echo "  expected: LOCAL: ...$lport"
		echo "  seen:     $line"
		t_fail "RC $rc logged for the wrong local port"
	fi
	connid=$(sed -n 's/.* CONNID: \([0-9A-Fa-f]*\) .*/\1/p' <<<"$line")
	[[ -n $connid ]] || t_fail "no CONNID in: $line"
	if ! cause=$(wait_log "ATL1288I TTLS Cause CONNID: $connid $(printf 'RC: %4s' "$rc") " 2); then
		echo "  expected: ATL1288I TTLS Cause CONNID: $connid $(printf 'RC: %4s' "$rc") <text>"
		show_seen
		t_fail "no ATL1288I cause line for CONNID $connid"
	fi
	# Once attlsd has let go of the connection, all it logs about it is there.
	peer=$(sed -n 's/.* REMOTE: [^ ]*\.\.\([0-9]*\) .*/\1/p' <<<"$line")
	if [[ -n $peer ]] && ! wait_until 5 p_let_go "$peer"; then
		t_fail "attlsd still holds the connection of CONNID $connid 5 s after its RC $rc"
	fi
	n=$(log_since_mark | grep -c 'EZD1286I')
	if [[ $n != 1 ]]; then
		echo "  expected: exactly one EZD1286I line for one failed connection"
		show_seen
		t_fail "got $n EZD1286I lines"
	fi
	attlsd_alive
	t_ok "RC $rc logged: $line"
	t_ok "   cause: ${cause#*ATL1288I}"
	RC_LINE=$line RC_CONNID=$connid RC_CAUSE=$cause
	log_mark
}

# expect_no_error [SECS]: once attlsd holds no connection any more (wait_idle),
# no EZD1286I line since the mark.
expect_no_error() {
	wait_idle "${1:-10}"
	if log_since_mark | grep -q 'EZD1286I'; then
		echo "  expected: no EZD1286I line"
		show_seen
		t_fail "unexpected connection error logged"
	fi
	attlsd_alive
	log_mark
}

# assert_eq WHAT EXPECTED SEEN
assert_eq() {
	if [[ $2 != "$3" ]]; then
		echo "  expected: $2"
		echo "  seen:     $3"
		t_fail "$1"
	fi
	t_ok "$1: $3"
}

# assert_match WHAT ERE TEXT
assert_match() {
	if ! grep -Eq -- "$2" <<<"$3"; then
		echo "  expected to match: $2"
		echo "  seen: $3"
		t_fail "$1"
	fi
	t_ok "$1"
}

# assert_no_match WHAT ERE TEXT
assert_no_match() {
	if grep -Eq -- "$2" <<<"$3"; then
		echo "  expected NOT to match: $2"
		echo "  seen: $3"
		t_fail "$1"
	fi
	t_ok "$1"
}
