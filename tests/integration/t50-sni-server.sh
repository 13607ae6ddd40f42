#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# ServerHandshakeSNI / ServerHandshakeSNIMatch / ServerHandshakeSNIList: the
# server presents the certificate the list names for the client's server name.
#   - Optional: alpha.example -> the ECDSA label; x.beta.example matches
#     "*.beta.example" -> ECDSA; an unlisted name and no SNI -> the keyring's RSA
#     default; the same with Python ssl (server_hostname);
#   - Required + Match Required: no SNI -> RC 412 (alert missing extension), an
#     unlisted name -> RC 510 (alert unrecognized name), a listed one -> served;
#   - a connection action with server_handshake_sni_match Optional on the same
#     environment: the unlisted name is served with the default (narrower scope).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "sni page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"

read -r p_opt p_req p_conn <<<"$(free_ports 3)"
policy_new
policy_keyring ring server 'certificates: {
      ecdsa: { certificate: "${ATTLS_PKI}/server-ecdsa.crt", key: "${ATTLS_PKI}/server-ecdsa.key" } }'
policy_group grp-on
policy_env env-opt Server ring 'server_handshake_sni: Optional' \
	'server_handshake_sni_list: { alpha.example: ecdsa, "*.beta.example": ecdsa }'
policy_env env-req Server ring 'server_handshake_sni: Required' 'server_handshake_sni_match: Required' \
	'server_handshake_sni_list: { alpha.example: ecdsa, gamma.example: default }'
policy_add connections lenient 'server_handshake_sni_match: Optional'
policy_rule opt "$p_opt" env-opt "127.0.0.1:$HTTP_PORT"
policy_rule req "$p_req" env-req "127.0.0.1:$HTTP_PORT"
policy_rule conn "$p_conn" env-req "127.0.0.1:$HTTP_PORT" 'connection: lenient'
policy=$(policy_file)
"$ATTLSD" -T -f "$policy" >"$T_TMP/dump" 2>&1 || { cat "$T_TMP/dump"; t_fail "attlsd -T failed"; }
assert_match "-T shows the SNI list" 'server_handshake_sni_list: +alpha.example=ecdsa \*\.beta\.example=ecdsa' "$(cat "$T_TMP/dump")"
attlsd_start "$policy"

# get OUT PORT [ARGS...]: GET with a brief summary (the peer certificate); the
# server name is each case's own.
get() { sclient -o "$1" -s "$HTTP_GET" "$2" -CAfile "$T_PKI/ca.crt" -verify_return_error -brief -ign_eof "${@:3}"; }
page=$(cat "$docroot/index.html")
ecdsa_cert='Peer certificate: O = attls ECDSA, CN = localhost'
rsa_cert='Peer certificate: O = attls, CN = localhost'
good=0

# served NAME PORT CERT-PATTERN CLIENT-ARGS...: the page, with that certificate.
served() {
	local what=$1 port=$2 cert=$3 out
	shift 3
	get "$T_TMP/out" "$port" "$@"
	out=$(cat "$T_TMP/out")
	assert_match "$what: page" "^$page\$" "$out"
	assert_match "$what: certificate" "$cert" "$out"
	good=$((good + 1))
}

served "Optional, SNI alpha.example" "$p_opt" "$ecdsa_cert" -servername alpha.example
served "Optional, SNI X.Beta.Example (wildcard, any case)" "$p_opt" "$ecdsa_cert" -servername X.Beta.Example
served "Optional, SNI unlisted.example" "$p_opt" "$rsa_cert" -servername unlisted.example
served "Optional, no SNI" "$p_opt" "$rsa_cert" -noservername
# The listed certificate only: an RSA-capable client still gets the ECDSA one.
served "Optional, SNI alpha.example, client prefers RSA" "$p_opt" "$ecdsa_cert" -servername alpha.example \
	-sigalgs rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256
expect_no_error

# Python ssl as the client: server_hostname is the SNI.
"$T_PY" - "$p_opt" "$T_PKI/ca.crt" >"$T_TMP/py" 2>&1 <<'EOF' || { cat "$T_TMP/py"; t_fail "python client failed"; }
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.check_hostname = False
for name in ("alpha.example", "other.example"):
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=name) as t:
            org = dict(x[0] for x in t.getpeercert()["subject"])["organizationName"]
            t.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
            body = b""
            while True:
                b = t.recv(4096)
                if not b:
                    break
                body += b
            print(name, org, body.count(b"sni page"))
EOF
assert_match "Python ssl, SNI alpha.example: the ECDSA certificate and the page" '^alpha.example attls ECDSA 1$' "$(cat "$T_TMP/py")"
assert_match "Python ssl, SNI other.example: the RSA default and the page" '^other.example attls 1$' "$(cat "$T_TMP/py")"
good=$((good + 2))
expect_no_error

served "Required, SNI alpha.example" "$p_req" "$ecdsa_cert" -servername alpha.example
served "Required, SNI gamma.example -> label default" "$p_req" "$rsa_cert" -servername gamma.example
expect_no_error

get "$T_TMP/req.none" "$p_req" -noservername
out=$(cat "$T_TMP/req.none")
assert_no_match "Required, no SNI: no page" "$page" "$out"
assert_match "Required, no SNI: the client sees a fatal alert" 'alert (number 109|missing extension|handshake failure)' "$out"
expect_rc 412 "$p_req"
get "$T_TMP/req.other" "$p_req" -servername unlisted.example
out=$(cat "$T_TMP/req.other")
assert_no_match "Match Required, unlisted name: no page" "$page" "$out"
assert_match "Match Required, unlisted name: the client sees alert unrecognized name" 'unrecognized name:.*alert number 112' "$out"
expect_rc 510 "$p_req"
grep -q 'server name "unlisted.example", which server_handshake_sni_list does not hold' "$ATTLSD_LOG" ||
	t_fail "the cause line does not name the server name"

served "connection action Match Optional over the environment's Required" "$p_conn" "$rsa_cert" -servername unlisted.example
get "$T_TMP/conn.none" "$p_conn" -noservername
assert_no_match "connection action keeps the environment's SNI Required" "$page" "$(cat "$T_TMP/conn.none")"
expect_rc 412 "$p_conn"

n=$(grep -c '"GET /index.html HTTP/1.0" 200' "$T_TMP/http.$HTTP_PORT.log")
assert_eq "requests that reached the backend" "$good" "$n"
attlsd_stop
exit 0
