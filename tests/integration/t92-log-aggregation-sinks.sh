#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Aggregation that a peer cannot escape, obeyed by syslog and the event log
# alike: bursts of identical failures (clear text, RC 5003) from one IPv4
# source and from 20 IPv6 /64s of one /48 (source_prefix_v6: 48), and of
# client resets after the handshake (ATL1289I END: client_reset), log only the
# first error_aggregation of each in both sinks; each window's count comes as
# an ATL1290I line and as an "aggregate" event with the same count and
# CONNIDs. Then 200 /64s with /64 keys, more than the table holds: the keys
# past it share a catch-all window (REMOTE: *) and nothing goes uncounted.
# Last, event_log on a full 64 KiB tmpfs: one ATL1291E warning for all the
# records lost, every failure still in syslog, a good client still served.
# Runs in network and mount namespaces of its own (unshare) for the IPv6
# addresses and the tmpfs.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
if [ -z "${T92_NETNS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! unshare --net --mount true 2>/dev/null; then
		echo "t92-log-aggregation-sinks: skip: needs root and unshare --net --mount"
		exit 77
	fi
	T92_NETNS=1 exec unshare --net --mount bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

ip link set lo up || t_fail "cannot bring lo up in the test's namespace"
# An IPv4 address besides 127.0.0.1: without one, getaddrinfo (AI_ADDRCONFIG)
# resolves no IPv4 address in a namespace that has only loopback.
ip addr add 192.0.2.1/32 dev lo || t_fail "cannot add an IPv4 address"
# fd00:1:0:N::1 for N = 1..200: one address in each of 200 /64s of fd00:1::/48.
for ((n = 1; n <= 200; n++)); do
	printf 'addr add fd00:1:0:%x::1/64 dev lo nodad\n' "$n"
done | ip -6 -batch - || t_fail "cannot add the IPv6 addresses"

start_backend echo
read -r p4 p6 <<<"$(free_ports 2)"
evlog=$T_TMP/events.jsonl

# burst.py PORT4 PORT6 WHAT...: one process for every connection, so that a
# burst stays well inside its window on a loaded machine. WHAT: clear4:N
# (N clear-text connections from 127.0.0.1), clear6:FIRST:LAST (one from each
# fd00:1:0:N::1), reset4:N (N TLS connections that echo a line, then reset).
cat >"$T_TMP/burst.py" <<'PYEOF'
import socket, ssl, struct, sys
p4, p6 = int(sys.argv[1]), int(sys.argv[2])

def clear(fam, src, dst):
    s = socket.socket(fam)
    s.settimeout(10)
    if src:
        s.bind((src, 0))
    s.connect(dst)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass  # attlsd resets a 5003 connection
    s.close()

def reset():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = socket.create_connection(("127.0.0.1", p4), timeout=10)
    t = ctx.wrap_socket(s)
    t.sendall(b"ping\n")
    got = b""
    while not got.endswith(b"\n"):
        d = t.recv(100)
        if not d:
            sys.exit("no echo")
        got += d
    # Relaying: now a reset (SO_LINGER 0) with no close_notify.
    t.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    t.close()

for what in sys.argv[3:]:
    kind, *a = what.split(":")
    if kind == "clear4":
        for _ in range(int(a[0])):
            clear(socket.AF_INET, None, ("127.0.0.1", p4))
    elif kind == "clear6":
        for n in range(int(a[0]), int(a[1]) + 1):
            clear(socket.AF_INET6, "fd00:1:0:%x::1" % n, ("::1", p6))
    elif kind == "reset4":
        for _ in range(int(a[0])):
            reset()
PYEOF
burst() { timeout 60 "$T_PY" "$T_TMP/burst.py" "$p4" "$p6" "$@" || t_fail "burst $* failed"; }

# agg_line KEY_RE COUNT: the ATL1290I count line of that key (waits for it).
agg_line() {
	wait_report "$ATTLSD_LOG" "ATL1290I TTLS Aggregate $1 COUNT: $2 in [0-9]+s \\(not logged" "${3:-15}" ||
		{ grep ATL1290I "$ATTLSD_LOG"; t_fail "no ATL1290I count line for $1 COUNT: $2"; }
}

# ---- one source, a /48 of /64s, resets: 3 logged in every sink, the rest counted
policy_new
policy_settings "event_log: $evlog" 'error_aggregation: 3' 'error_aggregation_window: 4' \
	'source_prefix_v6: 48'
policy_standard
policy_rule r4 "$p4" env-server "127.0.0.1:$BACKEND_PORT"
policy_rule r6 "$p6" env-server "127.0.0.1:$BACKEND_PORT" 'local_addr: "::1"'
attlsd_start "$(policy_file)"

burst clear4:8 clear6:1:20 reset4:8
wait_idle
n=$(log_since_mark | grep -c 'EZD1286I.* REMOTE: 127\.0\.0\.1\.\..* RC: 5003')
assert_eq "EZD1286I lines for 8 failures from one source (error_aggregation: 3)" 3 "$n"
n=$(log_since_mark | grep -c 'EZD1286I.* REMOTE: fd00:1:.* RC: 5003')
assert_eq "EZD1286I lines for 20 failures from 20 /64s of one /48 (source_prefix_v6: 48)" 3 "$n"
n=$(log_since_mark | grep -c 'ATL1289I TTLS Close .* END: client_reset ')
assert_eq "ATL1289I lines for 8 client resets" 3 "$n"
assert_match "counting starts for the resets, with a line that says so" \
	'ATL1290I TTLS Aggregate RULE: r4 RC:    0 END: client_reset REMOTE: 127\.0\.0\.0/24 COUNT: 3 in [0-9]+s: further identical closes' \
	"$(log_since_mark | grep 'ATL1290I.*END: client_reset')"
l4=$(agg_line 'RULE: r4 RC: 5003 REMOTE: 127\.0\.0\.0/24' 8)
l6=$(agg_line 'RULE: r6 RC: 5003 REMOTE: fd00:1::/48' 20)
lr=$(agg_line 'RULE: r4 RC:    0 END: client_reset REMOTE: 127\.0\.0\.0/24' 8)
t_ok "count lines: ${l4#*ATL1290I}"
attlsd_stop

# The event log carries the same: 3 failures a key, and a count object whose
# count and CONNIDs are the ATL1290I line's.
"$T_PY" - "$evlog" "$l4" "$l6" "$lr" <<'EOF' || t_fail "event log check failed"
import json, re, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
fails = [o for o in objs if o["type"] == "failure"]
aggs = [o for o in objs if o["type"] == "aggregate"]
f4 = [o for o in fails if o["remote"].startswith("127.0.0.1..")]
f6 = [o for o in fails if o["remote"].startswith("fd00:1:")]
assert len(f4) == 3 and all(o["rc"] == 5003 for o in f4), f4
assert len(f6) == 3 and all(o["rc"] == 5003 for o in f6), f6
assert len(fails) == 6, fails
for line, net, rc, end in ((sys.argv[2], "127.0.0.0/24", 5003, None),
                           (sys.argv[3], "fd00:1::/48", 5003, None),
                           (sys.argv[4], "127.0.0.0/24", 0, "client_reset")):
    m = re.search(r"COUNT: (\d+) in \d+s \(not logged: CONNID ([0-9A-F]{8}) to ([0-9A-F]{8})\)", line)
    a = [o for o in aggs if o["net"] == net and o["rc"] == rc and o.get("end") == end]
    assert len(a) == 1, (net, rc, end, aggs)
    a = a[0]
    assert a["count"] == int(m.group(1)) and a["logged"] == 3, (a, line)
    assert a["first_connid"] == m.group(2) and a["last_connid"] == m.group(3), (a, line)
assert len(aggs) == 3, aggs
print("t92: ok: the event log holds 3 failures per key and the same 3 counts as syslog")
EOF

# ---- 200 /64s with /64 keys: more keys than the table holds
: >"$evlog"
policy_new
policy_settings "event_log: $evlog" 'error_aggregation: 1' 'error_aggregation_window: 600'
policy_standard
policy_rule r6 "$p6" env-server "127.0.0.1:$BACKEND_PORT" 'local_addr: "::1"'
attlsd_start "$(policy_file)"
burst clear6:1:200 clear6:1:200
wait_idle
logged=$(log_since_mark | grep -c 'EZD1286I.* RC: 5003')
# The windows end at shutdown, each with its count line.
attlsd_stop
l=$(log_since_mark | grep 'ATL1290I .*REMOTE: \* COUNT: [0-9]* in [0-9]*s (not logged') ||
	{ grep ATL1290I "$ATTLSD_LOG" | tail -5; t_fail "no catch-all count line"; }
t_ok "catch-all: ${l#*ATL1290I}"
"$T_PY" - "$evlog" "$logged" "$ATTLSD_LOG" <<'EOF' || t_fail "the counts do not add up"
import json, re, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
fails = [o for o in objs if o["type"] == "failure"]
aggs = [o for o in objs if o["type"] == "aggregate"]
logged = int(sys.argv[2])
# Every failure logged in syslog is in the event log, and no more.
assert len(fails) == logged, (len(fails), logged)
# A live window was never ended early: each /64 that got one logged once.
keyed = [a for a in aggs if a["net"] != "*"]
assert all(a["count"] == 2 and a["logged"] == 1 for a in keyed), keyed
catch = [a for a in aggs if a["net"] == "*"]
assert len(catch) == 1 and catch[0]["rule"] == "r6" and catch[0]["rc"] == 5003, catch
# logged + counted = the 400 failures, in the event log and in syslog.
counted = sum(a["count"] - a["logged"] for a in aggs)
assert logged + counted == 400, (logged, counted)
text = open(sys.argv[3]).read()
syslog_counts = [int(c) for c in re.findall(r"ATL1290I .* COUNT: (\d+) in \d+s \(not logged", text)]
assert sum(syslog_counts) == sum(a["count"] for a in aggs), (syslog_counts, aggs)
assert len(keyed) >= 100, len(keyed)
print(f"t92: ok: {logged} logged, {len(keyed)} keyed windows, catch-all count {catch[0]['count']}")
EOF

# ---- a full disk under event_log: one warning, every connection still served
full=$T_TMP/full
mkdir -p "$full"
mount -t tmpfs -o size=64k tmpfs "$full" || t_fail "cannot mount a 64 KiB tmpfs"
head -c 1M /dev/zero >"$full/fill" 2>/dev/null
policy_new
policy_settings "event_log: $full/events.jsonl" 'error_aggregation: 0'
policy_standard
policy_rule r4 "$p4" env-server "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"
burst clear4:20
tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p4" text:ping shut recv >"$T_TMP/ok" 2>&1 ||
	{ cat "$T_TMP/ok"; t_fail "a good client was not served with the event log's disk full"; }
assert_eq "the good client's echo" ping "$(kv "$T_TMP/ok" first_line)"
wait_idle
assert_eq "every failure still in syslog" 20 "$(log_since_mark | grep -c 'EZD1286I.* RC: 5003')"
l=$(log_since_mark | grep 'ATL1291E') || t_fail "no warning about the full disk"
assert_eq "one warning for the lost records" 1 "$(grep -c . <<<"$l")"
assert_match "it says why" 'ATL1291E event_log .*events\.jsonl: write failed: No space left on device; 1 record lost' "$l"
attlsd_stop
umount "$full"
t_done
