#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# The sandbox at work (user attlsd, seccomp, Landlock): capture and event log
# are written (a capture_dir under a root-owned directory is made for attlsd
# before the drop), also after a reload; Landlock refuses a reload whose key
# lies outside the start-up policy's directories although the file mode would
# let user attlsd read it; a PKCS#11 token (SoftHSM) still serves after the drop
# and after a reload (Landlock is left off for it, and says so).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
(($(id -u) == 0)) || t_skip "the privilege drop is tested as root"

start_backend echo
read -r p1 p2 <<<"$(free_ports 2)"
uid=$(id -u attlsd)

# A state directory only root may write: capture_dir beneath it must be made by
# attlsd before it drops root.
state=$T_TMP/state
mkdir -m 0755 "$state"
cap=$state/capture
evdir=$T_TMP/ev
mkdir "$evdir"
daemon_writable "$evdir"
evlog=$evdir/events.jsonl

policy_new
policy_settings "capture_dir: $cap" "event_log: $evlog"
policy_keyring ring1 server
policy_group grp-on
policy_env env-fail Server ring1 'capture: failures'
policy_rule fails "$p1" env-fail "127.0.0.1:$BACKEND_PORT"
policy=$(policy_file live)
attlsd_start "$policy"
assert_eq "Seccomp" 2 "$(sed -n 's/^Seccomp:\t//p' "/proc/$ATTLSD_PID/status")"
assert_match "Landlock applied" "sandbox: Landlock \(ABI [0-9]+\)|sandbox: Landlock not applied: the kernel has no Landlock" "$(cat "$ATTLSD_LOG")"
landlock=0
grep -q "sandbox: Landlock (ABI" "$ATTLSD_LOG" && landlock=1
assert_eq "capture_dir made for user attlsd" "attlsd 700" "$(stat -c '%U %a' "$cap")"

# fail_once PORT N: a failed handshake (402); the Nth pcap and event appear.
fail_once() {
	sclient "$1" -servername cap.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
	expect_rc 402 "$1"
	wait_until 10 p_files_ge "$2" || t_fail "no capture file #$2 in $cap"
	wait_count "$evlog" '"rc": ?402' "$2" || { cat "$evlog" 2>/dev/null; t_fail "no event #$2 in $evlog"; }
}
p_files_ge() { (($(find "$cap" -name '*.pcap' | wc -l) >= $1)); }

fail_once "$p1" 1
assert_eq "the pcap belongs to user attlsd" attlsd "$(stat -c %U "$(find "$cap" -name '*.pcap' | head -n 1)")"
assert_eq "the event log belongs to user attlsd" attlsd "$(stat -c %U "$evlog")"

# Reload inside the sandbox: a second rule; capture and event log go on.
policy_new
policy_settings "capture_dir: $cap" "event_log: $evlog"
policy_keyring ring1 server
policy_group grp-on
policy_env env-fail Server ring1 'capture: failures'
policy_rule fails "$p1" env-fail "127.0.0.1:$BACKEND_PORT"
policy_rule fails2 "$p2" env-fail "127.0.0.1:$BACKEND_PORT"
policy_file live >/dev/null
log_mark
kill -HUP "$ATTLSD_PID"
wait_log "policy reloaded from" || { log_since_mark; t_fail "reload inside the sandbox failed"; }
fail_once "$p2" 2

# Landlock: a key outside every directory of the start-up policy is refused on
# reload, though its owner and mode let user attlsd read it (attlsd -t agrees).
if ((landlock)); then
	out=$(mktemp -d /tmp/attls-t57-outside.XXXXXX)
	chown "root:$T_DAEMON_USER" "$out"
	chmod 0750 "$out"
	cp "$T_PKI/server.crt" "$T_PKI/server.key" "$out/"
	key_perms "$out/server.key"
	policy_new
	policy_settings "capture_dir: $cap" "event_log: $evlog"
	policy_keyring ring1 server "certificate: $out/server.crt" "key: $out/server.key"
	policy_group grp-on
	policy_env env-fail Server ring1 'capture: failures'
	policy_rule fails "$p1" env-fail "127.0.0.1:$BACKEND_PORT"
	policy_file live >/dev/null
	"$ATTLSD" -t -f "$policy" >"$T_TMP/t.out" 2>&1 || { cat "$T_TMP/t.out"; t_fail "-t refused the outside key"; }
	log_mark
	kill -HUP "$ATTLSD_PID"
	wait_log "the running policy stays" || { log_since_mark; rm -rf "$out"; t_fail "Landlock let attlsd read $out"; }
	assert_match "Landlock: permission denied on the outside key" "$out/server.(crt|key).*Permission denied" "$(log_since_mark)"
	rm -rf "$out"
	t_ok "Landlock kept attlsd out of a directory the start-up policy does not name"
fi
attlsd_stop

# A PKCS#11 token after the drop and after a reload (when SoftHSM is here).
if command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null &&
	ls /usr/lib/*/softhsm/libsofthsm2.so /usr/lib/softhsm/libsofthsm2.so >/dev/null 2>&1 &&
	ls /usr/lib/*/engines-3/pkcs11.so >/dev/null 2>&1; then
	export SOFTHSM2_CONF=$T_TMP/softhsm2.conf
	# shellcheck source=hsm.sh
	. "$T_DIR/hsm.sh"
	hsm_setup
	hsm_policy() {
		write_policy hsm <<EOF
settings: { control_socket: "Off" }
keyrings:
  tok: { certificate: "$T_TMP/hsm-rsa.crt", key: "$HSM_URI_RSA", pin_file: "$HSM_PIN_FILE", pkcs11_module: "$HSM_MODULE" }
groups:
  on: { enabled: On }
environments:
  srv: { handshake_role: Server, keyring: tok }
rules:
$1
EOF
	}
	rule() { printf '  %s: { priority: 10, direction: Inbound, local_port: %s, group: on, environment: srv, backend: "127.0.0.1:%s" }\n' "$1" "$2" "$BACKEND_PORT"; }
	hpol=$(hsm_policy "$(rule h1 "$p1")")
	attlsd_start "$hpol"
	assert_eq "Uid with a token" "$uid" "$(awk '/^Uid:/ {print $3}' "/proc/$ATTLSD_PID/status")"
	assert_match "Landlock is left off for a token, and says why" "Landlock not applied: keyring \"tok\" uses a PKCS#11 token" "$(cat "$ATTLSD_LOG")"
	tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p1" text:ping shut recv >"$T_TMP/h1" 2>&1 ||
		{ cat "$T_TMP/h1"; t_fail "token key after the drop failed"; }
	hsm_policy "$(rule h1 "$p1")"$'\n'"$(rule h2 "$p2")" >/dev/null
	log_mark
	kill -HUP "$ATTLSD_PID"
	wait_log "policy reloaded from" || { log_since_mark; t_fail "reload with a token after the drop failed"; }
	for p in "$p1" "$p2"; do
		tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$p" text:ping shut recv >"$T_TMP/h2" 2>&1 ||
			{ cat "$T_TMP/h2"; t_fail "token key on port $p after the reload failed"; }
	done
	t_ok "the token's key serves after the drop and after a reload (PIN and key re-read)"
	attlsd_stop
else
	t_log "SoftHSM, opensc or the pkcs11 engine is missing: token part not run"
fi
t_done
