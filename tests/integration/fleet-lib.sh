# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Helpers of the fleet tests (t70-t79): session resumption through openssl s_client.

# s_resume OUT HOST PORT VERSION [ARGS...]: one HTTP/1.0 GET through
# openssl s_client (-tls1_2 / -tls1_3 as VERSION 1_2 / 1_3), output in OUT; pass
# -sess_out FILE to keep the session, -sess_in FILE to offer one. Prints "Reused",
# "New" or "failed" (no handshake).
s_resume() {
	local out=$1 host=$2 port=$3 v=$4
	shift 4
	printf 'GET /index.html HTTP/1.0\r\n\r\n' |
		timeout 15 openssl s_client -connect "$host:$port" -servername localhost \
			-CAfile "$T_PKI/ca.crt" -verify_return_error -verify_hostname localhost \
			"-tls$v" -ign_eof "$@" >"$out" 2>&1
	if grep -q '^Reused, TLSv' "$out"; then
		echo Reused
	elif grep -q '^New, TLSv' "$out"; then
		echo New
	else
		echo failed
	fi
}

# expect_resume WHAT WANT OUT HOST PORT VERSION [ARGS...]: s_resume, and WANT
# (Reused or New) it must print; the page must have come through either way.
expect_resume() {
	local what=$1 want=$2 out=$3 got
	shift 3
	got=$(s_resume "$out" "$@")
	if [[ $got != "$want" ]]; then
		echo "----- $out"
		tail -n 30 "$out"
		t_fail "$what: $got, expected $want"
	fi
	grep -q '^HTTP/1\.0 200' "$out" || {
		tail -n 30 "$out"
		t_fail "$what: $got but no HTTP 200 through attlsd"
	}
	t_ok "$what: $got"
}

# start_redis: a private redis-server on a free loopback port, no persistence;
# sets REDIS_PORT and REDIS_PID.
start_redis() {
	need_tool redis-server
	REDIS_PORT=${1:-$(free_port)}
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$T_TMP" >"$T_TMP/redis.$REDIS_PORT.log" 2>&1 &
	REDIS_PID=$!
	t_track "$REDIS_PID"
	wait_tcp 127.0.0.1 "$REDIS_PORT" 10 || t_fail "redis-server did not start on $REDIS_PORT"
}
