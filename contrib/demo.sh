#!/bin/bash
# The attls demo: installs what is missing, builds, generates a demo PKI, and
# runs attlsd on policy/demo.yaml in front of an unchanged plaintext HTTP server
# on 127.0.0.1:8080. Then calls it over TLS with curl, shows one refused
# connection (plain HTTP on the TLS port), prints attlsd's log, and stops.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash contrib/deps.sh
bash contrib/build.sh
bash contrib/mkpki.sh demo/pki
# attlsd loads its key as root, then runs as user attlsd (doc/security.md): the
# key belongs to root and group attlsd, mode 0640, as attlsd asks of keys.
if [ "$(id -u)" -eq 0 ]; then
	chown root:attlsd demo/pki/*.key
	chmod 0640 demo/pki/*.key
fi
mkdir -p demo/www
echo "Hello from an unchanged plaintext backend (python3 http.server on 127.0.0.1:8080)" > demo/www/index.html

for port in 8080 8443; do
	if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
		echo "demo: port $port on 127.0.0.1 is in use; stop what holds it and retry" >&2
		exit 1
	fi
done

pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

python3 -m http.server --bind 127.0.0.1 --directory demo/www 8080 >demo/backend.log 2>&1 &
pids="$pids $!"
for _ in $(seq 50); do
	(exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break
	sleep 0.1
done
build/attlsd -F -f policy/demo.yaml 2>demo/attlsd.log &
attlsd_pid=$!
pids="$pids $attlsd_pid"
for _ in $(seq 50); do
	grep -q EZZ4250I demo/attlsd.log 2>/dev/null && break
	kill -0 $attlsd_pid 2>/dev/null || { cat demo/attlsd.log; exit 1; }
	sleep 0.1
done

echo
echo "\$ curl --cacert demo/pki/ca.crt https://localhost:8443/"
curl -sS --cacert demo/pki/ca.crt https://localhost:8443/
echo
echo "\$ curl http://localhost:8443/    # plain HTTP on the TLS port: refused, RC 5003"
curl -sS http://localhost:8443/ 2>&1 || true
sleep 0.3
kill -TERM $attlsd_pid
wait $attlsd_pid || true
echo
echo "--- attlsd log (demo/attlsd.log) ---"
cat demo/attlsd.log
