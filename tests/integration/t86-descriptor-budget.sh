#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# The descriptor budget: started with a soft limit of 300 under a hard one of
# 400, attlsd raises the soft limit to 400 and clamps max_connections (10000)
# to what 400 descriptors hold, with a warning; past the clamp a new socket
# closes the oldest silent one (RC 5121), and no accept ever meets EMFILE.
# Then the limit is lowered under the running attlsd (prlimit): new
# connections are reset at once (not left in the backlog), one line says so,
# and once descriptors are back a client is served and one line says that.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool prlimit

start_backend echo
read -r p1 <<<"$(free_ports 1)"
policy_new
# 'user: root': the test lowers attlsd's descriptor limit while it runs
# (prlimit), which takes the same user or CAP_SYS_RESOURCE, and root may lack
# the latter in a container.
policy_settings 'workers: 1' 'max_connections_per_source: 0' 'max_handshakes_per_source: 0' \
	'max_handshakes: 0' 'user: root'
policy_keyring ring1 server
policy_group grp-on
policy_env env-server Server ring1 'handshake_timeout: 60'
policy_rule r1 "$p1" env-server "127.0.0.1:$BACKEND_PORT"
pol=$(policy_file)
# attlsd inherits these (and so do the clients below, which need fewer).
{ ulimit -Sn 300 && ulimit -Hn 400; } || t_skip "cannot set the descriptor limit"
attlsd_start "$pol"

line=$(grep -m1 'descriptor limit (RLIMIT_NOFILE) raised' "$ATTLSD_LOG") ||
	t_fail "no line about raising the descriptor limit"
assert_match "soft limit raised to the hard one" 'raised from 300 to the hard limit 400' "$line"
assert_eq "attlsd runs with 400 descriptors" 400 "$(prlimit --pid "$ATTLSD_PID" --nofile -o SOFT --noheadings | tr -d ' ')"
line=$(grep -m1 'max_connections 10000 per worker is clamped to' "$ATTLSD_LOG") ||
	t_fail "no clamp warning"
t_ok "clamp: ${line#*attlsd[*]: }"
cap=$(sed -n 's/.*is clamped to \([0-9]*\):.*/\1/p' <<<"$line")
((cap > 50 && cap < 200)) || t_fail "clamp $cap is not what 400 descriptors hold for 1 worker"

# cap + 5 silent sockets: the five oldest are shed; no EMFILE.
"$T_PY" "$T_DIR/holdconns.py" --src 127.0.0.2 --mode silent --n $((cap + 5)) \
	--ready "$T_TMP/a.held" "127.0.0.1:$p1" >"$T_TMP/a.log" 2>&1 &
a_pid=$!
t_track "$a_pid"
wait_file "$T_TMP/a.held" 60 || { cat "$T_TMP/a.log"; t_fail "holdconns did not report"; }
assert_eq "attlsd holds the clamp, sheds the oldest" "held=$cap closed=5" "$(<"$T_TMP/a.held")"
wait_count "$ATTLSD_LOG" "$(rc_pattern 5121)" 5 || { show_seen; t_fail "five RC 5121 lines expected"; }
assert_match "5121 cause names the clamped limit" \
	"settings\\.max_connections \\($cap\\) reached" "$(cause_of 5121)"
if grep -q 'Too many open files' "$ATTLSD_LOG"; then t_fail "accept met EMFILE within the budget"; fi
t_ok "no EMFILE within the budget"
t_kill "$a_pid"
wait_idle 20
log_mark

# Descriptors taken away under the running attlsd: two to spare.
n=$(find "/proc/$ATTLSD_PID/fd" -mindepth 1 | wc -l)
prlimit --pid "$ATTLSD_PID" --nofile=$((n + 2)):400 || t_fail "prlimit failed"
t0=${EPOCHREALTIME/./}
"$T_PY" "$T_DIR/holdconns.py" --src 127.0.0.3 --mode silent --n 20 --wait 0.5 \
	--ready "$T_TMP/b.held" "127.0.0.1:$p1" >"$T_TMP/b.log" 2>&1 &
b_pid=$!
t_track "$b_pid"
wait_file "$T_TMP/b.held" 30 || { cat "$T_TMP/b.log"; t_fail "holdconns did not report"; }
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
read -r held closed < <(sed 's/held=\([0-9]*\) closed=\([0-9]*\)/\1 \2/' "$T_TMP/b.held")
t_ok "out of descriptors: held=$held closed=$closed in $ms ms"
((held <= 5 && closed >= 15)) || t_fail "expected at most 5 held (the descriptors left) and the rest reset at once"
wait_log 'accept: Too many open files: new connections are refused' 5 >/dev/null ||
	t_fail "no line about running out of descriptors"
assert_eq "one line for the whole burst" 1 "$(log_since_mark | grep -c 'out of descriptors\|Too many open files')"
attlsd_alive

# Descriptors back: served again, and one line says how many were refused.
t_kill "$b_pid"
prlimit --pid "$ATTLSD_PID" --nofile=400:400 || t_fail "prlimit failed"
p_served() {
	tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p1" 'text:back\n' shut recv \
		>"$T_TMP/back.out" 2>&1
}
wait_until 10 p_served || { cat "$T_TMP/back.out"; t_fail "not served after descriptors came back"; }
assert_eq "served again" "back" "$(kv "$T_TMP/back.out" first_line)"
line=$(wait_log 'descriptors available again; [0-9]+ connections were refused' 5) ||
	t_fail "no recovery line"
t_ok "recovery: ${line#*attlsd[*]: }"
attlsd_stop
t_done
