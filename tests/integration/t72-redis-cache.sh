#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# settings.session_cache with a real redis-server: a TLS 1.2 session made on the
# attlsd of 127.0.0.1 resumes by session ID (no tickets) on the attlsd of 127.0.0.2,
# with and without a client certificate; rule A's session does not resume rule B;
# Redis stopped: full handshakes after session_cache_timeout; Redis killed in the middle of a run of handshakes: not one fails, and one
# warning says so; Redis back: sessions cross hosts again.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet-lib.sh"
need_tool redis-cli

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "redis page $$" >"$docroot/index.html"
start_http_backend "$docroot"
start_redis

read -r pa pb pc < <(free_ports 3)
fleet_policy() { # NAME ADDR [SETTINGS]
	write_policy "$1" <<EOF
settings: { workers: 2, control_socket: "Off", session_cache: "redis://127.0.0.1:$REDIS_PORT/3",
            session_cache_timeout: $((T_VALGRIND ? 1000 : 200)) ${3:-} }
keyrings:
  ring1:
    certificate: $T_PKI/server.crt
    key: $T_PKI/server.key
    trusted_ca: $T_PKI/ca.crt
groups:
  grp-on: { enabled: On }
environments:
  env-plain: { handshake_role: Server, keyring: ring1 }
  env-auth: { handshake_role: ServerWithClientAuth, client_auth_type: Required, keyring: ring1 }
rules:
  rule-a: { priority: 100, direction: Inbound, local_addr: $2, local_port: $pa, group: grp-on,
            environment: env-plain, backend: "127.0.0.1:$HTTP_PORT" }
  rule-b: { priority: 99, direction: Inbound, local_addr: $2, local_port: $pb, group: grp-on,
            environment: env-plain, backend: "127.0.0.1:$HTTP_PORT" }
  rule-auth: { priority: 98, direction: Inbound, local_addr: $2, local_port: $pc, group: grp-on,
               environment: env-auth, backend: "127.0.0.1:$HTTP_PORT" }
EOF
}
# metric NAME{LABELS}: its value on host 2's /metrics.
metric() {
	curl -s --max-time 5 "http://127.0.0.1:$mp/metrics" | awk -v m="$1" '$1 == m {print $2}'
}
# wait_redis_clients N: until N clients (the workers, and redis-cli) are connected.
wait_redis_clients() {
	local i
	for ((i = 0; i < 200; i++)); do
		(($(redis-cli -p "$REDIS_PORT" client list 2>/dev/null | grep -c '^id=') >= $1)) && return 0
		sleep 0.05
	done
	t_fail "the workers did not connect to Redis: $(redis-cli -p "$REDIS_PORT" client list 2>&1)"
}

attlsd_start "$(fleet_policy h1 127.0.0.1)"
log1=$ATTLSD_LOG pid1=$ATTLSD_PID
mp=$(free_port) # just before use: a busy machine takes free ports quickly
attlsd_start "$(fleet_policy h2 127.0.0.2 ", metrics_listen: \"127.0.0.1:$mp\"")"
log2=$ATTLSD_LOG pid2=$ATTLSD_PID
wait_redis_clients 5

s=$T_TMP/a.sess
expect_resume "host 1: full handshake" New "$T_TMP/a0" 127.0.0.1 "$pa" 1_2 -no_ticket -sess_out "$s"
keys=$(redis-cli -p "$REDIS_PORT" -n 3 --scan --pattern 'attls:sid:*' | wc -l)
((keys >= 1)) || t_fail "no session stored in Redis db 3"
t_ok "the session is in Redis db 3 ($keys key(s))"
for i in 1 2 3 4; do
	expect_resume "host 2 resumes host 1's session by ID ($i)" Reused "$T_TMP/a$i" 127.0.0.2 "$pa" \
		1_2 -no_ticket -sess_in "$s"
done
assert_eq "host 2 metrics: resumed through Redis" 1 \
	"$(metric 'attls_session_resumptions_total{cache="redis",result="hit"}')"
assert_eq "host 2 metrics: then from its own cache" 3 \
	"$(metric 'attls_session_resumptions_total{cache="local",result="hit"}')"
assert_eq "host 2 metrics: Redis up" 1 "$(metric attls_session_cache_up)"
expect_resume "host 2, rule B: rule A's session does not resume" New "$T_TMP/b1" 127.0.0.2 "$pb" \
	1_2 -no_ticket -sess_in "$s"

