#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# IpTimeCondition on live connections: of two rules on one port, the one whose
# window holds the current time maps the connection and the one outside its
# window does not, whatever their priorities; with no_match: deny, a port whose
# only rule is outside its window refuses the connection (RC 5105) before TLS.
# Windows are computed around the current UTC time with an hour of margin.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

need_tool curl
windows() {
	"$T_PY" - <<'PY'
import datetime as d
n = d.datetime.now(d.timezone.utc)
for m in (-60, 60, 120, 180):
    print((n + d.timedelta(minutes=m)).strftime("%H:%M"), end=" ")
PY
}
read -r open_from open_to closed_from closed_to <<<"$(windows)"

root_a=$T_TMP/a root_b=$T_TMP/b
mkdir -p "$root_a" "$root_b"
echo "backend-in-window" >"$root_a/index.html"
echo "backend-out-of-window" >"$root_b/index.html"
start_http_backend "$root_a"; port_a=$HTTP_PORT
start_http_backend "$root_b"; port_b=$HTTP_PORT
read -r p1 p2 <<<"$(free_ports 2)"

policy_new
policy_settings 'no_match: deny' 'trace: 6'
policy_keyring ring server
policy_group grp-on 'trace: 6'
policy_env env Server ring
policy_add time_conditions now-open "time_of_day: \"$open_from-$open_to\"" 'time_zone: UTC'
policy_add time_conditions now-closed "time_of_day: \"$closed_from-$closed_to\"" 'time_zone: UTC'
policy_rule closed-high "$p1" env "127.0.0.1:$port_b" 'priority: 300' 'time_condition: now-closed'
policy_rule open-low "$p1" env "127.0.0.1:$port_a" 'priority: 200' 'time_condition: now-open'
policy_rule closed-only "$p2" env "127.0.0.1:$port_b" 'time_condition: now-closed'
attlsd_start "$(policy_file)"

body=$(curl -sS --max-time 10 --cacert "$T_PKI/ca.crt" "https://localhost:$p1/" 2>&1)
assert_eq "the rule whose window is open maps the connection" "backend-in-window" "$body"
wait_report "$ATTLSD_LOG" "EZD1281I .*RULE: open-low " 5 >/dev/null ||
	t_fail "no EZD1281I mapping line for rule open-low"
t_ok "EZD1281I names open-low, not the higher-priority closed-high"

log_mark
if curl -sS --max-time 10 --cacert "$T_PKI/ca.crt" "https://localhost:$p2/" >/dev/null 2>&1; then
	t_fail "a connection matching only an out-of-window rule was served"
fi
expect_rc 5105 "$p2"
grep -q "EZD1281I .*LOCAL: 127.0.0.1..$p2 .*STATUS: No Policy" "$ATTLSD_LOG" ||
	t_fail "EZD1281I did not report No Policy"
t_ok "out-of-window: no policy, denied with 5105"
attlsd_stop
t_done
