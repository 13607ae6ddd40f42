#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
# A corpus Policy Agent file with an Outbound Client rule (the z/OSMF call of
# tests/pagent/corpus), loaded as it is: the import gives it intercept:
# redirect and a listen address, and its ring only CA certificates. An
# unchanged plaintext client in the client namespace connects to a TLS server
# in the server namespace; `attlsctl intercept up` on the pagent file diverts
# the connection to attlsd, which originates TLS and checks the server's name
# (HostReferenceIdDNS).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/netns.bash"

ns_setup
ns_attlsd "$NS_C"

# The ring's folder holds only the CA certificate: the client presents none.
ring=$T_TMP/trust
mkdir -p "$ring"
cp "$T_PKI/ca.crt" "$ring/"
export ATTLS_KEYRING_ZWESVUSR_ZOWETRUST=$ring

# The corpus file, pointed at this test's server and client: the server's
# address and port, the client's process (python3) and user (root), and the
# name on the test server's certificate; Trace 14 logs the connection's rule.
policy=$T_TMP/zosmf.pagent
sed -e "s/^\(  RemoteAddr  *\)10\.1\.2\.3\$/\1$NS_SADDR/" \
	-e 's/^\(  RemotePortRange  *\)443$/\18443/' \
	-e 's/^\(  Jobname  *\)ZWE1\*$/\1python3*/' \
	-e 's/^\(  Userid  *\)ZWESVUSR$/\1root/' \
	-e 's/zosmf\.example\.com$/localhost/' \
	-e 's/^\(  TTLSEnabled  *On\)$/\1\n  Trace 14/' \
	"$T_TOP/tests/pagent/corpus/02-zosmf-outbound.pagent" >"$policy"
[[ $(grep -cE "$NS_SADDR\$|8443\$|python3\\*\$|root\$|localhost\$|Trace 14\$" "$policy") == 7 ]] ||
	{ cat "$policy"; t_fail "could not point the corpus file at the test's hosts"; }
out=$("$ATTLSD" -t -f "$policy" 2>&1) || { echo "$out"; t_fail "attlsd -t of the corpus file"; }
assert_match "attlsd -t: the outbound corpus file loads" "policy OK \\(1 rules, 1 listeners\\)" "$out"
plan=$("$ATTLSCTL" intercept plan "$policy") || t_fail "intercept plan of the pagent file failed"
assert_match "plan: the output chain diverts the server's port to the imported listen" \
	"ip daddr \\{ $NS_SADDR \\} meta l4proto tcp tcp dport 8443 redirect to :15443" "$plan"

ns_backend 8443 --tls-cert "$T_PKI/server.crt" --tls-key "$T_PKI/server.key"
attlsd_start "$policy"
assert_match "without interception a plaintext client gets nothing from the TLS server" "^(error=|$)" \
	"$(ns_client "$NS_SADDR:8443" 2>&1 | head -1)"
log_mark
ip netns exec "$NS_C" "$ATTLSCTL" intercept up "$policy" || t_fail "intercept up failed"
out=$(ns_client "$NS_SADDR:8443")
assert_match "plaintext client reaches the TLS server through attlsd" "^peer=$NS_CADDR got=hello" "$out"
expect_no_error
grep -qE "ATL1289I .*RULE: ZoweToZosmf .*PROTO: TLSv1\\.[23]" "$ATTLSD_LOG" ||
	{ cat "$ATTLSD_LOG"; t_fail "no TLS close line for rule ZoweToZosmf"; }
t_ok "attlsd originated TLS for the client under the imported Outbound rule"

# The server's name is checked: a policy naming another host must fail.
ip netns exec "$NS_C" "$ATTLSCTL" intercept down "$policy" || t_fail "intercept down failed"
attlsd_stop
sed -i 's/localhost$/zosmf.example.com/' "$policy"
attlsd_start "$policy"
ip netns exec "$NS_C" "$ATTLSCTL" intercept up "$policy" || t_fail "intercept up (2) failed"
out=$(ns_client "$NS_SADDR:8443" 2>&1)
[[ $out == peer=* ]] && t_fail "the client got through although the server certificate does not name zosmf.example.com"
wait_log 'EZD1286I' || { cat "$ATTLSD_LOG"; t_fail "no EZD1286I for the name mismatch"; }
t_ok "HostReferenceIdDNS is checked: another name fails the handshake"
ip netns exec "$NS_C" "$ATTLSCTL" intercept down "$policy" || t_fail "intercept down (2) failed"
attlsd_stop
t_done
