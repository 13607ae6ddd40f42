# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# The RC matrix (t90-t91): helpers shared by its parts. Sourced after lib.sh.
#
#   matrix_certs              makes the certificates the matrix needs beyond
#                             mkpki.sh's in $M (an intermediate chain, a leaf of
#                             the second "attls Twin CA", certificates without
#                             digitalSignature, a server for another name, weak keys)
#   matrix_rc RC PORT ERE...  expect_rc, then every ERE must match the cause line
#                             (the evidence items); records the two lines
#   matrix_plain PORT [TEXT]  a plaintext client of attlsd (Client role rules)
#
# With ATTLS_RC_LINES=FILE each recorded RC appends "RC<TAB>EZD1286I<TAB>ATL1288I"
# to FILE: contrib/gen-docs.sh puts one real line per RC into doc/return-codes.md.

M=$T_TMP/matrix
mkdir -p "$M"

m_ossl() { openssl "$@" >>"$M/openssl.log" 2>&1 || t_fail "openssl $* failed (see $M/openssl.log)"; }

# m_leaf NAME CA KEYSPEC CN EXTENSIONS: a leaf signed by CA ($T_PKI/CA or $M/CA).
m_leaf() {
	local name=$1 ca=$2 spec=$3 cn=$4 ext=$5 cadir=$T_PKI
	[[ -f $T_PKI/$ca.crt ]] || cadir=$M
	printf '%s\n' "[x]" "$ext" "subjectKeyIdentifier = hash" "authorityKeyIdentifier = keyid" >"$M/$name.cnf"
	m_ossl genpkey $spec -out "$M/$name.key"
	m_ossl req -new -key "$M/$name.key" -subj "/O=attls/CN=$cn" -out "$M/$name.csr"
	m_ossl x509 -req -in "$M/$name.csr" -CA "$cadir/$ca.crt" -CAkey "$cadir/$ca.key" \
		-set_serial "$RANDOM$RANDOM" -days 30 -sha256 -extfile "$M/$name.cnf" -extensions x \
		-out "$M/$name.crt"
}

matrix_certs() {
	local ec='-algorithm EC -pkeyopt ec_paramgen_curve:P-256' rsa='-algorithm RSA -pkeyopt rsa_keygen_bits:2048'
	m_leaf inter ca "$ec" "attls Matrix Intermediate" $'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign'
	m_leaf via-inter inter "$ec" "attls-via-intermediate" $'keyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth'
	m_leaf twin-leaf twin-ca-b "$ec" "attls-twin-b-client" $'keyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth'
	m_leaf nods-client ca "$rsa" "attls-nods-client" $'keyUsage = critical, keyEncipherment\nextendedKeyUsage = clientAuth'
	m_leaf nods-server ca "$rsa" "attls-nods-server" $'keyUsage = critical, keyEncipherment\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1'
	m_leaf other-server ca "$ec" "other.example" $'keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:other.example, DNS:www.other.example'
	m_leaf weak-client ca '-algorithm RSA -pkeyopt rsa_keygen_bits:1024' "attls-weak-client" $'keyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth'
	m_leaf rsa-client ca "$rsa" "attls-rsa2048-client" $'keyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth'
	m_leaf twin-server twin-ca-b "$ec" "localhost" $'keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1'
}

matrix_rc() {
	local rc=$1 port=$2 ere
	shift 2
	expect_rc "$rc" "$port" 12
	for ere; do
		assert_match "RC $rc: the cause has: $ere" "$ere" "$RC_CAUSE"
	done
	if [[ -n ${ATTLS_RC_LINES:-} ]]; then
		printf '%s\t%s\t%s\n' "$rc" "EZD1286I${RC_LINE#*EZD1286I}" \
			"ATL1288I${RC_CAUSE#*ATL1288I}" | sed "s|$T_TMP/||g" >>"$ATTLS_RC_LINES"
	fi
	M_SEEN+=" $rc "
}

# matrix_plain PORT [TEXT]: connects, sends TEXT (default a line), reads until
# attlsd closes (10 s at most); prints what came back.
matrix_plain() {
	timeout 60 "$T_PY" - "$1" "${2:-hello}" <<'PY' || true
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
    s.sendall(sys.argv[2].encode() + b"\n")
    while s.recv(4096):
        pass
except OSError:
    pass
PY
}

# matrix_s_server PORT CERT KEY [OPTIONS...]: openssl s_server in the background.
matrix_s_server() {
	local port=$1 cert=$2 key=$3
	shift 3
	openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$cert" -key "$key" "$@" \
		</dev/null >"$M/s_server.$port.log" 2>&1 &
	t_track $!
	wait_tcp 127.0.0.1 "$port" 10 || t_fail "s_server did not start on $port"
}

# What the matrix covers. t90 and t91 provoke their lists; the RCs other tests
# provoke with real peers are named with the test; the rest cannot happen on
# a connection at run time, each with the reason. t91 checks that together
# they are the whole table of `attlsd --list-rc`.
M_T90="5003 5004 5104 402 412 420 406 5101 5105 5001 435 417 401 431 440 413 404 410 415 432"
M_T91="5004 5107 435 440 401 412"
M_ELSEWHERE=(
	"8 t47: a client certificate issued by a certificate that is not a CA"
	"411 t49: a record altered on the wire"
	"467 t48: signature algorithms the peer refuses; t21: signature_pairs_cert"
	"510 t22, t50: server_certificate_labels / server_handshake_sni_list"
	"5002 t20: SAFCheck, a certificate no identity-map filter maps"
	"5102 t06: a backend that does not accept within connect_timeout"
	"5103 t47: a backend address TCP cannot reach"
	"5106 t47: settings.max_connections"
	"5108 t39: a Jobname rule whose owning process cannot be found; t77: a lookup that fails"
	"5109 t74: a TLS peer that closes without close_notify"
	"5110 t75: a backend reset mid-response; t08: shutdown_timeout"
	"5118 t84: max_connections_per_source"
	"5119 t85: max_handshakes_per_source"
	"5120 t85: max_handshakes"
	"5121 t85, t86: a silent connection shed when slots run short"
)
M_NOT_RUNTIME=(
	"6 load time: attlsd -t and the load refuse a missing label with RC 6 in the error"
	"12 by design: what attlsd cannot classify; a matrix case that logged it would be a bug"
	"201 load time: a key's PIN or passphrase (t66, t67: the start-up error names the RC)"
	"202 load time: the PKCS#11 token cannot be reached (t66)"
	"403 never: OpenSSL reports a missing client certificate as 5001, a server always sends one"
	"405 load time: two server_certificate_labels of one key type"
	"407 load time: the pkcs11: URI names no certificate on the token (t66)"
	"408 load time: a wrong PIN or passphrase (t66, t67)"
	"422 load time: a cipher set this OpenSSL cannot use"
	"428 load time: a key that does not belong to its certificate"
	"434 keyring lint only (attlsctl keyring check); a handshake logs 402"
	"5018 never: an environment that fails stops the load, so no connection maps to it"
	"5122 start-up: settings.user or group missing, or the switch failed (t55)"
	"6001 internal: out of memory or a failed system call, not caused by a peer"
)

# matrix_done LIST: every RC of LIST was recorded by matrix_rc in this test.
matrix_done() {
	local rc
	for rc in $1; do
		[[ $M_SEEN == *" $rc "* ]] || t_fail "the matrix did not provoke RC $rc"
	done
	t_ok "the matrix provoked: $1"
}
