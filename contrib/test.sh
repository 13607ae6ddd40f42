#!/bin/bash
# Installs what is missing, builds attls and runs every test: the gcc -Werror
# build, the ASan+UBSan build, a clang -Werror build, a libFuzzer smoke run of
# every fuzz target, valgrind over the unit tests and over attlsd itself in a
# set of integration tests. Ends with one line
# "N passed, M failed"; exits non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash contrib/deps.sh || exit 1
total_pass=0 total_fail=0 failed_jobs=""

# Adds the automake summary of build dir $1 to the totals.
count() {
	local log=$1/test-suite.log p f e
	if [ ! -f "$log" ]; then total_fail=$((total_fail + 1)); return; fi
	p=$(sed -n 's/^# PASS: *//p' "$log" | head -1)
	f=$(sed -n 's/^# FAIL: *//p' "$log" | head -1)
	e=$(sed -n 's/^# ERROR: *//p' "$log" | head -1)
	total_pass=$((total_pass + ${p:-0}))
	total_fail=$((total_fail + ${f:-0} + ${e:-0}))
}

# job NAME BUILD_DIR CC CONFIGURE_ARGS... : build, then make check.
job() {
	local name=$1 dir=$2 cc=$3; shift 3
	echo "=== $name ==="
	if ! CC=$cc BUILD_DIR=$dir bash contrib/build.sh "$@"; then
		echo "$name: build failed"; total_fail=$((total_fail + 1)); failed_jobs="$failed_jobs $name"; return
	fi
	rm -f "$dir/test-suite.log"
	if ! make -C "$dir" check >"$dir/check.out" 2>&1; then
		failed_jobs="$failed_jobs $name"
		grep -E '^(FAIL|ERROR)' "$dir/check.out"
		for l in "$dir"/tests/*/*.log "$dir"/tests/*.log; do
			[ -f "$l" ] && grep -qE '^(FAIL|ERROR)' "${l%.log}.trs" 2>/dev/null && { echo "--- $l"; tail -40 "$l"; }
		done
	fi
	sed -n '/^# TOTAL/,/^# ERROR/p' "$dir/test-suite.log" 2>/dev/null
	count "$dir"
}

job "gcc -Werror" "$top/build" gcc
job "ASan+UBSan" "$top/build-asan" gcc --enable-sanitizers
job "clang -Werror" "$top/build-clang" clang

echo "=== fuzz smoke (clang, libFuzzer, ${FUZZ_SECONDS:-60}s per target) ==="
if CC=clang BUILD_DIR="$top/build-fuzz" bash contrib/build.sh --enable-fuzzing &&
	make -C "$top/build-fuzz" fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-60}"; then
	echo "PASS: fuzz smoke"; total_pass=$((total_pass + 1))
else
	echo "FAIL: fuzz smoke"; total_fail=$((total_fail + 1)); failed_jobs="$failed_jobs fuzz"
fi

echo "=== valgrind (unit tests) ==="
for t in "$top"/build/tests/unit/test_*; do
	[ -x "$t" ] && [ "${t%.c}" = "$t" ] || continue
	if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		"$t" >/dev/null 2>"$t.valgrind"; then
		echo "PASS: valgrind $(basename "$t")"; total_pass=$((total_pass + 1))
	else
		echo "FAIL: valgrind $(basename "$t")"; cat "$t.valgrind"; total_fail=$((total_fail + 1))
		failed_jobs="$failed_jobs valgrind"
	fi
done

# attlsd under valgrind (tests/integration/lib.sh, ATTLS_VALGRIND=1) in tests that
# reach its main paths: data both ways, bulk and half close, client auth, handshake,
# backend and peer RCs, signals and reload, Client role, PROXY v2, libfaketime's
# wrapper, SAFCheck, capture, ApplicationControlled, tampered records, SNI.
# One after the other: each test's own timing bounds assume attlsd has a core.
# Measured: 199 s for these 17 on the 2-core machine (t15 alone ~55 s, valgrind
# or not: its s_client probes wait out their timeouts); the budget is 8 minutes.
vg_tests="t01-curl t02-client-auth t03-bulk-sha256 t04-half-close t05-rc-handshake
t06-rc-backend t08-signals t12-client-role t14-proxy-v2 t15-reload t16-fake-clock
t20-safcheck t43-capture t46-application-controlled t47-rc-peers t49-bad-mac t50-sni-server"
echo "=== valgrind (attlsd) ==="
vg_start=$(date +%s)
if [ -x "$top/build/attlsd" ]; then
	for t in $vg_tests; do
		log="$top/build/tests/integration/$t.valgrind.log"
		mkdir -p "${log%/*}"
		ATTLS_VALGRIND=1 ATTLSD="$top/build/attlsd" ATTLSCTL="$top/build/attlsctl" \
			bash "$top/tests/integration/$t.sh" >"$log" 2>&1
		case $? in
		0) echo "PASS: valgrind $t"; total_pass=$((total_pass + 1)) ;;
		77) echo "SKIP: valgrind $t" ;;
		*) echo "FAIL: valgrind $t"; cat "$log"; total_fail=$((total_fail + 1))
		   failed_jobs="$failed_jobs valgrind-attlsd" ;;
		esac
	done
else
	echo "FAIL: valgrind (attlsd): no $top/build/attlsd"; total_fail=$((total_fail + 1))
	failed_jobs="$failed_jobs valgrind-attlsd"
fi
echo "valgrind (attlsd): $(($(date +%s) - vg_start)) s"

echo
[ -n "$failed_jobs" ] && echo "failed jobs:$failed_jobs"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
