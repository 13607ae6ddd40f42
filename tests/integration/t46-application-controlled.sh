#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# ApplicationControlled (application_controlled: On), the analogue of SIOCTTLSCTL
# TTLS_INIT_CONNECTION, with a STARTTLS-style line protocol (starttls.py): the
# application greets in clear, answers "STARTTLS" with "OK go" and asks attlsd
# to start TLS (`attlsctl init --fd N`, libattlsquery's attls_init_fd) while
# the client (Python ssl) starts its handshake.
#   init     INIT right after "OK go": the handshake succeeds; 64 KiB up, 200 KB
#            down and a line each way after it; query before: policy status 5,
#            NotSecure; after: Secure; a second INIT: EALREADY
#   late     INIT 0.5 s after "OK go": the client's hello arrived first and was
#            held (not relayed to the application), then used
#   noinit   never INIT: RC 5004 after handshake_timeout, cause "never called INIT";
#            user nobody's INIT on that connection: EACCES (the SO_PEERCRED rule)
#   clear text from the peer after INIT: RC 5003, as z/OS
#   refused  a rule without application_controlled: INIT is EACCES, TLS as usual
#   Client role: the local application speaks clear text to attlsd and calls INIT
#            after the remote server's "OK go"; attlsd does TLS to that server
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool setpriv
ATTLSCTL=${ATTLSCTL:-$(dirname "$ATTLSD")/attlsctl}
[[ $ATTLSCTL == /* ]] || ATTLSCTL=$PWD/$ATTLSCTL

sock=$T_TMP/attlsd.sock
declare -A be
for mode in init late noinit refused; do
	"$T_PY" "$T_DIR/starttls.py" server --ready "$T_TMP/st.$mode.ready" --attlsctl "$ATTLSCTL" \
		--socket "$sock" --mode "$mode" >"$T_TMP/st.$mode.log" 2>&1 &
	t_track $!
done
for mode in init late noinit refused; do
	wait_file "$T_TMP/st.$mode.ready" || t_fail "starttls.py server --mode $mode did not start"
	be[$mode]=$(<"$T_TMP/st.$mode.ready")
done
"$T_PY" "$T_DIR/starttls.py" tlspeer --ready "$T_TMP/st.tlspeer.ready" --cert "$T_PKI/server.crt" \
	--key "$T_PKI/server.key" >"$T_TMP/st.tlspeer.log" 2>&1 &
t_track $!
wait_file "$T_TMP/st.tlspeer.ready" || t_fail "starttls.py tlspeer did not start"
be[tlspeer]=$(<"$T_TMP/st.tlspeer.ready")
read -r p_init p_late p_noinit p_refused p_client <<<"$(free_ports 5)"
policy_new
policy_settings "control_socket: \"$sock\""
policy_keyring srv server 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
policy_group grp-on
policy_env starttls Server srv 'application_controlled: On' 'handshake_timeout: 2'
policy_env starttls-client Client srv 'application_controlled: On'
policy_add connections implicit 'application_controlled: Off'
policy_rule st-init "$p_init" starttls "127.0.0.1:${be[init]}" 'priority: 10'
policy_rule st-late "$p_late" starttls "127.0.0.1:${be[late]}" 'priority: 10'
policy_rule st-noinit "$p_noinit" starttls "127.0.0.1:${be[noinit]}" 'priority: 10'
policy_rule implicit "$p_refused" starttls "127.0.0.1:${be[refused]}" 'priority: 10' 'connection: implicit'
policy_rule st-client "$p_client" starttls-client "127.0.0.1:${be[tlspeer]}" 'priority: 10'
policy=$(policy_file)
chmod 0711 "$T_TMP"
attlsd_start "$policy"
# Everyone may connect to the control socket here, so that the per-connection
# SO_PEERCRED check (as for QUERY) is what refuses user nobody's INIT.
chmod 0666 "$sock"
client() { timeout 60 "$T_PY" "$T_DIR/starttls.py" client --ca "$T_PKI/ca.crt" "$@"; }

for mode in init late; do
	port=p_$mode
	out=$(client --port "${!port}")
	rc=$?
	printf '%s\n' "$out" | cut -c1-300 | sed "s/^/  $mode: /"
	assert_eq "$mode: client exit status" 0 "$rc"
	assert_match "$mode: before INIT the query says ApplicationControlled, NotSecure" \
		"^greeting=220 ready init=-\|query=rc=0:policy_status=5 \(ApplicationControlled\);conn_status=1 \(NotSecure\);" "$out"
	assert_match "$mode: \"OK go\" written before INIT came in clear" "^proceed=OK go$" "$out"
	assert_match "$mode: the client's TLS handshake succeeded" "^tls=TLSv1\.[23]$" "$out"
	assert_match "$mode: 64 KiB client -> application after the handshake" "^long=LEN 65536$" "$out"
	assert_match "$mode: 200000 bytes application -> client" "^big=200000$" "$out"
	assert_match "$mode: a line echoed" "^echo=ECHO hello over tls$" "$out"
	assert_match "$mode: INIT answered with the status after the switch" \
		"^status=STATUS init=rc=0:policy_status=5 \(ApplicationControlled\);conn_status=[23] " "$out"
	assert_match "$mode: after the handshake the query says Secure" \
		"\|query=rc=0:policy_status=5 \(ApplicationControlled\);conn_status=3 \(Secure\);sec_type=2 .*;protocol=0x030[34] .*rule=st-$mode;" "$out"
	assert_match "$mode: a second INIT is EALREADY" "\|again=rc=1:.*EALREADY" "$out"
done

out=$(client --port "$p_refused" --tls-first)
rc=$?
printf '%s\n' "$out" | cut -c1-300 | sed 's/^/  refused: /'
assert_eq "application_controlled Off: TLS from the first byte" 0 "$rc"
assert_match "application_controlled Off: INIT is EACCES" \
	"^greeting=220 ready init=rc=1:attlsctl: init: refused \(EACCES\)" "$out"
assert_match "application_controlled Off: query says Enabled" \
	"\|query=rc=0:policy_status=4 \(Enabled\);conn_status=3 \(Secure\)" "$out"
expect_no_error

out=$(timeout 60 "$T_PY" "$T_DIR/starttls.py" appclient --port "$p_client" --attlsctl "$ATTLSCTL" --socket "$sock")
rc=$?
printf '%s\n' "$out" | cut -c1-300 | sed 's/^/  client role: /'
assert_eq "Client role: application exit status" 0 "$rc"
assert_match "Client role: the server's greeting and go-ahead in clear" \
	"^greeting=220 remote ready$" "$out"
assert_match "Client role: \"OK go\" in clear" "^proceed=OK go$" "$out"
assert_match "Client role: INIT answered (Client, handshake started)" \
	"^init=rc=0:policy_status=5 \(ApplicationControlled\);conn_status=[23] .*;sec_type=1 \(Client\)" "$out"
assert_match "Client role: the server speaks TLS with attlsd" "^version=VERSION TLSv1\.[23]$" "$out"
assert_match "Client role: 64 KiB application -> server" "^long=LEN 65536$" "$out"
assert_match "Client role: 200000 bytes server -> application" "^big=200000$" "$out"
assert_match "Client role: query says Secure" \
	"^query=rc=0:policy_status=5 \(ApplicationControlled\);conn_status=3 \(Secure\);sec_type=1 \(Client\)" "$out"
expect_no_error

# As on z/OS, clear text from the peer after INIT is RC 5003 (the client sends
# a line once the application's INIT returned).
rm -f "$T_TMP/st.init.ready.init"
out=$(client --port "$p_init" --clear-after "$T_TMP/st.init.ready.init")
printf '%s\n' "$out" | sed 's/^/  clear after INIT: /'
assert_match "clear text after INIT: the connection is closed" "^after=(b''|.*reset)" "$out"
expect_rc 5003 "$p_init"

out=$(client --port "$p_noinit")
rc=$?
printf '%s\n' "$out" | sed 's/^/  noinit: /'
assert_eq "no INIT: the client's handshake fails" 3 "$rc"
ms=$(sed -n 's/^handshake_ms=//p' <<<"$out")
((ms >= 1500 && ms <= 10000)) || t_fail "no INIT: the handshake ended after $ms ms; expected about 2000 (handshake_timeout: 2)"
t_ok "no INIT: the handshake ended after $ms ms (handshake_timeout: 2)"
expect_rc 5004 "$p_noinit"
assert_match "INIT by another user (nobody) on root's connection: EACCES" \
	"^rc=0:ERR EACCES the local socket LOCAL REMOTE is not the caller's" \
	"$(cat "$T_TMP/st.noinit.ready.nobody" 2>/dev/null)"
cause=$(grep -m1 'ATL1288I.*RC: 5004' "$ATTLSD_LOG")
assert_match "no INIT: the cause says the application never called INIT" \
	"application never called INIT" "$cause"
attlsd_stop
t_done
