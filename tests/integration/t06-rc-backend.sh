#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Backend failures: 5101 (backend port refuses) and 5102 (backend connect timeout:
# a local listener whose accept queue is full drops SYNs; connect_timeout: 1).
# The client must be disconnected promptly and attlsd must keep serving.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"

start_backend echo
echo_port=$BACKEND_PORT
start_backend blackhole
hole_port=$BACKEND_PORT
read -r p_ok p_refused p_hole dead_port <<<"$(free_ports 4)"
port_refused 127.0.0.1 "$dead_port" || t_fail "port $dead_port is not refusing connections"
# The blackhole really drops SYNs (otherwise 5102 below would test nothing).
if timeout 1.5 bash -c ": >/dev/tcp/127.0.0.1/$hole_port" 2>/dev/null; then
	t_fail "blackhole port $hole_port accepted a connection"
fi

policy_new
policy_settings 'connect_timeout: 1'
policy_standard
policy_rule good "$p_ok" env-server "127.0.0.1:$echo_port"
policy_rule refused "$p_refused" env-server "127.0.0.1:$dead_port"
policy_rule blackhole "$p_hole" env-server "127.0.0.1:$hole_port"
attlsd_start "$(policy_file)"
TC=(--ca "$T_PKI/ca.crt" --timeout 10)

# client PORT OUT: a TLS client that sends a line and waits for the connection to end.
# Whether attlsd connects to the backend before or after the handshake is its choice;
# either way the client must be disconnected (status 3 = still connected after 10 s).
client() {
	tlsclient "${TC[@]}" "127.0.0.1:$1" 'text:hello\n' recv >"$2" 2>&1
	local st=$?
	((st != 3)) || { cat "$2"; t_fail "client to port $1 was left hanging for 10 s"; }
	assert_no_match "no data came back on port $1" '^received=[1-9]' "$(cat "$2")"
}

client "$p_refused" "$T_TMP/refused.out"
expect_rc 5101 "$p_refused"

t0=$(date +%s%N)
client "$p_hole" "$T_TMP/hole.out"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc 5102 "$p_hole"
((ms >= 800 && ms <= 5000)) || t_fail "backend timeout took $ms ms; expected about 1000 (connect_timeout: 1)"
t_ok "client disconnected after $ms ms"

# Still serving.
tlsclient "${TC[@]}" "127.0.0.1:$p_ok" 'text:still here\n' shut recv >"$T_TMP/ok.out" 2>&1 ||
	{ cat "$T_TMP/ok.out"; t_fail "good client after backend failures failed"; }
assert_eq "echo after backend failures" "still here" "$(kv "$T_TMP/ok.out" first_line)"
expect_no_error

attlsd_stop
exit 0
