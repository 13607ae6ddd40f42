#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ClientAuthType Full and PassThru (AT-TLS semantics): Full asks for a client
# certificate, accepts a connection without one, and validates one that is
# sent (an untrusted one: 435); PassThru asks and accepts anything, untrusted
# and self-signed included, without validating.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool openssl

start_backend echo
read -r p_full p_pass <<<"$(free_ports 2)"
policy=$(write_policy t26 <<EOF
keyrings:
  ring: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
groups:
  grp-on: { enabled: On }
environments:
  full: { handshake_role: ServerWithClientAuth, client_auth_type: Full, keyring: ring }
  pass: { handshake_role: ServerWithClientAuth, client_auth_type: PassThru, keyring: ring }
rules:
  full: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_full, group: grp-on, environment: full, backend: "127.0.0.1:$BACKEND_PORT" }
  pass: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_pass, group: grp-on, environment: pass, backend: "127.0.0.1:$BACKEND_PORT" }
EOF
)
attlsd_start "$policy"

# echo_through PORT [CERT KEY]: "ok" when the echo backend answered through TLS.
echo_through() {
	local port=$1 out
	shift
	out=$( (echo "ping-$port"; sleep 0.5) | timeout 10 openssl s_client -connect "127.0.0.1:$port" \
		-quiet "$@" 2>/dev/null)
	[[ $out == *"ping-$port"* ]] && echo ok || echo failed
}
for v in -tls1_2 -tls1_3; do
	assert_eq "Full $v, no certificate: accepted" ok "$(echo_through "$p_full" $v)"
	assert_eq "Full $v, trusted certificate" ok \
		"$(echo_through "$p_full" $v -cert "$T_PKI/client.crt" -key "$T_PKI/client.key")"
	log_mark
	assert_eq "Full $v, untrusted certificate: refused" failed \
		"$(echo_through "$p_full" $v -cert "$T_PKI/untrusted-client.crt" -key "$T_PKI/untrusted-client.key")"
	expect_rc 435 "$p_full"
	assert_eq "PassThru $v, no certificate" ok "$(echo_through "$p_pass" $v)"
	assert_eq "PassThru $v, untrusted certificate: not validated" ok \
		"$(echo_through "$p_pass" $v -cert "$T_PKI/untrusted-client.crt" -key "$T_PKI/untrusted-client.key")"
	assert_eq "PassThru $v, self-signed certificate: not validated" ok \
		"$(echo_through "$p_pass" $v -cert "$T_PKI/selfsigned-client.crt" -key "$T_PKI/selfsigned-client.key")"
done
attlsd_stop
t_done
