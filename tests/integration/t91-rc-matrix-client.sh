#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# RC matrix, attlsd in the Client role against real servers (openssl s_server,
# a plaintext server): a server that never answers (5004, after the active
# side's 5 x handshake_timeout), names that do not match (expected name and
# its source vs the certificate's names), a same-named CA, a TLS 1.3 server
# certificate without digitalSignature and one without serverAuth (440), an
# expired server, a server of another version; each cause line checked for
# its evidence. Then: every RC of `attlsd --list-rc` is provoked by t90 or
# t91, by another test named in matrix.sh, or listed there as impossible at
# run time, with the reason.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/matrix.sh"
need_tool openssl

matrix_certs
start_backend sink # a plaintext server: it reads the request to its end before it speaks
read -r p_silent p_ref p_addr p_twin p_nods p_noeku p_exp p_ver <<<"$(free_ports 8)"
read -r s_ok s_other s_twin s_nods s_noeku s_exp s_v13 <<<"$(free_ports 7)"
matrix_s_server "$s_ok" "$T_PKI/server.crt" "$T_PKI/server.key"
matrix_s_server "$s_other" "$M/other-server.crt" "$M/other-server.key"
matrix_s_server "$s_twin" "$M/twin-server.crt" "$M/twin-server.key"
matrix_s_server "$s_nods" "$M/nods-server.crt" "$M/nods-server.key" -tls1_3
matrix_s_server "$s_noeku" "$T_PKI/noserverauth-server.crt" "$T_PKI/noserverauth-server.key"
matrix_s_server "$s_exp" "$T_PKI/expired-server.crt" "$T_PKI/expired-server.key"
matrix_s_server "$s_v13" "$T_PKI/server.crt" "$T_PKI/server.key" -tls1_3

cat "$T_PKI/ca.crt" "$T_PKI/twin-ca-a.crt" >"$M/trust.pem"
policy_new
policy_keyring ring client "trusted_ca: \"$M/trust.pem\""
policy_group grp-on
# Block style where a cause line names the setting to change: each key on a
# line of its own, so the line named is the key's, not its section's.
p_section environments "  cli:
    handshake_role: Client
    keyring: ring
    handshake_timeout: 1"
p_section environments "  cli-ref:
    handshake_role: Client
    keyring: ring
    host_reference_id_dns: other.example"
p_section environments "  cli12:
    handshake_role: Client
    keyring: ring
    tls_v1_3: Off"
policy_rule silent "$p_silent" cli "127.0.0.1:$BACKEND_PORT"
policy_rule ref "$p_ref" cli-ref "127.0.0.1:$s_ok"
policy_rule addr "$p_addr" cli "127.0.0.1:$s_other"
policy_rule twin "$p_twin" cli "127.0.0.1:$s_twin"
policy_rule nods "$p_nods" cli "127.0.0.1:$s_nods"
policy_rule noeku "$p_noeku" cli "127.0.0.1:$s_noeku"
policy_rule exp "$p_exp" cli "127.0.0.1:$s_exp"
policy_rule ver "$p_ver" cli12 "127.0.0.1:$s_v13"
policy=$(policy_file)
attlsd_start "$policy"
line_of() { grep -n -- "$1" "$policy" | head -n 1 | cut -d: -f1; }

# 5004: the backend is a plaintext server waiting for the client: it sends 0
# bytes. attlsd, the active side, waits 5 x handshake_timeout (5 s).
t0=${EPOCHREALTIME/./}
matrix_plain "$p_silent" &
t_track $!
matrix_rc 5004 "$p_silent" "0 bytes from the server [5-9]\.[0-9] s after the connection began \(timer: 5 x handshake_timeout \(1s, [^ ]+:$(line_of '    handshake_timeout: 1')\) = 5 s, the active side's wait\)" \
	"we sent our ClientHello \([0-9]+ bytes\) and the server never answered" \
	"not speaking TLS on this port, or it waits for the client to speak first"
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
((ms >= 4900)) || t_fail "5004 came after $ms ms, before the active side's 5 s"

# 5107: the name comes from host_reference_id_dns; the certificate names others.
matrix_plain "$p_ref"
matrix_rc 5107 "$p_ref" "expected DNS name other\.example from host_reference_id_dns \([^ ]+:$(line_of '    host_reference_id_dns:')\)" \
	"the certificate names SANs DNS:localhost,IP:127\.0\.0\.1"

# 5107: the name is the address attlsd connected to; the certificate is for another host.
matrix_plain "$p_addr"
matrix_rc 5107 "$p_addr" "expected IP address 127\.0\.0\.1 from the backend address attlsd connected to \(rule addr, [^ ]+:$(line_of '  addr: {')\)" \
	"the certificate names SANs DNS:other\.example,DNS:www\.other\.example, CN other\.example \(not used: SANs present\)" \
	"to check another name set host_reference_id_dns \(not set \(the default\): add it to environment cli at [^ ]+:$(line_of '  cli:')\)"

