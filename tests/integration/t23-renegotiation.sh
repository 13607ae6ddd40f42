#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119
# Renegotiation, with openssl s_client -tls1_2 and its "R" command (a client
# initiated, RFC 5746 secure renegotiation): Default and Disabled refuse it with
# alert no_renegotiation and RC 432; All lets it finish and data flows after it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r p_default p_disabled p_all <<<"$(free_ports 3)"
policy=$(write_policy t23 <<EOF
keyrings:
  ring1: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
groups:
  grp-on: { enabled: On }
environments:
  env-default: { handshake_role: Server, keyring: ring1 }
  env-disabled: { handshake_role: Server, keyring: ring1, renegotiation: Disabled }
  env-all: { handshake_role: Server, keyring: ring1, renegotiation: All }
rules:
  default:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_default, group: grp-on, environment: env-default, backend: "127.0.0.1:$BACKEND_PORT" }
  disabled: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_disabled, group: grp-on, environment: env-disabled, backend: "127.0.0.1:$BACKEND_PORT" }
  all:      { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_all, group: grp-on, environment: env-all, backend: "127.0.0.1:$BACKEND_PORT" }
EOF
)
attlsd_start "$policy"

# reneg OUT PORT: one echoed line, "R" (renegotiate), then another line. The
# pauses let s_client read each line on its own: it acts on "R" only at the
# start of what one read returns.
reneg() {
	{
		sleep 0.5
		echo "before-$2"
		sleep 0.5
		echo R
		sleep 1
		echo "after-$2"
		sleep 1
	} | timeout 15 openssl s_client -connect "127.0.0.1:$2" -servername localhost \
		-CAfile "$T_PKI/ca.crt" -verify_return_error -tls1_2 >"$1" 2>&1
}

for port in $p_default $p_disabled; do
	reneg "$T_TMP/reneg.$port" "$port"
	out=$(cat "$T_TMP/reneg.$port")
	assert_match "port $port: data before the renegotiation is echoed" "^before-$port\$" "$out"
	assert_match "port $port: s_client tried to renegotiate" 'RENEGOTIATING' "$out"
	assert_no_match "port $port: no data after the refused renegotiation" "^after-$port\$" "$out"
	cause=$(log_since_mark | grep -m1 'ATL1288I.*RC:  432')
	expect_rc 432 "$port"
	assert_match "port $port: cause says a renegotiation was refused" 'tried to renegotiate' "$cause"
done

reneg "$T_TMP/reneg.all" "$p_all"
out=$(cat "$T_TMP/reneg.all")
assert_match "All: s_client renegotiated" 'RENEGOTIATING' "$out"
assert_match "All: data after the renegotiation is echoed" "^after-$p_all\$" "$out"
expect_no_error

attlsd_stop
exit 0
