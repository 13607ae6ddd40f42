#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Owner lookup fails closed: with RLIMIT_NOFILE lowered (prlimit) so that the
# accepted connection takes attlsd's last descriptor, the sock_diag lookup for a
# userid rule fails with EMFILE; the connection ends with RC 5108 and a cause
# line naming the failed lookup, instead of falling through as "no owner" to
# the clear-text rule below. With the limit back the rule maps again.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"
need_tool prlimit

start_backend echo
echo_port=$BACKEND_PORT
port=$(free_port)
policy_new
# The test lowers attlsd's descriptor limit while it runs (prlimit): that takes
# the same user or CAP_SYS_RESOURCE, which root may lack in a container, so
# attlsd stays root here (explicit, and warned) rather than dropping.
policy_settings 'user: root'
policy_standard
policy_group grp-off 'enabled: Off'
policy_rule by-owner "$port" env-server "127.0.0.1:$echo_port" 'userid: root' 'priority: 200'
policy_rule clear-below "$port" - "127.0.0.1:$echo_port" 'group: grp-off'
attlsd_start "$(policy_file)"
TC=(--ca "$T_PKI/ca.crt" --timeout 10)

tlsclient "${TC[@]}" "127.0.0.1:$port" text:ping-77 shut recv >"$T_TMP/ok.out" 2>&1 ||
	{ cat "$T_TMP/ok.out"; t_fail "client to the userid rule failed"; }
expect_no_error

# lowest_full_limit: the RLIMIT_NOFILE under which attlsd has exactly one free
# descriptor number (the one accept4 takes), given the ones it holds now.
lowest_full_limit() {
	local -A used=()
	local fd l free=0
	for fd in /proc/"$ATTLSD_PID"/fd/*; do used[${fd##*/}]=1; done
	for ((l = 0; ; l++)); do
		[[ -n ${used[$l]:-} ]] || free=$((free + 1))
		((free == 1)) && { echo $((l + 1)); return; }
	done
}
hard=$(prlimit --pid "$ATTLSD_PID" --nofile --noheadings --output HARD)
soft=$(prlimit --pid "$ATTLSD_PID" --nofile --noheadings --output SOFT)
limit=$(lowest_full_limit)
prlimit --pid "$ATTLSD_PID" --nofile="$limit:$hard" || t_fail "prlimit failed"
tlsclient "${TC[@]}" "127.0.0.1:$port" text:ping-77 shut recv >"$T_TMP/emfile.out" 2>&1
prlimit --pid "$ATTLSD_PID" --nofile="$soft:$hard"
expect_rc 5108 "$port"
assert_match "the cause names the failed lookup and EMFILE" \
	'rule by-owner names userid root: .*the socket lookup \(sock_diag netlink request\) failed: Too many open files' "$RC_CAUSE"
assert_no_match "the client got no echo in clear text" '^first_line=ping-77' "$(cat "$T_TMP/emfile.out")"

tlsclient "${TC[@]}" "127.0.0.1:$port" text:ping-77 shut recv >"$T_TMP/again.out" 2>&1 ||
	{ cat "$T_TMP/again.out"; t_fail "client after the limit was restored failed"; }
assert_eq "limit restored: TLS through the userid rule again" ping-77 "$(kv "$T_TMP/again.out" first_line)"
expect_no_error
attlsd_stop
exit 0
