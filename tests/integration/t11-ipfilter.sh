#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# IP filter rules (IpFilterRule) at accept time, before any TLS byte is read:
# a denied peer (127.0.0.2) gets a reset and never sees a ServerHello or reaches
# the backend; 127.0.0.1 is permitted; 127.0.0.3 matches no filter (implicit
# deny); ::1 is permitted only inside a time window that holds the current time,
# and a second IPv6 port only outside one. Deny lines (EZD0815I) are limited to
# filter_log_limit per second with an EZD0837I summary; counters at shutdown.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r p4 p6 p6b <<<"$(free_ports 3)"
windows() {
	"$T_PY" - <<'PY'
import datetime as d
n = d.datetime.now(d.timezone.utc)
for m in (-60, 60, 120, 180):
    print((n + d.timedelta(minutes=m)).strftime("%H:%M"), end=" ")
PY
}
read -r open_from open_to closed_from closed_to <<<"$(windows)"

policy=$(write_policy t11 <<EOF
settings:
  filter_log_limit: 1
keyrings:
  ring: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
groups:
  grp-on: { enabled: On }
environments:
  env: { handshake_role: Server, keyring: ring }
time_conditions:
  now-open: { time_of_day: "$open_from-$open_to", time_zone: UTC }
  now-closed: { time_of_day: "$closed_from-$closed_to", time_zone: UTC }
filters:
  deny-lab:
    action: deny
    log: yes
    source: 127.0.0.2
  permit-local:
    action: permit
    source: 127.0.0.1
    destination_port: $p4
  permit-v6-in-window:
    action: permit
    source: "::1"
    destination_port: $p6
    time_condition: now-open
  permit-v6-out-of-window:
    action: permit
    source: "::1"
    destination_port: $p6b
    time_condition: now-closed
rules:
  v4:
    priority: 10
    direction: Inbound
    local_port: $p4
    listen: 0.0.0.0:$p4
    group: grp-on
    environment: env
    backend: 127.0.0.1:$BACKEND_PORT
  v6:
    priority: 10
    direction: Inbound
    local_addr: "::1"
    local_port: $p6
    group: grp-on
    environment: env
    backend: 127.0.0.1:$BACKEND_PORT
  v6b:
    priority: 10
    direction: Inbound
    local_addr: "::1"
    local_port: $p6b
    group: grp-on
    environment: env
    backend: 127.0.0.1:$BACKEND_PORT
EOF
)
attlsd_start "$policy"

# try SRC DST PORT [N]: N times (default 1) in a row, from one process so that
# they come within a moment however loaded the machine is: prints "served" (TLS
# handshake and echo worked) or the failure, once per attempt.
try() {
	"$T_PY" - "$@" <<'PY'
import socket, ssl, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
n = int(sys.argv[4]) if len(sys.argv) > 4 else 1
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for _ in range(n):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((src, 0))
    try:
        s.connect((dst, port))
        t = ctx.wrap_socket(s)
        t.sendall(b"ping")
        print("served" if t.recv(4) == b"ping" else "bad-echo")
        t.unwrap()
    except (OSError, ssl.SSLError) as e:
        print("refused:" + type(e).__name__)
    s.close()
PY
}

assert_eq "127.0.0.1 permitted" served "$(try 127.0.0.1 127.0.0.1 "$p4")"
r=$(try 127.0.0.2 127.0.0.1 "$p4")
assert_match "127.0.0.2 denied by deny-lab, no ServerHello" '^refused:' "$r"
wait_report "$ATTLSD_LOG" "EZD0815I Packet denied by policy: .* filter rule= deny-lab .*sipaddr= 127.0.0.2 dipaddr= 127.0.0.1 proto= TCP\\(6\\) sport= [0-9]+ dport= $p4 " 5 >/dev/null ||
	t_fail "no EZD0815I line for deny-lab"
t_ok "EZD0815I for deny-lab"
assert_match "implicit deny for 127.0.0.3" '^refused:' "$(try 127.0.0.3 127.0.0.1 "$p4")"
assert_eq "::1 permitted inside its window" served "$(try ::1 ::1 "$p6")"
assert_match "::1 denied outside its window" '^refused:' "$(try ::1 ::1 "$p6b")"
assert_eq "five more implicit denies in a row" 5 "$(try 127.0.0.3 127.0.0.1 "$p4" 5 | grep -c '^refused:')"
wait_idle # nothing attlsd accepted is still on its way to the backend
# Only the two permitted connections (127.0.0.1, ::1 in window) reached the backend.
assert_eq "denied peers never reached the backend" 2 "$(grep -c '^accept ' "$BACKEND_REPORT")"
attlsd_stop
# At most filter_log_limit (1) line per filter per second; the rest counted.
per_second=$(grep -o "EZD0815I Packet denied by policy: [0-9/]* [0-9:]*\.[0-9]* filter rule= IMPLICIT-DENY " "$ATTLSD_LOG" |
	awk '{print $7}' | cut -d. -f1 | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
logged=$(grep -c "EZD0815I .*filter rule= IMPLICIT-DENY " "$ATTLSD_LOG")
suppressed=$(grep -o "EZD0837I .*filter rule= IMPLICIT-DENY suppressed_count= [0-9]*" "$ATTLSD_LOG" |
	awk '{s += $NF} END {print s + 0}')
[ "${per_second:-0}" -le 1 ] || t_fail "filter_log_limit 1/s not applied: $per_second lines in one second"
assert_eq "every implicit deny logged or counted as suppressed" 7 "$((logged + suppressed))"
[ "$suppressed" -gt 0 ] || t_fail "no EZD0837I summary although 7 denies came within a few seconds"
t_ok "rate limit: at most $per_second lines a second, $logged logged, $suppressed in EZD0837I"
grep -q "ATL0816I filter rule= deny-lab permitted= 0 denied= 1" "$ATTLSD_LOG" || t_fail "deny-lab counter"
grep -q "ATL0816I filter rule= permit-local permitted= 1 denied= 0" "$ATTLSD_LOG" || t_fail "permit-local counter"
grep -q "ATL0816I filter rule= IMPLICIT-DENY permitted= 0 denied= 7" "$ATTLSD_LOG" || t_fail "implicit counter"
t_ok "per-rule counters"
t_done
