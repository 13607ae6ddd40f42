#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# attlsctl explain, offline: the filter and the TTLS rule a connection meets and
# why the others did not match, at a given time; and with --cert, whether the
# rule would accept that client certificate (validated as the handshake would,
# at that time, with the keyring's CRL) and which user SAFCheck maps it to.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
ATTLSCTL=${ATTLSCTL:-$(dirname "$ATTLSD")/attlsctl}

policy=$(write_policy t27 <<EOF
keyrings:
  ring: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt", crl: "$T_PKI/ca.crl" }
groups:
  on: { enabled: On }
time_conditions:
  office: { days_of_week: Mon-Fri, time_of_day: "07:00-19:00", time_zone: UTC }
identity_maps:
  staff:
    filters:
      - { subject: "O=attls", user: STAFF }
filters:
  scanners: { action: deny, source: 203.0.113.0/24 }
  partners: { action: permit, source: 198.51.100.0/24, time_condition: office }
environments:
  saf: { handshake_role: ServerWithClientAuth, client_auth_type: SAFCheck, keyring: ring, identity_map: staff }
rules:
  gw: { priority: 10, direction: Inbound, local_addr: 127.0.0.1, local_port: 7554, group: on, environment: saf, backend: "127.0.0.1:17554" }
EOF
)
ex() { "$ATTLSCTL" explain -f "$policy" --dst 127.0.0.1:7554 "$@"; }

out=$(ex --src 203.0.113.9 --at '2025-06-02 10:00 UTC')
assert_match "a scanner meets the deny filter" "=> scanners .*: deny" "$out"
assert_match "and no TTLS rule is consulted" "TTLS rules: not consulted" "$out"
out=$(ex --src 198.51.100.7 --at '2025-06-02 10:00 UTC')
assert_match "a partner in office hours is permitted" "=> partners .*: permit" "$out"
assert_match "and mapped to rule gw" "=> gw \(priority 10, .*\): TLS, role ServerWithClientAuth" "$out"
out=$(ex --src 198.51.100.7 --at '2025-06-07 10:00 UTC')
assert_match "on a Saturday the window is closed" "partners: no, time condition \"office\" is not in effect" "$out"
assert_match "so the implicit deny applies" "no filter matched: implicit deny" "$out"

# Certificates are judged at a time the partners filter permits and after the
# test CRL was issued (today): the next weekday, 10:00 UTC.
cert() { ex --src 198.51.100.7 --at "$when" --cert "$T_PKI/$1.crt" | tail -1; }
# The next weekday at 10:00 UTC from now: inside the window, after the CRL was made.
when=$("$T_PY" -c '
import datetime as d
t = d.datetime.now(d.timezone.utc) + d.timedelta(days=1)
while t.weekday() >= 5:
    t += d.timedelta(days=1)
print(t.strftime("%Y-%m-%d 10:00 UTC"))')
assert_match "a CA-signed certificate maps to STAFF" "accepted, mapped to user STAFF" "$(cert client)"
assert_match "an untrusted CA: 435" "refused with RC 435" "$(cert untrusted-client)"
assert_match "an expired certificate: 401" "refused with RC 401" "$(cert expired-client)"
assert_match "a revoked certificate: 431" "refused with RC 431" "$(cert revoked-client)"
t_done
