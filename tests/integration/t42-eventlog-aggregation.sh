#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# settings.event_log: one JSON object per failure (and per close with Trace 8),
# parsed back with python's json; settings.error_aggregation: a burst of
# identical clear-text failures (same rule, RC, client /24) logs only the first
# N EZD1286I lines (and N event objects), then one ATL1290I line, and the count
# when the window ends, with no further traffic (the workers' timer writes it),
# also as an "aggregate" event object.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r p1 <<<"$(free_ports 1)"
evlog=$T_TMP/events.jsonl
policy_new
policy_settings "event_log: $evlog" 'error_aggregation: 3' 'error_aggregation_window: 2'
policy_keyring ring1 server
policy_group grp-on 'trace: 10'
policy_env env1 Server ring1
policy_rule r1 "$p1" env1 "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"

# One good connection (a close object) and one 402 (a failure with the hello).
tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p1" text:ping shut recv >"$T_TMP/ok" 2>&1 ||
	{ cat "$T_TMP/ok"; t_fail "good client failed"; }
sclient "$p1" -servername json.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
expect_rc 402 "$p1"

# A burst of 8 clear-text connections, from one process so that the burst
# stays well inside the window on a loaded machine (one interpreter start
# per connection can take longer than the whole window).
timeout 20 "$T_PY" - "$p1" <<'PYEOF' || t_fail "the clear-text burst failed"
import socket, sys
for i in range(8):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass  # attlsd resets a 5003 connection
    s.close()
PYEOF
wait_idle # the 8 connections have ended: all their lines are written
n=$(log_since_mark | grep -c 'EZD1286I.* RC: 5003')
assert_eq "EZD1286I lines for 8 identical failures (error_aggregation: 3)" 3 "$n"
n=$(log_since_mark | grep -c 'ATL1288I.* RC: 5003')
assert_eq "ATL1288I lines for them" 3 "$n"
l=$(log_since_mark | grep 'ATL1290I')
assert_match "one ATL1290I line when counting starts" \
	'^[^\n]*ATL1290I TTLS Aggregate RULE: r1 RC: 5003 REMOTE: 127\.0\.0\.0/24 COUNT: 3 in [0-9]+s: further identical errors' "$l"
assert_eq "ATL1290I lines so far" 1 "$(grep -c . <<<"$l")"

# With no further traffic, the count line still comes when the window ends:
# the workers' timer writes it (window 2 s, a tick a second; the margin is
# for a loaded machine, and the line must not come before the window ends).
log_mark
t0=$(date +%s%N)
l=$(wait_report "$ATTLSD_LOG" 'ATL1290I .*COUNT: 8 in' 8) || { log_since_mark; t_fail "no ATL1290I count line within the window + 6 s margin, with no further traffic"; }
ms=$((($(date +%s%N) - t0) / 1000000))
assert_match "the count line names the unlogged CONNIDs" 'COUNT: 8 in [0-9]+s \(not logged: CONNID [0-9A-F]{8} to [0-9A-F]{8}\)' "$l"
n=$(sed -n 's/.*COUNT: 8 in \([0-9]*\)s.*/\1/p' <<<"$l")
((n >= 2)) || t_fail "the count line came before its 2 s window ended ($n s)"
t_ok "count line ${ms} ms after the burst's checks, ${n} s after the window opened"
assert_eq "no EZD1286I line came with it" 0 "$(log_since_mark | grep -c 'EZD1286I')"

# The next failure opens a new window and is logged again; no second count line.
log_mark
tlsclient --raw --timeout 10 "127.0.0.1:$p1" 'text:GET / HTTP/1.0\r\n\r\n' recv >/dev/null 2>&1 || true
wait_report "$ATTLSD_LOG" 'EZD1286I.* RC: 5003' 5 >/dev/null || t_fail "the failure after the window was not logged"
wait_idle
assert_eq "the new window logs again" 1 "$(log_since_mark | grep -c 'EZD1286I.* RC: 5003')"
assert_eq "no second count line for the same window" 0 "$(log_since_mark | grep -c 'ATL1290I')"

attlsd_stop

# The event log obeys the same aggregation as syslog, as JSON.
"$T_PY" - "$evlog" <<'EOF' || t_fail "event log check failed"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
fails = [o for o in objs if o["type"] == "failure"]
closes = [o for o in objs if o["type"] == "close"]
clear = [o for o in fails if o["rc"] == 5003]
# 3 of the burst's window and the one of the next window, as in syslog.
assert len(clear) == 4, f"5003 objects: {len(clear)}"
aggs = [o for o in objs if o["type"] == "aggregate"]
assert len(aggs) == 1, aggs
a = aggs[0]
assert a["rule"] == "r1" and a["rc"] == 5003 and a["net"] == "127.0.0.0/24", a
assert a["count"] == 8 and a["logged"] == 3 and a["window"] == 2, a
assert len(closes) == 1, f"close objects: {len(closes)}"
f402 = [o for o in fails if o["rc"] == 402]
assert len(f402) == 1, f402
o = f402[0]
for k in ("rc_name", "event", "rule", "connid", "local", "remote", "cause", "fix", "hello"):
    assert k in o, (k, o)
assert o["rc_name"] == "GSK_ERR_NO_CIPHERS", o
assert o["rule"] == "r1" and o["event"] == "Initial Handshake", o
assert len(o["connid"]) == 8 and o["local"].startswith("127.0.0.1.."), o
assert o["hello"]["sni"] == "json.test", o["hello"]
assert o["hello"]["suites"] == ["C02B", "00FF"], o["hello"]
assert o["hello"]["legacy_version"] == "TLSv1.2", o["hello"]
assert "C02B" in o["cause"], o["cause"]
c = closes[0]
assert c["end"] == "done" and c["protocol"].startswith("TLSv1.") and c["rc"] == 0, c
assert clear[0]["cause"].startswith("the first bytes look like a plain HTTP request"), clear[0]
print(f"t42: ok: {len(objs)} JSON objects parsed: {len(fails)} failures, {len(closes)} close, "
      f"{len(aggs)} aggregate")
EOF
t_done
