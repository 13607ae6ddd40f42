#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# settings.max_connections_per_source: one source (127.0.0.1) holding its
# limit of established TLS connections has further ones refused with RC 5118
# and a cause line naming the source and the limit, counted over both workers;
# another source (127.0.0.2) is still served; once the first source lets go,
# it is served again.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r p1 <<<"$(free_ports 1)"
policy_new
policy_settings 'workers: 2' 'max_connections_per_source: 3'
policy_standard
policy_rule r1 "$p1" env-server "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"
TC=(--ca "$T_PKI/ca.crt" --timeout 10)

# hold SRC MODE N NAME: holdconns.py in the background; waits for its report.
hold() {
	"$T_PY" "$T_DIR/holdconns.py" --src "$1" --mode "$2" --ca "$T_PKI/ca.crt" --n "$3" \
		--ready "$T_TMP/$4.held" "127.0.0.1:$p1" >"$T_TMP/$4.log" 2>&1 &
	t_track $!
	HOLD_PID=$!
	wait_file "$T_TMP/$4.held" 30 || { cat "$T_TMP/$4.log"; t_fail "holdconns $4 did not report"; }
}

# Five handshakes from 127.0.0.1: three stay, two are refused.
hold 127.0.0.1 tls 5 a
a_pid=$HOLD_PID
assert_eq "127.0.0.1 holds its limit, the rest refused" "held=3 closed=2" "$(<"$T_TMP/a.held")"
wait_count "$ATTLSD_LOG" "$(rc_pattern 5118)" 2 || { show_seen; t_fail "two RC 5118 lines expected"; }
cause=$(cause_of 5118) || t_fail "no cause line for RC 5118"
assert_match "the cause names the source and the limit" \
	'source 127\.0\.0\.1 already holds 3 connections: settings\.max_connections_per_source is 3' "$cause"
log_mark

# Another source is served meanwhile.
hold 127.0.0.2 tls 2 b
assert_eq "127.0.0.2 is served while 127.0.0.1 is at its limit" "held=2 closed=0" "$(<"$T_TMP/b.held")"
# And 127.0.0.1 still is not.
if tlsclient "${TC[@]}" "127.0.0.1:$p1" 'text:refused\n' shut recv >"$T_TMP/c.out" 2>&1; then
	cat "$T_TMP/c.out"
	t_fail "a fourth connection from 127.0.0.1 was served"
fi
expect_rc 5118 "$p1"

# The source lets go: it is served again.
p_served() {
	tlsclient "${TC[@]}" "127.0.0.1:$p1" 'text:again\n' shut recv >"$T_TMP/d.out" 2>&1
}
t_kill "$a_pid"
wait_until 10 p_served || { cat "$T_TMP/d.out"; t_fail "127.0.0.1 is not served after it let go"; }
assert_eq "127.0.0.1 served again" "again" "$(kv "$T_TMP/d.out" first_line)"
t_kill "$HOLD_PID"
attlsd_stop
t_done
