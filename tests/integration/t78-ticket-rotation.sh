#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# Ticket keys attlsd makes itself rotate (ticket_key_lifetime, here a few
# seconds), on the contexts of every worker: openssl s_client, TLS 1.2 and 1.3.
# A ticket resumes within its key's lifetime, still resumes in the following
# period (the previous key decrypts), and no longer after two periods (full
# handshake). The schedule holds without handshakes too: after two idle periods
# a ticket does not resume, although no handshake rotated the key meanwhile.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet-lib.sh"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "ticket rotation page $$" >"$docroot/index.html"
start_http_backend "$docroot"

life=$((5 * T_SCALE))
read -r pa pb < <(free_ports 2)
policy=$(write_policy t78 <<EOF
settings: { workers: 2, control_socket: "Off", ticket_key_lifetime: $life }
keyrings:
  ring1: { certificate: $T_PKI/server.crt, key: $T_PKI/server.key, trusted_ca: $T_PKI/ca.crt }
groups:
  grp-on: { enabled: On }
environments:
  env-plain: { handshake_role: Server, keyring: ring1, v3_session_timeout: 0 }
rules:
  rule-a: { priority: 100, direction: Inbound, local_addr: 127.0.0.1, local_port: $pa, group: grp-on,
            environment: env-plain, backend: "127.0.0.1:$HTTP_PORT" }
  rule-poke: { priority: 99, direction: Inbound, local_addr: 127.0.0.1, local_port: $pb, group: grp-on,
               environment: env-plain, backend: "127.0.0.1:$HTTP_PORT" }
EOF
)
attlsd_start "$policy"

rotations() { grep -c "ticket keys: a new own key encrypts" "$ATTLSD_LOG"; }
# p_rotated N: a handshake (its new ticket makes attlsd look at the clock), then
# whether N rotations are logged. Rotation is lazy; resumption is not: a key's
# period is checked before any ticket is decrypted (the idle case below).
p_rotated() {
	s_resume "$T_TMP/poke" 127.0.0.1 "$pb" 1_2 >/dev/null
	(($(rotations) >= $1))
}
wait_rotation() { # N WHAT
	wait_until $((4 * life)) p_rotated "$1" || t_fail "no key rotation $1 ($2) within $((4 * life)) s"
	t_ok "rotation $1 logged ($2)"
}

n=$(rotations)
# Start right after a rotation, so a whole period lies ahead of the tickets.
wait_rotation $((n + 1)) "a fresh period"
for v in 1_2 1_3; do
	expect_resume "TLS ${v/_/.}: full handshake, ticket kept" New "$T_TMP/o$v" 127.0.0.1 "$pa" $v \
		-sess_out "$T_TMP/t$v.sess"
	expect_resume "TLS ${v/_/.}: resumes within the key's lifetime" Reused "$T_TMP/r$v" \
		127.0.0.1 "$pa" $v -sess_in "$T_TMP/t$v.sess"
done
wait_rotation $((n + 2)) "the ticket's key is now the previous one"
for v in 1_2 1_3; do
	expect_resume "TLS ${v/_/.}: still resumes in the following period" Reused "$T_TMP/p$v" \
		127.0.0.1 "$pa" $v -sess_in "$T_TMP/t$v.sess"
done
wait_rotation $((n + 3)) "the ticket's key is two periods old"
for v in 1_2 1_3; do
	expect_resume "TLS ${v/_/.}: after two periods a full handshake" New "$T_TMP/x$v" \
		127.0.0.1 "$pa" $v -sess_in "$T_TMP/t$v.sess"
done

# Idle: a ticket, then no handshake at all for two lifetimes and a second.
for v in 1_2 1_3; do
	expect_resume "TLS ${v/_/.}: a ticket before an idle time" New "$T_TMP/i$v" 127.0.0.1 "$pa" $v \
		-sess_out "$T_TMP/idle$v.sess"
done
until_s=$((EPOCHSECONDS + 2 * life + 1))
p_idle_over() { ((EPOCHSECONDS >= until_s)); }
wait_until $((2 * life + 5)) p_idle_over || t_fail "the clock did not move"
for v in 1_2 1_3; do
	expect_resume "TLS ${v/_/.}: after two idle periods a full handshake" New "$T_TMP/j$v" \
		127.0.0.1 "$pa" $v -sess_in "$T_TMP/idle$v.sess"
done

t_running "$ATTLSD_PID" || t_fail "attlsd died"
grep -E "EZD1286I" "$ATTLSD_LOG" && t_fail "handshake errors logged"
t_done