# 435: the server's issuer is named like a trusted CA, but it is the other twin.
matrix_plain "$p_twin"
matrix_rc 435 "$p_twin" "a trusted CA has the issuer's name CN=attls Twin CA,O=attls, but its key does not verify the certificate" \
	"AKI ([0-9A-F]{2}:)+[0-9A-F]{2}, the trusted CA's SKI ([0-9A-F]{2}:)+[0-9A-F]{2}"

# 440: a TLS 1.3 server certificate with keyUsage keyEncipherment only
# (OpenSSL itself lets it through).
matrix_plain "$p_nods"
matrix_rc 440 "$p_nods" "CN=attls-nods-server" "it has keyUsage keyEncipherment and extendedKeyUsage serverAuth" \
	"as the TLS server \(TLSv1\.3, our Client role\) it needs keyUsage digitalSignature \(a TLS 1\.3 server signs the handshake"

# 440: a server certificate whose extendedKeyUsage is clientAuth only.
matrix_plain "$p_noeku"
matrix_rc 440 "$p_noeku" "extendedKeyUsage clientAuth;" "it needs keyUsage digitalSignature .* and extendedKeyUsage serverAuth"

# 401: the server's certificate has expired.
matrix_plain "$p_exp"
matrix_rc 401 "$p_exp" "notAfter Jan  2 00:00:00 2020 GMT" "certificate has expired"

# 412: a TLS 1.3-only server; the rule allows TLS 1.2 only.
matrix_plain "$p_ver"
matrix_rc 412 "$p_ver" "protocol version" \
	"to offer TLSv1\.3: tls_v1_3 [^ ]+:$(line_of '    tls_v1_3: Off')"
attlsd_stop
matrix_done "$M_T91"

# keyring check: the trusted twin (keyring ring, trust.pem) and the other twin
# in another keyring's file are found across the two files.
policy_new
policy_keyring ring client "trusted_ca: \"$M/trust.pem\""
policy_keyring other server 'trusted_ca: "${ATTLS_PKI}/twin-ca-b.crt"'
policy_group grp-on
policy_env cli Client ring
policy_env srv Server other
policy_rule a "$p_silent" cli "127.0.0.1:$s_ok"
policy_rule b "$p_ref" srv "127.0.0.1:$BACKEND_PORT"
out=$("${ATTLSCTL:-$(dirname "$ATTLSD")/attlsctl}" keyring check "$(policy_file)" 2>&1 || true)
assert_match "keyring check: same-named CAs across two keyrings' files" \
	'RC 435: .*twin-ca-b\.crt holds CA "/O=attls/CN=attls Twin CA" \(SKI [0-9A-F:]+\), and .*trust\.pem of keyring "ring" holds another CA of that name with a different key' "$out"

# An IP-filter denial by a closed time window names the filter that would have
# permitted the connection, its window and when it opens (no RC: no TLS yet).
closed=$("$T_PY" -c 'import datetime as d; n = d.datetime.now(d.timezone.utc); print("%s-%s" % ((n + d.timedelta(hours=2)).strftime("%H:%M"), (n + d.timedelta(hours=3)).strftime("%H:%M")))')
policy_new
policy_keyring ring server
policy_group grp-on
policy_env srv Server ring
policy_add time_conditions later "time_of_day: \"$closed\"" 'time_zone: UTC'
policy_add filters permit-later 'action: permit' 'source: 127.0.0.1' 'time_condition: later'
policy_rule srv "$p_silent" srv "127.0.0.1:$BACKEND_PORT"
policy=$(policy_file)
attlsd_start "$policy"
tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p_silent" text:x >/dev/null 2>&1 || true
line=$(wait_log "ATL0815I Packet denied by policy" 10) || t_fail "no ATL0815I cause line for a denial by a closed window"
assert_match "the denial names the filter, its window and when it opens" \
	"filter rule permit-later \([^ ]+:$(line_of '  permit-later: {')\) would permit this connection, but its time condition later \([^ ]+:[0-9]+\) is not in effect now \(time of day $closed UTC\); it next opens at [0-9-]+ ${closed%-*}:00 UTC" "$line"
attlsd_stop

# The whole table: provoked here or in t90, by another test, or impossible at run time.
covered=" $M_T90 $M_T91 "
for e in "${M_ELSEWHERE[@]}" "${M_NOT_RUNTIME[@]}"; do covered+=" ${e%% *} "; done
while read -r rc; do
	[[ $covered == *" $rc "* ]] || t_fail "RC $rc of the table is neither in the matrix nor listed in matrix.sh"
done < <("$ATTLSD" --list-rc | sed -n 's/^| \([0-9][0-9]*\) |.*/\1/p')
t_ok "every RC of the table is provoked or listed with its reason"
t_done
