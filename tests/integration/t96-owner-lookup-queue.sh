#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2317 # (optional arguments; predicates run by wait_until)
# Owner lookups are merged per socket and bounded per worker: many
# connections to a backend whose process is not known yet share one search
# of /proc, and a worker never queues more than its share of libuv's
# threadpool plus 64 sockets; beyond that a connection fails at once with RC
# 5108 and a cause line saying the lookup queue is full.
#
# The backends' listeners are in flight over a unix socket (held by no
# process) until the test lets their helper take them back, so every
# connection waits in the mapping state for as long as the test wants.
# - 200 concurrent TLS clients to one such backend: one search, 199
#   connections join it; released, all 200 get TLS and their echo.
# - Two rules on one backend socket with handshake_timeout 2 and 30: the
#   short one fails alone at 2 s (RC 5108), the search goes on for the
#   other, which gets TLS once released.
# - 70 clients to 70 distinct such backends (a port range with a relative
#   backend) on one worker: 2 searches run, 64 sockets wait, the last 4
#   connections are refused at once (RC 5108, "queue is full"), with one
#   rate-limited warning; released, the 66 that waited get TLS.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck disable=SC2034 # read by lib.sh
T_LIMIT=180
. "$(dirname "$0")/lib.sh"
need_tool curl

# The bound is a quarter of libuv's threadpool, at least 2: the default pool.
unset UV_THREADPOOL_SIZE
py=$("$T_PY" -c "import os, sys; print(os.path.realpath(sys.executable))")
ln -s "$py" "$T_TMP/t96-held"

# held.py READY RELEASE PORT...: listeners on PORT... (0: any) passed over a
# unix socket and closed, so that no process holds them, until a line
# arrives on RELEASE; then it takes them back and echoes. READY gets the
# ports.
cat >"$T_TMP/held.py" <<'EOF'
import os, socket, sys, threading
ready, release, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]
ls = []
for p in ports:
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", p))
    l.listen(256)
    ls.append(l)
a, b = socket.socketpair()
socket.send_fds(a, [b"x"], [l.fileno() for l in ls])
with open(ready + ".tmp", "w") as f:
    f.write(" ".join(str(l.getsockname()[1]) for l in ls) + "\n")
for l in ls:
    l.close()
a.close()
os.rename(ready + ".tmp", ready)
with open(release) as f:
    f.readline()
_, fds, _, _ = socket.recv_fds(b, 1, len(ports))
def echo(c):
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()
def serve(l):
    while True:
        c, _ = l.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()
for fd in fds:
    threading.Thread(target=serve, args=(socket.socket(fileno=fd),), daemon=True).start()
threading.Event().wait()
EOF
# start_held NAME PORT...: sets HELD_PORTS; the helper waits on $T_TMP/NAME.release.
start_held() {
	local name=$1
	shift
	mkfifo "$T_TMP/$name.release"
	"$T_TMP/t96-held" "$T_TMP/held.py" "$T_TMP/$name.ready" "$T_TMP/$name.release" "$@" \
		>"$T_TMP/$name.log" 2>&1 &
	t_track $!
	wait_file "$T_TMP/$name.ready" || { cat "$T_TMP/$name.log"; t_fail "held.py $name did not start"; }
	read -r -a HELD_PORTS <"$T_TMP/$name.ready"
}
release() { echo go >"$T_TMP/$1.release"; }

# clients.py CA OUT HOST:PORT[xN]...: one TLS client per target (N of them
# with xN), all at once; each sends a line and expects its echo. OUT gets
# one line per client, "ok PORT" or "failed PORT ERROR".
cat >"$T_TMP/clients.py" <<'EOF'
import socket, ssl, sys, threading
ca, out, targets = sys.argv[1], sys.argv[2], []
for t in sys.argv[3:]:
    hp, _, n = t.partition("x")
    host, _, port = hp.rpartition(":")
    targets += [(host, int(port))] * int(n or 1)
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
res, lock = [], threading.Lock()
def one(host, port):
    try:
        with socket.create_connection((host, port), timeout=90) as s:
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                t.sendall(b"ping %d\n" % port)
                got = b""
                while not got.endswith(b"\n"):
                    d = t.recv(100)
                    if not d:
                        break
                    got += d
                t.unwrap()  # close_notify: a clean end, no RC 5109
        r = "ok %d" % port if got == b"ping %d\n" % port else "failed %d echo %r" % (port, got)
    except Exception as e:
        r = "failed %d %s" % (port, e)
    with lock:
        res.append(r)
