#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Keyring lint (attlsctl keyring check, and attlsd -t warnings) with real
# certificates from mkpki.sh: one keyring per problem, each finding asserted by
# its RC and evidence, a clean keyring prints nothing, and the exit statuses
# 0 clean, 1 findings, 2 cannot load.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
ATTLSCTL=${ATTLSCTL:-$(dirname "$ATTLSD")/attlsctl}

ring() { printf '{ certificate: "%s/%s.crt", key: "%s/%s.key", trusted_ca: "%s/%s" }' \
	"$T_PKI" "$1" "$T_PKI" "${2:-$1}" "$T_PKI" "${3:-ca.crt}"; }
check() { "$ATTLSCTL" keyring check "$@" 2>&1; }

# ---- a clean keyring: nothing printed, status 0
clean=$(write_policy t45-clean <<EOF
keyrings:
  clean: $(ring server)
groups:
  on: { enabled: On }
environments:
  srv: { handshake_role: Server, keyring: clean }
rules:
  web: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: 7451, group: on, environment: srv, backend: "127.0.0.1:17451" }
EOF
)
out=$(check "$clean")
st=$?
assert_eq "a clean keyring: status 0" 0 "$st"
assert_eq "a clean keyring prints nothing" "" "$out"
out=$(check "$clean" --days 4000)
st=$?
assert_eq "--days beyond the ten-year certificate: status 1" 1 "$st"
assert_match "--days 4000 reports the certificate as expiring" \
	'^keyring "clean" \(.*t45-clean.yaml:2\): RC 401: certificate "/O=attls/CN=localhost" in .*/server.crt expires in [0-9]+ days, notAfter 20[0-9-]+ ' "$out"

# ---- one keyring per problem
cat "$T_PKI/server.crt" "$T_PKI/rsa-ca.crt" >"$T_TMP/gap.pem" # a root that is not the leaf's issuer
bad=$(write_policy t45-bad <<EOF
keyrings:
  soon: $(ring soon-server)
  weak: $(ring weak-server)
  noauth: $(ring noserverauth-server)
  twins: $(ring server server twin-cas.pem)
  mismatch: $(ring server client)
  nochain: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
  gap: { certificate: "$T_TMP/gap.pem", key: "$T_PKI/server.key" }
  ecdsa: $(ring server-ecdsa)
  labelled:
    trusted_ca: "$T_PKI/ca.crt"
    certificates:
      rsa: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
      ecdsa: { certificate: "$T_PKI/server-ecdsa.crt", key: "$T_PKI/server-ecdsa.key" }
  expired: $(ring expired-server)
  clean2: $(ring server)
groups:
  on: { enabled: On }
ciphers:
  rsa-only: { v3_cipher_suites_4char: [C02F, C030] }
signatures:
  rsa-pairs: { signature_pairs: "0401 0804" }
environments:
  e-soon: { handshake_role: Server, keyring: soon }
  e-noauth: { handshake_role: Server, keyring: noauth }
  e-san: { handshake_role: Server, keyring: clean2 } # on an address its SAN lacks
  e-ciphers: { handshake_role: Server, keyring: ecdsa, ciphers: rsa-only, tls_v1_3: Off }
  e-sigs: { handshake_role: Client, keyring: ecdsa, certificate_label: default, signatures: rsa-pairs }
  e-list-ec: { handshake_role: Server, keyring: labelled, server_certificate_labels: [ecdsa], ciphers: rsa-only, tls_v1_3: Off }
  e-list-both: { handshake_role: Server, keyring: labelled, server_certificate_labels: [rsa, ecdsa], ciphers: rsa-only, tls_v1_3: Off }
rules:
  r-soon: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: 7452, group: on, environment: e-soon, backend: "127.0.0.1:17452" }
  r-noauth: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: 7453, group: on, environment: e-noauth, backend: "127.0.0.1:17453" }
  r-san: { priority: 1, direction: Inbound, local_addr: 127.0.0.2, local_port: 7454, group: on, environment: e-san, backend: "127.0.0.1:17454" }
  r-ciphers: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: 7455, group: on, environment: e-ciphers, backend: "127.0.0.1:17455" }
  r-sigs: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: 7456, group: on, environment: e-sigs, backend: "127.0.0.1:17456" }
  r-list-ec: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: 7459, group: on, environment: e-list-ec, backend: "127.0.0.1:17459" }
  r-list-both: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: 7460, group: on, environment: e-list-both, backend: "127.0.0.1:17460" }
EOF
)
# soon-server.crt was made valid for 5 days: what the check must say follows
# from its notAfter and the clock (a cached PKI may be older than that). A
# part day counts as a day; the two clock readings bracket the check's own.
soon_end=$(date -d "$(openssl x509 -in "$T_PKI/soon-server.crt" -noout -enddate | cut -d= -f2)" +%s)
soon_days() {
	local now
	now=$(date +%s)
	((soon_end < now)) && echo expired || echo $(((soon_end - now + 86399) / 86400))
}
soon_before=$(soon_days)
out=$(check "$bad")
st=$?
soon_after=$(soon_days)
assert_eq "findings: status 1" 1 "$st"
soon_re() {
	case $1 in
	expired) echo "expired on $(date -u -d "@$soon_end" +%Y-%m-%d)" ;;
	1) echo "expires in 1 day," ;;
	*) echo "expires in $1 days," ;;
	esac
}
assert_match "soon-server.crt ($soon_before): 401 with notAfter" \
	"^keyring \"soon\" \\(.*t45-bad.yaml:[0-9]+\\): RC 401: certificate \"/O=attls Soon/CN=localhost\" in .*/soon-server.crt ($(soon_re "$soon_before")|$(soon_re "$soon_after"))" "$out"
