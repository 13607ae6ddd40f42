#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# Encrypted PEM keys: the passphrase comes from key_passphrase_file, or from a
# stash file written by `attlsctl keyring stash`, never from the policy. With it
# a real client completes the handshake; a wrong passphrase is RC 408 and a
# missing one RC 201, each naming the files, in attlsd -t, at start-up and in
# attlsctl keyring check. A passphrase file others may read is refused.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
ATTLSCTL=${ATTLSCTL:-$(dirname "$ATTLSD")/attlsctl}

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "encrypted key page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"
page=$(cat "$docroot/index.html")
port=$(free_port)

enc=$T_TMP/server.enc.key
openssl pkey -in "$T_PKI/server.key" -aes256 -passout pass:'s3cret phrase' -out "$enc" ||
	t_fail "cannot encrypt the test key"
key_perms "$enc" # readable by user attlsd, which attlsd runs as
grep -q 'ENCRYPTED PRIVATE KEY' "$enc" || t_fail "the key file is not encrypted"
(umask 077 && printf 's3cret phrase\n' >"$T_TMP/pass" && printf 'wrong\n' >"$T_TMP/wrong")
key_perms "$T_TMP/pass" "$T_TMP/wrong"
printf 's3cret phrase\n' >"$T_TMP/open-pass"
chmod 644 "$T_TMP/open-pass"
printf 's3cret phrase\n' | "$ATTLSCTL" keyring stash "$T_TMP/key.sth" 2>"$T_TMP/stash.err" ||
	{ cat "$T_TMP/stash.err"; t_fail "attlsctl keyring stash failed"; }
assert_eq "the stash file is mode 0600" 600 "$(stat -c %a "$T_TMP/key.sth")"
key_perms "$T_TMP/key.sth"
grep -q 's3cret' "$T_TMP/key.sth" && t_fail "the stash file holds the passphrase in clear"
t_ok "the stash file does not hold the passphrase in clear"

# policy NAME [KEYRING-KEYS]: a Server rule whose key is the encrypted one.
policy() {
	write_policy "$1" <<EOF
settings: { control_socket: "Off" }
keyrings:
  enc: { certificate: "$T_PKI/server.crt", key: "$enc", trusted_ca: "$T_PKI/ca.crt"${2:+, $2} }
groups:
  on: { enabled: On }
environments:
  srv: { handshake_role: Server, keyring: enc }
rules:
  web: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $port, group: on, environment: srv, backend: "127.0.0.1:$HTTP_PORT" }
EOF
}
get() {
	printf 'GET /index.html HTTP/1.0\r\n\r\n' |
		timeout 15 openssl s_client -connect "127.0.0.1:$port" -CAfile "$T_PKI/ca.crt" \
			-verify_return_error -brief -ign_eof "$@" 2>&1
}
refused() { # WHAT RC CAUSE POLICY
	local out st
	out=$("$ATTLSD" -t -f "$4" 2>&1)
	st=$?
	assert_eq "$1: attlsd -t exit status" 1 "$st"
	assert_match "$1: RC $2 and the cause" "cannot start: RC $2: $3" "$out"
	out=$("$ATTLSCTL" keyring check "$4" 2>/dev/null)
	assert_match "$1: attlsctl keyring check says RC $2" "RC $2: $3" "$out"
}
refused "wrong passphrase" 408 "the passphrase in $T_TMP/wrong does not decrypt key $enc" \
	"$(policy wrong "key_passphrase_file: \"$T_TMP/wrong\"")"
refused "no passphrase" 201 "key $enc is encrypted: give keyring \"enc\" key_passphrase_file or stash_file" \
	"$(policy none)"
refused "passphrase file others may read" 201 "key $enc: $T_TMP/open-pass may be read by group or others" \
	"$(policy open "key_passphrase_file: \"$T_TMP/open-pass\"")"

for how in "key_passphrase_file: \"$T_TMP/pass\"" "stash_file: \"$T_TMP/key.sth\""; do
	pol=$(policy good "$how")
	out=$("$ATTLSCTL" keyring check "$pol" 2>&1)
	st=$?
	assert_eq "${how%%:*}: attlsctl keyring check is clean" "0" "$st${out:+: $out}"
	attlsd_start "$pol"
	for v in 1_2 1_3; do
		assert_match "${how%%:*}: TLS $v served with the decrypted key" "^$page\$" "$(get "-tls$v")"
	done
	expect_no_error
	attlsd_stop
done
t_done
