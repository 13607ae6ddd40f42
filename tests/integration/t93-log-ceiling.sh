#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# settings.log_max_lines_per_second: a flood of failures (clear text, RC 5003;
# error_aggregation: 0, so aggregation lets every one through) writes at most
# the ceiling's lines a second in syslog and the event log together, a
# failure's lines all or none; what is held back is counted in ATL1293I lines
# (and "dropped" event objects) that add up exactly to what was not written.
# A reload in the middle of the flood still logs its own line: lines about
# attlsd itself are never dropped. With log_max_lines_per_second: 0 every
# failure is logged again.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r p1 <<<"$(free_ports 1)"
evlog=$T_TMP/events.jsonl
pol=$T_TMP/t93.yaml
# write_pol CEILING: the policy with that ceiling, in the same file (reloads).
write_pol() {
	policy_new
	policy_settings "event_log: $evlog" 'error_aggregation: 0' "log_max_lines_per_second: $1"
	policy_standard
	policy_rule r1 "$p1" env-server "127.0.0.1:$BACKEND_PORT"
	policy_yaml >"$pol"
}

# flood SECS|N OUT: clear-text connections for SECS seconds (or N of them);
# writes how many were made to OUT.
flood() {
	timeout 120 "$T_PY" - "$p1" "$1" >"$2" <<'PYEOF'
import socket, sys, time
port, arg = int(sys.argv[1]), sys.argv[2]
secs, n = (float(arg[:-1]), None) if arg.endswith("s") else (None, int(arg))
end, made = time.monotonic() + (secs or 0), 0
while (n is not None and made < n) or (secs is not None and time.monotonic() < end):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass  # attlsd resets a 5003 connection
    s.close()
    made += 1
print(made)
PYEOF
}

# A failure is 3 lines (EZD1286I, ATL1288I, the event object): a ceiling of 6
# lets 2 failures a second out.
write_pol 6
attlsd_start "$pol"
flood 2s "$T_TMP/made" &
flood_pid=$!
t_track "$flood_pid"
# Once the ceiling is counting, a reload: its line is attlsd's own.
wait_report "$ATTLSD_LOG" 'ATL1293I' 15 >/dev/null || { log_since_mark | tail -5; t_fail "no ATL1293I line while flooding"; }
kill -HUP "$ATTLSD_PID"
wait_log 'policy reloaded from .* \(generation 1\)' >/dev/null ||
	t_fail "the reload's own line was dropped during the flood"
wait "$flood_pid" || t_fail "the flood failed"
made=$(<"$T_TMP/made")
wait_idle

# written + dropped = every line the failures had, once ATL1293I has counted
# the last second (each worker's timer reports once a second).
written() { log_since_mark | grep -c "$1"; }
p_added_up() {
	local ezd cause dropped
	ezd=$(written 'EZD1286I.* RC: 5003')
	cause=$(written 'ATL1288I.* RC: 5003')
	objs=$(grep -c '"type":"failure"' "$evlog")
	dropped=$(log_since_mark | sed -n 's/.*ATL1293I TTLS Log ceiling: \([0-9]*\) lines.*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }')
	((ezd + cause + objs + dropped == 3 * made))
}
wait_until 10 p_added_up || {
	log_since_mark | grep ATL1293I
	t_fail "written and dropped lines do not add up to 3 x $made failures"
}
ezd=$(written 'EZD1286I.* RC: 5003')
assert_eq "a failure's lines go out together: EZD1286I = ATL1288I" "$ezd" "$(written 'ATL1288I.* RC: 5003')"
assert_eq "and = event objects" "$ezd" "$objs"
((ezd < made)) || t_fail "the ceiling dropped nothing ($ezd of $made failures logged)"
# Two failures a ceiling second; a wall-clock second may overlap two of them
# (and a worker racing the start of a window may add one).
most=$(log_since_mark | grep 'EZD1286I.* RC: 5003' | cut -c1-19 | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
((most <= 6)) || t_fail "$most EZD1286I lines in one second under a ceiling of 2 failures a second"
t_ok "$made failures: $ezd logged, at most $most in one wall-clock second; the rest counted"

# The event log counts the same drops as ATL1293I.
"$T_PY" - "$evlog" "$ATTLSD_LOG" <<'EOF' || t_fail "the event log's dropped counts differ"
import json, re, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
dropped = sum(o["count"] for o in objs if o["type"] == "dropped")
lines = sum(int(n) for n in re.findall(r"ATL1293I TTLS Log ceiling: (\d+) lines", open(sys.argv[2]).read()))
assert dropped == lines and dropped > 0, (dropped, lines)
print(f"t93: ok: {dropped} dropped lines in ATL1293I and in the event log")
EOF

# No ceiling: every failure is logged.
write_pol 0
log_mark
kill -HUP "$ATTLSD_PID"
wait_log 'policy reloaded from .* \(generation 2\)' >/dev/null || t_fail "no reload"
log_mark
flood 30 "$T_TMP/made2" || t_fail "the second flood failed"
wait_idle
assert_eq "log_max_lines_per_second: 0 logs every failure" 30 "$(written 'EZD1286I.* RC: 5003')"
assert_eq "and drops nothing" 0 "$(written 'ATL1293I')"
attlsd_stop
t_done
