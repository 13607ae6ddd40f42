#!/bin/bash
# Installs what is missing, builds attls six ways and runs every test, in four
# lanes that overlap so that a 2-core machine is busy and the run fits in 15 min:
#   asan   gcc ASan+UBSan build; the whole `make check`, two tests at a time
#          (the integration tests run here: the sanitizers check more than a
#          plain build would)
#   gcc    gcc -Werror build (the plain, _FORTIFY_SOURCE one); valgrind over the
#          unit tests, then over attlsd itself in 10 integration tests (the
#          offline tests run in the asan lane's make check)
#   clang  clang -Werror build of everything; the unit tests; a clang libFuzzer
#          build of the fuzz targets and $FUZZ_SECONDS of fuzzing per target
#   pkg    make distcheck (the tarball configures, builds, installs and
#          uninstalls out of tree; its tests run in the other lanes); the Debian packages
#          (tests/package/run.sh: dpkg-buildpackage without the tests, lintian,
#          an install into an overlay of this system, the unit's Exec lines as
#          its user with a client call through the sample policy)
# The asan lane is the longest and its tests have timing bounds, so it runs at
# normal priority and the other lanes under nice: they take what it leaves.
# Prints each stage's duration as it ends, the failures, then one line
# "N passed, M failed"; exits non-zero on any failure. Logs: build-ci/.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
t0=$(date +%s)
logs=$top/build-ci
rm -rf "$logs" && mkdir -p "$logs/bin"

# stage LANE NAME CMD...: runs CMD with its output in build-ci/LANE.NAME.log and
# prints how long it took, and the CPU time it and its children used (on a
# shared machine the wall time says little; the CPU time says what it costs).
stage() {
	local lane=$1 name=$2 rc real cpu sys TIMEFORMAT='%0R %0U %0S'; shift 2
	{ time "$@" >"$logs/$lane.$name.log" 2>&1; } 2>"$logs/$lane.$name.time"
	rc=$?
	read -r real cpu sys <"$logs/$lane.$name.time"
	printf '[%4ds] %-5s %-15s %-6s %4ss wall %5ss cpu\n' $(($(date +%s) - t0)) "$lane" "$name" \
		"$([ $rc = 0 ] && echo ok || echo FAILED)" "$real" $((cpu + sys))
	return $rc
}

# A lane's results: "P F" in build-ci/LANE.count, details in LANE.failures.
passed() { echo "$2 0" >>"$logs/$1.count"; }
failed() { echo "0 $2" >>"$logs/$1.count"; echo "=== $1: $3" >>"$logs/$1.failures"; }

# suite LANE DIR: adds the automake summary of DIR and, for each failed test, the
# end of its log.
suite() {
	local lane=$1 dir=$2 log=$2/test-suite.log p f e l
	if [ ! -f "$log" ]; then failed "$lane" 1 "no $log"; return; fi
	p=$(sed -n 's/^# PASS: *//p' "$log" | head -1)
	f=$(sed -n 's/^# FAIL: *//p' "$log" | head -1)
	e=$(sed -n 's/^# ERROR: *//p' "$log" | head -1)
	echo "${p:-0} $((${f:-0} + ${e:-0}))" >>"$logs/$lane.count"
	for l in $(find "$dir/tests" -name '*.trs' | sort); do
		grep -qE '^:test-result: (FAIL|ERROR)' "$l" || continue
		{ echo "=== $lane: FAIL ${l#"$dir"/}"; tail -40 "${l%.trs}.log"; } >>"$logs/$lane.failures"
	done
}

# build LANE DIR CC CONFIGURE_ARGS...
build() {
	local lane=$1 dir=$2 cc=$3; shift 3
	stage "$lane" build env CC="$cc" BUILD_DIR="$dir" BUILD_JOBS=2 bash contrib/build.sh "$@" && return 0
	failed "$lane" 1 "build in $dir failed"
	tail -40 "$logs/$lane.build.log" >>"$logs/$lane.failures"
	return 1
}

# check LANE NAME DIR [TESTS]: make check (all of TESTS, or the ones named).
check() {
	local lane=$1 name=$2 dir=$3
	rm -f "$dir/test-suite.log"
	if [ $# -gt 3 ]; then
		stage "$lane" "$name" make -C "$dir" -j2 check TESTS="$4"
	else
		stage "$lane" "$name" make -C "$dir" -j2 check
	fi
	suite "$lane" "$dir"
}

lane_asan() {
	build asan "$top/build-asan" gcc --enable-sanitizers || return
	check asan check "$top/build-asan"
}

# valgrind over one unit test; prints PASS/FAIL for valgrind_units.
valgrind_unit() {
	if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		"$1" >/dev/null 2>"$1.valgrind"; then
		echo "PASS: valgrind ${1##*/}"
	else
		echo "FAIL: valgrind ${1##*/}"; cat "$1.valgrind"
	fi
}
export -f valgrind_unit
valgrind_units() {
	local t
	for t in "$top"/build/tests/unit/test_*; do
		[ -x "$t" ] && [ "${t%.c}" = "$t" ] && echo "$t"
	done | xargs -P 2 -n 1 bash -c 'valgrind_unit "$1"' valgrind_unit >"$logs/valgrind-units.out"
	cat "$logs/valgrind-units.out"
	! grep -q '^FAIL: ' "$logs/valgrind-units.out"
}

# attlsd under valgrind (tests/integration/lib.sh, ATTLS_VALGRIND=1) in tests that
# reach its main paths: data both ways, half close, client auth, handshake RCs,
# signals and shutdown, Client role, PROXY v2, capture, ApplicationControlled,
# truncation; all of them after the privilege drop and inside the sandbox.
# LeakSanitizer checks every integration test in the asan lane; this is the
# second opinion, kept to ten so that CI fits in 15 minutes.
# One after the other: each test's own timing bounds assume attlsd has a core.
vg_tests="t01-curl t02-client-auth t04-half-close t05-rc-handshake t08-signals
t12-client-role t14-proxy-v2 t43-capture t46-application-controlled t74-truncation"
valgrind_attlsd() {
	local t log rc=0
	for t in $vg_tests; do
		log="$top/build/tests/integration/$t.valgrind.log"
		mkdir -p "${log%/*}"
		ATTLS_VALGRIND=1 ATTLSD="$top/build/attlsd" ATTLSCTL="$top/build/attlsctl" \
			ATTLS_SRCDIR="$top" bash "$top/tests/integration/$t.sh" >"$log" 2>&1
		case $? in
		0) echo "PASS: valgrind $t" ;;
		77) echo "SKIP: valgrind $t" ;;
		*) echo "FAIL: valgrind $t"; tail -60 "$log"; rc=1 ;;
		esac
	done
	return $rc
}

