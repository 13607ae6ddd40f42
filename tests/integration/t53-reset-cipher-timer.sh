#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
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
policy_new
policy_keyring srv server
policy_group grp-on
policy_env rk Server srv 'reset_cipher_timer: 1' 'handshake_timeout: 600'
policy_add connections never 'reset_cipher_timer: 0'
policy_rule rk "$p_rk" rk "127.0.0.1:$BACKEND_PORT"
policy_rule off "$p_off" rk "127.0.0.1:$BACKEND_PORT" 'connection: never'
policy=$(policy_file)
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

# received TRACE TYPE: handshake messages of TYPE the client received (in its -trace).
received() {
	awk -v t="$2" '/^(Sent|Received) Record/ {dir=$1} $1 == t"," && dir=="Received" {n++} END {print n+0}' "$1"
}
# keyupdates TRACE: KeyUpdate messages in the -trace, either way. s_client
# prints a record's messages after its reply's record header, so they are told
# apart by content: attlsd's ask for an update (update_requested), the client's
# answers do not.
keyupdates() { grep -c '^    KeyUpdate,' "$1"; }
keyupdates_asked() { grep -c '^      update_requested (1)' "$1"; }
# rekeys: the key updates attlsd has logged for connection 1 (the reference
# session rk13, the first connection of this attlsd).
rekeys() { grep -c 'conn 00000001: TLS 1.3 key update' "$ATTLSD_LOG"; }
p_rekeys_ge() { (($(rekeys) >= $1)); }

# session NAME PORT STEP... -- ARGS...: s_client with data in $T_TMP/NAME.out
# and its -trace apart in $T_TMP/trace.NAME (written when it exits): sends
# "one", takes the idle STEPs, sends "two" and, once it is echoed, closes its
# input: s_client then ends the session itself and writes out its trace.
session() {
	local name=$1 port=$2 steps=()
	shift 2
	while [[ $1 != -- ]]; do steps+=("$1") && shift; done
	shift
	sclient -o "$T_TMP/$name.out" -t 60 -s "one-$port\n" -u "^one-$port\$" "${steps[@]}" \
		-s "two-$port\n" -u "^two-$port\$" "$port" -CAfile "$T_PKI/ca.crt" \
		-trace -msgfile "$T_TMP/trace.$name" -quiet -no_ign_eof "$@"
}
# The reference idles until the others are done; each of them idles until
# attlsd has re-keyed the reference twice (2 fake minutes) after its own start.
session rk13 "$p_rk" -w "wait_until 50 test -e $T_TMP/idle.done" -- -tls1_3 &
rk13=$!
t_track "$rk13"
wait_report "$T_TMP/rk13.out" "^one-$p_rk\$" >/dev/null || t_fail "TLS 1.3 session on rk: no echo"
idle=(-w 'k0=$(rekeys)' -w 'wait_until 20 p_rekeys_ge $((k0 + 2))')
session off13 "$p_off" "${idle[@]}" -- -tls1_3 &
pids=($!)
session rk12 "$p_rk" "${idle[@]}" -- -tls1_2 &
pids+=($!)
t_track "${pids[0]}"
t_track "${pids[1]}"
for p in "${pids[@]}"; do wait "$p"; done
touch "$T_TMP/idle.done"
wait "$rk13"

n=$(keyupdates_asked "$T_TMP/trace.rk13")
((n >= 2)) || { tail -n 40 "$T_TMP/trace.rk13"; t_fail "TLS 1.3, reset_cipher_timer 1: $n KeyUpdate messages"; }
t_ok "TLS 1.3, reset_cipher_timer 1: $n KeyUpdate messages received"
out=$(cat "$T_TMP/rk13.out")
assert_match "  ... the first line echoed" "^one-$p_rk\$" "$out"
assert_match "  ... the line sent after the key updates echoed (new keys both ways)" "^two-$p_rk\$" "$out"
grep -q "TLS 1.3 key update (reset_cipher_timer 1 min)" "$ATTLSD_LOG" ||
	t_fail "attlsd did not log its key updates (debug)"

assert_eq "connection action reset_cipher_timer 0: KeyUpdate messages" 0 "$(keyupdates "$T_TMP/trace.off13")"
assert_match "  ... echo" "^two-$p_off\$" "$(cat "$T_TMP/off13.out")"

assert_eq "TLS 1.2, reset_cipher_timer 1: KeyUpdate messages" 0 "$(keyupdates "$T_TMP/trace.rk12")"
assert_match "  ... no renegotiation either (no second ClientHello request)" '^two-' "$(cat "$T_TMP/rk12.out")"
assert_eq "TLS 1.2: HelloRequest messages" 0 "$(received "$T_TMP/trace.rk12" HelloRequest)"
expect_no_error

attlsd_stop
exit 0
