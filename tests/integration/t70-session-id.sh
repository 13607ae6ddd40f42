#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# TLS 1.2 session-ID resumption (no tickets) in one attlsd with two workers: with
# and without a client certificate, with the extended master secret; every one of
# several reconnects (spread over the workers by SO_REUSEPORT) resumes; a session
# of rule A is not resumed on rule B; v3_session_timeout 0 turns the cache off.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet-lib.sh"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "session-id page $$" >"$docroot/index.html"
start_http_backend "$docroot"

read -r pa pb pc pd < <(free_ports 4)
policy=$(write_policy t70 <<EOF
settings: { workers: 2, control_socket: "Off" }
keyrings:
  ring1:
    certificate: $T_PKI/server.crt
    key: $T_PKI/server.key
    trusted_ca: $T_PKI/ca.crt
groups:
  grp-on: { enabled: On }
environments:
  env-plain:
    handshake_role: Server
    keyring: ring1
    server_extended_master_secret: Required
  env-auth:
    handshake_role: ServerWithClientAuth
    client_auth_type: Required
    keyring: ring1
  env-nocache:
    handshake_role: Server
    keyring: ring1
    v3_session_timeout: 0
rules:
  rule-a: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $pa, group: grp-on,
            environment: env-plain, backend: "127.0.0.1:$HTTP_PORT" }
  rule-b: { priority: 99, direction: Inbound, local_addr: 127.0.0.1, local_port: $pb, group: grp-on,
            environment: env-plain, backend: "127.0.0.1:$HTTP_PORT" }
  rule-auth: { priority: 98, direction: Inbound, local_addr: 127.0.0.1, local_port: $pc, group: grp-on,
               environment: env-auth, backend: "127.0.0.1:$HTTP_PORT" }
  rule-nocache: { priority: 97, direction: Inbound, local_addr: 127.0.0.1, local_port: $pd, group: grp-on,
                  environment: env-nocache, backend: "127.0.0.1:$HTTP_PORT" }
EOF
)
attlsd_start "$policy"

sa=$T_TMP/a.sess
expect_resume "rule A: first handshake (EMS required)" New "$T_TMP/a0" 127.0.0.1 "$pa" 1_2 \
	-no_ticket -sess_out "$sa"
for i in 1 2 3 4 5 6; do
	expect_resume "rule A: reconnect $i by session ID" Reused "$T_TMP/a$i" 127.0.0.1 "$pa" 1_2 \
		-no_ticket -sess_in "$sa"
done
grep -q 'Extended master secret: yes' "$T_TMP/a1" || t_fail "resumed session without EMS"
t_ok "resumed session has the extended master secret"

expect_resume "rule A's session offered to rule B" New "$T_TMP/b1" 127.0.0.1 "$pb" 1_2 \
	-no_ticket -sess_in "$sa"

sc=$T_TMP/c.sess
cert=(-cert "$T_PKI/client.crt" -key "$T_PKI/client.key")
expect_resume "client certificate: first handshake" New "$T_TMP/c0" 127.0.0.1 "$pc" 1_2 \
	-no_ticket "${cert[@]}" -sess_out "$sc"
expect_resume "client certificate: resumed by session ID" Reused "$T_TMP/c1" 127.0.0.1 "$pc" 1_2 \
	-no_ticket "${cert[@]}" -sess_in "$sc"
# Without a certificate now: the session carries the verified one.
expect_resume "client certificate: resumed without sending it again" Reused "$T_TMP/c2" \
	127.0.0.1 "$pc" 1_2 -no_ticket -sess_in "$sc"

sd=$T_TMP/d.sess
expect_resume "v3_session_timeout 0: first handshake" New "$T_TMP/d0" 127.0.0.1 "$pd" 1_2 \
	-no_ticket -sess_out "$sd"
# Nothing to resume: the server hands out no session ID.
grep -Eq '^ +Session-ID: *$' "$T_TMP/d0" || t_fail "v3_session_timeout 0: the server sent a session ID"
t_ok "v3_session_timeout 0: no session ID handed out"
# Tickets still resume there (TLS 1.2 and 1.3).
for v in 1_2 1_3; do
	expect_resume "v3_session_timeout 0, TLS ${v/_/.}: first handshake" New "$T_TMP/t$v.0" \
		127.0.0.1 "$pd" $v -sess_out "$T_TMP/t$v.sess"
	expect_resume "v3_session_timeout 0, TLS ${v/_/.}: ticket resumes" Reused "$T_TMP/t$v.1" \
		127.0.0.1 "$pd" $v -sess_in "$T_TMP/t$v.sess"
done

expect_no_error
attlsd_stop
t_done