c=$T_TMP/c.sess
cert=(-cert "$T_PKI/client.crt" -key "$T_PKI/client.key")
expect_resume "client certificate: full handshake on host 2" New "$T_TMP/c0" 127.0.0.2 "$pc" 1_2 \
	-no_ticket "${cert[@]}" -sess_out "$c"
expect_resume "client certificate: resumes on host 1 through Redis" Reused "$T_TMP/c1" 127.0.0.1 \
	"$pc" 1_2 -no_ticket "${cert[@]}" -sess_in "$c"

# Redis stopped (slow): the lookup ends at session_cache_timeout (200 ms; 1 s under
# valgrind, where a lookup takes longer) with
# a full handshake, not a failure.
expect_resume "before Redis stops: full handshake on host 1" New "$T_TMP/s0" 127.0.0.1 "$pa" 1_2 \
	-no_ticket -sess_out "$T_TMP/s.sess"
kill -STOP "$REDIS_PID"
expect_resume "Redis stopped: host 2 gives up on the lookup" New "$T_TMP/s1" 127.0.0.2 "$pa" 1_2 \
	-no_ticket -sess_in "$T_TMP/s.sess"
kill -CONT "$REDIS_PID"
expect_resume "Redis going again: host 2 finds it" Reused "$T_TMP/s2" 127.0.0.2 "$pa" 1_2 \
	-no_ticket -sess_in "$T_TMP/s.sess"

# Redis killed in the middle of a run: each round makes a session on host 1
# and offers it to host 2; every handshake still completes.
fails=0 crossed=0 n=0
for i in $(seq 1 10); do
	if ((i == 4)); then
		kill -KILL "$REDIS_PID"
		wait "$REDIS_PID" 2>/dev/null
		t_ok "redis-server killed"
	fi
	got=$(s_resume "$T_TMP/k$i" 127.0.0.1 "$pa" 1_2 -no_ticket -sess_out "$T_TMP/k$i.sess")
	[[ $got == New ]] || fails=$((fails + 1))
	got=$(s_resume "$T_TMP/l$i" 127.0.0.2 "$pa" 1_2 -no_ticket -sess_in "$T_TMP/k$i.sess")
	n=$((n + 2))
	[[ $got == failed ]] && fails=$((fails + 1))
	[[ $got == Reused ]] && crossed=$((crossed + 1))
	for f in "$T_TMP/k$i" "$T_TMP/l$i"; do
		grep -q '^HTTP/1\.0 200' "$f" || fails=$((fails + 1))
	done
done
assert_eq "failed handshakes of $n with Redis killed mid-run" 0 "$fails"
# Before the kill the sessions crossed hosts; after it they could not.
((crossed == 3)) || t_fail "$crossed of 10 sessions crossed hosts, expected the 3 before the kill"
t_ok "3 sessions crossed hosts before the kill, none after"
wait_report "$log2" "session_cache redis://127.0.0.1:$REDIS_PORT/3: .*full until it answers" 5 \
	>/dev/null || t_fail "no warning that Redis is down"
w=$(grep -c "session_cache redis://.*full until it answers" "$log2")
((w == 1)) || t_fail "$w warnings, not one per interval"
t_ok "one warning for the stop and the kill together (one per interval)"
grep -E "EZD1286I" "$log1" "$log2" && t_fail "handshake errors logged"
assert_eq "host 2 metrics: Redis down" 0 "$(metric attls_session_cache_up)"
assert_eq "host 2 metrics: no failed handshake" "" \
	"$(curl -s "http://127.0.0.1:$mp/metrics" | grep '^attls_handshakes_total' | grep -v 'rc="0"')"

# Redis back on the same port: the workers reconnect (every second) and a new
# session crosses hosts again.
start_redis "$REDIS_PORT"
wait_redis_clients 5
s2=$T_TMP/a2.sess
expect_resume "Redis back: full handshake on host 1" New "$T_TMP/r0" 127.0.0.1 "$pa" 1_2 -no_ticket -sess_out "$s2"
expect_resume "Redis back: resumes on host 2" Reused "$T_TMP/r1" 127.0.0.2 "$pa" 1_2 -no_ticket -sess_in "$s2"

{ t_running "$pid1" && t_running "$pid2"; } || t_fail "an attlsd died"
t_done
