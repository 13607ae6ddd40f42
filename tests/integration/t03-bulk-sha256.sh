#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# 100 MiB client->backend and 100 MiB backend->client through attlsd (concurrently,
# on two connections), plus 16 MiB echoed full-duplex on one connection; every byte
# stream is checked by SHA-256 on both ends.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
# shellcheck disable=SC2034 # read by lib.sh
T_LIMIT=150
. "$(dirname "$0")/lib.sh"

MIB=$((1024 * 1024))
BULK=$((100 * MIB))
ECHO=$((16 * MIB))

start_backend sink
sink_port=$BACKEND_PORT sink_report=$BACKEND_REPORT
start_backend source --bytes "$BULK"
source_port=$BACKEND_PORT source_report=$BACKEND_REPORT
start_backend echo
echo_port=$BACKEND_PORT echo_report=$BACKEND_REPORT

read -r p_up p_down p_echo <<<"$(free_ports 3)"
policy_new
policy_standard
policy_rule up "$p_up" env-server "127.0.0.1:$sink_port"
policy_rule down "$p_down" env-server "127.0.0.1:$source_port"
policy_rule echo "$p_echo" env-server "127.0.0.1:$echo_port"
attlsd_start "$(policy_file)"

TC=(--ca "$T_PKI/ca.crt" --timeout 100)
t0=$(date +%s%N)
tlsclient_bg "$T_TMP/up.out" "${TC[@]}" "127.0.0.1:$p_up" "send:$BULK" shut recv
up_pid=$BG_PID
tlsclient_bg "$T_TMP/down.out" "${TC[@]}" "127.0.0.1:$p_down" recv shut
down_pid=$BG_PID
wait $up_pid || { cat "$T_TMP/up.out"; t_fail "upload client failed"; }
wait $down_pid || { cat "$T_TMP/down.out"; t_fail "download client failed"; }
t_log "2 x 100 MiB in $((($(date +%s%N) - t0) / 1000000)) ms"

# client -> backend
sent=$(kv "$T_TMP/up.out" sent)
sent_sha=$(kv "$T_TMP/up.out" sent_sha256)
assert_eq "upload: bytes sent by the client" "$BULK" "$sent"
line=$(wait_report "$sink_report" '^done ') || t_fail "sink backend reported nothing"
assert_eq "upload: byte count and SHA-256 seen by the backend" \
	"received=$sent received_sha256=$sent_sha" "$(grep -o 'received=[0-9]* received_sha256=[0-9a-f]*' <<<"$line")"
assert_eq "upload: backend reply relayed to the client" "received $sent $sent_sha" "$(kv "$T_TMP/up.out" first_line)"

# backend -> client
line=$(wait_report "$source_report" '^done ') || t_fail "source backend reported nothing"
assert_eq "download: byte count and SHA-256 seen by the client" \
	"$(grep -o 'sent=[0-9]* sent_sha256=[0-9a-f]*' <<<"$line")" \
	"sent=$(kv "$T_TMP/down.out" received) sent_sha256=$(kv "$T_TMP/down.out" received_sha256)"
assert_eq "download: bytes received" "$BULK" "$(kv "$T_TMP/down.out" received)"

# full duplex echo on one connection
tlsclient "${TC[@]}" "127.0.0.1:$p_echo" "send:$ECHO" shut recv >"$T_TMP/echo.out" 2>&1 ||
	{ cat "$T_TMP/echo.out"; t_fail "echo client failed"; }
assert_eq "echo: bytes sent" "$ECHO" "$(kv "$T_TMP/echo.out" sent)"
assert_eq "echo: what came back (count sha256)" \
	"$(kv "$T_TMP/echo.out" sent) $(kv "$T_TMP/echo.out" sent_sha256)" \
	"$(kv "$T_TMP/echo.out" received) $(kv "$T_TMP/echo.out" received_sha256)"
wait_report "$echo_report" '^done ' >/dev/null || t_fail "echo backend reported nothing"

expect_no_error
attlsd_stop
exit 0