assert_match "an expired certificate: 401" \
	'^keyring "expired" .*: RC 401: certificate "/O=attls/CN=localhost" in .*/expired-server.crt expired on 2020-01-02' "$out"
assert_match "RSA-1024: named with its size" \
	'^keyring "weak" .*: RC 405: certificate "/O=attls Weak/CN=localhost" .* RSA key of 1024 bits, below 2048' "$out"
assert_match "no serverAuth for a Server rule: 440" \
	'^keyring "noauth" .*: RC 440: .*"/O=attls NoServerAuth/CN=localhost" .* rule "r-noauth" \(Server\) .*extendedKeyUsage clientAuth without serverAuth' "$out"
assert_match "same-named CAs in trusted_ca" \
	'^keyring "twins" .*: RC 413: trusted_ca .*/twin-cas.pem holds two CA certificates named "/O=attls/CN=attls Twin CA" with different keys' "$out"
assert_match "the twins' bundle lacks the real issuer: 435" \
	'^keyring "twins" .*: RC 435: the chain of certificate "/O=attls/CN=localhost" .* issuer "/O=attls/CN=attls Test CA"' "$out"
# A server certificate sent without its root is the usual case (clients hold
# the root): a note, not a 435 finding, and it does not count for the status.
assert_match "no trusted_ca, the leaf alone: a note that peers must hold the issuer" \
	'^keyring "nochain" .*: note: certificate "/O=attls/CN=localhost" \(.*/server.crt\) is sent with 1 certificate, up to "/O=attls/CN=localhost", whose issuer "/O=attls/CN=attls Test CA" is not in the keyring \(it has no trusted_ca\): peers must hold that CA themselves' "$out"
assert_no_match "no trusted_ca, the leaf alone: no 435" '^keyring "nochain" .*RC 435' "$out"
assert_match "a chain file whose certificates do not link up: 435" \
	'^keyring "gap" .*: RC 435: the chain of certificate "/O=attls/CN=localhost" \(.*/gap.pem\) is incomplete: the issuer "/O=attls/CN=attls Test CA"' "$out"
assert_match "a key of another certificate: 428" \
	'^keyring "mismatch" .*: RC 428: the private key .*/client.key does not match certificate "/O=attls/CN=localhost"' "$out"
assert_match "the listen address missing from the SAN names it" \
	'^keyring "clean2" .*: RC 5107: .* rule "r-san" presents has no subjectAltName IP:127.0.0.2' "$out"
# Reference 4.2: one certificate whose key suits no suite is 434; a label list
# none of whose keys suits is 510; a key no signature pair can sign with, 467.
assert_match "an ECDSA key with RSA-only suites: 434" \
	'^keyring "ecdsa" .*: RC 434: .* rule "r-ciphers" presents has an ECDSA prime256v1 key, but no suite of cipher set "rsa-only"' "$out"
assert_match "an ECDSA key with RSA-only signature pairs: 467" \
	'^keyring "ecdsa" .*: RC 467: .* rule "r-sigs" presents has an ECDSA prime256v1 key, but signature_pairs of "rsa-pairs"' "$out"
assert_match "a label list whose only key is ECDSA, RSA-only suites: 510" \
	'^keyring "labelled" .*: RC 510: none of the server_certificate_labels of rule "r-list-ec", "ecdsa" \(ECDSA prime256v1\), has a key type that a suite of cipher set "rsa-only" can use' "$out"
assert_no_match "a label list with an RSA label serves RSA-only suites" 'r-list-both' "$out"
assert_no_match "the clean certificate on its own address is not reported" 'r-soon.*5107|keyring "noauth" .*5107' "$out"
n=$(grep -c '^keyring ' <<<"$out")
assert_eq "one line per finding, no duplicates" "$n" "$(grep '^keyring ' <<<"$out" | sort -u | wc -l)"

# ---- attlsd -t: the same findings as warnings; the policy still checks OK
out=$("$ATTLSD" -t -f "$clean" 2>&1)
st=$?
assert_eq "attlsd -t on the clean policy: status 0" 0 "$st"
assert_no_match "attlsd -t on the clean policy: no keyring warning" 'warning: keyring' "$out"
soon=$(write_policy t45-soon <<EOF
keyrings:
  soon: $(ring soon-server)
groups:
  on: { enabled: On }
environments:
  srv: { handshake_role: Server, keyring: soon }
rules:
  web: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: 7457, group: on, environment: srv, backend: "127.0.0.1:17457" }
EOF
)
out=$("$ATTLSD" -t -f "$soon" 2>&1)
st=$?
assert_eq "attlsd -t with an expiring certificate: still status 0" 0 "$st"
assert_match "attlsd -t warns about it" 'warning: keyring "soon" .*: RC 401: .*soon-server.crt' "$out"
assert_match "and still says policy OK" 'policy OK' "$out"

# ---- cannot load: status 2
out=$(check "$T_TMP/missing.yaml")
assert_eq "a missing policy: status 2" 2 "$?"
out=$(check)
assert_eq "no policy argument: status 2" 2 "$?"
t_done
