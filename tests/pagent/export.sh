#!/bin/bash
# attlsctl export pagent, checked by its round trip: for every sample policy in
# policy/, every valid policy of tests/policy and every valid pagent case of
# tests/pagent (imported first), importing the export must give a policy
# whose effective form (attlsd -T) is the original's.
set -u
src=${ATTLS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
attlsd=${ATTLSD:-$src/attlsd}
attlsctl=${ATTLSCTL:-$src/attlsctl}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$src/contrib/mkpki.sh" "$tmp/pki" >/dev/null || exit 1
export ATTLS_TEST_PKI=$tmp/pki ATTLS_DEMO_PKI=$tmp/pki

bad() { echo "FAIL $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@" | head -40; fail=$((fail + 1)); }

effective() { # file -> attlsd -T without its file name
	"$attlsd" -T -f "$1" 2>"$tmp/T.err" | sed '1s/^# effective policy from .*:/# effective policy from FILE:/'
}

round_trip() { # label yaml (a file attlsd -T accepts)
	local label=$1 yaml=$2 a b
	a=$(effective "$yaml") || { bad "$label: attlsd -T of the policy" "$(cat "$tmp/T.err")"; return; }
	"$attlsctl" export pagent "$yaml" >"$tmp/x.pagent" 2>"$tmp/err" ||
		{ bad "$label: export failed" "$(cat "$tmp/err")"; return; }
	"$attlsctl" import pagent "$tmp/x.pagent" >"$tmp/x.yaml" 2>"$tmp/err" ||
		{ bad "$label: import of the export failed" "$(cat "$tmp/err")"; return; }
	b=$(effective "$tmp/x.yaml") || { bad "$label: attlsd -T of import(export())" "$(cat "$tmp/T.err")"; return; }
	[ "$a" = "$b" ] || { bad "$label: import(export()) differs" "$(diff <(echo "$a") <(echo "$b"))"; return; }
	echo "ok   $label"
	pass=$((pass + 1))
}

for f in "$src"/policy/*.yaml "$src"/tests/policy/valid/*.yaml; do
	[ -e "$f" ] || continue
	(cd "$(dirname "$f")" && [ -e "$f" ]) || continue
	cd "$(dirname "$f")" || exit 1
	round_trip "${f#"$src"/}" "$f"
done
for f in "$src"/policy/*.pagent "$src"/tests/pagent/valid/*.pagent; do
	[ -e "$f" ] || continue
	cd "$(dirname "$f")" || exit 1
	"$attlsctl" import pagent "$(basename "$f")" >"$tmp/in.yaml" 2>/dev/null ||
		{ bad "${f#"$src"/}: import failed"; continue; }
	for v in $(grep -o 'ATTLS_KEYRING_[A-Z0-9_]*' "$tmp/in.yaml" | sort -u); do
		export "$v=$tmp/pki"
	done
	round_trip "${f#"$src"/} (imported)" "$tmp/in.yaml"
done
echo "export round trips: $pass passed, $fail failed"
[ $pass -gt 0 ] && [ $fail -eq 0 ]
