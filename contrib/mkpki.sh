#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# mkpki.sh DIR: writes a throw-away test/demo PKI for attls into DIR with the
# openssl CLI (OpenSSL 3.0 or later). NEVER use these keys for anything real.
#
#   ca.crt / ca.key                      root CA "attls Test CA" (ECDSA P-256)
#   server.crt / server.key              RSA-2048, CN=localhost, SAN DNS:localhost,
#                                        IP:127.0.0.1, IP:::1, serverAuth, signed by ca
#   server-chain.pem                     server.crt followed by ca.crt
#   client.crt / client.key              CN=attls-client, clientAuth, signed by ca
#   untrusted-ca.crt / untrusted-ca.key  a second root CA "attls Untrusted CA"
#   untrusted-client.crt / .key          CN=attls-untrusted-client, signed by untrusted-ca
#   selfsigned-client.crt / .key         CN=attls-selfsigned-client, self-signed
#   expired-client.crt / .key            clientAuth, signed by ca, valid 2020-01-01..2020-01-02
#   expired-server.crt / .key            like server.crt (ECDSA key), expired the same way
#   server-ecdsa.crt / .key              ECDSA P-256, O=attls ECDSA, CN=localhost, same SANs
#   rsa-ca.crt / rsa-ca.key              root CA "attls RSA CA" (RSA-2048)
#   sha1-client.crt / .key               CN=attls-sha1-client, signed by rsa-ca with
#                                        rsa_pkcs1_sha1 (SignaturePairsCert tests)
#   revoked-client.crt / .key            CN=attls-revoked-client, signed by ca, revoked
#   ca.crl                               PEM CRL of ca listing revoked-client
#   server-ocsp.der                      DER OCSP response of ca: server.crt is good
#   soon-server.crt / .key               like server-ecdsa (O=attls Soon), valid for 5 days
#                                        from the run (keyring lint: expiring)
#   weak-server.crt / .key               like server.crt (O=attls Weak) with RSA-1024
#   noserverauth-server.crt / .key       like server-ecdsa (O=attls NoServerAuth) but
#                                        extendedKeyUsage clientAuth only
#   twin-ca-a.crt / twin-ca-b.crt        two root CAs both named "attls Twin CA", with
#   twin-cas.pem                         different keys, and both in one bundle
#                                        (keyring lint: z/OSMF-style same-named CAs)
#
# Idempotent: does nothing when DIR/.done-v3 exists (v2: the certificates from
# server-ecdsa on; v3: those from soon-server on; a PKI from an older mkpki.sh is
# written anew). Concurrent runs on the same DIR
# are serialised with flock(1) when available. Prints one line on success.
set -eu

prog=mkpki.sh
die() {
	echo "$prog: error: $*" >&2
	exit 1
}

[ $# -eq 1 ] || {
	echo "usage: $prog DIR" >&2
	exit 2
}
dir=$1
command -v openssl >/dev/null 2>&1 || die "openssl not found in PATH"

mkdir -p "$dir" || die "cannot create $dir"
dir=$(cd "$dir" && pwd) || die "cannot enter $dir"
[ -f "$dir/.done-v3" ] && exit 0

# Serialise concurrent callers (parallel test runs share one cache dir).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$dir/.lock" || die "cannot open $dir/.lock"
	flock 9 || die "cannot lock $dir/.lock"
	[ -f "$dir/.done-v3" ] && exit 0
fi

