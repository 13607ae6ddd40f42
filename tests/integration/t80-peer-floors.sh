#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand)
# Floors on the peer's certificates that old versions and PassThru keep, with
# openssl s_client:
#   - a rule that allows TLS 1.0 (OpenSSL 3.0 negotiates it only at security
#     level 0) is warned at load naming the floors attlsd keeps by hand; over
#     TLS 1.0 a client with an RSA-1024 key or a SHA-1 signed certificate is
#     refused (RC 404, the cause giving its bits of security), a good client
#     is served over TLS 1.0 and 1.1;
#   - ClientAuthType PassThru still validates nothing (an untrusted client is
#     served) but applies peer_min_rsa_key_size (RC 404), signature_pairs_cert
#     (RC 467) and OpenSSL's own key floor (RSA-1024: RC 404);
#   - Client role with TLS 1.0 and a DHE suite: a server's 1024-bit DH group is
#     refused (RC 404) by the same kept level.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "floors page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"
page=$(cat "$docroot/index.html")

# Client certificates from the test CA: RSA-1024, RSA-2048 signed with SHA-1,
# RSA-2048 signed with SHA-256.
pki=$T_TMP/pki
mkdir -p "$pki"
printf 'extendedKeyUsage = clientAuth\nbasicConstraints = CA:FALSE\n' >"$pki/ext.cnf"
# client NAME BITS DIGEST
client() {
	openssl req -new -newkey "rsa:$2" -nodes -keyout "$pki/$1.key" -subj "/O=attls/CN=t80-$1" \
		-out "$pki/$1.csr" 2>/dev/null || t_fail "openssl req $1"
	openssl x509 -req -in "$pki/$1.csr" -CA "$T_PKI/ca.crt" -CAkey "$T_PKI/ca.key" -CAcreateserial \
		-CAserial "$pki/ca.srl" -days 30 "-$3" -extfile "$pki/ext.cnf" -out "$pki/$1.crt" 2>/dev/null ||
		t_fail "openssl x509 $1"
}
client weak 1024 sha256
client sha1 2048 sha1
client rsa 2048 sha256

read -r p_legacy p_pmin p_psig p_pass p_cdh s_dh <<<"$(free_ports 6)"
policy_new
policy_keyring ring server 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
policy_add keyrings cli 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
policy_add ciphers dhe10 'v3_cipher_suites_4char: "0033"'
policy_env env-cdh Client cli 'tls_v1_0: On' 'tls_v1_3: Off' 'ciphers: dhe10' 'host_reference_id_dns: localhost'
policy_rule cdh "$p_cdh" env-cdh "127.0.0.1:$s_dh"
policy_group grp-on
policy_add ciphers legacy 'v3_cipher_suites_4char: "1301 1302 C02F C013 C014"'
policy_add signatures cert-no-sha1 'signature_pairs_cert: "0401 0403 0501 0503 0804 0805"'
policy_env env-legacy ServerWithClientAuth ring 'tls_v1_0: On' 'tls_v1_1: On' 'ciphers: legacy' \
	'peer_min_ecc_key_size: 256'
policy_env env-pmin ServerWithClientAuth ring 'client_auth_type: PassThru' 'peer_min_rsa_key_size: 3072'
policy_env env-psig ServerWithClientAuth ring 'client_auth_type: PassThru' 'signatures: cert-no-sha1'
policy_env env-pass ServerWithClientAuth ring 'client_auth_type: PassThru'
policy_rule legacy "$p_legacy" env-legacy "127.0.0.1:$HTTP_PORT"
policy_rule pmin "$p_pmin" env-pmin "127.0.0.1:$HTTP_PORT"
policy_rule psig "$p_psig" env-psig "127.0.0.1:$HTTP_PORT"
policy_rule pass "$p_pass" env-pass "127.0.0.1:$HTTP_PORT"
policy=$(policy_file)
out=$("$ATTLSD" -t -f "$policy" 2>&1) || { echo "$out"; t_fail "policy check failed"; }
assert_match "TLS 1.0 allowed: the floors attlsd keeps are named at load" \
	'rule "legacy" allows TLS 1.0: OpenSSL needs security level 0 for it, so attlsd checks the peer.s certificates itself at level [1-5]: keys of at least [0-9]+ bits of security .*; still applied too, peer_min_ecc_key_size 256' "$out"
