#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs every tests/integration/tNN-*.sh (or the ones named) outside automake and
# prints a summary. Same environment as the tests (ATTLSD, ATTLSD_ARGS, ...); logs
# go to $LOGDIR (default: a temporary directory, kept only when something fails).
#   tests/integration/run-all.sh [-j] [tNN-name.sh ...]
set -u
dir=$(cd "$(dirname "$0")" && pwd)
par=0
[[ ${1:-} == -j ]] && { par=1; shift; }
if (($# == 0)); then
	set -- "$dir"/t[0-9][0-9]-*.sh
fi
logdir=${LOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/attls-it-logs.XXXXXX")}
mkdir -p "$logdir"

run_one() {
	local t=$1 name rc start
	name=$(basename "$t" .sh)
	start=$(date +%s)
	bash "$t" >"$logdir/$name.log" 2>&1
	rc=$?
	echo "$rc $(($(date +%s) - start))" >"$logdir/$name.rc"
}

start=$(date +%s)
for t in "$@"; do
	[[ $t == */* ]] || t=$dir/$t
	if ((par)); then run_one "$t" & else run_one "$t"; fi
done
wait

pass=0 fail=0 skip=0
for t in "$@"; do
	name=$(basename "$t" .sh)
	read -r rc secs <"$logdir/$name.rc"
	case $rc in
	0) res=PASS pass=$((pass + 1)) ;;
	77) res=SKIP skip=$((skip + 1)) ;;
	*) res=FAIL fail=$((fail + 1)) ;;
	esac
	printf '%-4s %-24s %3ss\n' "$res" "$name" "$secs"
	[[ $res == PASS ]] || grep -E ': (FAIL|SKIP):' "$logdir/$name.log" | sed 's/^/       /'
done
echo "pass $pass, fail $fail, skip $skip in $(($(date +%s) - start))s"
if ((fail)); then
	echo "logs: $logdir"
	exit 1
fi
[[ -n ${LOGDIR:-} ]] || rm -rf "$logdir"
exit 0
