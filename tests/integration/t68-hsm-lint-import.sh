#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# Tokens in the keyring lint and the pagent importer. attlsctl keyring check
# reaches the token with a stash file (attlsctl keyring stash) and notes each
# token key's type and size; it reports a token key that does not match its
# certificate (428), a token certificate that expires soon (401) and an
# unreachable token (202, exit 2). attlsctl import pagent --keyring-map maps an
# ICSF/PKDS-backed ring to a token URI; the imported policy serves with it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/hsm.sh"
ATTLSCTL=${ATTLSCTL:-$(dirname "$ATTLSD")/attlsctl}
hsm_setup

# A certificate of the token's ECDSA key that expires in 5 days, kept on the token.
hsm_run openssl x509 -req -in "$T_TMP/hsm-ec.csr" -CA "$T_PKI/ca.crt" -CAkey "$T_PKI/ca.key" \
	-CAserial "$T_TMP/hsm.srl" -days 5 -sha256 -extfile "$T_TMP/hsm-ext.cnf" \
	-extensions server_ext -outform DER -out "$T_TMP/soon.der"
hsm_p11 --login --pin "$HSM_PIN" --write-object "$T_TMP/soon.der" --type cert --label soon-ec --id 09

printf '%s\n' "$HSM_PIN" | "$ATTLSCTL" keyring stash "$T_TMP/pin.sth" 2>/dev/null ||
	t_fail "attlsctl keyring stash failed"
key_perms "$T_TMP/pin.sth" # readable by user attlsd, which attlsd runs as
port=$(free_port)
tok="stash_file: \"$T_TMP/pin.sth\", pkcs11_module: \"$HSM_MODULE\", trusted_ca: \"$T_PKI/ca.crt\""
# policy NAME CERT KEY: one Server rule on a keyring reached with the stash file.
policy() {
	write_policy "$1" <<EOF
keyrings:
  tok: { certificate: "$2", key: "$3", $tok }
groups:
  on: { enabled: On }
environments:
  srv: { handshake_role: Server, keyring: tok }
rules:
  web: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $port, group: on, environment: srv, backend: "127.0.0.1:1" }
EOF
}
check() {
	OUT=$("$ATTLSCTL" keyring check "$@" 2>&1)
	ST=$?
}
ring="keyring \"tok\" \\([^)]*\\)"

check "$(policy rsa "$T_TMP/hsm-rsa.crt" "$HSM_URI_RSA")"
assert_eq "RSA token key with its certificate: clean (exit 0)" 0 "$ST"
assert_match "the note names the token and the key type and size" \
	"^$ring: note: key $HSM_URI_RSA is on token \"$HSM_TOKEN\": RSA-2048\$" "$OUT"
check "$(policy ec "$HSM_CERT_EC" "$HSM_URI_EC")"
assert_eq "ECDSA token key and token certificate: clean (exit 0)" 0 "$ST"
assert_match "the note says ECDSA P-256" "note: key $HSM_URI_EC is on token \"$HSM_TOKEN\": ECDSA prime256v1" "$OUT"

check "$(policy mismatch "$T_TMP/hsm-rsa.crt" "$HSM_URI_EC")"
assert_eq "token key of another certificate: exit 1" 1 "$ST"
assert_match "the mismatch is RC 428 naming the URI" \
	"$ring: RC 428: the private key $HSM_URI_EC does not match certificate" "$OUT"

soon="pkcs11:token=$HSM_TOKEN;object=soon-ec;type=cert"
check "$(policy soon "$soon" "$HSM_URI_EC")"
assert_eq "token certificate expiring in 5 days: exit 1" 1 "$ST"
assert_match "expiry of the certificate on the token is RC 401" \
	"$ring: RC 401: certificate \"/O=attls HSM/CN=localhost\" in $soon expires in [56] days" "$OUT"

check "$(policy gone "$T_TMP/hsm-rsa.crt" "pkcs11:token=gone;object=srv-rsa;type=private")"
assert_eq "unreachable token: exit 2" 2 "$ST"
assert_match "unreachable token: RC 202 naming it" "$ring: RC 202: no token \"gone\" in PKCS#11 module" "$OUT"

# pagent: an ICSF-backed ring mapped to the token.
cat >"$T_TMP/icsf.pagent" <<EOF
TTLSRule IcsfIn
{
  LocalAddr 127.0.0.1
  LocalPortRange $port
  Direction Inbound
  Priority 100
  TTLSGroupActionRef On
  TTLSEnvironmentActionRef IcsfEnv
}
TTLSGroupAction On
{
  TTLSEnabled On
}
TTLSEnvironmentAction IcsfEnv
{
  HandshakeRole Server
  TTLSKeyringParms
  {
    Keyring IBMUSER/ICSFRING
  }
}
EOF
cat >"$T_TMP/map.yaml" <<EOF
IBMUSER/ICSFRING:
  token: "pkcs11:token=$HSM_TOKEN;object=srv-ec"
  stash_file: "$T_TMP/pin.sth"
  pkcs11_module: "$HSM_MODULE"
  trusted_ca: "$T_PKI/ca.crt"
EOF
docroot=$T_TMP/www
mkdir -p "$docroot"
echo "icsf page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"
"$ATTLSCTL" import pagent --keyring-map "$T_TMP/map.yaml" --backend "IcsfIn=127.0.0.1:$HTTP_PORT" \
	"$T_TMP/icsf.pagent" >"$T_TMP/icsf.yaml" 2>"$T_TMP/import.err" ||
	{ cat "$T_TMP/import.err"; t_fail "attlsctl import pagent failed"; }
imported=$(cat "$T_TMP/icsf.yaml")
assert_match "the ring's certificate is the token object" \
	"certificate: \"?pkcs11:token=$HSM_TOKEN;object=srv-ec;type=cert\"?\$" "$imported"
assert_match "the ring's key is the token object" \
	"key: \"?pkcs11:token=$HSM_TOKEN;object=srv-ec;type=private\"?\$" "$imported"
attlsd_start "$T_TMP/icsf.yaml"
out=$(printf 'GET /index.html HTTP/1.0\r\n\r\n' |
	timeout 15 openssl s_client -connect "127.0.0.1:$port" -CAfile "$T_PKI/ca.crt" \
		-verify_return_error -brief -ign_eof 2>&1)
assert_match "the imported policy serves with the token key" "^$(cat "$docroot/index.html")\$" "$out"
assert_match "signed by the token's ECDSA key" "Signature type: ECDSA$" "$out"
expect_no_error
attlsd_stop
t_done