level=$(sed -n 's/.*rule "legacy" allows TLS 1.0: .* itself at level \([1-5]\):.*/\1/p' <<<"$out" | head -n 1)
t_log "the security level kept for TLS 1.0: $level"
((level >= 2)) || t_skip "OpenSSL's default security level is $level: an RSA-1024 key passes it"
attlsd_start "$policy"

# get PORT CERTNAME VERSION: HTTP GET with a client certificate; prints the reply.
get() {
	local crt=$pki/$2.crt key=$pki/$2.key
	[[ -f $crt ]] || crt=$T_PKI/$2.crt key=$T_PKI/$2.key
	sclient -o "$T_TMP/get.out" -s "$HTTP_GET" "$1" "-$3" -cipher 'DEFAULT:@SECLEVEL=0' -ign_eof \
		-cert "$crt" -key "$key" >/dev/null 2>&1
	cat "$T_TMP/get.out"
}
served() { # WHAT PORT CERTNAME VERSION
	assert_match "$1" "^$page\$" "$(get "$2" "$3" "$4")"
	expect_no_error
}
refused() { # WHAT PORT CERTNAME VERSION RC CAUSE-ERE
	assert_no_match "$1: no page" "$page" "$(get "$2" "$3" "$4")"
	expect_rc "$5" "$2"
	assert_match "$1: the cause" "$6" "$RC_CAUSE"
}

served "TLS 1.0 allowed: an EC P-256 client is served over TLS 1.0" "$p_legacy" client tls1
served "TLS 1.0 allowed: an EC P-256 client is served over TLS 1.1" "$p_legacy" client tls1_1
served "TLS 1.0 allowed: an RSA-2048 client is served over TLS 1.0" "$p_legacy" rsa tls1
refused "TLS 1.0: an RSA-1024 client" "$p_legacy" weak tls1 404 \
	'CN=t80-weak,O=attls at depth 0 has a 1024-bit RSA key \(80 bits of security\), below the [0-9]+ bits of security level [2-5] that attlsd keeps'
refused "TLS 1.0: a SHA-1 signed client certificate" "$p_legacy" sha1 tls1 404 \
	'CN=t80-sha1,O=attls at depth 0 is signed with SHA1 \([0-9]+ bits of security\), below the'

served "PassThru: an untrusted client is still served" "$p_pass" untrusted-client tls1_2
served "PassThru, peer_min_rsa_key_size 3072: an EC client is served" "$p_pmin" client tls1_3
refused "PassThru, peer_min_rsa_key_size 3072: an RSA-2048 client" "$p_pmin" rsa tls1_3 404 \
	'has a 2048-bit RSA key, smaller than the rule.s peer_min_rsa_key_size 3072'
refused "PassThru, signature_pairs_cert without SHA-1: a SHA-1 signed client" "$p_psig" sha1 tls1_2 467 \
	'signature_pairs_cert'
refused "PassThru: an RSA-1024 client (OpenSSL's key floor)" "$p_pass" weak tls1_2 404 'CN=t80-weak'

# Client role, TLS 1.0 with DHE: a server with a 1024-bit DH group is refused
# (the ephemeral key, which no certificate check sees).
openssl dhparam -out "$pki/dh1024.pem" 1024 2>/dev/null || t_fail "openssl dhparam"
openssl s_server -accept "127.0.0.1:$s_dh" -cert "$T_PKI/server.crt" -key "$T_PKI/server.key" -tls1 \
	-cipher 'DHE-RSA-AES128-SHA:@SECLEVEL=0' -dhparam "$pki/dh1024.pem" -www -quiet \
	>"$T_TMP/s_server.log" 2>&1 &
t_track $!
wait_tcp 127.0.0.1 "$s_dh" 10 || t_fail "openssl s_server did not start"
out=$(timeout 15 "$T_PY" - "$p_cdh" <<'PY'
import socket, sys
out = b""
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except OSError:
    pass
sys.stdout.write(out.decode("latin-1"))
PY
)
assert_no_match "Client role, TLS 1.0, a server's 1024-bit DHE group: no reply" 'Cipher' "$out"
expect_rc 404 "$p_cdh"
assert_match "Client role, 1024-bit DHE: the cause" \
	"the peer's ephemeral DH key has 80 bits of security, below the [0-9]+ bits of security level" "$RC_CAUSE"

t_running "$ATTLSD_PID" || t_fail "attlsd died"
attlsd_stop
t_done
