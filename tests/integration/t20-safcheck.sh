#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119
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
policy=$(write_policy t20 <<EOF
keyrings:
  ring1: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
groups:
  grp-on: { enabled: On, trace: 10 }
identity_maps:
  clients:
    filters:
      - { subject: "O=attls", issuer: "CN=attls Test CA,O=attls", user: ATTLSGRP }
      - { subject: "CN=attls-client,O=attls", user: CLIENT1 }
  others:
    filters:
      - { subject: "CN=someone-else,O=attls", issuer: "CN=attls Test CA,O=attls", user: OTHER }
  pinned:
    certificates:
      - { sha256: "$fp", user: PINNED }
    filters:
      - { subject: "CN=attls-client,O=attls", user: CLIENT1 }
environments:
  env-map: { handshake_role: ServerWithClientAuth, client_auth_type: SAFCheck, identity_map: clients, keyring: ring1 }
  env-miss: { handshake_role: ServerWithClientAuth, client_auth_type: SAFCheck, identity_map: others, keyring: ring1 }
connections:
  conn-pin: { identity_map: pinned }
rules:
  map:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_map, group: grp-on, environment: env-map, backend: "127.0.0.1:$HTTP_PORT" }
  miss: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_miss, group: grp-on, environment: env-miss, backend: "127.0.0.1:$HTTP_PORT" }
  pin:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_pin, group: grp-on, environment: env-map, connection: conn-pin, backend: "127.0.0.1:$HTTP_PORT" }
EOF
)
attlsd_start "$policy"

# sclient OUT PORT VERSION [ARGS...]: HTTP/1.0 GET through openssl s_client.
sclient() {
	local out=$1 port=$2 v=$3
	shift 3
	printf 'GET /index.html HTTP/1.0\r\n\r\n' |
		timeout 15 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
			-CAfile "$T_PKI/ca.crt" -verify_return_error "-tls$v" -quiet "$@" >"$out" 2>&1
}
# close_line RULE: the newest ATL1289I line of that rule since the mark.
close_line() {
	local i line=""
	for ((i = 0; i < 100; i++)); do
		line=$(log_since_mark | grep "ATL1289I TTLS Close .* RULE: $1 " | tail -n 1)
		[[ -n $line ]] && break
		sleep 0.05
	done
	printf '%s\n' "$line"
}
cert=(-cert "$T_PKI/client.crt" -key "$T_PKI/client.key")
page=$(cat "$docroot/index.html")

for v in 1_2 1_3; do
	V=${v/_/.}
	# The most specific filter: 2 subject RDNs beat 1 subject + 2 issuer RDNs.
	sclient "$T_TMP/map.$v" "$p_map" $v "${cert[@]}"
	assert_match "TLS $V mapped certificate: page" "^$page\$" "$(cat "$T_TMP/map.$v")"
	assert_match "TLS $V close line names the mapped user" 'END: done RC: 0 .* MAPPEDUSER: CLIENT1$' "$(close_line map)"
	expect_no_error

	# The one-to-one entry (by SHA-256) comes before the filters.
	sclient "$T_TMP/pin.$v" "$p_pin" $v "${cert[@]}"
	assert_match "TLS $V pinned certificate: page" "^$page\$" "$(cat "$T_TMP/pin.$v")"
	assert_match "TLS $V close line names the pinned user" 'MAPPEDUSER: PINNED$' "$(close_line pin)"
	expect_no_error

	# Validated, but no filter of map "others" matches: 5002, nothing reaches the backend.
	sclient "$T_TMP/miss.$v" "$p_miss" $v "${cert[@]}"
	assert_no_match "TLS $V unmapped certificate: no page" "$page" "$(cat "$T_TMP/miss.$v")"
	cause=$(log_since_mark | grep -m1 'ATL1288I.*RC: 5002')
	expect_rc 5002 "$p_miss"
	assert_match "TLS $V 5002 cause names the subject DN" 'subject "CN=attls-client,O=attls"' "$cause"
	assert_match "TLS $V 5002 cause names the nearest filter" 'nearest filter \(line [0-9]+, user OTHER\): subject "CN=someone-else,O=attls" issuer "CN=attls Test CA,O=attls", 3 of its 4 RDNs match' "$cause"

	# SAFCheck requires a certificate, like Required.
	sclient "$T_TMP/nocert.$v" "$p_map" $v
	assert_no_match "TLS $V SAFCheck without certificate: no page" "$page" "$(cat "$T_TMP/nocert.$v")"
	expect_rc 5001 "$p_map"
done

n=$(grep -c '"GET /index.html HTTP/1.0" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "requests that reached the backend" 4 "$n"
attlsd_stop
exit 0
