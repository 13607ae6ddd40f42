# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Sourced by the token tests (t65-t68) after lib.sh: a SoftHSM2 token created in
# $T_TMP with RSA-2048 and ECDSA P-256 keys generated on it, certificates for
# them signed by the test CA, and the PIN in a mode-0640 root:attlsd file; the
# token directory belongs to user attlsd, which attlsd runs as.
#
#   hsm_setup            token "attls-hsm" (PIN 4321): srv-rsa, srv-ec (server
#                        certificates, SAN localhost/127.0.0.1, also stored on the
#                        token as certificate objects), cli-ec (client certificate);
#                        sets HSM_MODULE HSM_PIN_FILE, HSM_URI_* and HSM_CERT_*
#
# Skips (77) when softhsm2, opensc or libengine-pkcs11-openssl is not installed
# (Debian: apt-get install softhsm2 opensc libengine-pkcs11-openssl).
# shellcheck disable=SC2034 # variables set here are used by the tests

HSM_PIN=4321
HSM_TOKEN=attls-hsm

hsm_find_module() {
	local m
	for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
		[[ -r $m ]] && { printf '%s\n' "$m"; return 0; }
	done
	return 1
}

need_tool softhsm2-util pkcs11-tool
HSM_MODULE=$(hsm_find_module) || t_skip "libsofthsm2.so is not installed (softhsm2)"
ls /usr/lib/*/engines-3/pkcs11.so >/dev/null 2>&1 ||
	t_skip "the pkcs11 engine is not installed (libengine-pkcs11-openssl)"

# The token lives in this test's directory only.
export SOFTHSM2_CONF=$T_TMP/softhsm2.conf
# libp11 (the engine, for the openssl CLI below) takes the module from here.
export PKCS11_MODULE_PATH=$HSM_MODULE

# hsm_run CMD...: runs CMD, shows its output only when it fails.
hsm_run() {
	"$@" >"$T_TMP/hsm.out" 2>&1 || { cat "$T_TMP/hsm.out"; t_fail "$* failed"; }
}

hsm_p11() { hsm_run pkcs11-tool --module "$HSM_MODULE" --token-label "$HSM_TOKEN" "$@"; }

# hsm_cert NAME OBJECT ID EXT: a certificate for the token key OBJECT signed by the
# test CA into $T_TMP/NAME.crt, also written to the token as certificate OBJECT.
hsm_cert() {
	local name=$1 obj=$2 id=$3 ext=$4
	hsm_run openssl req -new -engine pkcs11 -keyform engine \
		-key "pkcs11:token=$HSM_TOKEN;object=$obj;type=private?pin-value=$HSM_PIN" \
		-subj "/O=attls HSM/CN=localhost" -out "$T_TMP/$name.csr"
	hsm_run openssl x509 -req -in "$T_TMP/$name.csr" -CA "$T_PKI/ca.crt" -CAkey "$T_PKI/ca.key" \
		-CAcreateserial -CAserial "$T_TMP/hsm.srl" -days 365 -sha256 \
		-extfile "$T_TMP/hsm-ext.cnf" -extensions "$ext" -out "$T_TMP/$name.crt"
	hsm_run openssl x509 -in "$T_TMP/$name.crt" -outform DER -out "$T_TMP/$name.der"
	hsm_p11 --login --pin "$HSM_PIN" --write-object "$T_TMP/$name.der" --type cert \
		--label "$obj" --id "$id"
}

hsm_setup() {
	mkdir -p "$T_TMP/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$T_TMP/tokens" >"$SOFTHSM2_CONF"
	hsm_run softhsm2-util --init-token --free --label "$HSM_TOKEN" --pin "$HSM_PIN" --so-pin 87654321
	hsm_p11 --login --pin "$HSM_PIN" --keypairgen --key-type rsa:2048 --label srv-rsa --id 01
	hsm_p11 --login --pin "$HSM_PIN" --keypairgen --key-type EC:prime256v1 --label srv-ec --id 02
	hsm_p11 --login --pin "$HSM_PIN" --keypairgen --key-type EC:prime256v1 --label cli-ec --id 03
	cat >"$T_TMP/hsm-ext.cnf" <<'EOC'
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EOC
	hsm_cert hsm-rsa srv-rsa 01 server_ext
	hsm_cert hsm-ec srv-ec 02 server_ext
	hsm_cert hsm-cli cli-ec 03 client_ext
	HSM_PIN_FILE=$T_TMP/hsm.pin
	(umask 077 && printf '%s\n' "$HSM_PIN" >"$HSM_PIN_FILE")
	# attlsd reads the PIN again on reload, and SoftHSM its token files at every
	# use, as user attlsd after the privilege drop (doc/security.md).
	key_perms "$HSM_PIN_FILE"
	(($(id -u) == 0)) && chown -R "$T_DAEMON_USER:$T_DAEMON_USER" "$T_TMP/tokens"
	HSM_URI_RSA="pkcs11:token=$HSM_TOKEN;object=srv-rsa;type=private"
	HSM_URI_EC="pkcs11:token=$HSM_TOKEN;object=srv-ec;type=private"
	HSM_URI_CLI="pkcs11:token=$HSM_TOKEN;object=cli-ec;type=private"
	HSM_CERT_EC="pkcs11:token=$HSM_TOKEN;object=srv-ec;type=cert"
	t_ok "SoftHSM token $HSM_TOKEN with RSA-2048 and ECDSA P-256 keys generated on it"
}
