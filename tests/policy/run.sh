#!/bin/bash
# Data-driven policy cases: every tests/policy/invalid/NAME.yaml must fail `attlsd -t`
# with exactly the diagnostics in NAME.expected; every tests/policy/valid/NAME.yaml
# must pass `attlsd -T` and print exactly NAME.expected. Paths are printed relative
# to the case folder so the files read the same from any build directory.
set -u
src=${ATTLS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
attlsd=${ATTLSD:-$src/attlsd}
pass=0 fail=0
# Cases that need keys name them as ${ATTLS_TEST_PKI}/...; the path is put back
# into that form before comparing.
pki=$(mktemp -d)
trap 'rm -rf "$pki"' EXIT
bash "$src/contrib/mkpki.sh" "$pki" >/dev/null || exit 1
export ATTLS_TEST_PKI=$pki
for kind in valid invalid; do
	for f in "$src"/tests/policy/$kind/*.yaml; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .yaml)
		exp="${f%.yaml}.expected"
		cd "$src/tests/policy/$kind" || exit 1
		if [ $kind = valid ]; then
			out=$("$attlsd" -T -f "$name.yaml" 2>/tmp/attls-policy-err.$$); rc=$?; [ $rc -eq 0 ] || cat /tmp/attls-policy-err.$$
			want=0
		else
			out=$("$attlsd" -t -f "$name.yaml" 2>&1); rc=$?
			want=1
		fi
		out=${out//$pki/\$\{ATTLS_TEST_PKI\}}
		if [ $rc -ne $want ]; then
			echo "FAIL $kind/$name: exit $rc, wanted $want"; echo "$out"; fail=$((fail+1)); continue
		fi
		if ! diff -u "$exp" <(printf '%s\n' "$out") >/tmp/attls-policy-diff.$$; then
			echo "FAIL $kind/$name: output differs from $name.expected:"; cat /tmp/attls-policy-diff.$$
			fail=$((fail+1)); continue
		fi
		# A valid case may pin its warnings too.
		if [ $kind = valid ] && [ -f "${f%.yaml}.stderr" ]; then
			err=$(cat /tmp/attls-policy-err.$$); err=${err//$pki/\$\{ATTLS_TEST_PKI\}}
			if ! diff -u "${f%.yaml}.stderr" <(printf '%s\n' "$err") >/tmp/attls-policy-diff.$$; then
				echo "FAIL $kind/$name: warnings differ from $name.stderr:"; cat /tmp/attls-policy-diff.$$
				fail=$((fail+1)); continue
			fi
		fi
		echo "ok   $kind/$name"; pass=$((pass+1))
	done
done
rm -f /tmp/attls-policy-diff.$$
echo "policy cases: $pass passed, $fail failed"
[ $((pass+fail)) -gt 0 ] || { echo "no policy cases found"; exit 1; }
[ $fail -eq 0 ]
