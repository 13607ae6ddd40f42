#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# handshake_role ServerWithClientAuth, client_auth_type Required, with openssl s_client:
# a good client certificate works end to end (TLS 1.2 and 1.3); no certificate -> RC 5001,
# certificate from an untrusted CA -> 435, self-signed -> 417, expired -> 401.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "client-auth backend page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"

port=$(free_port)
policy_new
policy_keyring ring1 server 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
policy_group grp-on
policy_env env-auth ServerWithClientAuth ring1 'client_auth_type: Required' \
	'tls_v1_2: On' 'tls_v1_3: On' 'handshake_timeout: 10'
policy_rule auth "$port" env-auth "127.0.0.1:$HTTP_PORT"
attlsd_start "$(policy_file)"

# get OUT VERSION [ARGS...]: HTTP/1.0 GET through openssl s_client, output in OUT.
get() {
	local out=$1 v=$2
	shift 2
	sclient -o "$out" -s "$HTTP_GET" "$port" "${SCLIENT_VERIFY[@]}" -verify_hostname localhost \
		"-tls$v" -quiet "$@"
}

page=$(cat "$docroot/index.html")
good=0
for v in 1_2 1_3; do
	V=${v/_/.}
	# With the client certificate: full round trip.
	get "$T_TMP/good.$v" $v -cert "$T_PKI/client.crt" -key "$T_PKI/client.key"
	out=$(cat "$T_TMP/good.$v")
	assert_match "TLS $V with client cert: HTTP 200 from the backend" '^HTTP/1\.0 200' "$out"
	assert_match "TLS $V with client cert: page body" "^$page\$" "$out"
	good=$((good + 1))
	expect_no_error

	# Without a client certificate.
	get "$T_TMP/nocert.$v" $v
	assert_no_match "TLS $V without client cert: no page" "$page" "$(cat "$T_TMP/nocert.$v")"
	expect_rc 5001 "$port"

	# Certificate issued by a CA that is not in trusted_ca.
	get "$T_TMP/untrusted.$v" $v -cert "$T_PKI/untrusted-client.crt" -key "$T_PKI/untrusted-client.key"
	assert_no_match "TLS $V untrusted client cert: no page" "$page" "$(cat "$T_TMP/untrusted.$v")"
	expect_rc 435 "$port"

	# Self-signed client certificate.
	get "$T_TMP/selfsigned.$v" $v -cert "$T_PKI/selfsigned-client.crt" -key "$T_PKI/selfsigned-client.key"
	assert_no_match "TLS $V self-signed client cert: no page" "$page" "$(cat "$T_TMP/selfsigned.$v")"
	expect_rc 417 "$port"

	# Expired client certificate from the trusted CA.
	get "$T_TMP/expired.$v" $v -cert "$T_PKI/expired-client.crt" -key "$T_PKI/expired-client.key"
	assert_no_match "TLS $V expired client cert: no page" "$page" "$(cat "$T_TMP/expired.$v")"
	expect_rc 401 "$port"
done

# Only the authenticated requests reached the backend.
n=$(grep -c '"GET /index.html HTTP/1.0" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "requests that reached the backend" "$good" "$n"

attlsd_stop
exit 0
