#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# CRLs check the whole chain and are re-read when their file changes. A PKI made
# with openssl ca: root -> two intermediates -> client certificates; the
# keyring's crl holds the root's CRL (which revokes intermediate 2) and each
# intermediate's. openssl s_client sends leaf and intermediate:
#   - a client under intermediate 1 is served; one under the revoked
#     intermediate 2 is refused with RC 431, the cause naming intermediate 2;
#   - intermediate 1 revokes a client and the CRL file is replaced on disk (no
#     SIGHUP): within seconds that client is refused with RC 431, the others
#     are still served;
#   - a CRL file replaced by one without a CRL is reported and the CRLs in force
#     stay (the revoked client is still refused).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "crl page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"
page=$(cat "$docroot/index.html")

pki=$T_TMP/pki
mkdir -p "$pki"
cd "$pki" || t_fail "no $pki"
cat >ca.cnf <<'EOF'
[ca]
default_ca = CA_default
[CA_default]
dir = .
database = $dir/index.$ENV::CANAME
new_certs_dir = $dir
serial = $dir/serial.$ENV::CANAME
crlnumber = $dir/crlnum.$ENV::CANAME
default_md = sha256
default_days = 30
default_crl_days = 30
policy = p_any
copy_extensions = none
[p_any]
commonName = supplied
organizationName = optional
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
EOF
# ca NAME ARGS...: openssl ca with the database of CA NAME.
ca() {
	local n=$1
	shift
	CANAME=$n openssl ca -batch -config ca.cnf -cert "$n.crt" -keyfile "$n.key" "$@" >>ca.log 2>&1 ||
		{ cat ca.log; t_fail "openssl ca ($n $*) failed"; }
}
# issue CA NAME EXTENSIONS: a key and a certificate NAME signed by CA.
issue() {
	openssl req -new -newkey rsa:2048 -nodes -keyout "$2.key" -subj "/O=attls/CN=t79-$2" \
		-out "$2.csr" 2>/dev/null || t_fail "openssl req $2"
	ca "$1" -extensions "$3" -in "$2.csr" -out "$2.crt"
}
for n in root int1 int2; do
	: >"index.$n"
	echo 1000 >"serial.$n"
	echo 1000 >"crlnum.$n"
done
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.crt -subj "/O=attls/CN=t79-root" \
	-days 30 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
	2>/dev/null || t_fail "root CA"
issue root int1 v3_ca
issue root int2 v3_ca
issue int1 good v3_client
issue int1 later v3_client
issue int2 under2 v3_client
ca root -revoke int2.crt
# crls: the CRL file as it is now, replaced in one rename.
crls() {
	local n
	for n in root int1 int2; do ca "$n" -gencrl -out "$n.crl"; done
	cat root.crl int1.crl int2.crl >crls.pem.new
	mv crls.pem.new crls.pem
}
crls
cd - >/dev/null || t_fail "cd back"

read -r port <<<"$(free_port)"
policy_new
policy_keyring ring server "trusted_ca: $pki/root.crt" "crl: $pki/crls.pem"
policy_group grp-on
policy_env env ServerWithClientAuth ring
policy_rule crl "$port" env "127.0.0.1:$HTTP_PORT"
attlsd_start "$(policy_file)"

# get NAME VERSION: an HTTP GET with client certificate NAME and its
# intermediate; prints what came back.
get() {
	local chain=$pki/int1.crt
	[[ $1 == under2 ]] && chain=$pki/int2.crt
	sclient -o "$T_TMP/get.$1" -s "$HTTP_GET" "$port" "-tls$2" -ign_eof \
		-cert "$pki/$1.crt" -key "$pki/$1.key" -cert_chain "$chain" >/dev/null 2>&1
	cat "$T_TMP/get.$1"
}
served() { # NAME VERSION WHAT
	assert_match "$3" "^$page\$" "$(get "$1" "$2")"
	expect_no_error
}
refused() { # NAME VERSION WHAT CAUSE-ERE
	assert_no_match "$3: no page" "$page" "$(get "$1" "$2")"
	expect_rc 431 "$port"
	assert_match "$3: the cause names the revoked certificate" "$4" "$RC_CAUSE"
}

for v in 1_2 1_3; do
	served good $v "TLS ${v/_/.}: a client under intermediate 1 is served"
	refused under2 $v "TLS ${v/_/.}: a client under the revoked intermediate 2" 'CN=t79-int2'
	served later $v "TLS ${v/_/.}: the client not yet revoked is served"
done

# Intermediate 1 revokes "later"; the file is replaced, attlsd is not told.
(cd "$pki" && ca int1 -revoke later.crt && crls)
p_later_refused() { ! grep -q "^$page\$" <<<"$(get later 1_3)"; }
wait_until $((3 * 2 + 10)) p_later_refused || t_fail "the new CRL was not in force within 16 s"
t_ok "the CRL replaced on disk took effect without SIGHUP"
grep -q "crl $pki/crls.pem changed: 3 CRLs now in force" "$ATTLSD_LOG" || t_fail "the re-read is not logged"
log_mark
for v in 1_2 1_3; do
	refused later $v "TLS ${v/_/.}: the newly revoked client" 'CN=t79-later'
	served good $v "TLS ${v/_/.}: the other client is still served"
done

# A broken replacement: reported, the CRLs in force stay.
echo "not a CRL" >"$pki/broken.pem"
mv "$pki/broken.pem" "$pki/crls.pem"
# A handshake that needs a CRL looks at the file (at most every 2 s).
p_broken_seen() {
	get good 1_2 >/dev/null
	grep -q "crl $pki/crls.pem holds no PEM CRL; the CRLs read before stay in force" "$ATTLSD_LOG"
}
wait_until 16 p_broken_seen || t_fail "a CRL file without CRLs was not reported"
t_ok "a CRL file without CRLs is reported"
expect_no_error
log_mark
refused later 1_3 "after a broken CRL file: the revoked client" 'CN=t79-later'
served good 1_2 "after a broken CRL file: the good client"

t_running "$ATTLSD_PID" || t_fail "attlsd died"
attlsd_stop
t_done
