#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# client_auth_type SAFCheck with identity maps (the RACDCERT MAP analogue), with
# openssl s_client: a certificate that maps (most specific filter, or a sha256
# one-to-one entry before any filter) gets through and its user ID is in the
# ATL1289I close line (Trace 8); a validated certificate that maps to no user ->
# RC 5002 whose cause names the DNs and the nearest filter; no certificate -> 5001.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "safcheck page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"

fp=$(openssl x509 -in "$T_PKI/client.crt" -noout -fingerprint -sha256 | cut -d= -f2)
read -r p_map p_miss p_pin <<<"$(free_ports 3)"
policy_new
policy_keyring ring1 server 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
policy_group grp-on 'trace: 10'
policy_add identity_maps clients 'filters: [
      { subject: "O=attls", issuer: "CN=attls Test CA,O=attls", user: ATTLSGRP },
      { subject: "CN=attls-client,O=attls", user: CLIENT1 } ]'
policy_add identity_maps others 'filters: [
      { subject: "CN=someone-else,O=attls", issuer: "CN=attls Test CA,O=attls", user: OTHER } ]'
policy_add identity_maps pinned "certificates: [ { sha256: \"$fp\", user: PINNED } ]" \
	'filters: [ { subject: "CN=attls-client,O=attls", user: CLIENT1 } ]'
policy_env env-map ServerWithClientAuth ring1 'client_auth_type: SAFCheck' 'identity_map: clients'
policy_env env-miss ServerWithClientAuth ring1 'client_auth_type: SAFCheck' 'identity_map: others'
policy_add connections conn-pin 'identity_map: pinned'
policy_rule map "$p_map" env-map "127.0.0.1:$HTTP_PORT"
policy_rule miss "$p_miss" env-miss "127.0.0.1:$HTTP_PORT"
policy_rule pin "$p_pin" env-map "127.0.0.1:$HTTP_PORT" 'connection: conn-pin'
attlsd_start "$(policy_file)"

# get OUT PORT VERSION [ARGS...]: HTTP/1.0 GET through openssl s_client.
get() {
	local out=$1 port=$2 v=$3
	shift 3
	sclient -o "$out" -s "$HTTP_GET" "$port" "${SCLIENT_VERIFY[@]}" "-tls$v" -quiet "$@"
}
# close_line RULE: the ATL1289I line of that rule since the mark (waits for it).
close_line() { wait_log "ATL1289I TTLS Close .* RULE: $1 "; }
cert=(-cert "$T_PKI/client.crt" -key "$T_PKI/client.key")
page=$(cat "$docroot/index.html")

for v in 1_2 1_3; do
	V=${v/_/.}
	# The most specific filter: 2 subject RDNs beat 1 subject + 2 issuer RDNs.
	get "$T_TMP/map.$v" "$p_map" $v "${cert[@]}"
	assert_match "TLS $V mapped certificate: page" "^$page\$" "$(cat "$T_TMP/map.$v")"
	assert_match "TLS $V close line names the mapped user" 'END: done RC: 0 .* MAPPEDUSER: CLIENT1$' "$(close_line map)"
	expect_no_error

	# The one-to-one entry (by SHA-256) comes before the filters.
	get "$T_TMP/pin.$v" "$p_pin" $v "${cert[@]}"
	assert_match "TLS $V pinned certificate: page" "^$page\$" "$(cat "$T_TMP/pin.$v")"
	assert_match "TLS $V close line names the pinned user" 'MAPPEDUSER: PINNED$' "$(close_line pin)"
	expect_no_error

	# Validated, but no filter of map "others" matches: 5002, nothing reaches the backend.
	get "$T_TMP/miss.$v" "$p_miss" $v "${cert[@]}"
	assert_no_match "TLS $V unmapped certificate: no page" "$page" "$(cat "$T_TMP/miss.$v")"
	expect_rc 5002 "$p_miss"
	cause=$RC_CAUSE
	assert_match "TLS $V 5002 cause names the subject DN" 'subject "CN=attls-client,O=attls"' "$cause"
	assert_match "TLS $V 5002 cause names the nearest filter" 'nearest filter \(line [0-9]+, user OTHER\): subject "CN=someone-else,O=attls" issuer "CN=attls Test CA,O=attls", 3 of its 4 RDNs match' "$cause"

	# SAFCheck requires a certificate, like Required.
	get "$T_TMP/nocert.$v" "$p_map" $v
	assert_no_match "TLS $V SAFCheck without certificate: no page" "$page" "$(cat "$T_TMP/nocert.$v")"
	expect_rc 5001 "$p_map"
done

n=$(grep -c '"GET /index.html HTTP/1.0" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "requests that reached the backend" 4 "$n"
attlsd_stop
exit 0
