#!/bin/bash
# Data-driven pagent import cases (doc/pagent-import.md):
#   valid/NAME.pagent        `attlsctl import pagent` prints NAME.yaml.expected on
#                            stdout and NAME.warnings.expected on stderr; then the
#                            round trip: attlsd -T of the imported YAML prints the
#                            same effective policy as attlsd -T of the pagent file.
#   unsupported/NAME.pagent  imports as above, but `attlsd -t` fails with
#                            NAME.expected (features this attlsd does not have).
#   invalid/NAME.pagent      `attlsd -t` fails with exactly NAME.expected.
# Key rings are placeholders ${ATTLS_KEYRING_X}; each is pointed at a test PKI.
set -u
src=${ATTLS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
attlsd=${ATTLSD:-$src/attlsd}
attlsctl=${ATTLSCTL:-$src/attlsctl}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$src/contrib/mkpki.sh" "$tmp/pki" >/dev/null || exit 1

bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@"; fail=$((fail + 1)); }
same() { diff -u "$1" <(printf '%s\n' "$2") >"$tmp/diff" || { cat "$tmp/diff"; return 1; }; }

# Every ${ATTLS_KEYRING_X} of a file is exported as the test PKI folder.
export_rings() {
	local v
	for v in $(grep -o 'ATTLS_KEYRING_[A-Z0-9_]*' "$@" 2>/dev/null | sed 's/.*://' | sort -u); do
		export "$v=$tmp/pki"
	done
}

import_case() { # kind name -> 0 if the import matches its expected files
	local kind=$1 name=$2 out err rc
	out=$("$attlsctl" import pagent "$name.pagent" 2>"$tmp/err"); rc=$?
	err=$(cat "$tmp/err")
	if [ $rc -ne 0 ]; then bad "$kind/$name: import exit $rc" "$err"; return 1; fi
	if ! same "$name.yaml.expected" "$out"; then bad "$kind/$name: YAML differs"; return 1; fi
	if ! same "$name.warnings.expected" "$err"; then bad "$kind/$name: warnings differ"; return 1; fi
	printf '%s\n' "$out" >"$tmp/$name.yaml"
	export_rings "$tmp/$name.yaml"
	return 0
}

round_trip() { # name
	local name=$1 a b
	a=$("$attlsd" -T -f "$tmp/$name.yaml" 2>"$tmp/err.a") || { bad "valid/$name: attlsd -T of the YAML" "$(cat "$tmp/err.a")"; return 1; }
	b=$("$attlsd" -T -f "$name.pagent" 2>"$tmp/err.b") || { bad "valid/$name: attlsd -T of the pagent file" "$(cat "$tmp/err.b")"; return 1; }
	a=$(printf '%s\n' "$a" | sed '1s/^# effective policy from .*:/# effective policy from FILE:/')
	b=$(printf '%s\n' "$b" | sed '1s/^# effective policy from .*:/# effective policy from FILE:/')
	if [ "$a" != "$b" ]; then
		bad "valid/$name: round trip differs" "$(diff <(echo "$a") <(echo "$b"))"; return 1
	fi
}

for f in "$src"/tests/pagent/valid/*.pagent; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .pagent)
	cd "$src/tests/pagent/valid" || exit 1
	import_case valid "$name" && round_trip "$name" && { echo "ok   valid/$name"; pass=$((pass + 1)); }
done
for f in "$src"/tests/pagent/unsupported/*.pagent; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .pagent)
	cd "$src/tests/pagent/unsupported" || exit 1
	import_case unsupported "$name" || continue
	out=$("$attlsd" -t -f "$name.pagent" 2>&1) && { bad "unsupported/$name: attlsd -t passed"; continue; }
	# REGEN=1 rewrites the expected output (review the diff before committing).
	[ -n "${REGEN:-}" ] && printf '%s\n' "$out" >"$name.expected"
	same "$name.expected" "$out" || { bad "unsupported/$name: attlsd -t output differs"; continue; }
	echo "ok   unsupported/$name"; pass=$((pass + 1))
done
for f in "$src"/tests/pagent/invalid/*.pagent; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .pagent)
	cd "$src/tests/pagent/invalid" || exit 1
	export_rings "$name.pagent"
	out=$("$attlsd" -t -f "$name.pagent" 2>&1) && { bad "invalid/$name: attlsd -t passed"; continue; }
	same "$name.expected" "$out" || { bad "invalid/$name: output differs"; continue; }
	echo "ok   invalid/$name"; pass=$((pass + 1))
done
echo "pagent cases: $pass passed, $fail failed"
[ $((pass + fail)) -gt 0 ] || { echo "no pagent cases found"; exit 1; }
[ $fail -eq 0 ]
