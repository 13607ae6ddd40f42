#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# The short reliability run (bench/reliability.sh --short, attlsd only, about
# two minutes): slowloris and slot exhaustion from one source while good
# clients loop handshakes (>= 99% served), churn (RSS within 5%), SIGHUP every
# 0.5 s (0 failed), a backend restart (served within 1 s of it), a full disk
# under event_log and capture_dir (still served), and SHA-256-checked bytes
# through 2 workers (0 mismatches), also through a slow-reading backend (RSS
# bounded per connection: backpressure); any missed figure fails the test.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
T_LIMIT=300
. "$(dirname "$0")/lib.sh"
need_tool cc make pkg-config

# An ASan build keeps freed memory in its quarantine (256 MiB), so the churn's
# RSS growth measures ASan, not attlsd: allow more there (LeakSanitizer checks
# for leaks in the other integration tests).
# The same for the slow reader's bound per connection (ASan's redzones and
# quarantine around each relay buffer).
rss_pct=5 slow_kib=512
if nm -D "$ATTLSD" 2>/dev/null | grep -q ' __asan_init'; then
	rss_pct=50 slow_kib=4096
fi
OUT=$T_TMP/reliability BIN=$T_TMP/bin ATTLSD=$ATTLSD CHURN_RSS_PCT=$rss_pct SLOWREAD_KIB=$slow_kib \
	timeout 280 bash "$T_TOP/bench/reliability.sh" --short >"$T_TMP/rel.out" 2>&1
st=$?
sed -n '/^scenario /,$p' "$T_TMP/rel.out"
case $st in
0) t_ok "every scenario met its figure" ;;
1) t_fail "a scenario missed its figure (table above; log: $(grep -c . "$T_TMP/rel.out") lines)" ;;
*)
	tail -20 "$T_TMP/rel.out"
	t_fail "bench/reliability.sh --short could not run (status $st)"
	;;
esac
t_done
