#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
# A corpus Policy Agent file loaded as it is (attlsd -f FILE.pagent): the
# TN3270-style server policy of tests/pagent/corpus, given only its key-ring
# folder and, in an attls-yaml line, its backend. curl with a client
# certificate gets the page over TLS 1.2 with the certificate of the
# CertificateLabel; TLS 1.3 is refused, as on z/OS (the cipher list has no
# TLS 1.3 suite); the RC4 codes of the list were dropped, the others offered.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool curl openssl

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "tn3270 page $$" >"$docroot/index.html"
start_http_backend "$docroot"
port=$(free_port)

# The key-ring folder: the ring's own certificate is an ECDSA one, which no
# suite of the policy fits; the label's is the RSA one the suites need.
ring=$T_TMP/tn3270ring
mkdir -p "$ring"
cp "$T_PKI/server-ecdsa.crt" "$ring/server.crt"
cp "$T_PKI/server-ecdsa.key" "$ring/server.key"
cp "$T_PKI/ca.crt" "$ring/"
cp "$T_PKI/server.crt" "$ring/TN3270Cert.crt"
cp "$T_PKI/server.key" "$ring/TN3270Cert.key"
key_perms "$ring/server.key" "$ring/TN3270Cert.key"
export ATTLS_KEYRING_TCPIP_TN3270RING=$ring

# The corpus file on this test's port, with the backend the import would
# otherwise derive (LocalPort + 10000) given in an attls-yaml line.
policy=$T_TMP/tn3270.pagent
sed "s/^\(  LocalPortRange  *\)992\$/\1$port/" "$T_TOP/tests/pagent/corpus/05-tn3270-server.pagent" >"$policy"
grep -q "LocalPortRange  *$port\$" "$policy" || t_fail "could not set the port in the corpus file"
printf '# attls-yaml: rules: { TN3270Secure: { backend: "127.0.0.1:%s" } }\n' "$HTTP_PORT" >>"$policy"
out=$("$ATTLSD" -t -f "$policy" 2>&1) || { echo "$out"; t_fail "attlsd -t of the corpus file"; }
assert_match "attlsd -t: the corpus file loads" "policy OK \\(1 rules, 1 listeners\\)" "$out"
attlsd_start "$policy"

CURL=(timeout 20 curl -sS --fail --cacert "$T_PKI/ca.crt" --resolve "localhost:$port:127.0.0.1"
	--cert "$T_PKI/client.crt" --key "$T_PKI/client.key")
body=$("${CURL[@]}" -v --tlsv1.2 "https://localhost:$port/index.html" 2>"$T_TMP/curl.err") ||
	{ cat "$T_TMP/curl.err"; t_fail "curl with a client certificate through the pagent policy failed"; }
assert_eq "page through attlsd -f tn3270.pagent" "$(cat "$docroot/index.html")" "$body"
# The first suite of the list the client also offers: 35 (the RC4 codes before
# it were dropped).
assert_match "TLS 1.2 with the policy's first usable suite" \
	"SSL connection using TLSv1.2 / AES256-SHA\$" "$(cat "$T_TMP/curl.err")"
expect_no_error

# The certificate presented is the CertificateLabel's (the RSA one).
assert_match "the CertificateLabel's certificate is presented" "subject: O ?= ?attls[;,] ?CN ?= ?localhost" \
	"$(cat "$T_TMP/curl.err")"

# Without a client certificate: ClientAuthType Full lets the client in.
body=$(timeout 20 curl -sS --fail --cacert "$T_PKI/ca.crt" --resolve "localhost:$port:127.0.0.1" \
	"https://localhost:$port/index.html") || t_fail "curl without a client certificate failed (Full)"
assert_eq "page without a client certificate (ClientAuthType Full)" "$(cat "$docroot/index.html")" "$body"

# TLS 1.3 is off, as z/OS leaves it with such a cipher list.
if "${CURL[@]}" --tlsv1.3 "https://localhost:$port/index.html" >/dev/null 2>"$T_TMP/curl13.err"; then
	t_fail "a TLS 1.3 handshake succeeded, but the policy's cipher list has no TLS 1.3 suite"
fi
t_ok "TLS 1.3 refused: $(head -1 "$T_TMP/curl13.err")"
attlsd_stop
t_done
