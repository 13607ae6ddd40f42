#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# ClientAuthType Full and PassThru (AT-TLS semantics): Full asks for a client
# certificate, accepts a connection without one, and validates one that is
# sent (an untrusted one: 435); PassThru asks and accepts anything, untrusted
# and self-signed included, without validating.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool openssl

start_backend echo
read -r p_full p_pass <<<"$(free_ports 2)"
policy_new
policy_keyring ring server 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
policy_group grp-on
policy_env full ServerWithClientAuth ring 'client_auth_type: Full'
policy_env pass ServerWithClientAuth ring 'client_auth_type: PassThru'
policy_rule full "$p_full" full "127.0.0.1:$BACKEND_PORT" 'priority: 1'
policy_rule pass "$p_pass" pass "127.0.0.1:$BACKEND_PORT" 'priority: 1'
attlsd_start "$(policy_file)"

# echo_through PORT [CERT KEY]: "ok" when the echo backend answered through TLS.
echo_through() {
	sclient -s "ping-$1\n" -u "ping-$1" -x "$1" -quiet "${@:2}" && echo ok || echo failed
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
