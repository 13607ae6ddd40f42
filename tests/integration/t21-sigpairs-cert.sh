#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
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
policy_new
policy_keyring ring1 server 'trusted_ca: "'"$T_TMP"'/trust.pem"'
policy_group grp-on
policy_add signatures cert-no-sha1 'signature_pairs_cert: "0401 0403 0501 0503 0804 0805"'
policy_add signatures pairs-no-sha1 'signature_pairs: "0401 0403 0501 0503 0804 0805"'
policy_env env-cert ServerWithClientAuth ring1 'signatures: cert-no-sha1'
policy_env env-pairs ServerWithClientAuth ring1 'signatures: pairs-no-sha1'
policy_rule cert "$p_cert" env-cert "127.0.0.1:$HTTP_PORT"
policy_rule pairs "$p_pairs" env-pairs "127.0.0.1:$HTTP_PORT"
attlsd_start "$(policy_file)"

# get OUT PORT VERSION [ARGS...]: HTTP/1.0 GET through openssl s_client.
get() {
	local out=$1 port=$2 v=$3
	shift 3
	sclient -o "$out" -s "$HTTP_GET" "$port" "${SCLIENT_VERIFY[@]}" "-tls$v" -quiet "$@"
}
page=$(cat "$docroot/index.html")
good=0
for port in $p_cert $p_pairs; do
	for v in 1_2 1_3; do
		V=${v/_/.}
		get "$T_TMP/good.$port.$v" "$port" $v -cert "$T_PKI/client.crt" -key "$T_PKI/client.key"
		assert_match "port $port TLS $V: certificate signed with 0403 gets through" "^$page\$" "$(cat "$T_TMP/good.$port.$v")"
		good=$((good + 1))
		expect_no_error

		# The client's own OpenSSL refuses SHA-1 certificates above security level 0.
		get "$T_TMP/sha1.$port.$v" "$port" $v -cert "$T_PKI/sha1-client.crt" -key "$T_PKI/sha1-client.key" \
			-cipher 'DEFAULT:@SECLEVEL=0'

		assert_no_match "port $port TLS $V: certificate signed with 0201: no page" "$page" "$(cat "$T_TMP/sha1.$port.$v")"
		expect_rc 467 "$port"
		cause=$RC_CAUSE
		assert_match "port $port TLS $V: cause names the scheme" 'signed with rsa_pkcs1_sha1 \(0201\)' "$cause"
	done
done
assert_match "Default signature_pairs_cert: the cause names signature_pairs" 'which signature_pairs does not list' "$cause"

n=$(grep -c '"GET /index.html HTTP/1.0" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "requests that reached the backend" "$good" "$n"
attlsd_stop
exit 0
