#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Reload after the privilege drop, and key file permissions. attlsd, now user
# attlsd with CAP_NET_BIND_SERVICE kept for its port below 1024, takes on SIGHUP
# a policy with a second port below 1024 and re-reads a key replaced on disk
# (the new port serves the new ECDSA certificate). Key files: group-writable or
# owned by another user are refused; one attlsd could not re-read after the
# drop (root:root 0600) is refused at load with owner, mode and the fix; one
# anyone may read is warned about; the same on reload keeps the running policy.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
(($(id -u) == 0)) || t_skip "the privilege drop is tested as root"

start_backend echo

low_ports() {
	local p i out=()
	for ((i = 0; i < 400 && ${#out[@]} < $1; i++)); do
		p=$((600 + RANDOM % 400))
		[[ " ${out[*]} " == *" $p "* ]] && continue
		[[ -z $(ss -Htln "sport = :$p") ]] && out+=("$p")
	done
	((${#out[@]} == $1)) || t_fail "no $1 free ports below 1024"
	echo "${out[@]}"
}
read -r low1 low2 <<<"$(low_ports 2)"

keys=$T_TMP/keys
mkdir "$keys"
cp "$T_PKI/server.crt" "$T_PKI/server.key" "$keys/"
key_perms "$keys/server.key"

# policy_with RULE...: keyring ring1 from $keys, rules "name:port", written to
# $T_TMP/live.yaml (the one file attlsd is started with and reloads).
policy_with() {
	local r
	policy_new
	policy_keyring ring1 server "certificate: $keys/server.crt" "key: $keys/server.key"
	policy_group grp-on
	policy_env env-server Server ring1
	for r; do policy_rule "${r%%:*}" "${r#*:}" env-server "127.0.0.1:$BACKEND_PORT"; done
	policy_file live >/dev/null
}

# subject_on PORT: the subject of the certificate attlsd presents on PORT.
subject_on() {
	sclient -x -u 'Verify return code' "$1" "${SCLIENT_VERIFY[@]}" || { cat "$T_TMP/sclient.out"; t_fail "s_client to port $1 failed"; }
	sed -n 's/^subject=//p' "$T_TMP/sclient.out"
}

# 1. Start with one port below 1024, as user attlsd.
policy_with "one:$low1"
p1=$T_TMP/live.yaml
attlsd_start "$p1"
assert_eq "Uid after the drop" "$(id -u attlsd)" "$(awk '/^Uid:/ {print $3}' "/proc/$ATTLSD_PID/status")"
assert_match "RSA certificate on the first port" "O ?= ?attls, CN ?= ?localhost" "$(subject_on "$low1")"

# 2. Reload: a second port below 1024 and the key and certificate replaced
#    (renamed into place, as tools renew them) by the ECDSA pair.
cp "$T_PKI/server-ecdsa.crt" "$keys/new.crt"
cp "$T_PKI/server-ecdsa.key" "$keys/new.key"
key_perms "$keys/new.key"
mv "$keys/new.crt" "$keys/server.crt"
mv "$keys/new.key" "$keys/server.key"
policy_with "one:$low1" "two:$low2"
log_mark
kill -HUP "$ATTLSD_PID"
wait_log "policy reloaded from" || { log_since_mark; t_fail "the reload after the drop failed"; }
assert_match "new port below 1024 listened on after the drop" "listening on .*$low2 \(new with this policy\)" "$(log_since_mark)"
assert_match "the re-read ECDSA certificate on the new port" "O ?= ?attls ECDSA" "$(subject_on "$low2")"
assert_match "the re-read ECDSA certificate on the old port" "O ?= ?attls ECDSA" "$(subject_on "$low1")"

# 3. A reload whose key attlsd could not re-read keeps the running policy.
chown root:root "$keys/server.key"
chmod 0600 "$keys/server.key"
log_mark
kill -HUP "$ATTLSD_PID"
wait_log "the running policy stays" || { log_since_mark; t_fail "a reload with an unreadable key was not refused"; }
assert_match "the refused reload names the key" "server.key" "$(log_since_mark)"
assert_match "still served after the refused reload" "O ?= ?attls ECDSA" "$(subject_on "$low2")"
attlsd_stop

# 4. Load-time checks of key files (attlsd -t, as root, for user attlsd).
check() {
	CHECK_OUT=$("$ATTLSD" -t -f "$p1" 2>&1)
}
check && { echo "$CHECK_OUT"; t_fail "-t accepted a root:root 0600 key"; }
assert_match "0600 root:root: cannot be read after the drop, with owner, mode and fix" \
	"server.key \(owner root:root, mode 0600\) cannot be read by attlsd's user .*chown root:attlsd .*server.key; chmod 0640 .*server.key" "$CHECK_OUT"
assert_match "the refused key has RC 202" "cannot start: RC 202: .*server.key \(owner root:root" "$CHECK_OUT"
key_perms "$keys/server.key"
chmod 0660 "$keys/server.key"
check && { echo "$CHECK_OUT"; t_fail "-t accepted a group-writable key"; }
assert_match "group-writable key refused" "server.key \(owner root:attlsd, mode 0660\) may be replaced by another user" "$CHECK_OUT"
key_perms "$keys/server.key"
chown nobody "$keys/server.key"
check && { echo "$CHECK_OUT"; t_fail "-t accepted a key owned by nobody"; }
assert_match "key of another user refused" "server.key \(owner nobody:attlsd, mode 0640\) may be replaced by its owner" "$CHECK_OUT"
key_perms "$keys/server.key"
chmod 0644 "$keys/server.key"
check || { echo "$CHECK_OUT"; t_fail "-t refused a world-readable key (only a warning)"; }
assert_match "world-readable key warned" "key .*server.key \(owner root:attlsd, mode 0644\) may be read by users other than attlsd's" "$CHECK_OUT"
key_perms "$keys/server.key"
check || { echo "$CHECK_OUT"; t_fail "-t refused a 0640 root:attlsd key"; }
assert_no_match "0640 root:attlsd: no warning" "may be read by|cannot be read" "$CHECK_OUT"
t_done
