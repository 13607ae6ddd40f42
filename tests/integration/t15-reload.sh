#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# SIGHUP reload: the new policy is built completely before it takes over; new
# connections get it (a rule now TLS 1.3 only refuses TLS 1.2 with 412, a new
# port is served), a connection opened before the reload keeps the policy it was
# mapped with (AT-TLS stale actions) and keeps flowing, a broken policy is
# reported with file:line and leaves the running one in force, and a port whose
# rule is gone is closed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool openssl

start_backend echo
read -r p1 p2 <<<"$(free_ports 2)"
policy=$T_TMP/reload.yaml
write_version() { # VERSION: 1 = p1 TLS 1.2+1.3; 2 = p1 TLS 1.3 only, plus p2 (and an
	# unused keyring with an expired certificate, for the lint); 3 = broken; 4 = p1 only
	{
		cat <<EOF
settings: { control_socket: "$T_TMP/ctl.sock" }
keyrings:
  ring: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
$([[ $1 == 2 ]] && echo "  old: { certificate: \"$T_PKI/expired-server.crt\", key: \"$T_PKI/expired-server.key\" }")
groups:
  grp-on: { enabled: On, trace: 10 }
environments:
  both: { handshake_role: Server, keyring: ring }
  only13: { handshake_role: Server, keyring: ring, tls_v1_2: Off }
rules:
EOF
		case $1 in
		1 | 4) echo "  web: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p1, group: grp-on, environment: both, backend: \"127.0.0.1:$BACKEND_PORT\" }" ;;
		2) echo "  web: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p1, group: grp-on, environment: only13, backend: \"127.0.0.1:$BACKEND_PORT\" }"
		   echo "  new: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p2, group: grp-on, environment: both, backend: \"127.0.0.1:$BACKEND_PORT\" }" ;;
		3) echo "  web: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p1, group: grp-nope, environment: both, backend: \"127.0.0.1:$BACKEND_PORT\" }" ;;
		esac
	} >"$policy"
}
hs() { # PORT VERSION-FLAG: "ok" if a TLS handshake and echo work
	sclient -s "hello-$1\n" -u "hello-$1" -x "$1" "$2" -quiet && echo ok || echo failed
}
# hs_becomes WANT PORT VERSION-FLAG: the workers take a reload on their own
# threads a moment after it is logged: hs until it gives WANT (10 s at most);
# prints the last result.
hs_becomes() {
	wait_until 10 p_hs_is "$@"
	printf '%s\n' "$HS"
}
p_hs_is() { HS=$(hs "$2" "$3") && [[ $HS == "$1" ]]; }
reload() { # PATTERN: SIGHUP and wait for PATTERN in the log
	log_mark
	kill -HUP "$ATTLSD_PID"
	wait_report "$ATTLSD_LOG" "$1" 10 >/dev/null || { tail -20 "$ATTLSD_LOG"; t_fail "after SIGHUP: no '$1'"; }
}

real_attlsd=$ATTLSD
write_version 1
attlsd_start "$policy"
assert_eq "v1: TLS 1.2 on p1" ok "$(hs "$p1" -tls1_2)"
# A connection opened under v1 that lives across the reloads.
# It pauses until the test creates $T_TMP/go after the last reload, so it spans
# all of them however slow the machine is.
tlsclient_bg "$T_TMP/long.out" --ca "$T_PKI/ca.crt" --servername localhost --tls 1.2 "127.0.0.1:$p1" \
	send:1000 "waitfile:$T_TMP/go" send:1000 shut recv
long_pid=$BG_PID
wait_report "$T_TMP/long.out" '^handshake=ok' >/dev/null || { cat "$T_TMP/long.out"; t_fail "the v1 connection did not get through"; }

write_version 2
reload "policy reloaded from .* \\(generation 1\\): 2 rules, 2 listeners"
grep -q 'warning: keyring "old" .*RC 401: .*expired-server.crt expired on' "$ATTLSD_LOG" ||
	t_fail "reload did not run the keyring lint (no RC 401 for keyring \"old\")"
t_ok "reload runs the keyring lint: RC 401 for the expired certificate of keyring \"old\""
ATTLSCTL=${ATTLSCTL:-$(dirname "$real_attlsd")/attlsctl}
conns=$("$ATTLSCTL" connections -s "$T_TMP/ctl.sock")
assert_match "attlsctl connections lists the live v1 connection" "^[0-9A-F]{8} web .* 0x0303 " "$conns"
assert_eq "v2: TLS 1.2 on p1 now refused" failed "$(hs_becomes failed "$p1" -tls1_2)"
expect_rc 412 "$p1"
assert_eq "v2: TLS 1.3 on p1" ok "$(hs "$p1" -tls1_3)"
assert_eq "v2: the new port p2 is served" ok "$(hs_becomes ok "$p2" -tls1_2)"
show=$("$ATTLSCTL" policy show -s "$T_TMP/ctl.sock")
assert_match "attlsctl policy show prints the reloaded policy" "rule: new" "$show"
assert_match "with the new environment of web" "environment: +only13" "$show"

write_version 3
reload "reload: .* has 1 error; the running policy stays in force"
grep -q "reload.yaml:[0-9]*:[0-9]*: error: rule \"web\" refers to group \"grp-nope\"" "$ATTLSD_LOG" ||
	t_fail "the broken policy's error was not logged with file:line:col"
t_ok "a broken policy is reported with file:line:col and not applied"
assert_eq "after the failed reload, v2 is still in force (TLS 1.2 refused)" failed "$(hs "$p1" -tls1_2)"
assert_eq "after the failed reload, p2 still served" ok "$(hs "$p2" -tls1_3)"

write_version 4
reload "policy reloaded from .* \\(generation 2\\): 1 rules, 1 listeners"
assert_eq "v4: TLS 1.2 on p1 again" ok "$(hs_becomes ok "$p1" -tls1_2)"
wait_until 10 port_refused 127.0.0.1 "$p2" || t_fail "p2 is still open after its rule was removed"
t_ok "v4: p2 closed"

[[ -z $(sed -n 's/^eof=//p' "$T_TMP/long.out") ]] && t_running "$long_pid" ||
	{ cat "$T_TMP/long.out"; t_fail "the connection opened under v1 ended during the reloads"; }
touch "$T_TMP/go"
wait_exit "$long_pid" 20
out=$(cat "$T_TMP/long.out")
# The echo backend returns what was sent: 2000 bytes each way, as TLS 1.2, which
# v2 and v3 no longer allow for new connections.
[[ $(kv "$T_TMP/long.out" received) == 2000 && $(kv "$T_TMP/long.out" version) == TLSv1.2 ]] ||
	{ cat "$T_TMP/long.out"; t_fail "the connection opened before the reloads did not complete"; }
t_ok "the connection opened under v1 kept flowing across three reloads"
attlsd_stop
t_done
