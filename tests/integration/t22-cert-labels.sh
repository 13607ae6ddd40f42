#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119
# ServerCertificateLabel / CertificateLabel with a keyring of labelled
# certificates (RSA and ECDSA), with openssl s_client:
#   - label list [rsa, ecdsa]: an ECDSA-only client gets the ECDSA certificate, an
#     RSA-only client the RSA one;
#   - label list [rsa]: an ECDSA-only client -> RC 510 (no label of the list fits:
#     GSK_ERR_NO_KEY_LABEL_LIST_MATCH), TLS 1.3 (signature algorithms) and TLS 1.2
#     (ECDSA suites);
#   - no label list, the RSA default certificate: the same TLS 1.2 client -> 402
#     (no cipher in common), as before labels existed;
#   - certificate_label ecdsa: the ECDSA certificate is presented.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "labels page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"

read -r p_both p_rsa p_default p_label <<<"$(free_ports 4)"
policy=$(write_policy t22 <<EOF
keyrings:
  plain: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
  labelled:
    certificates:
      rsa: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
      ecdsa: { certificate: "$T_PKI/server-ecdsa.crt", key: "$T_PKI/server-ecdsa.key" }
groups:
  grp-on: { enabled: On }
environments:
  env-both: { handshake_role: Server, keyring: labelled, server_certificate_labels: [rsa, ecdsa] }
  env-rsa: { handshake_role: Server, keyring: labelled, server_certificate_labels: [rsa] }
  env-default: { handshake_role: Server, keyring: plain }
  env-label: { handshake_role: Server, keyring: labelled, certificate_label: ecdsa }
rules:
  both:    { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_both, group: grp-on, environment: env-both, backend: "127.0.0.1:$HTTP_PORT" }
  rsa:     { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_rsa, group: grp-on, environment: env-rsa, backend: "127.0.0.1:$HTTP_PORT" }
  default: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_default, group: grp-on, environment: env-default, backend: "127.0.0.1:$HTTP_PORT" }
  label:   { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_label, group: grp-on, environment: env-label, backend: "127.0.0.1:$HTTP_PORT" }
EOF
)
attlsd_start "$policy"

# sclient OUT PORT [ARGS...]: GET with a brief summary (the peer certificate).
sclient() {
	local out=$1 port=$2
	shift 2
	printf 'GET /index.html HTTP/1.0\r\n\r\n' |
		timeout 15 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
			-CAfile "$T_PKI/ca.crt" -verify_return_error -brief -ign_eof "$@" >"$out" 2>&1
}
ecdsa13=(-tls1_3 -sigalgs ECDSA+SHA256:ECDSA+SHA384)
ecdsa12=(-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256)
rsa13=(-tls1_3 -sigalgs rsa_pss_rsae_sha256:rsa_pss_rsae_sha384)
page=$(cat "$docroot/index.html")
good=0

sclient "$T_TMP/both.ec13" "$p_both" "${ecdsa13[@]}"
out=$(cat "$T_TMP/both.ec13")
assert_match "[rsa, ecdsa], ECDSA-only TLS 1.3 client: page" "^$page\$" "$out"
assert_match "[rsa, ecdsa], ECDSA-only TLS 1.3 client: gets the ECDSA certificate" 'Peer certificate: O = attls ECDSA, CN = localhost' "$out"
sclient "$T_TMP/both.ec12" "$p_both" "${ecdsa12[@]}"
out=$(cat "$T_TMP/both.ec12")
assert_match "[rsa, ecdsa], ECDSA-only TLS 1.2 client: gets the ECDSA certificate" 'Peer certificate: O = attls ECDSA, CN = localhost' "$out"
sclient "$T_TMP/both.rsa13" "$p_both" "${rsa13[@]}"
out=$(cat "$T_TMP/both.rsa13")
assert_match "[rsa, ecdsa], RSA-only TLS 1.3 client: page" "^$page\$" "$out"
assert_match "[rsa, ecdsa], RSA-only TLS 1.3 client: gets the RSA certificate" 'Peer certificate: O = attls, CN = localhost' "$out"
good=$((good + 3))
expect_no_error

sclient "$T_TMP/rsa.ec13" "$p_rsa" "${ecdsa13[@]}"
assert_no_match "[rsa], ECDSA-only TLS 1.3 client: no page" "$page" "$(cat "$T_TMP/rsa.ec13")"
expect_rc 510 "$p_rsa"
sclient "$T_TMP/rsa.ec12" "$p_rsa" "${ecdsa12[@]}"
assert_no_match "[rsa], ECDSA-only TLS 1.2 client: no page" "$page" "$(cat "$T_TMP/rsa.ec12")"
expect_rc 510 "$p_rsa"

sclient "$T_TMP/default.ec12" "$p_default" "${ecdsa12[@]}"
assert_no_match "no label list, ECDSA-only TLS 1.2 client: no page" "$page" "$(cat "$T_TMP/default.ec12")"
expect_rc 402 "$p_default"

sclient "$T_TMP/label" "$p_label"
out=$(cat "$T_TMP/label")
assert_match "certificate_label ecdsa: page" "^$page\$" "$out"
assert_match "certificate_label ecdsa: the ECDSA certificate" 'Peer certificate: O = attls ECDSA, CN = localhost' "$out"
good=$((good + 1))
expect_no_error

n=$(grep -c '"GET /index.html HTTP/1.0" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "requests that reached the backend" "$good" "$n"
attlsd_stop
exit 0
