#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
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
policy_new
policy_keyring plain server
policy_add keyrings labelled 'certificates: {
      rsa: { certificate: "${ATTLS_PKI}/server.crt", key: "${ATTLS_PKI}/server.key" },
      ecdsa: { certificate: "${ATTLS_PKI}/server-ecdsa.crt", key: "${ATTLS_PKI}/server-ecdsa.key" } }'
policy_group grp-on
policy_env env-both Server labelled 'server_certificate_labels: [rsa, ecdsa]'
policy_env env-rsa Server labelled 'server_certificate_labels: [rsa]'
policy_env env-default Server plain
policy_env env-label Server labelled 'certificate_label: ecdsa'
policy_rule both "$p_both" env-both "127.0.0.1:$HTTP_PORT"
policy_rule rsa "$p_rsa" env-rsa "127.0.0.1:$HTTP_PORT"
policy_rule default "$p_default" env-default "127.0.0.1:$HTTP_PORT"
policy_rule label "$p_label" env-label "127.0.0.1:$HTTP_PORT"
attlsd_start "$(policy_file)"

# get OUT PORT [ARGS...]: GET with a brief summary (the peer certificate).
get() { sclient -o "$1" -s "$HTTP_GET" "$2" "${SCLIENT_VERIFY[@]}" -brief -ign_eof "${@:3}"; }
ecdsa13=(-tls1_3 -sigalgs ECDSA+SHA256:ECDSA+SHA384)
ecdsa12=(-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256)
rsa13=(-tls1_3 -sigalgs rsa_pss_rsae_sha256:rsa_pss_rsae_sha384)
page=$(cat "$docroot/index.html")
good=0

get "$T_TMP/both.ec13" "$p_both" "${ecdsa13[@]}"
out=$(cat "$T_TMP/both.ec13")
assert_match "[rsa, ecdsa], ECDSA-only TLS 1.3 client: page" "^$page\$" "$out"
assert_match "[rsa, ecdsa], ECDSA-only TLS 1.3 client: gets the ECDSA certificate" 'Peer certificate: O = attls ECDSA, CN = localhost' "$out"
get "$T_TMP/both.ec12" "$p_both" "${ecdsa12[@]}"
out=$(cat "$T_TMP/both.ec12")
assert_match "[rsa, ecdsa], ECDSA-only TLS 1.2 client: gets the ECDSA certificate" 'Peer certificate: O = attls ECDSA, CN = localhost' "$out"
get "$T_TMP/both.rsa13" "$p_both" "${rsa13[@]}"
out=$(cat "$T_TMP/both.rsa13")
assert_match "[rsa, ecdsa], RSA-only TLS 1.3 client: page" "^$page\$" "$out"
assert_match "[rsa, ecdsa], RSA-only TLS 1.3 client: gets the RSA certificate" 'Peer certificate: O = attls, CN = localhost' "$out"
good=$((good + 3))
expect_no_error

get "$T_TMP/rsa.ec13" "$p_rsa" "${ecdsa13[@]}"
assert_no_match "[rsa], ECDSA-only TLS 1.3 client: no page" "$page" "$(cat "$T_TMP/rsa.ec13")"
expect_rc 510 "$p_rsa"
get "$T_TMP/rsa.ec12" "$p_rsa" "${ecdsa12[@]}"
assert_no_match "[rsa], ECDSA-only TLS 1.2 client: no page" "$page" "$(cat "$T_TMP/rsa.ec12")"
expect_rc 510 "$p_rsa"

get "$T_TMP/default.ec12" "$p_default" "${ecdsa12[@]}"
assert_no_match "no label list, ECDSA-only TLS 1.2 client: no page" "$page" "$(cat "$T_TMP/default.ec12")"
expect_rc 402 "$p_default"

get "$T_TMP/label" "$p_label"
out=$(cat "$T_TMP/label")
assert_match "certificate_label ecdsa: page" "^$page\$" "$out"
assert_match "certificate_label ecdsa: the ECDSA certificate" 'Peer certificate: O = attls ECDSA, CN = localhost' "$out"
good=$((good + 1))
expect_no_error

n=$(grep -c '"GET /index.html HTTP/1.0" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "requests that reached the backend" "$good" "$n"
attlsd_stop
exit 0
