#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Time windows against an injected clock: the real attlsd runs under
# libfaketime (Debian's faketime), started once on a Monday at 10:00 UTC and
# once on a Saturday: the same peer (127.0.0.2) is served through an
# office-hours filter on Monday and denied (implicit deny, EZD0815I) on
# Saturday; a TTLS rule with a night window maps the connection only at night.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_tool faketime
libft=$(dpkg -L libfaketime 2>/dev/null | grep -m1 '/libfaketimeMT\.so\.1$')
[ -n "$libft" ] || t_skip "libfaketime.so.1 not found (package libfaketime)"

start_backend echo
read -r port <<<"$(free_ports 1)"
policy_new
policy_keyring ring server
policy_group grp-on 'trace: 6'
policy_group grp-off 'enabled: Off' 'trace: 6'
policy_env env Server ring
policy_add time_conditions office 'days_of_week: Mon-Fri' 'time_of_day: "07:00-19:00"' 'time_zone: UTC'
policy_add time_conditions night 'time_of_day: "22:00-06:00"' 'time_zone: UTC'
policy_add filters partners 'action: permit' 'source: 127.0.0.2' 'time_condition: office'
policy_add filters night-shift 'action: permit' 'source: 127.0.0.2' 'time_condition: night'
policy_rule night-clear "$port" - "127.0.0.1:$BACKEND_PORT" 'priority: 20' 'time_condition: night' 'group: grp-off'
policy_rule day-tls "$port" env "127.0.0.1:$BACKEND_PORT" 'priority: 10'
policy=$(policy_file)
real=$ATTLSD
# start_at 'YYYY-MM-DD hh:mm:ss': attlsd with its clock starting there (the
# monotonic clock stays real, so libuv's timers are unaffected).
start_at() {
	# LD_PRELOAD rather than the faketime program, which would stand between
	# the test and attlsd's pid (and its signals).
	cat >"$T_TMP/attlsd-at" <<EOF
#!/bin/sh
export LD_PRELOAD=$libft FAKETIME="@$1" FAKETIME_DONT_FAKE_MONOTONIC=1
export ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0
exec "$real" "\$@"
EOF
	chmod +x "$T_TMP/attlsd-at"
	ATTLSD=$T_TMP/attlsd-at attlsd_start "$policy"
}
try() { # MODE(tls|plain) -> served | refused
	"$T_PY" - "$1" "$port" <<'PY'
import socket, ssl, sys
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.settimeout(5); s.bind(("127.0.0.2", 0))
try:
    s.connect(("127.0.0.1", port))
    if mode == "tls":
        ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    s.sendall(b"ping")
    print("served" if s.recv(4) == b"ping" else "refused")
except (OSError, ssl.SSLError):
    print("refused")
PY
}

start_at "2025-06-02 10:00:00" # a Monday
assert_eq "Monday 10:00: the office-hours filter permits, TLS rule maps" served "$(try tls)"
grep -q "EZD1281I .*RULE: day-tls " "$ATTLSD_LOG" || t_fail "no EZD1281I for day-tls"
attlsd_stop

start_at "2025-06-07 10:00:00" # a Saturday
assert_eq "Saturday 10:00: no filter permits" refused "$(try tls)"
wait_report "$ATTLSD_LOG" "EZD0815I .*filter rule= IMPLICIT-DENY .*sipaddr= 127.0.0.2 " 5 >/dev/null ||
	t_fail "no EZD0815I implicit deny on Saturday"
t_ok "Saturday: EZD0815I implicit deny"
attlsd_stop

start_at "2025-06-07 23:30:00" # Saturday night
assert_eq "Saturday 23:30: the night filter permits and the night rule maps (clear text)" served \
	"$(try plain)"
grep -q "EZD1281I .*STATUS: Not Enabled RULE: night-clear " "$ATTLSD_LOG" || t_fail "no EZD1281I for night-clear"
attlsd_stop
t_done