ths = [threading.Thread(target=one, args=t) for t in targets]
for t in ths:
    t.start()
for t in ths:
    t.join()
with open(out + ".tmp", "w") as f:
    f.write("\n".join(res) + "\n")
import os
os.rename(out + ".tmp", out)
EOF
# clients_bg NAME TARGET...: clients.py in the background, results in $T_TMP/NAME.out.
clients_bg() {
	local name=$1
	shift
	timeout 150 "$T_PY" "$T_TMP/clients.py" "$T_PKI/ca.crt" "$T_TMP/$name.out" "$@" \
		>"$T_TMP/$name.log" 2>&1 &
	BG_PID=$!
	t_track "$BG_PID"
}
# clients_done NAME SECS: waits for them; their results in RES.
clients_done() {
	wait_exit "$BG_PID" "$2"
	[[ $EXIT_STATUS == 0 && -s $T_TMP/$1.out ]] ||
		{ cat "$T_TMP/$1.log"; t_fail "clients $1: exit status $EXIT_STATUS"; }
	RES=$(<"$T_TMP/$1.out")
}

# A run of 70 consecutive ports free for attlsd, and 70 at +OFFSET, taken
# at once by held.py.
offset=1000
read -r base <<<"$("$T_PY" - "$offset" <<'EOF'
import random, socket, sys
off = int(sys.argv[1])
for _ in range(200):
    base = random.randint(12000, 30000)
    socks = []
    try:
        for p in [base + i for i in range(70)] + [base + off + i for i in range(70)]:
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    break
EOF
)"
[[ -n $base ]] || t_fail "no run of 70 free ports (and 70 at +$offset) found"
start_held one 0
one_be=${HELD_PORTS[0]}
start_held two 0
two_be=${HELD_PORTS[0]}
mapfile -t many_be < <(seq $((base + offset)) $((base + offset + 69)))
start_held many "${many_be[@]}"
((${#HELD_PORTS[@]} == 70)) || t_fail "held.py many holds ${#HELD_PORTS[@]} listeners, not 70"
t_ok "listeners held by no process: $one_be, $two_be, $((base + offset))-$((base + offset + 69))"

read -r p_one p_short p_long p_metrics <<<"$(free_ports 4)"
policy=$(write_policy t96 <<EOF
settings:
  workers: 1
  metrics_listen: "127.0.0.1:$p_metrics"
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
groups:
  on: { enabled: On, trace: 6 }
environments:
  server: { handshake_role: Server, keyring: srv, handshake_timeout: 60 }
  short: { handshake_role: Server, keyring: srv, handshake_timeout: 2 }
  long: { handshake_role: Server, keyring: srv, handshake_timeout: 30 }
rules:
  one: { priority: 30, direction: Inbound, local_port: $p_one, jobname: t96-held, listen: "127.0.0.1:$p_one", backend: "127.0.0.1:$one_be", group: on, environment: server }
  short: { priority: 30, direction: Inbound, local_port: $p_short, jobname: t96-held, listen: "127.0.0.1:$p_short", backend: "127.0.0.1:$two_be", group: on, environment: short }
  long: { priority: 30, direction: Inbound, local_port: $p_long, jobname: t96-held, listen: "127.0.0.1:$p_long", backend: "127.0.0.1:$two_be", group: on, environment: long }
  many: { priority: 30, direction: Inbound, local_addr: 127.0.0.1, local_port: $base-$((base + 69)), jobname: t96-held, backend: "127.0.0.1:+$offset", group: on, environment: server }
EOF
)
attlsd_start "$policy" -d
looking='needs the process owning socket inode [0-9]+: looking it up off the loop'
joins='needs the process owning socket inode [0-9]+: joins the search in flight'
# owner_lookups: "SEARCH JOINED REFUSED" from /metrics.
owner_lookups() {
	curl -sS --max-time 10 "http://127.0.0.1:$p_metrics/metrics" |
		awk -F'[{}"]' '/^attls_owner_lookups_total/ {n[$3] = $5 + 0}
			END {print n["search"] + 0, n["joined"] + 0, n["refused"] + 0}'
}

# 1. 200 concurrent connections to one backend not yet known: one search.
clients_bg one "127.0.0.1:${p_one}x200"
wait_count "$ATTLSD_LOG" "rule one needs the process owning" 200 60 ||
	t_fail "not all 200 connections reached the mapping state: $(grep -Ec "rule one needs" "$ATTLSD_LOG")"
assert_eq "searches started for 200 connections to one socket" 1 "$(grep -Ec "rule one $looking" "$ATTLSD_LOG")"
assert_eq "connections that joined it" 199 "$(grep -Ec "rule one $joins" "$ATTLSD_LOG")"
assert_eq "/metrics: owner lookups (search, joined, refused)" "1 199 0" "$(owner_lookups)"
grep -q "owner of socket inode" "$ATTLSD_LOG" && t_fail "the search ended before its socket was held"
release one
clients_done one 60
assert_eq "released: clients with TLS and their echo" 200 "$(grep -c '^ok ' <<<"$RES")"
grep -qE "owner of socket inode [0-9]+: found after [0-9]+ ms \([0-9]+ passes, [0-9]+ processes read\) for 200 waiting connections" "$ATTLSD_LOG" ||
	t_fail "no line saying one search served 200 waiting connections"
assert_eq "connections mapped to rule one" 200 "$(grep -cE "EZD1281I .*RULE: one " "$ATTLSD_LOG")"
expect_no_error

# 2. Each waiter has its own deadline: the short one fails alone.
clients_bg long "127.0.0.1:$p_long"
long_pid=$BG_PID
wait_log "rule long $looking" >/dev/null || t_fail "no search for rule long"
tlsclient --ca "$T_PKI/ca.crt" --timeout 20 "127.0.0.1:$p_short" text:x >"$T_TMP/short.out" 2>&1
wait_log "rule short $joins" >/dev/null || t_fail "the short connection did not join the search"
expect_rc 5108 "$p_short"
assert_match "cause: its own handshake_timeout passed" \
	"rule short names jobname t96-held: the process owning the listener 127\.0\.0\.1\.\.$two_be .*could not be determined: .*handshake_timeout \(2s\)" \
	"$RC_CAUSE"
t_running "$long_pid" || t_fail "the long connection ended with the short one"
grep -q "owner of socket inode" <(log_since_mark) && t_fail "the search ended with its first waiter"
release two
clients_done long 40
assert_eq "the waiter with the later deadline: TLS and echo" "ok $p_long" "$RES"
expect_no_error

# 3. 70 distinct sockets on one worker: 2 running + 64 waiting; 4 refused at once.
ports=()
for ((i = 0; i < 70; i++)); do ports+=("127.0.0.1:$((base + i))"); done
clients_bg many "${ports[@]}"
p_many_in() { (($(log_since_mark | grep -Ec "rule many (needs the process|names jobname .*queue is full)") >= 70)); }
wait_until 60 p_many_in ||
	t_fail "not all 70 connections were mapped or refused"
assert_eq "searches started for 70 sockets" 66 "$(log_since_mark | grep -Ec "rule many $looking")"
full=$(log_since_mark | grep -E "ATL1288I .*RC: 5108 .*rule many names jobname t96-held: .*is not known yet and the owner-lookup queue is full \(2 searches running, 64 sockets waiting for one in worker 0\): the connection was refused at once")
assert_eq "connections refused at once (queue full, RC 5108)" 4 "$(grep -c . <<<"$full")"
assert_eq "EZD1286I lines of the refused" 4 "$(log_since_mark | grep -Ec "$(rc_pattern 5108)")"
assert_eq "warnings that the queue is full (one per 10 s)" 1 "$(log_since_mark | grep -c "worker 0: the owner-lookup queue is full")"
assert_eq "/metrics: owner lookups (search, joined, refused)" "68 200 4" "$(owner_lookups)"
grep -q "owner of socket inode" <(log_since_mark) && t_fail "a search ended before its socket was held"
release many
clients_done many 60
assert_eq "released: the 66 that waited got TLS and their echo" 66 "$(grep -c '^ok ' <<<"$RES")"
attlsd_alive
attlsd_stop
t_done
