#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119
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
policy=$(write_policy t24 <<EOF
keyrings:
  ring-crl:
    certificate: "$T_PKI/server.crt"
    key: "$T_PKI/server.key"
    trusted_ca: "$T_PKI/ca.crt"
    crl: "$T_PKI/ca.crl"
    ocsp_response: "$T_PKI/server-ocsp.der"
  ring-plain: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
groups:
  grp-on: { enabled: On }
environments:
  env-crl: { handshake_role: ServerWithClientAuth, keyring: ring-crl }
  env-plain: { handshake_role: Server, keyring: ring-plain }
rules:
  crl:   { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_crl, group: grp-on, environment: env-crl, backend: "127.0.0.1:$HTTP_PORT" }
  plain: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_plain, group: grp-on, environment: env-plain, backend: "127.0.0.1:$HTTP_PORT" }
EOF
)
attlsd_start "$policy"

sclient() {
	local out=$1 port=$2 v=$3
	shift 3
	printf 'GET /index.html HTTP/1.0\r\n\r\n' |
		timeout 15 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
			-CAfile "$T_PKI/ca.crt" -verify_return_error "-tls$v" -ign_eof "$@" >"$out" 2>&1
}
page=$(cat "$docroot/index.html")
good=0
for v in 1_2 1_3; do
	V=${v/_/.}
	sclient "$T_TMP/good.$v" "$p_crl" $v -cert "$T_PKI/client.crt" -key "$T_PKI/client.key" -status
	out=$(cat "$T_TMP/good.$v")
	assert_match "TLS $V: a certificate the CRL does not list works" "^$page\$" "$out"
	assert_match "TLS $V: the OCSP response is stapled" 'OCSP Response Status: successful' "$out"
	assert_match "TLS $V: the stapled response says good" 'Cert Status: good' "$out"
	good=$((good + 1))
	expect_no_error

	sclient "$T_TMP/revoked.$v" "$p_crl" $v -cert "$T_PKI/revoked-client.crt" -key "$T_PKI/revoked-client.key"
	assert_no_match "TLS $V: revoked certificate: no page" "$page" "$(cat "$T_TMP/revoked.$v")"
	cause=$(log_since_mark | grep -m1 'ATL1288I.*RC:  431')
	expect_rc 431 "$p_crl"
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

sclient "$T_TMP/nostaple" "$p_plain" 1_3 -status
out=$(cat "$T_TMP/nostaple")
assert_match "without ocsp_response: page" "^$page\$" "$out"
assert_match "without ocsp_response: nothing stapled" 'OCSP response: no response sent' "$out"
good=$((good + 1))
expect_no_error

n=$(grep -cE '"GET /index.html HTTP/1\.[01]" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "requests that reached the backend" "$good" "$n"
attlsd_stop
exit 0
