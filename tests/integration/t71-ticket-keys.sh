#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119 # (helpers with optional arguments)
# Shared session ticket keys (settings.ticket_keys): two attlsd, on 127.0.0.1 and
# 127.0.0.2, read one key file; a ticket from one resumes on the other, TLS 1.2
# and 1.3, with and without a client certificate; a third attlsd with keys of its
# own does not; a ticket from rule A does not resume rule B. attlsctl tickets
# rotate: the file is re-read when it changes (host 1) and on SIGHUP (host 2); a
# ticket of the old key still resumes, new tickets use the new key. A key file
# others may read is refused.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fleet-lib.sh"

ATTLSCTL=${ATTLSCTL:-$(dirname "$ATTLSD")/attlsctl}
docroot=$T_TMP/www
mkdir -p "$docroot"
echo "ticket page $$" >"$docroot/index.html"
start_http_backend "$docroot"

keys=$T_TMP/ticket.keys
"$ATTLSCTL" tickets rotate "$keys" >/dev/null || t_fail "attlsctl tickets rotate failed"
[[ $(stat -c %a "$keys") == 600 ]] || t_fail "key file mode $(stat -c %a "$keys"), not 600"
t_ok "attlsctl tickets rotate made a 0600 key file"
# attlsd re-reads it as user attlsd after its privilege drop (doc/security.md);
# rotate keeps the owner.
(($(id -u) == 0)) && chown "$T_DAEMON_USER" "$keys"

read -r pa pb pc < <(free_ports 3)
# fleet_policy NAME ADDR TICKETS-SETTING: one host's policy, the same rules everywhere.
fleet_policy() {
	write_policy "$1" <<EOF
settings: { workers: 2, control_socket: "Off" $3 }
keyrings:
  ring1:
    certificate: $T_PKI/server.crt
    key: $T_PKI/server.key
    trusted_ca: $T_PKI/ca.crt
groups:
  grp-on: { enabled: On }
environments:
  env-plain: { handshake_role: Server, keyring: ring1, v3_session_timeout: 0 }
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

# A key file others can read: refused at start.
cp "$keys" "$T_TMP/open.keys"
chmod 644 "$T_TMP/open.keys"
"$ATTLSD" -F -f "$(fleet_policy open 127.0.0.1 ", ticket_keys: $T_TMP/open.keys")" \
	>"$T_TMP/open.out" 2>&1 && t_fail "attlsd started with a world-readable ticket key file"
grep -q "mode 0644: group and others must have no access" "$T_TMP/open.out" ||
	t_fail "no mode complaint: $(cat "$T_TMP/open.out")"
t_ok "a world-readable key file is refused"

attlsd_start "$(fleet_policy h1 127.0.0.1 ", ticket_keys: $keys")"
pid1=$ATTLSD_PID log1=$ATTLSD_LOG
attlsd_start "$(fleet_policy h2 127.0.0.2 ", ticket_keys: $keys")"
pid2=$ATTLSD_PID log2=$ATTLSD_LOG
ATTLSD_ARGS="" attlsd_start "$(fleet_policy h3 127.0.0.3 "")"
pid3=$ATTLSD_PID
grep -q "ticket keys" "$log1" "$log2" || t_fail "no ticket keys line"
grep -q "$(tail -c 40 "$keys" | head -c 20)" "$log1" "$log2" && t_fail "a key was logged"

cert=(-cert "$T_PKI/client.crt" -key "$T_PKI/client.key")
for v in 1_2 1_3; do
	V=${v/_/.}
	s=$T_TMP/h1.$v.sess
	expect_resume "TLS $V: full handshake on host 1" New "$T_TMP/o$v" 127.0.0.1 "$pa" $v -sess_out "$s"
	expect_resume "TLS $V: host 1's ticket resumes on host 2" Reused "$T_TMP/r$v" 127.0.0.2 "$pa" $v -sess_in "$s"
	expect_resume "TLS $V: ... and on host 1" Reused "$T_TMP/q$v" 127.0.0.1 "$pa" $v -sess_in "$s"
	expect_resume "TLS $V: not on host 3 (keys of its own)" New "$T_TMP/n$v" 127.0.0.3 "$pa" $v -sess_in "$s"
	expect_resume "TLS $V: not on rule B of host 2" New "$T_TMP/b$v" 127.0.0.2 "$pb" $v -sess_in "$s"
	c=$T_TMP/c.$v.sess
	expect_resume "TLS $V client cert: full handshake on host 2" New "$T_TMP/co$v" 127.0.0.2 "$pc" $v \
		"${cert[@]}" -sess_out "$c"
	expect_resume "TLS $V client cert: resumes on host 1" Reused "$T_TMP/cr$v" 127.0.0.1 "$pc" $v \
		"${cert[@]}" -sess_in "$c"
done

# Rotation: host 2 learns of it by SIGHUP, host 1 by the file's change, seen at
# its next handshake (at most once a second).
old=$T_TMP/h1.1_2.sess
"$ATTLSCTL" tickets rotate "$keys" >/dev/null || t_fail "rotate failed"
n1=$(grep -c "ticket keys: 2 from" "$log1")
kill -HUP "$pid2"
wait_report "$log2" "policy reloaded" 10 >/dev/null || t_fail "host 2 did not reload"
grep -q "ticket keys: 2 from" "$log2" || t_fail "host 2 did not re-read the key file on SIGHUP"
t_ok "host 2 re-read the key file on SIGHUP"
for ((i = 0; i < 40; i++)); do
	s_resume "$T_TMP/poke" 127.0.0.1 "$pb" 1_2 >/dev/null
	(($(grep -c "ticket keys: 2 from" "$log1") > n1)) && break
done
(($(grep -c "ticket keys: 2 from" "$log1") > n1)) || t_fail "host 1 did not re-read the changed key file"
t_ok "host 1 re-read the changed key file"
for h in 127.0.0.1 127.0.0.2; do
	expect_resume "after rotation: the old key's ticket still resumes on $h" Reused "$T_TMP/old.$h" \
		"$h" "$pa" 1_2 -sess_in "$old"
done
s=$T_TMP/new.sess
expect_resume "after rotation: full handshake on host 2" New "$T_TMP/new0" 127.0.0.2 "$pa" 1_3 -sess_out "$s"
expect_resume "after rotation: the new ticket resumes on host 1" Reused "$T_TMP/new1" 127.0.0.1 "$pa" 1_3 -sess_in "$s"

for p in "$pid1" "$pid2" "$pid3"; do
	t_running "$p" || t_fail "attlsd $p died"
done
grep -E "EZD1286I" "$T_TMP"/attlsd.*.log && t_fail "handshake errors logged"
t_done
