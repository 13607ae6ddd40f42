#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench/hsm.sh: full handshakes/s of attlsd with the server key on a SoftHSM2
# token against the same key type in a PEM file, RSA-2048 and ECDSA P-256, TLS
# 1.3 and 1.2, on loopback. SoftHSM is software: this measures attlsd's overhead
# around the token (PKCS#11 calls through the pkcs11 engine), not an HSM's speed.
#
#   make && bench/hsm.sh            (needs softhsm2, opensc, libengine-pkcs11-openssl)
#
# Knobs: ATTLSD (default <repo>/attlsd, else <repo>/build/attlsd), DUR (8), WARM (1),
# HS_CONC (32), PROXY_CORE (0) and LOAD_CORE (1) as in bench/run.sh. attlsd runs
# with -w 1 pinned to PROXY_CORE; tlsload and the backend on LOAD_CORE. The
# report: handshakes/s and handshakes per second of attlsd CPU (the per-core
# figure), and the token/file ratio of each.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/bench/out/hsm
ATTLSD=${ATTLSD:-$top/attlsd}
[[ -x $ATTLSD ]] || ATTLSD=$top/build/attlsd
DUR=${DUR:-8} WARM=${WARM:-1} HS_CONC=${HS_CONC:-32}
PROXY_CORE=${PROXY_CORE:-0} LOAD_CORE=${LOAD_CORE:-1}
module=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
	[[ -r $m ]] && { module=$m; break; }
done
[[ -n $module ]] || { echo "hsm.sh: softhsm2 is not installed" >&2; exit 2; }
make -s -C "$top/bench" >/dev/null
rm -rf "$out"
mkdir -p "$out/tokens"
pids=()
stop_all() {
	((${#pids[@]} == 0)) || kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
}
trap stop_all EXIT INT TERM
export SOFTHSM2_CONF=$out/softhsm2.conf PKCS11_MODULE_PATH=$module
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$out/tokens" >"$SOFTHSM2_CONF"
q() { "$@" >"$out/cmd.log" 2>&1 || { cat "$out/cmd.log"; echo "hsm.sh: $* failed" >&2; exit 1; }; }
q softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 12345678
p11() { q pkcs11-tool --module "$module" --token-label bench --login --pin 1234 "$@"; }
p11 --keypairgen --key-type rsa:2048 --label rsa --id 01
p11 --keypairgen --key-type EC:prime256v1 --label ec --id 02
(umask 077 && echo 1234 >"$out/pin")
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/rsa.key"
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/ec.key"
for k in rsa ec; do
	q openssl req -new -x509 -days 30 -subj /CN=localhost -key "$out/$k.key" -out "$out/$k-file.crt"
	q openssl req -new -x509 -days 30 -subj /CN=localhost -engine pkcs11 -keyform engine \
		-key "pkcs11:token=bench;object=$k;type=private?pin-value=1234" -out "$out/$k-token.crt"
done
base=18950
tok="pin_file: $out/pin, pkcs11_module: $module"
cat >"$out/attlsd.yaml" <<EOF
settings: { control_socket: "Off" }
keyrings:
  rsa-file: { certificate: $out/rsa-file.crt, key: $out/rsa.key }
  ec-file: { certificate: $out/ec-file.crt, key: $out/ec.key }
  rsa-token: { certificate: $out/rsa-token.crt, key: "pkcs11:token=bench;object=rsa;type=private", $tok }
  ec-token: { certificate: $out/ec-token.crt, key: "pkcs11:token=bench;object=ec;type=private", $tok }
groups:
  on: { enabled: On, trace: 0 }
environments:
EOF
i=1
for k in rsa-file rsa-token ec-file ec-token; do
	echo "  $k: { handshake_role: Server, keyring: $k }" >>"$out/attlsd.yaml"
done
echo "rules:" >>"$out/attlsd.yaml"
for k in rsa-file rsa-token ec-file ec-token; do
	echo "  $k: { priority: 1, direction: Inbound, local_addr: 127.0.0.1, local_port: $((base + i)), group: on, environment: $k, backend: \"127.0.0.1:$base\" }" >>"$out/attlsd.yaml"
	i=$((i + 1))
done
taskset -c "$LOAD_CORE" "$top/bench/bin/backend" -p "$base" >"$out/backend.log" 2>&1 &
bpid=$!
pids+=("$bpid")
taskset -c "$PROXY_CORE" "$ATTLSD" -F -w 1 -f "$out/attlsd.yaml" >"$out/attlsd.log" 2>&1 &
apid=$!
pids+=("$apid")
for _ in $(seq 100); do grep -q EZZ4250I "$out/attlsd.log" && break; sleep 0.1; done
grep -q EZZ4250I "$out/attlsd.log" || { cat "$out/attlsd.log"; exit 1; }
echo "hsm.sh: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); attlsd -w 1 on core $PROXY_CORE, load on core $LOAD_CORE, $DUR s per figure"
printf '%-10s %-4s %12s %16s %8s\n' key TLS "hs/s" "hs/attlsd-CPU-s" "ratio"
i=1
declare -A per
for k in rsa-file rsa-token ec-file ec-token; do
	for v in 1.3 1.2; do
		line=$(taskset -c "$LOAD_CORE" "$top/bench/bin/tlsload" -m hs -V "$v" -p $((base + i)) \
			-c "$HS_CONC" -d "$DUR" -w "$WARM" -P "$apid" -B "$bpid" | grep '^RESULT')
		echo "$k $line" >>"$out/raw.txt"
		r=$(sed -n 's/.* rate=\([0-9.]*\) .*/\1/p' <<<"$line")
		cpu=$(sed -n 's/.* proxy_cpu=\([0-9.]*\).*/\1/p' <<<"$line")
		per[$k.$v]=$(awk -v r="$r" -v c="${cpu:-0}" 'BEGIN { printf "%.1f", (c > 0 ? r * 100 / c : 0) }')
		ratio=-
		if [[ $k == *-token ]]; then
			f=${k%-token}-file.$v
			ratio=$(awk -v a="${per[$k.$v]}" -v b="${per[$f]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		fi
		printf '%-10s %-4s %12s %16s %8s\n' "$k" "$v" "$r" "${per[$k.$v]}" "$ratio"
	done
	i=$((i + 1))
done
