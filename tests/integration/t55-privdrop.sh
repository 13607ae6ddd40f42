#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Privilege drop: started as root, attlsd runs as user attlsd, in its group
# only, with no capability left when the policy needs none (/proc/PID/status:
# Uid, Gid, Groups, CapEff/CapPrm/CapBnd, NoNewPrivs, Seccomp); a listener below
# 1024 keeps CAP_NET_BIND_SERVICE and nothing else, with its reason logged;
# "user: root" keeps root and warns; a missing user fails start-up and -t with
# RC 5122 and the fix; "sandbox: Off" is warned and leaves seccomp off; started
# as attlsd with ambient capabilities (the systemd way) it only trims them.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
(($(id -u) == 0)) || t_skip "the privilege drop is tested as root"

start_backend echo
port=$(free_port)
uid=$(id -u attlsd)
gid=$(id -g attlsd)

# status_of FIELD: the value of FIELD in attlsd's /proc/PID/status.
status_of() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$ATTLSD_PID/status"; }

# A port below 1024 nobody listens on.
low_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((600 + RANDOM % 400))
		[[ -z $(ss -Htln "sport = :$p") ]] && { echo "$p"; return 0; }
	done
	t_fail "no free port below 1024"
}

echo_ok() {
	tlsclient --ca "$T_PKI/ca.crt" --timeout 10 "127.0.0.1:$1" text:ping shut recv >"$T_TMP/c.out" 2>&1 ||
		{ cat "$T_TMP/c.out"; t_fail "echo through attlsd on port $1 failed"; }
}

# 1. The default: user attlsd, its group, no capability, no_new_privs, seccomp.
policy_new
policy_standard
policy_rule echo "$port" env-server "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"
echo_ok "$port"
assert_eq "Uid (real, effective, saved, fs)" "$uid	$uid	$uid	$uid" "$(status_of Uid)"
assert_eq "Gid (real, effective, saved, fs)" "$gid	$gid	$gid	$gid" "$(status_of Gid)"
assert_eq "supplementary groups" "$gid" "$(status_of Groups | tr -d ' ')"
assert_eq "CapEff" 0000000000000000 "$(status_of CapEff)"
assert_eq "CapPrm" 0000000000000000 "$(status_of CapPrm)"
assert_eq "CapBnd" 0000000000000000 "$(status_of CapBnd)"
assert_eq "CapAmb" 0000000000000000 "$(status_of CapAmb)"
assert_eq "NoNewPrivs" 1 "$(status_of NoNewPrivs)"
assert_eq "Seccomp (2: filter)" 2 "$(status_of Seccomp)"
# Every worker thread too: capabilities and seccomp are per thread.
for t in /proc/$ATTLSD_PID/task/*; do
	assert_eq "thread ${t##*/} CapEff" 0000000000000000 "$(sed -n 's/^CapEff:\t//p' "$t/status")"
	assert_eq "thread ${t##*/} Seccomp" 2 "$(sed -n 's/^Seccomp:\t//p' "$t/status")"
done
assert_match "the user and group are logged" "running as user attlsd \(uid $uid\), group attlsd \(gid $gid\)" "$(cat "$ATTLSD_LOG")"
assert_match "no capability kept is logged" "capabilities kept: none" "$(cat "$ATTLSD_LOG")"
assert_match "the sandbox is logged" "sandbox: seccomp: [0-9]+ system calls denied" "$(cat "$ATTLSD_LOG")"
attlsd_stop

# 2. A listener below 1024: CAP_NET_BIND_SERVICE (bit 10) and only it.
low=$(low_port)
policy_new
policy_standard
policy_rule low "$low" env-server "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"
echo_ok "$low"
assert_eq "CapEff with a port below 1024" 0000000000000400 "$(status_of CapEff)"
assert_eq "CapBnd with a port below 1024" 0000000000000400 "$(status_of CapBnd)"
assert_match "the capability is logged with its reason" \
	"capability kept: CAP_NET_BIND_SERVICE: listener .*:$low is below port 1024" "$(cat "$ATTLSD_LOG")"
attlsd_stop

# 3. user: root is explicit and warned about.
policy_new
policy_standard
policy_settings 'user: root'
policy_rule echo "$port" env-server "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"
echo_ok "$port"
assert_eq "Uid with user: root" "0	0	0	0" "$(status_of Uid)"
assert_match "user: root is warned" "settings.user is root: attlsd keeps every privilege" "$(cat "$ATTLSD_LOG")"
attlsd_stop

# 4. A user that does not exist: -t and start-up fail with RC 5122 and the fix.
policy_new
policy_standard
policy_settings 'user: attls-no-such-user'
policy_rule echo "$port" env-server "127.0.0.1:$BACKEND_PORT"
bad=$(policy_file)
out=$("$ATTLSD" -t -f "$bad" 2>&1) && { echo "$out"; t_fail "attlsd -t accepted a missing user"; }
assert_match "-t: missing user, RC and fix" \
	'RC 5122: settings.user "attls-no-such-user" does not exist.*: create it \(useradd' "$out"
out=$(timeout 20 "$ATTLSD" -F -f "$bad" 2>&1) && t_fail "attlsd started with a missing user"
assert_match "start-up: missing user" 'cannot start: RC 5122: settings.user "attls-no-such-user"' "$out"
port_refused 127.0.0.1 "$port" || t_fail "port $port is open after a failed start"
"$ATTLSD" --list-rc 2>/dev/null | grep -q '^| 5122 | ATTLS_PRIVILEGE |' || t_fail "RC 5122 is not in --list-rc"

# 5. sandbox: Off is warned about and leaves seccomp off; the drop stays.
policy_new
policy_standard
policy_settings 'sandbox: Off'
policy_rule echo "$port" env-server "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"
echo_ok "$port"
assert_eq "Seccomp with sandbox: Off" 0 "$(status_of Seccomp)"
assert_eq "Uid with sandbox: Off" "$uid	$uid	$uid	$uid" "$(status_of Uid)"
assert_match "sandbox: Off is warned" "sandbox: Off: attlsd may execute programs" "$(cat "$ATTLSD_LOG")"
attlsd_stop

# 6. Started the systemd way (User=attlsd, AmbientCapabilities=): no switch,
#    only the capabilities the policy needs are kept of those given.
if command -v setpriv >/dev/null; then
	printf '#!/bin/sh\nexec setpriv --reuid=attlsd --regid=attlsd --init-groups --inh-caps=+net_bind_service,+net_admin --ambient-caps=+net_bind_service,+net_admin "%s" "$@"\n' \
		"$ATTLSD" >"$T_TMP/as-attlsd"
	chmod 0755 "$T_TMP/as-attlsd"
	low=$(low_port)
	policy_new
	policy_standard
	policy_rule low "$low" env-server "127.0.0.1:$BACKEND_PORT"
	ATTLSD=$T_TMP/as-attlsd attlsd_start "$(policy_file)"
	echo_ok "$low"
	assert_eq "Uid started as attlsd" "$uid	$uid	$uid	$uid" "$(status_of Uid)"
	assert_eq "CapEff started with NET_BIND_SERVICE and NET_ADMIN" 0000000000000400 "$(status_of CapEff)"
	assert_eq "CapAmb emptied" 0000000000000000 "$(status_of CapAmb)"
	assert_match "no switch is logged" "started without root, so no switch, capabilities trimmed" "$(cat "$ATTLSD_LOG")"
	attlsd_stop
else
	t_log "setpriv is missing: the ambient-capability start is not tested"
fi
t_done
