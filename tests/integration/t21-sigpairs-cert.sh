#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119
# SignaturePairsCert on the client's certificate chain, with openssl s_client:
# a client certificate signed with rsa_pkcs1_sha1 (0201) against
# signature_pairs_cert that leaves it out -> RC 467; a certificate signed with
# ecdsa_secp256r1_sha256 (0403), which the list has, works. With
# signature_pairs_cert Default, signature_pairs applies to certificates too.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "sigpairs page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"

cat "$T_PKI/ca.crt" "$T_PKI/rsa-ca.crt" >"$T_TMP/trust.pem"
read -r p_cert p_pairs <<<"$(free_ports 2)"
policy=$(write_policy t21 <<EOF
keyrings:
  ring1: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_TMP/trust.pem" }
groups:
  grp-on: { enabled: On }
signatures:
  cert-no-sha1: { signature_pairs_cert: "0401 0403 0501 0503 0804 0805" }
  pairs-no-sha1: { signature_pairs: "0401 0403 0501 0503 0804 0805" }
environments:
  env-cert: { handshake_role: ServerWithClientAuth, keyring: ring1, signatures: cert-no-sha1 }
  env-pairs: { handshake_role: ServerWithClientAuth, keyring: ring1, signatures: pairs-no-sha1 }
rules:
  cert:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_cert, group: grp-on, environment: env-cert, backend: "127.0.0.1:$HTTP_PORT" }
  pairs: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_pairs, group: grp-on, environment: env-pairs, backend: "127.0.0.1:$HTTP_PORT" }
EOF
)
attlsd_start "$policy"

sclient() {
	local out=$1 port=$2 v=$3
	shift 3
	printf 'GET /index.html HTTP/1.0\r\n\r\n' |
		timeout 15 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
			-CAfile "$T_PKI/ca.crt" -verify_return_error "-tls$v" -quiet "$@" >"$out" 2>&1
}
page=$(cat "$docroot/index.html")
good=0
for port in $p_cert $p_pairs; do
	for v in 1_2 1_3; do
		V=${v/_/.}
		sclient "$T_TMP/good.$port.$v" "$port" $v -cert "$T_PKI/client.crt" -key "$T_PKI/client.key"
		assert_match "port $port TLS $V: certificate signed with 0403 gets through" "^$page\$" "$(cat "$T_TMP/good.$port.$v")"
		good=$((good + 1))
		expect_no_error

		# The client's own OpenSSL refuses SHA-1 certificates above security level 0.
		sclient "$T_TMP/sha1.$port.$v" "$port" $v -cert "$T_PKI/sha1-client.crt" -key "$T_PKI/sha1-client.key" \
			-cipher 'DEFAULT:@SECLEVEL=0'

		assert_no_match "port $port TLS $V: certificate signed with 0201: no page" "$page" "$(cat "$T_TMP/sha1.$port.$v")"
		cause=$(log_since_mark | grep -m1 'ATL1288I.*RC:  467')
		expect_rc 467 "$port"
		assert_match "port $port TLS $V: cause names the scheme" 'signed with rsa_pkcs1_sha1 \(0201\)' "$cause"
	done
done
assert_match "Default signature_pairs_cert: the cause names signature_pairs" 'which signature_pairs does not list' "$cause"

n=$(grep -c '"GET /index.html HTTP/1.0" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "requests that reached the backend" "$good" "$n"
attlsd_stop
exit 0