# count_lines LANE NAME: PASS/FAIL lines of build-ci/LANE.NAME.log into the totals.
count_lines() {
	local log=$logs/$1.$2.log p f
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	echo "$p $f" >>"$logs/$1.count"
	[ "$f" = 0 ] || { echo "=== $1: $2"; sed -n '/^FAIL: /,/^PASS: /p' "$log"; } >>"$logs/$1.failures"
	[ $((p + f)) -gt 0 ] || failed "$1" 1 "$2 ran nothing"
}

lane_gcc() {
	# The offline tests run in the asan lane's make check; here the gcc build
	# is checked by valgrind over the unit tests and attlsd.
	build gcc "$top/build" gcc || return
	# The unit tests' programs, without running them (TESTS empty).
	stage gcc unit-build make -C "$top/build" -j2 check TESTS= ||
		{ failed gcc 1 "unit test build"; return; }
	stage gcc valgrind-units valgrind_units
	count_lines gcc valgrind-units
	stage gcc valgrind-attlsd valgrind_attlsd
	count_lines gcc valgrind-attlsd
}

lane_clang() {
	if build clang "$top/build-clang" clang; then
		check clang unit "$top/build-clang" '$(UNIT_TESTS)'
	fi
	BUILD_TARGETS=fuzz-build build fuzz "$top/build-fuzz" clang --enable-fuzzing || return
	if stage fuzz smoke make -C "$top/build-fuzz" fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-15}"; then
		passed fuzz 1
	else
		failed fuzz 1 "fuzz smoke"; tail -60 "$logs/fuzz.smoke.log" >>"$logs/fuzz.failures"
	fi
}

# The package stage needs root (mounts, chroot): without it, it is reported as
# skipped, neither passed nor failed.
lane_pkg() {
	local dir=$top/build-dist rc
	rm -rf "$dir" && mkdir -p "$dir"
	if stage pkg distcheck sh -c "cd '$dir' && '$top/configure' &&
		make -j2 distcheck TESTS="; then
		passed pkg 1
	else
		failed pkg 1 "make distcheck"; tail -60 "$logs/pkg.distcheck.log" >>"$logs/pkg.failures"
	fi
	stage pkg package env DEB_BUILD_OPTIONS="nocheck parallel=2" bash tests/package/run.sh
	rc=$?
	case $rc in
	0) passed pkg 1 ;;
	77) echo "=== pkg: SKIPPED $(grep SKIP "$logs/pkg.package.log")" >>"$logs/pkg.failures" ;;
	*) failed pkg 1 "tests/package/run.sh"; tail -60 "$logs/pkg.package.log" >>"$logs/pkg.failures" ;;
	esac
}

echo "contrib/test.sh: lanes asan, gcc, clang (+fuzz), pkg; logs in build-ci/"
stage all deps bash contrib/deps.sh || { cat "$logs/all.deps.log"; echo "0 passed, 1 failed"; exit 1; }
# pyenv's shim is a bash script that costs up to a second per python3 start on
# a busy machine, and the tests start python3 hundreds of times: put the
# interpreter it resolves to first in PATH.
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) &&
	[ "$(command -v python3)" != "$py" ] && ln -s "$py" "$logs/bin/python3" && PATH=$logs/bin:$PATH
# Once, before the lanes: build.sh would otherwise run it three times at once.
stage all bootstrap ./bootstrap || { cat "$logs/all.bootstrap.log"; echo "0 passed, 1 failed"; exit 1; }

lane_asan &
(renice -n 10 -p "$BASHPID" >/dev/null; lane_gcc) &
(renice -n 10 -p "$BASHPID" >/dev/null; lane_clang) &
(renice -n 10 -p "$BASHPID" >/dev/null; lane_pkg) &
wait

total_pass=0 total_fail=0
for f in "$logs"/*.count; do
	[ -f "$f" ] || continue
	while read -r p fl; do
		total_pass=$((total_pass + p)) total_fail=$((total_fail + fl))
	done <"$f"
done
echo
for f in "$logs"/*.failures; do [ -f "$f" ] && cat "$f"; done
echo "total: $(($(date +%s) - t0)) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
