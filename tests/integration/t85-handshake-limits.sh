#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# max_handshakes_per_source, max_handshakes and shedding, with real sockets
# from four loopback sources and one worker (so that the order is known):
# silent sockets beyond a source's share are refused (RC 5119); at the global
# limit a new connection closes the oldest silent one (RC 5121) instead of
# being refused; connections that have sent part of a ClientHello (progress)
# are never shed, so once only they are left a new one is refused (RC 5120);
# every cause line names the source and the limit.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r p1 <<<"$(free_ports 1)"
policy_new
policy_settings 'workers: 1' 'max_handshakes_per_source: 4' 'max_handshakes: 6'
policy_keyring ring1 server
policy_group grp-on
policy_env env-server Server ring1 'handshake_timeout: 60'
policy_rule r1 "$p1" env-server "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"

# hold NAME SRC MODE N: holdconns.py in the background; waits for its report.
declare -A HOLD
hold() {
	"$T_PY" "$T_DIR/holdconns.py" --src "$2" --mode "$3" --ca "$T_PKI/ca.crt" --n "$4" \
		--ready "$T_TMP/$1.held" "127.0.0.1:$p1" >"$T_TMP/$1.log" 2>&1 &
	t_track $!
	HOLD[$1]=$!
	wait_file "$T_TMP/$1.held" 30 || { cat "$T_TMP/$1.log"; t_fail "holdconns $1 did not report"; }
}
# held NAME: its counts now.
held() {
	rm -f "$T_TMP/$1.held"
	kill -USR1 "${HOLD[$1]}"
	wait_file "$T_TMP/$1.held" 10 || t_fail "holdconns $1 did not report again"
	cat "$T_TMP/$1.held"
}
# count RC: EZD1286I lines with this RC so far.
count() { grep -Ec "$(rc_pattern "$1")" "$ATTLSD_LOG"; }

# 1. Six silent sockets from 127.0.0.1: its share is four.
hold silent 127.0.0.1 silent 6
assert_eq "127.0.0.1 keeps 4 silent sockets" "held=4 closed=2" "$(<"$T_TMP/silent.held")"
wait_count "$ATTLSD_LOG" "$(rc_pattern 5119)" 2 || { show_seen; t_fail "two RC 5119 lines expected"; }
assert_match "5119 cause names source and limit" \
	'source 127\.0\.0\.1 already has 4 connections that have not finished their handshake: settings\.max_handshakes_per_source is 4' \
	"$(cause_of 5119)"

# 2. Two handshakes in progress from 127.0.0.2: six in all, the global limit.
hold progress 127.0.0.2 hello 2
assert_eq "127.0.0.2 holds 2 handshakes in progress" "held=2 closed=0" "$(<"$T_TMP/progress.held")"

# 3. A real TLS client from 127.0.0.3 gets in: the oldest silent socket goes.
hold good 127.0.0.3 tls 1
assert_eq "a TLS client is served at the limit" "held=1 closed=0" "$(<"$T_TMP/good.held")"
wait_count "$ATTLSD_LOG" "$(rc_pattern 5121)" 1 || { show_seen; t_fail "no RC 5121 (shed) line"; }
assert_match "5121 cause says why it was closed" \
	'it had sent nothing for [0-9]+ ms when a new connection from 127\.0\.0\.3 found settings\.max_handshakes \(6\) reached' \
	"$(cause_of 5121)"
assert_eq "one silent socket of 127.0.0.1 was shed" "held=3 closed=3" "$(held silent)"

# 4. Four more in progress from 127.0.0.4: three of them shed the remaining
# silent sockets; the handshakes in progress are never shed.
hold more 127.0.0.4 hello 4
assert_eq "127.0.0.4 holds 4 handshakes in progress" "held=4 closed=0" "$(<"$T_TMP/more.held")"
assert_eq "every silent socket was shed" "held=0 closed=6" "$(held silent)"
assert_eq "no handshake in progress was shed" "held=2 closed=0" "$(held progress)"
assert_eq "shed lines" 4 "$(count 5121)"

# 5. Only progress left at the limit: a new connection is refused.
log_mark
hold late 127.0.0.5 hello 1
assert_eq "127.0.0.5 refused at max_handshakes" "held=0 closed=1" "$(<"$T_TMP/late.held")"
expect_rc 5120 "$p1"
assert_match "5120 cause names the limit and source" \
	'6 handshakes are in progress in all workers \(settings\.max_handshakes\).*source 127\.0\.0\.5' "$RC_CAUSE"

# 6. The sources let go: everything is served again, from the first source too.
for n in progress more good; do t_kill "${HOLD[$n]}"; done
p_served() {
	tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p1" 'text:again\n' shut recv \
		>"$T_TMP/again.out" 2>&1
}
wait_until 10 p_served || { cat "$T_TMP/again.out"; t_fail "not served after the sources let go"; }
assert_eq "served again" "again" "$(kv "$T_TMP/again.out" first_line)"
attlsd_stop
t_done
