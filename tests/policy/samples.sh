#!/bin/bash
# Every sample policy we ship in policy/ loads and passes `attlsd -t` (keys and
# certificates included) against a PKI generated for the test.
set -u
src=${ATTLS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
attlsd=${ATTLSD:-$src/build/attlsd}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$src/contrib/mkpki.sh" "$tmp/pki" >/dev/null || exit 1
export ATTLS_DEMO_PKI=$tmp/pki
n=0 bad=0
for f in "$src"/policy/*.yaml; do
	n=$((n + 1))
	if out=$("$attlsd" -t -f "$f" 2>&1); then
		echo "ok   $(basename "$f")"
	else
		echo "FAIL $(basename "$f")"; echo "$out"; bad=$((bad + 1))
	fi
done
echo "samples: $((n - bad)) passed, $bad failed"
[ $n -gt 0 ] && [ $bad -eq 0 ]
