#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Jobname and Userid for inbound rules: the job is the server application, the
# owner of the listening socket that the original destination reaches
# (sock_diag by address and port, then /proc). Two unchanged backends in the
# server namespace: on 7554 python3 run as nobody, on 7555 python3 run as root;
# a rule for userid nobody and jobname python3* gives TLS, a fallback below it
# clear text. A third backend (7556), run as root inside a system-unit cgroup
# (system.slice/.../t34-gateway.service), is matched by a rule whose jobname is that unit.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$T_DIR/netns.bash"
need_tool setpriv

ns_setup
ns_attlsd
# A cgroup named like a systemd system unit (name=systemd v1 or cgroup v2 tree):
# only units under system.slice count as a jobname (a user can name a user unit
# anything), so the test's slice goes there, made for the test if it is missing.
CG= CG_SYS=
for root in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
	[[ -w $root ]] || continue
	[[ -d $root/system.slice ]] || { mkdir "$root/system.slice" 2>/dev/null && CG_SYS=$root/system.slice; }
	if mkdir "$root/system.slice/attls-t34-$$.slice" 2>/dev/null; then
		if mkdir "$root/system.slice/attls-t34-$$.slice/t34-gateway.service" 2>/dev/null; then
			CG=$root/system.slice/attls-t34-$$.slice
			break
		fi
		rmdir "$root/system.slice/attls-t34-$$.slice"
	fi
	[[ -z $CG_SYS ]] || rmdir "$CG_SYS"
	CG_SYS=
done
t34_cleanup() {
	local rc=$? i
	# Its processes are gone once the namespaces' tracked pids are killed.
	for i in "${T_PIDS[@]}"; do kill -TERM "$i" 2>/dev/null; done
	if [[ -n $CG ]]; then
		for ((i = 0; i < 100; i++)); do
			rmdir "$CG/t34-gateway.service" "$CG" 2>/dev/null && break
			sleep 0.1
		done
		[[ -z $CG_SYS ]] || rmdir "$CG_SYS" 2>/dev/null
	fi
	(exit "$rc")
	ns_cleanup
}
trap t34_cleanup EXIT

policy=$(write_policy t34 <<EOF
settings:
  control_socket: "$T_TMP/attlsd.sock"
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key", trusted_ca: "$T_PKI/ca.crt" }
groups:
  on: { enabled: On, trace: 14 }
  off: { enabled: Off, trace: 14 }
environments:
  server: { handshake_role: Server, keyring: srv }
rules:
  by-unit: { priority: 40, direction: Inbound, local_port: 7556, jobname: t34-gateway.service, intercept: redirect, listen: "0.0.0.0:15005", group: on, environment: server }
  for-nobody: { priority: 30, direction: Inbound, local_port: 7554-7556, jobname: "python3*", userid: nobody, intercept: redirect, listen: "0.0.0.0:15005", group: on, environment: server }
  fallback: { priority: 10, direction: Inbound, local_port: 7554-7556, intercept: redirect, listen: "0.0.0.0:15005", group: off }
EOF
)
"$ATTLSD" -t -f "$policy" >"$T_TMP/check.out" 2>&1 || { cat "$T_TMP/check.out"; t_fail "policy check failed"; }
assert_no_match "no warning that inbound owner rules never match" "never matches" "$(cat "$T_TMP/check.out")"

# The backend run as nobody writes its ready file where nobody can, and runs
# the system's python3 (a per-user one may sit in a directory nobody cannot read).
mkdir -m 1777 "$T_TMP/pub"
chmod 0711 "$T_TMP"
nobody_py=$(command -v /usr/bin/python3 || command -v "$T_PY")
T_PY=$nobody_py NS_WRAP="setpriv --reuid=nobody --regid=nogroup --clear-groups" NS_READY_DIR=$T_TMP/pub \
	ns_backend 7554
ns_backend 7555
# ip netns exec mounts its own /sys: the backend is moved into the cgroup from
# here (its unit is read when a connection arrives).
if [[ -n $CG ]]; then
	ns_backend 7556
	echo "${T_PIDS[-1]}" >"$CG/t34-gateway.service/cgroup.procs" || t_fail "cannot move the backend into $CG"
	grep -q "t34-gateway.service" "/proc/${T_PIDS[-1]}/cgroup" || t_fail "the backend is not in the cgroup"
else
	t_log "cannot create a cgroup here: the systemd unit case (7556) is not tested"
fi

attlsd_start "$policy"
ip netns exec "$NS_S" "$ATTLSCTL" intercept up "$policy" || t_fail "intercept up failed"

out=$(ns_client "$NS_SADDR:7554" --tls "$T_PKI/ca.crt" --name localhost)
assert_match "backend run as nobody: TLS (rule for-nobody)" "^peer=$NS_SADDR got=hello" "$out"
assert_match "backend run as nobody: the client got TLS" "tls=TLSv1\.[23]" "$out"
grep -qE "EZD1281I .*JOBNAME: python3 USERID: nobody .*RULE: for-nobody " "$ATTLSD_LOG" ||
	{ grep EZD1281I "$ATTLSD_LOG"; t_fail "7554 did not map to for-nobody with JOBNAME python3 USERID nobody"; }
t_ok "7554: mapped by the backend's owner (python3, nobody)"

# Its uid alone rules for-nobody out, so its process is never looked up
# (JOBNAME is not asserted).
out=$(ns_client "$NS_SADDR:7555")
assert_match "backend run as root: clear text (fallback)" "^peer=$NS_SADDR got=hello" "$out"
grep -qE "EZD1281I .*USERID: root .*RULE: fallback " "$ATTLSD_LOG" ||
	{ grep EZD1281I "$ATTLSD_LOG"; t_fail "7555 did not map to fallback with USERID root"; }
t_ok "7555: the root-owned backend does not match the nobody rule"

if [[ -n $CG ]]; then
	out=$(ns_client "$NS_SADDR:7556" --tls "$T_PKI/ca.crt" --name localhost)
	assert_match "backend in t34-gateway.service: TLS (rule by-unit)" "tls=TLSv1\.[23]" "$out"
	grep -qE "EZD1281I .*RULE: by-unit " "$ATTLSD_LOG" ||
		{ grep EZD1281I "$ATTLSD_LOG"; t_fail "7556 did not map to by-unit"; }
	t_ok "7556: Jobname matched the systemd unit t34-gateway.service"
fi
expect_no_error
ip netns exec "$NS_S" "$ATTLSCTL" intercept down "$policy" || t_fail "intercept down failed"
attlsd_stop
t_done