work=$(mktemp -d "$dir/.work.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
cd "$work"
umask 077

# openssl output is shown only when that command fails.
ossl() {
	if ! openssl "$@" >"$work/openssl.out" 2>&1; then
		cat "$work/openssl.out" >&2
		die "openssl $* failed"
	fi
}

cat >ext.cnf <<'EOF'
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer

[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer

[noserverauth_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer

[selfsigned_client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
EOF

eckey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# Root CA: selfca NAME CN
selfca() {
	eckey "$1.key"
	ossl req -new -x509 -key "$1.key" -out "$1.crt" -days 3650 -sha256 \
		-subj "/O=attls/CN=$2" -config ext.cnf -extensions ca_ext
}

# Leaf signed by a CA: leaf NAME CA CN EXT_SECTION
leaf() {
	ossl req -new -key "$1.key" -out "$1.csr" -subj "/O=attls/CN=$3" -config ext.cnf
	ossl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial \
		-out "$1.crt" -days 3650 -sha256 -extfile ext.cnf -extensions "$4"
}

# Leaf whose whole validity lies in the past (x509 -not_before is not in 3.0, so
# use "openssl ca" with explicit dates): expired NAME CA CN EXT_SECTION
expired() {
	mkdir -p ca-db
	: >ca-db/index.txt
	[ -f ca-db/serial ] || echo 1000 >ca-db/serial
	cat >ca.cnf <<EOF
[ ca ]
default_ca = tmpca
[ tmpca ]
dir = $work/ca-db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $work/$2.crt
private_key = $work/$2.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
organizationName = optional
commonName = supplied
EOF
	cat ext.cnf >>ca.cnf
	ossl req -new -key "$1.key" -out "$1.csr" -subj "/O=attls/CN=$3" -config ext.cnf
	ossl ca -batch -notext -config ca.cnf -extensions "$4" \
		-startdate 20200101000000Z -enddate 20200102000000Z \
		-in "$1.csr" -out "$1.crt"
}

selfca ca "attls Test CA"
selfca untrusted-ca "attls Untrusted CA"

ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server.key
leaf server ca localhost server_ext
cat server.crt ca.crt >server-chain.pem

eckey client.key
leaf client ca attls-client client_ext

eckey untrusted-client.key
leaf untrusted-client untrusted-ca attls-untrusted-client client_ext

eckey selfsigned-client.key
ossl req -new -x509 -key selfsigned-client.key -out selfsigned-client.crt -days 3650 \
	-sha256 -subj "/O=attls/CN=attls-selfsigned-client" -config ext.cnf \
	-extensions selfsigned_client_ext

eckey expired-client.key
expired expired-client ca attls-expired-client client_ext

eckey expired-server.key
expired expired-server ca localhost server_ext

eckey server-ecdsa.key
ossl req -new -key server-ecdsa.key -out server-ecdsa.csr -subj "/O=attls ECDSA/CN=localhost" \
	-config ext.cnf
ossl x509 -req -in server-ecdsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	-out server-ecdsa.crt -days 3650 -sha256 -extfile ext.cnf -extensions server_ext

ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-ca.key
ossl req -new -x509 -key rsa-ca.key -out rsa-ca.crt -days 3650 -sha256 \
	-subj "/O=attls/CN=attls RSA CA" -config ext.cnf -extensions ca_ext
eckey sha1-client.key
ossl req -new -key sha1-client.key -out sha1-client.csr -subj "/O=attls/CN=attls-sha1-client" \
	-config ext.cnf
ossl x509 -req -in sha1-client.csr -CA rsa-ca.crt -CAkey rsa-ca.key -CAcreateserial \
	-out sha1-client.crt -days 3650 -sha1 -extfile ext.cnf -extensions client_ext

# A CA database of its own for the revoked certificate, the CRL and OCSP.
mkdir -p crl-db
: >crl-db/index.txt
echo 2000 >crl-db/serial
echo 2000 >crl-db/crlnumber
cat >crl.cnf <<EOF
[ ca ]
default_ca = crlca
[ crlca ]
dir = $work/crl-db
database = \$dir/index.txt
serial = \$dir/serial
crlnumber = \$dir/crlnumber
new_certs_dir = \$dir
certificate = $work/ca.crt
private_key = $work/ca.key
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
organizationName = optional
commonName = supplied
EOF
cat ext.cnf >>crl.cnf
eckey revoked-client.key
ossl req -new -key revoked-client.key -out revoked-client.csr \
	-subj "/O=attls/CN=attls-revoked-client" -config ext.cnf
ossl ca -batch -notext -config crl.cnf -extensions client_ext -in revoked-client.csr \
	-out revoked-client.crt
ossl ca -config crl.cnf -revoke revoked-client.crt -crl_reason keyCompromise
ossl ca -gencrl -config crl.cnf -out ca.crl
# server.crt as "good" in the index, then a stapled response for it.
serial=$(openssl x509 -in server.crt -noout -serial | cut -d= -f2)
printf 'V\t351231235959Z\t\t%s\tunknown\t/O=attls/CN=localhost\n' "$serial" >>crl-db/index.txt
ossl ocsp -issuer ca.crt -cert server.crt -no_nonce -reqout ocsp-req.der
ossl ocsp -index crl-db/index.txt -rsigner ca.crt -rkey ca.key -CA ca.crt -reqin ocsp-req.der \
	-respout server-ocsp.der -ndays 3650

# Keyring lint material, signed by ca: lintleaf NAME ORG DAYS EXT_SECTION
lintleaf() {
	ossl req -new -key "$1.key" -out "$1.csr" -subj "/O=$2/CN=localhost" -config ext.cnf
	ossl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
		-out "$1.crt" -days "$3" -sha256 -extfile ext.cnf -extensions "$4"
}
eckey soon-server.key
lintleaf soon-server "attls Soon" 5 server_ext
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out weak-server.key
lintleaf weak-server "attls Weak" 3650 server_ext
eckey noserverauth-server.key
lintleaf noserverauth-server "attls NoServerAuth" 3650 noserverauth_ext
selfca twin-ca-a "attls Twin CA"
selfca twin-ca-b "attls Twin CA"
cat twin-ca-a.crt twin-ca-b.crt >twin-cas.pem

# Sanity: what should verify does, what should not does not.
ossl verify -CAfile ca.crt -purpose sslserver server.crt
ossl verify -CAfile ca.crt -purpose sslclient client.crt
ossl verify -CAfile untrusted-ca.crt -purpose sslclient untrusted-client.crt
if openssl verify -CAfile ca.crt untrusted-client.crt >/dev/null 2>&1; then
	die "untrusted-client.crt verifies against ca.crt"
fi
if openssl verify -CAfile ca.crt expired-client.crt >/dev/null 2>&1; then
	die "expired-client.crt is not expired"
fi
ossl verify -CAfile ca.crt -purpose sslserver server-ecdsa.crt
ossl verify -CAfile ca.crt revoked-client.crt
if openssl verify -crl_check -CAfile ca.crt -CRLfile ca.crl revoked-client.crt >/dev/null 2>&1; then
	die "revoked-client.crt is not revoked by ca.crl"
fi

chmod 644 ./*.crt server-chain.pem twin-cas.pem ca.crl server-ocsp.der
chmod 600 ./*.key
# attlsd drops to user attlsd after start-up and must be able to read its keys
# then (doc/security.md): as root with that user present, root:attlsd 0640.
if [ "$(id -u)" -eq 0 ] && getent group attlsd >/dev/null 2>&1; then
	chgrp attlsd ./*.key && chmod 640 ./*.key
fi
for f in ca untrusted-ca server client untrusted-client selfsigned-client \
	expired-client expired-server server-ecdsa rsa-ca sha1-client revoked-client \
	soon-server weak-server noserverauth-server twin-ca-a twin-ca-b; do
	mv -f "$f.crt" "$f.key" "$dir/"
done
mv -f server-chain.pem twin-cas.pem ca.crl server-ocsp.der "$dir/"
touch "$dir/.done" "$dir/.done-v2" "$dir/.done-v3"
echo "$prog: test PKI written to $dir"
