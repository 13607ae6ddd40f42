#!/bin/bash
# Every sample policy we ship in policy/ (YAML and z/OS Policy Agent files) loads
# and passes `attlsd -t` (keys and certificates included) against a test PKI.
set -u
src=${ATTLS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
attlsd=${ATTLSD:-$src/build/attlsd}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$src/contrib/mkpki.sh" "$tmp/pki" >/dev/null || exit 1
export ATTLS_DEMO_PKI=$tmp/pki
n=0 bad=0
attlsctl=${ATTLSCTL:-$(dirname "$attlsd")/attlsctl}
# Policy Agent samples name SAF key rings; point their placeholders at the PKI.
for f in "$src"/policy/*.pagent; do
	[ -e "$f" ] || continue
	for v in $("$attlsctl" import pagent "$f" 2>/dev/null | grep -o 'ATTLS_KEYRING_[A-Z0-9_]*' | sort -u); do
		export "$v=$tmp/pki"
	done
done
for f in "$src"/policy/*.yaml "$src"/policy/*.pagent; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	if out=$("$attlsd" -t -f "$f" 2>&1); then
		echo "ok   $(basename "$f")"
	else
		echo "FAIL $(basename "$f")"; echo "$out"; bad=$((bad + 1))
	fi
done
echo "samples: $((n - bad)) passed, $bad failed"
[ $n -gt 0 ] && [ $bad -eq 0 ]
