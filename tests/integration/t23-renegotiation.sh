#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Renegotiation, with openssl s_client -tls1_2 and its "R" command (a client
# initiated, RFC 5746 secure renegotiation): Default and Disabled refuse it with
# alert no_renegotiation and RC 432; All lets it finish and data flows after it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

start_backend echo
read -r p_default p_disabled p_all <<<"$(free_ports 3)"
policy_new
policy_standard
policy_env env-default Server ring1
policy_env env-disabled Server ring1 'renegotiation: Disabled'
policy_env env-all Server ring1 'renegotiation: All'
policy_rule default "$p_default" env-default "127.0.0.1:$BACKEND_PORT"
policy_rule disabled "$p_disabled" env-disabled "127.0.0.1:$BACKEND_PORT"
policy_rule all "$p_all" env-all "127.0.0.1:$BACKEND_PORT"
attlsd_start "$(policy_file)"

# reneg OUT PORT: one echoed line, "R" (renegotiate), then another line. Each
# line is written once the previous one has had its effect: s_client acts on
# "R" only at the start of what one read returns. The last wait ends early when
# attlsd ends the connection instead (s_client exits).
reneg() {
	sclient -o "$1" -s "before-$2\n" -u "^before-$2\$" -s 'R\n' -u RENEGOTIATING \
		-s "after-$2\n" -u "^after-$2\$" "$2" "${SCLIENT_VERIFY[@]}" -tls1_2
}

for port in $p_default $p_disabled; do
	reneg "$T_TMP/reneg.$port" "$port"
	out=$(cat "$T_TMP/reneg.$port")
	assert_match "port $port: data before the renegotiation is echoed" "^before-$port\$" "$out"
	assert_match "port $port: s_client tried to renegotiate" 'RENEGOTIATING' "$out"
	assert_no_match "port $port: no data after the refused renegotiation" "^after-$port\$" "$out"
	expect_rc 432 "$port"
	assert_match "port $port: cause says a renegotiation was refused" 'tried to renegotiate' "$RC_CAUSE"
done

reneg "$T_TMP/reneg.all" "$p_all"
out=$(cat "$T_TMP/reneg.all")
assert_match "All: s_client renegotiated" 'RENEGOTIATING' "$out"
assert_match "All: data after the renegotiation is echoed" "^after-$p_all\$" "$out"
expect_no_error

attlsd_stop
exit 0
