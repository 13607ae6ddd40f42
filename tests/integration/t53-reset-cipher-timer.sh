#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119
# ResetCipherTimer (reset_cipher_timer, minutes): attlsd runs under libfaketime
# with its clocks 30 times faster, so one minute passes in two seconds.
#   - TLS 1.3, reset_cipher_timer 1: s_client -trace receives KeyUpdate messages
#     from attlsd while the connection idles, and data still flows both ways
#     afterwards (both sides moved to new keys: KeyUpdate asks the peer too);
#   - a connection action with reset_cipher_timer 0 over the environment's 1:
#     no KeyUpdate (narrower scope);
#   - TLS 1.2 on the same rule: no KeyUpdate, data flows; the load warning says
#     TLS 1.2 is not re-keyed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool faketime
libft=$(dpkg -L libfaketime 2>/dev/null | grep -m1 '/libfaketimeMT\.so\.1$')
[ -n "$libft" ] || t_skip "libfaketimeMT.so.1 not found (package libfaketime)"

start_backend echo
read -r p_rk p_off <<<"$(free_ports 2)"
# handshake_timeout 600 fake seconds: 20 real ones, whatever the load.
policy=$(write_policy t53 <<EOF
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
groups:
  grp-on: { enabled: On }
environments:
  rk: { handshake_role: Server, keyring: srv, reset_cipher_timer: 1, handshake_timeout: 600 }
connections:
  never: { reset_cipher_timer: 0 }
rules:
  rk:  { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_rk, group: grp-on, environment: rk, backend: "127.0.0.1:$BACKEND_PORT" }
  off: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $p_off, group: grp-on, environment: rk, connection: never, backend: "127.0.0.1:$BACKEND_PORT" }
EOF
)
"$ATTLSD" -t -f "$policy" >"$T_TMP/check" 2>&1 || { cat "$T_TMP/check"; t_fail "attlsd -t failed"; }
assert_match "load warning: TLS 1.2 is not re-keyed" 'reset_cipher_timer re-keys TLS 1.3 connections only' "$(cat "$T_TMP/check")"

# A wrapper that execs attlsd with libfaketime (LD_PRELOAD rather than the
# faketime program, so that ATTLSD_PID is attlsd's and only attlsd runs fast).
cat >"$T_TMP/attlsd-fast" <<EOF
#!/bin/sh
export LD_PRELOAD=$libft FAKETIME="+0 x30"
export ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0
exec "$ATTLSD" "\$@"
EOF
chmod +x "$T_TMP/attlsd-fast"
ATTLSD=$T_TMP/attlsd-fast attlsd_start "$policy" -d

# session PORT ARGS...: s_client with its -trace in $T_TMP/trace (apart from the
# data, which it would interleave); sends "one", idles 7 real seconds (3.5 fake
# minutes), sends "two"; prints what came back.
session() {
	local port=$1
	shift
	{
		echo "one-$port"
		sleep 7
		echo "two-$port"
		sleep 1
	} | timeout 30 openssl s_client -connect "127.0.0.1:$port" -CAfile "$T_PKI/ca.crt" \
		-trace -msgfile "$T_TMP/trace" -quiet -ign_eof "$@" 2>/dev/null
}
# received TYPE: handshake messages of TYPE the client received (in $T_TMP/trace).
received() {
	awk -v t="$1" '/^(Sent|Received) Record/ {dir=$1} $1 == t"," && dir=="Received" {n++} END {print n+0}' "$T_TMP/trace"
}

out=$(session "$p_rk" -tls1_3)
n=$(received KeyUpdate)
((n >= 2)) || { tail -n 40 "$T_TMP/trace"; t_fail "TLS 1.3, reset_cipher_timer 1: $n KeyUpdate messages in 3.5 minutes"; }
t_ok "TLS 1.3, reset_cipher_timer 1: $n KeyUpdate messages received in 3.5 (fake) minutes"
assert_match "  ... the first line echoed" "^one-$p_rk\$" "$out"
assert_match "  ... the line sent after the key updates echoed (new keys both ways)" "^two-$p_rk\$" "$out"
grep -q "TLS 1.3 key update (reset_cipher_timer 1 min)" "$ATTLSD_LOG" ||
	t_fail "attlsd did not log its key updates (debug)"

out=$(session "$p_off" -tls1_3)
assert_eq "connection action reset_cipher_timer 0: KeyUpdate messages" 0 "$(received KeyUpdate)"
assert_match "  ... echo" "^two-$p_off\$" "$out"

out=$(session "$p_rk" -tls1_2)
assert_eq "TLS 1.2, reset_cipher_timer 1: KeyUpdate messages" 0 "$(received KeyUpdate)"
assert_match "  ... no renegotiation either (no second ClientHello request)" '^two-' "$out"
assert_eq "TLS 1.2: HelloRequest messages" 0 "$(received HelloRequest)"
expect_no_error

attlsd_stop
exit 0
