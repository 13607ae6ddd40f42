#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# RC 467 when the *peer* refuses: attlsd in Client role offers only the
# signature algorithms of its signature_pairs (ECDSA) to an openssl s_server
# whose key is RSA, so the server finds no scheme it can sign with and sends
# handshake_failure right after our ClientHello (its own log says "no suitable
# signature algorithm", which the test checks, so the RC is not a guess made
# against the wrong cause). attlsd must log RC 467, say the server sent the
# alert, and list what we offered (TLS 1.3 and TLS 1.2). Controls: the same
# server with a scheme its key can use is served; narrowing the suites as well
# leaves the inference out (402, the table's code for handshake_failure).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool openssl

# s_server VERSION-OPTION: an RSA-keyed server; sets SRV_PORT and SRV_LOG.
s_server() {
	SRV_PORT=$(free_port)
	SRV_LOG=$T_TMP/s_server.$SRV_PORT.log
	# -www: s_server does not read stdin, so EOF there does not stop it
	openssl s_server -accept "127.0.0.1:$SRV_PORT" -cert "$T_PKI/server.crt" \
		-key "$T_PKI/server.key" "$1" -www </dev/null >"$SRV_LOG" 2>&1 &
	t_track $!
	wait_report "$SRV_LOG" ACCEPT >/dev/null || t_fail "openssl s_server did not start"
}
s_server -tls1_3
srv13=$SRV_PORT
log13=$SRV_LOG
s_server -tls1_2
srv12=$SRV_PORT
log12=$SRV_LOG

read -r p13 p12 pok pnarrow <<<"$(free_ports 4)"
policy_new
policy_add keyrings trust 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
policy_group grp-on
policy_add ciphers gcm 'v3_cipher_suites_4char: "1302 1301 C02F C030"'
policy_add signatures ecdsa-only 'signature_pairs: [ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384]'
policy_add signatures with-pss 'signature_pairs: [ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256]'
policy_env c-ecdsa Client trust 'signatures: ecdsa-only'
policy_env c-pss Client trust 'signatures: with-pss'
policy_env c-narrow Client trust 'signatures: ecdsa-only' 'ciphers: gcm'
policy_rule to13 "$p13" c-ecdsa "localhost:$srv13" 'priority: 1'
policy_rule to12 "$p12" c-ecdsa "localhost:$srv12" 'priority: 1'
policy_rule ok13 "$pok" c-pss "localhost:$srv13" 'priority: 1'
policy_rule narrow "$pnarrow" c-narrow "localhost:$srv13" 'priority: 1'
attlsd_start "$(policy_file)"

# get PORT: an HTTP request in plaintext through attlsd; "served" or "failed".
get() {
	printf 'GET / HTTP/1.0\r\n\r\n' | timeout 15 "$T_PY" -c '
import socket, sys
out = b""
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=12)
    s.sendall(sys.stdin.buffer.read())
    while True:
        d = s.recv(4096)
        if not d:
            break
        out += d
except OSError:
    pass
print("served" if b"200 ok" in out.lower() else "failed")' "$1"
}

assert_eq "control: a scheme the server's RSA key can use" served "$(get "$pok")"
expect_no_error

for v in 13 12; do
	port=p$v log=log$v
	assert_eq "TLS 1.${v#1}: only ECDSA schemes offered to an RSA server" failed "$(get "${!port}")"
	expect_rc 467 "${!port}"
	c=$(cause_of 467)
	assert_match "TLS 1.${v#1}: the server sent the alert, in reply to our ClientHello" \
		"RC:  467 .*Cause: the peer \(the server\) sent alert handshake failure in reply to our ClientHello: it refused the handshake; the rule narrows only the signature algorithms we offer \(signature_pairs of ecdsa-only\)" "$c"
	assert_match "TLS 1.${v#1}: what we offered" \
		"we offered \(our ClientHello\) TLSv1\.3,TLSv1\.2 with suites [0-9A-F,]+, signature algorithms 0403,0503 and groups [0-9A-F,]+( \(signature algorithms from signature_pairs of ecdsa-only\))?; the server sent nothing before its alert" "$c"
	# The peer's own log: the RC is 467 for the reason the server had.
	wait_report "${!log}" "no suitable signature algorithm|no shared cipher" 2 >/dev/null
	assert_match "TLS 1.${v#1}: openssl s_server's own reason" "no suitable signature algorithm|no shared cipher" "$(cat "${!log}")"
done

# Suites narrowed too: the alert no longer points at one list.
assert_eq "suites and signatures narrowed" failed "$(get "$pnarrow")"
expect_rc 402 "$pnarrow"
assert_match "402: no inference, and what we offered" \
	"RC:  402 .*the peer sent alert handshake failure: the peer refused the handshake; its own log says why; we offered \(our ClientHello\) TLSv1\.3,TLSv1\.2 with suites 1302,1301,00FF" \
	"$(cause_of 402)"
attlsd_stop
t_done
