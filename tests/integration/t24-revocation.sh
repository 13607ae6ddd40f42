#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Revocation: a keyring with a CRL; a client certificate the CRL lists -> RC 431,
# a good one from the same CA works (openssl s_client and curl). OCSP stapling:
# with ocsp_response, s_client -status gets the stapled response; without, none.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "revocation page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"

read -r p_crl p_plain <<<"$(free_ports 2)"
policy_new
policy_keyring ring-crl server 'trusted_ca: "${ATTLS_PKI}/ca.crt"' 'crl: "${ATTLS_PKI}/ca.crl"' \
	'ocsp_response: "${ATTLS_PKI}/server-ocsp.der"'
policy_keyring ring-plain server
policy_group grp-on
policy_env env-crl ServerWithClientAuth ring-crl
policy_env env-plain Server ring-plain
policy_rule crl "$p_crl" env-crl "127.0.0.1:$HTTP_PORT"
policy_rule plain "$p_plain" env-plain "127.0.0.1:$HTTP_PORT"
attlsd_start "$(policy_file)"

# get OUT PORT VERSION [ARGS...]: HTTP/1.0 GET through openssl s_client.
get() {
	local out=$1 port=$2 v=$3
	shift 3
	sclient -o "$out" -s "$HTTP_GET" "$port" "${SCLIENT_VERIFY[@]}" "-tls$v" -ign_eof "$@"
}
page=$(cat "$docroot/index.html")
good=0
for v in 1_2 1_3; do
	V=${v/_/.}
	get "$T_TMP/good.$v" "$p_crl" $v -cert "$T_PKI/client.crt" -key "$T_PKI/client.key" -status
	out=$(cat "$T_TMP/good.$v")
	assert_match "TLS $V: a certificate the CRL does not list works" "^$page\$" "$out"
	assert_match "TLS $V: the OCSP response is stapled" 'OCSP Response Status: successful' "$out"
	assert_match "TLS $V: the stapled response says good" 'Cert Status: good' "$out"
	good=$((good + 1))
	expect_no_error

	get "$T_TMP/revoked.$v" "$p_crl" $v -cert "$T_PKI/revoked-client.crt" -key "$T_PKI/revoked-client.key"
	assert_no_match "TLS $V: revoked certificate: no page" "$page" "$(cat "$T_TMP/revoked.$v")"
	expect_rc 431 "$p_crl"
	cause=$RC_CAUSE
	assert_match "TLS $V: cause names the revoked certificate" 'CN=attls-revoked-client' "$cause"
done

if command -v curl >/dev/null 2>&1; then
	out=$(timeout 15 curl -sS --cacert "$T_PKI/ca.crt" --cert "$T_PKI/revoked-client.crt" \
		--key "$T_PKI/revoked-client.key" "https://localhost:$p_crl/index.html" 2>&1)
	assert_no_match "curl with the revoked certificate: no page" "$page" "$out"
	expect_rc 431 "$p_crl"
	out=$(timeout 15 curl -sS --cacert "$T_PKI/ca.crt" --cert "$T_PKI/client.crt" \
		--key "$T_PKI/client.key" "https://localhost:$p_crl/index.html" 2>&1)
	assert_match "curl with a good certificate: page" "^$page\$" "$out"
	good=$((good + 1))
	expect_no_error
fi

get "$T_TMP/nostaple" "$p_plain" 1_3 -status
out=$(cat "$T_TMP/nostaple")
assert_match "without ocsp_response: page" "^$page\$" "$out"
assert_match "without ocsp_response: nothing stapled" 'OCSP response: no response sent' "$out"
good=$((good + 1))
expect_no_error

n=$(grep -cE '"GET /index.html HTTP/1\.[01]" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "requests that reached the backend" "$good" "$n"
attlsd_stop
exit 0
