#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# A token key that cannot be used stops attlsd -t and start-up with its RC and a
# cause naming the token or file: wrong PIN 408, missing token 202, missing key
# object 428, missing certificate object 407 (also on a token that holds no
# public object, which the pkcs11 engine cannot tell from an absent token: the
# module is asked), no PIN 201, a PIN file others may
# read 201; pin_file and stash_file together are a policy error. A reload that
# cannot reach the token keeps the running policy, which goes on serving; a good
# reload then loads the token key of the new policy.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/hsm.sh"
hsm_setup

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "hsm errors page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"
page=$(cat "$docroot/index.html")
port=$(free_port)

# policy NAME CERT KEY [MORE-KEYRING-KEYS]: a Server rule whose keyring is on the token.
policy() {
	write_policy "$1" <<EOF
settings: { control_socket: "Off" }
keyrings:
  tok: { certificate: "$2", key: "$3", pkcs11_module: "$HSM_MODULE"${4:+, $4} }
groups:
  on: { enabled: On }
environments:
  srv: { handshake_role: Server, keyring: tok }
rules:
  web: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $port, group: on, environment: srv, backend: "127.0.0.1:$HTTP_PORT" }
EOF
}
pin="pin_file: \"$HSM_PIN_FILE\""
(umask 077 && printf '1111\n' >"$T_TMP/wrong.pin")
key_perms "$T_TMP/wrong.pin" # readable by user attlsd, which attlsd runs as
printf '%s\n' "$HSM_PIN" >"$T_TMP/open.pin"
chmod 644 "$T_TMP/open.pin"
crt=$T_TMP/hsm-rsa.crt

# refused WHAT RC CAUSE-REGEX POLICY: attlsd -t exits 1 with "RC n: cause".
refused() {
	local what=$1 rc=$2 cause=$3 out st
	out=$("$ATTLSD" -t -f "$4" 2>&1)
	st=$?
	assert_eq "$what: attlsd -t exit status" 1 "$st"
	assert_match "$what: RC $rc and the cause" "cannot start: RC $rc: $cause" "$out"
}
refused "wrong PIN" 408 "token \"$HSM_TOKEN\" refused the PIN from $T_TMP/wrong.pin" \
	"$(policy wrong "$crt" "$HSM_URI_RSA" "pin_file: \"$T_TMP/wrong.pin\"")"
refused "missing token" 202 "no token \"no-such-token\" in PKCS#11 module $HSM_MODULE" \
	"$(policy notoken "$crt" "pkcs11:token=no-such-token;object=srv-rsa;type=private" "$pin")"
refused "missing key object" 428 "token \"$HSM_TOKEN\" has no private key pkcs11:token=$HSM_TOKEN;object=no-such-key" \
	"$(policy noobj "$crt" "pkcs11:token=$HSM_TOKEN;object=no-such-key;type=private" "$pin")"
refused "missing certificate object" 407 "token \"$HSM_TOKEN\" has no certificate pkcs11:token=$HSM_TOKEN;object=no-such-cert" \
	"$(policy nocert "pkcs11:token=$HSM_TOKEN;object=no-such-cert;type=cert" "$HSM_URI_RSA" "$pin")"
# A second token, initialised and empty: no public key or certificate on it.
hsm_run softhsm2-util --init-token --free --label attls-empty --pin "$HSM_PIN" --so-pin 87654321
refused "missing key object on a token with no public object" 428 \
	"token \"attls-empty\" has no private key pkcs11:token=attls-empty;object=srv-rsa" \
	"$(policy emptykey "$crt" "pkcs11:token=attls-empty;object=srv-rsa;type=private" "$pin")"
refused "missing certificate object on a token with no public object" 407 \
	"token \"attls-empty\" has no certificate pkcs11:token=attls-empty;object=srv-rsa" \
	"$(policy emptycert "pkcs11:token=attls-empty;object=srv-rsa;type=cert" "$HSM_URI_RSA" "$pin")"
refused "no PIN configured" 201 "token \"$HSM_TOKEN\" needs a PIN to reach $HSM_URI_RSA: give keyring \"tok\" pin_file or stash_file" \
	"$(policy nopin "$crt" "$HSM_URI_RSA")"
refused "PIN file readable by others" 201 "$T_TMP/open.pin may be read by group or others \\(mode 0644, owner root:root\\): chown root:attlsd" \
	"$(policy openpin "$crt" "$HSM_URI_RSA" "pin_file: \"$T_TMP/open.pin\"")"
refused "key of another certificate" 428 "the private key $HSM_URI_EC does not match the certificate $crt" \
	"$(policy mismatch "$crt" "$HSM_URI_EC" "$pin")"
out=$("$ATTLSD" -t -f "$(policy both "$crt" "$HSM_URI_RSA" "$pin, stash_file: \"$HSM_PIN_FILE\"")" 2>&1)
assert_match "pin_file and stash_file together: a policy error" \
	'keyring "tok" has both "pin_file" and "stash_file"' "$out"

# Start-up fails the same way, before listening.
"$ATTLSD" -F -f "$T_TMP/wrong.yaml" >"$T_TMP/start.out" 2>&1
st=$?
assert_eq "start-up with a wrong PIN: exit status" 1 "$st"
assert_match "start-up with a wrong PIN: RC 408 and the PIN file" \
	"RC 408: token \"$HSM_TOKEN\" refused the PIN from $T_TMP/wrong.pin" "$(cat "$T_TMP/start.out")"
port_refused 127.0.0.1 "$port" || t_fail "port $port is served after a failed start-up"

# A reload that cannot reach the token keeps the running policy.
good=$(policy good "$crt" "$HSM_URI_RSA" "$pin")
cp "$good" "$T_TMP/live.yaml"
attlsd_start "$T_TMP/live.yaml"
get() {
	printf 'GET /index.html HTTP/1.0\r\n\r\n' |
		timeout 15 openssl s_client -connect "127.0.0.1:$port" -CAfile "$T_PKI/ca.crt" \
			-verify_return_error -brief -ign_eof 2>&1
}
assert_match "served with the token key" "^$page\$" "$(get)"
cp "$T_TMP/notoken.yaml" "$T_TMP/live.yaml"
kill -HUP "$ATTLSD_PID"
wait_report "$ATTLSD_LOG" "reload: .* cannot be put in force" 10 >/dev/null ||
	{ tail -20 "$ATTLSD_LOG"; t_fail "after SIGHUP: the unreachable token was not refused"; }
assert_match "the refused reload names RC 202 and the token" \
	"RC 202: no token \"no-such-token\"" "$(cat "$ATTLSD_LOG")"
assert_match "after the refused reload, the running policy still serves" "^$page\$" "$(get)"
# Once the token is named right again, a reload loads its key anew and takes over.
policy good2 "$HSM_CERT_EC" "$HSM_URI_EC" "$pin" >/dev/null
cp "$T_TMP/good2.yaml" "$T_TMP/live.yaml"
log_mark
kill -HUP "$ATTLSD_PID"
wait_report "$ATTLSD_LOG" "policy reloaded from .* \\(generation 1\\)" 10 >/dev/null ||
	{ tail -20 "$ATTLSD_LOG"; t_fail "after SIGHUP: the good token policy was not put in force"; }
sleep 0.3 # the workers apply it on their own threads
out=$(get)
assert_match "after a good reload: served" "^$page\$" "$out"
assert_match "after a good reload: with the token's ECDSA key of the new policy" \
	"Signature type: ECDSA$" "$out"
attlsd_stop
t_done
