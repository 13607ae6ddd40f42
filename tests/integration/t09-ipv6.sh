#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# A rule listening on ::1 (IPv6 loopback) relaying to an IPv4 backend: curl by IP
# (SAN IP:::1), a python client with SHA-256 check, and an RC line with an IPv6 LOCAL.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"
need_tool curl
"$T_PY" -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null ||
	t_skip "IPv6 loopback ::1 is not available"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "ipv6 page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"
start_backend echo

read -r port port_echo <<<"$(free_ports 2)"
policy_new
policy_standard
policy_rule web6 "$port" env-server "127.0.0.1:$HTTP_PORT" 'local_addr: "::1"'
policy_rule echo6 "$port_echo" env-server "127.0.0.1:$BACKEND_PORT" 'local_addr: "::1"'
attlsd_start "$(policy_file)"

body=$(timeout 20 curl -sS --fail -g --cacert "$T_PKI/ca.crt" "https://[::1]:$port/index.html") ||
	t_fail "curl https://[::1]:$port/index.html failed"
assert_eq "page over IPv6" "$(cat "$docroot/index.html")" "$body"

tlsclient --ca "$T_PKI/ca.crt" --servername localhost --timeout 20 "[::1]:$port_echo" send:1000000 shut recv \
	>"$T_TMP/echo.out" 2>&1 || { cat "$T_TMP/echo.out"; t_fail "IPv6 echo client failed"; }
assert_eq "IPv6 echo (count sha256)" \
	"$(kv "$T_TMP/echo.out" sent) $(kv "$T_TMP/echo.out" sent_sha256)" \
	"$(kv "$T_TMP/echo.out" received) $(kv "$T_TMP/echo.out" received_sha256)"
expect_no_error

# The IPv4 loopback is not served by these rules.
port_refused 127.0.0.1 "$port" || t_fail "127.0.0.1:$port accepts connections; the rule listens on ::1 only"
t_ok "127.0.0.1:$port is not listening"

tlsclient --raw --timeout 10 "[::1]:$port" 'text:GET / HTTP/1.0\r\n\r\n' recv >"$T_TMP/clear.out" 2>&1 ||
	{ cat "$T_TMP/clear.out"; t_fail "clear-text client over IPv6 did not see the connection end"; }
expect_rc 5003 "$port"
assert_match "IPv6 addresses in the EZD1286I line" 'LOCAL: [^ ]*::1[^ ]* REMOTE: [^ ]*::1' "$(grep EZD1286I "$ATTLSD_LOG")"

attlsd_stop
exit 0
