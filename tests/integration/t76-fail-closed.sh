#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Fail closed on TLS ports: local_addr 0.0.0.0 means every IPv4 address, so curl
# https:// to 127.0.0.1 matches its rule and curl http:// is refused (RC 5003),
# not relayed in clear; a connection on a TLS rule's listener that matches no
# rule is refused (RC 5105, no_match deny_tls by default) and `attlsd -t` warns
# about such a listener; only an explicit no_match: clear relays it in clear.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@" # run by sh: re-exec under bash
. "$(dirname "$0")/lib.sh"
need_tool curl

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "plaintext backend $$" >"$docroot/index.html"
start_http_backend "$docroot"
served=$T_TMP/http.$HTTP_PORT.log

read -r p_any p_narrow <<<"$(free_ports 2)"
# fail_closed_policy [SETTING]: "any" on 0.0.0.0, "narrow" listening on 0.0.0.0
# for a local_addr no connection here has.
fail_closed_policy() {
	policy_new
	[[ -z ${1:-} ]] || policy_settings "$1"
	policy_standard
	policy_rule any "$p_any" env-server "127.0.0.1:$HTTP_PORT" 'local_addr: 0.0.0.0'
	policy_rule narrow "$p_narrow" env-server "127.0.0.1:$HTTP_PORT" 'local_addr: 192.0.2.7' \
		"listen: \"0.0.0.0:$p_narrow\""
	policy_file
}
pol=$(fail_closed_policy)
out=$("$ATTLSD" -t -f "$pol" 2>&1) || { echo "$out"; t_fail "attlsd -t refused the policy"; }
assert_match "attlsd -t warns: the narrow rule's listener serves addresses it does not cover" \
	"warning: rule \"narrow\" listens on 0.0.0.0:$p_narrow, but its local_addr covers only some .* refused \(RC 5105\)" "$out"
assert_no_match "attlsd -t: local_addr 0.0.0.0 covers its own listener" 'rule "any" listens' "$out"
attlsd_start "$pol"
CURL=(timeout 20 curl -sS --fail --cacert "$T_PKI/ca.crt")

# ---- 0.0.0.0 as a condition: every IPv4 address
body=$("${CURL[@]}" "https://127.0.0.1:$p_any/index.html") || t_fail "curl https:// to the 0.0.0.0 rule failed"
assert_eq "https:// to 127.0.0.1 on the 0.0.0.0 rule: the page" "$(cat "$docroot/index.html")" "$body"
expect_no_error
: >"$served"
if body=$("${CURL[@]}" "http://127.0.0.1:$p_any/index.html" 2>&1); then
	t_fail "curl http:// on the TLS port got a page: $body"
fi
expect_rc 5003 "$p_any"
assert_no_match "http:// on the TLS port never reached the backend" 'GET /index.html' "$(cat "$served")"

# ---- no rule matches on a TLS rule's listener: refused
if body=$("${CURL[@]}" "http://127.0.0.1:$p_narrow/index.html" 2>&1); then
	t_fail "curl http:// to an unmatched TLS listener got a page: $body"
fi
expect_rc 5105 "$p_narrow"
assert_match "the cause says why it was not relayed" 'refused, not relayed in clear text' "$RC_CAUSE"
assert_no_match "unmatched http:// never reached the backend" 'GET /index.html' "$(cat "$served")"
attlsd_stop

# ---- only an explicit no_match: clear relays it in clear text (AT-TLS fail-open)
attlsd_start "$(fail_closed_policy 'no_match: clear')"
body=$("${CURL[@]}" "http://127.0.0.1:$p_narrow/index.html") ||
	t_fail "no_match: clear: curl http:// was not relayed"
assert_eq "no_match: clear: unmatched http:// relayed in clear" "$(cat "$docroot/index.html")" "$body"
expect_no_error
attlsd_stop
exit 0
