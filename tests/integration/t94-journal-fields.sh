#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR disable=SC2119,SC2016,SC2317 # (optional arguments; ${ATTLS_PKI} is for attlsd to expand; predicates run by wait_until)
# Logs a collector ingests (doc/logging.md): for one failing connection (RC 402,
# its SNI holding an ESC and a UTF-8 character) and one good one (a client
# certificate SAFCheck maps to a user, Trace 8), the JSON event log and the
# EZD1286I/ATL1288I/ATL1289I lines carry the same fields with the same values,
# peer-sent bytes escaped alike; then, under a real systemd-journald,
# each line is a journal entry whose ATTLS_* fields are the event log's. systemd
# is not PID 1 in CI, so the test runs a journald of its own in a private mount
# namespace (its sockets and files on a tmpfs over /run) and starts attlsd with
# stderr on that journald's stream and $JOURNAL_STREAM naming it, as systemd
# starts a service. Without unshare, journald or libsystemd the journal part
# skips (77) once the lines-versus-JSON part has passed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The journald of this test needs its own /run: re-run in a mount namespace.
if [[ -z ${T94_NS:-} ]] && unshare -m --propagation private true 2>/dev/null; then
	T94_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

docroot=$T_TMP/www
mkdir -p "$docroot"
echo "journal page $$ $RANDOM" >"$docroot/index.html"
start_http_backend "$docroot"
read -r p1 <<<"$(free_ports 1)"

# t94_policy EVENTLOG: one rule, SAFCheck mapping the test client to CLIENT1.
t94_policy() {
	policy_new
	policy_settings "event_log: $1" 'control_socket: Off'
	policy_keyring ring1 server 'trusted_ca: "${ATTLS_PKI}/ca.crt"'
	policy_group grp-on 'trace: 10'
	policy_add identity_maps clients 'filters: [ { subject: "CN=attls-client,O=attls", user: CLIENT1 } ]'
	policy_env env1 ServerWithClientAuth ring1 'client_auth_type: SAFCheck' 'identity_map: clients'
	policy_rule r1 "$p1" env1 "127.0.0.1:$HTTP_PORT"
	policy_file
}

# two_connections: the good one (TLS 1.3, client certificate, SNI localhost)
# and one with no cipher in common (RC 402).
two_connections() {
	# s_client's status says little here (stdin closes as the page arrives): the page does.
	sclient -o "$T_TMP/good.out" -s "$HTTP_GET" "$p1" "${SCLIENT_VERIFY[@]}" -tls1_3 -quiet \
		-cert "$T_PKI/client.crt" -key "$T_PKI/client.key" || true
	grep -qF "journal page" "$T_TMP/good.out" || { cat "$T_TMP/good.out"; t_fail "no page through attlsd"; }
	# An escape byte and a UTF-8 character in the SNI: every sink escapes them alike.
	sclient "$p1" -servername $'json\e.t\xc3\xa9st' -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -quiet || true
}

# The comparison: every key of the event log's objects (but time and the
# ClientHello detail) against the same fact in the lines, read back by their
# labels; with --journal, also against the entries' ATTLS_* fields, whose
# MESSAGE must be the line itself.
cat >"$T_TMP/compare.py" <<'PYEOF'
import json, re, sys

def labels(text):
    """'LABEL: value' pairs of one line (a value runs to the next label)."""
    parts = re.split(r"(?:^| )([A-Z]+): ", text)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}

def num(v, unit=""):
    assert v.endswith(unit), (v, unit)
    return int(v[: len(v) - len(unit)] if unit else v)

def opt(v):
    return None if v == "-" else v

def from_lines(msgs):
    """The facts of one connection from its ATL1288I (with EZD1286I) or ATL1289I."""
    f = {}
    if "ATL1288I" in msgs:
        first, second = msgs["ATL1288I"].split("\n   ")
        m = re.match(r"ATL1288I TTLS Cause CONNID: (\w{8}) RC: +(\d+) (.*)\. Cause: (.*)\. Fix: (.*)$", first)
        assert m, first
        f.update(type="failure", connid=m[1], rc=int(m[2]), meaning=m[3], cause=opt(m[4]), fix=opt(m[5]))
        z = labels(msgs["EZD1286I"])
        rc, event = z["RC"].split(" ", 1)
        assert int(rc) == f["rc"] and z["CONNID"] == f["connid"], (z, f)
        f.update(event=event, grpid=z["GRPID"], envid=z["ENVID"], local=z["LOCAL"], remote=z["REMOTE"],
                 jobname=z["JOBNAME"], userid=z["USERID"], rule=z["RULE"])
        l = labels(second)
        f.update(rc_name=opt(l["RCNAME"]))
    else:
        first, second = msgs["ATL1289I"].split("\n   ")
        l = labels(first)
        l.update(labels(second))
        f.update(type="close", event="Connection Close", connid=l["CONNID"], rc=int(l["RC"]), rule=l["RULE"],
                 local=l["LOCAL"], remote=l["REMOTE"], jobname=l["JOBNAME"], userid=l["USERID"],
                 grpid=l["GRPID"], envid=l["ENVID"])
    code, name = l["CIPHER"].split(" ", 1)
    f.update(end=l["END"], sni=opt(l["SNI"]), protocol=l["PROTO"], cipher=code, cipher_name=name,
             mapped_user=opt(l["MAPPEDUSER"]), peer=opt(l["PEER"]), duration_ms=num(l["DUR"], "ms"),
             handshake_ms=num(l["HS"], "ms"), bytes_in=num(l["IN"]), bytes_out=num(l["OUT"]))
    return {k: v for k, v in f.items() if v is not None}

def same(what, want, got):
    for k in sorted(set(want) | set(got)):
        assert k in got, f"{what}: {k}={want[k]!r} is missing"
        assert k in want, f"{what}: {k}={got[k]!r} is not in the event log"
        assert str(want[k]) == str(got[k]), f"{what}: {k}: event log {want[k]!r}, got {got[k]!r}"

mode, evlog, src = sys.argv[1:4]
objs = [json.loads(line) for line in open(evlog)]
assert sorted(o["type"] for o in objs) == ["close", "failure"], objs
for o in objs:
    o.pop("time")
    o.pop("hello", None)
fail, close = sorted(objs, key=lambda o: o["type"] != "failure")
assert fail["rc"] == 402 and fail["rc_name"] == "GSK_ERR_NO_CIPHERS", fail
assert fail["sni"] == r"json\x1b.t\xc3\xa9st", fail["sni"]
assert close["mapped_user"] == "CLIENT1" and close["sni"] == "localhost", close
assert close["peer"] == "CN=attls-client,O=attls" and close["protocol"] == "TLSv1.3", close
assert close["cipher_name"].startswith("TLS_") and close["bytes_out"] > 0, close

# msgs[connid][msgid] = the text of the line
msgs = {}
if mode == "--lines":
    text = open(src).read()
    # A line of the log starts with its time stamp; continuation lines do not.
    for rec in re.split(r"\n(?=\d{4}-\d\d-\d\dT)", text):
        m = re.search(r"attlsd\[\d+\]: ((EZD|ATL)\d{4}I) (.*)", rec, re.S)
        if m and (c := re.search(r"CONNID: (\w{8})", rec)):
            msgs.setdefault(c[1], {})[m[1]] = m[1] + " " + m[3].rstrip("\n")
else:
    entries, compared = [json.loads(l) for l in open(src)], []
    for e in entries:
        if e.get("_TRANSPORT") == "stdout":
            assert not re.search(r"(EZD|ATL)128[6-9]I", e["MESSAGE"]), \
                f"a connection line went to the stream as well: {e['MESSAGE']}"
            continue
        if "ATTLS_MSGID" not in e:
            continue
        assert e["SYSLOG_IDENTIFIER"] == "attlsd", e
        assert e["MESSAGE"].startswith(e["ATTLS_MSGID"] + " "), e
        assert int(e["PRIORITY"]) == {"EZD1286I": 3, "ATL1288I": 3, "ATL1289I": 5}.get(e["ATTLS_MSGID"], 7), e
        msgs.setdefault(e["ATTLS_CONNID"], {})[e["ATTLS_MSGID"]] = e["MESSAGE"]
        key = (e["ATTLS_CONNID"], e["ATTLS_MSGID"])
        o = {(fail["connid"], "EZD1286I"): fail, (fail["connid"], "ATL1288I"): fail,
             (close["connid"], "ATL1289I"): close}.get(key)
        if o:
            got = {k[6:].lower(): v for k, v in e.items() if k.startswith("ATTLS_") and k != "ATTLS_MSGID"}
            same(f"journal {e['ATTLS_MSGID']} ATTLS_* fields", o, got)
            compared.append(key)
            print(f"journal {e['ATTLS_MSGID']}: {len(got)} ATTLS_* fields, all as in the event log")
    assert len(compared) == 3, f"entries compared: {compared}"
    init = [e for e in entries if e.get("ATTLS_MSGID") == "EZD1283I" and e.get("ATTLS_EVENT") == "Connection Init"]
    assert len(init) == 1 and init[0]["ATTLS_MAPPED_USER"] == "CLIENT1", init
for o in (fail, close):
    got = from_lines(msgs[o["connid"]])
    same(f"{o['type']} lines", o, got)
    print(f"{o['type']}: {len(o)} event log fields, all in the lines with the same values")
PYEOF

# ---- the lines and the event log (stderr to a file, as in every test)
evlog=$T_TMP/events.jsonl
attlsd_start "$(t94_policy "$evlog")"
two_connections
expect_rc 402 "$p1"
wait_idle
attlsd_stop
"$T_PY" "$T_TMP/compare.py" --lines "$evlog" "$ATTLSD_LOG" | sed "s/^/$T_NAME: ok: /"
((PIPESTATUS[0] == 0)) || t_fail "the lines and the event log differ"

# ---- the journal
[[ -n ${T94_NS:-} ]] || t_skip "journal part: no private mount namespace (unshare -m needs root)"
"$ATTLSD" -V | grep -q '; systemd)' || t_skip "journal part: attlsd was built --without-systemd"
journald=/lib/systemd/systemd-journald
if [[ ! -x $journald ]] || ! command -v journalctl >/dev/null; then
	t_skip "journal part: systemd-journald or journalctl is missing (Debian package systemd)"
fi
[[ -s /etc/machine-id && -f /etc/systemd/journald.conf ]] ||
	t_skip "journal part: no /etc/machine-id or /etc/systemd/journald.conf for journald"

# A journald of our own: /run is a tmpfs of this namespace (its sockets, its
# volatile journal), the configuration ours; the host's journal is untouched.
mount -t tmpfs -o mode=0755 t94-run /run || t_skip "journal part: cannot mount a tmpfs on /run"
mkdir -p /run/systemd/journal /run/log/journal
cat >"$T_TMP/journald.conf" <<'EOF'
[Journal]
Storage=volatile
RateLimitBurst=0
MaxLevelStore=debug
ReadKMsg=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
EOF
mount --bind "$T_TMP/journald.conf" /etc/systemd/journald.conf || t_fail "cannot bind journald.conf"
for d in /etc/systemd/journald.conf.d /usr/lib/systemd/journald.conf.d /usr/local/lib/systemd/journald.conf.d; do
	[[ -d $d ]] && { mount -t tmpfs t94-conf "$d" || t_fail "cannot hide $d"; }
done
"$journald" >"$T_TMP/journald.out" 2>&1 &
t_track $!
jd_pid=$!
wait_until 10 test -S /run/systemd/journal/stdout -a -S /run/systemd/journal/socket || {
	cat "$T_TMP/journald.out"
	t_skip "journal part: systemd-journald did not open its sockets here"
}
t_ok "systemd-journald (pid $jd_pid) runs in this test's mount namespace"
jctl() { journalctl -D /run/log/journal --no-pager "$@"; }

# attlsd as systemd starts a service: stderr on a journal stream (journald's
# stream protocol: identifier, unit, priority, level prefix, three forwards)
# and $JOURNAL_STREAM its device and inode.
cat >"$T_TMP/stream_exec.py" <<'PYEOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/run/systemd/journal/stdout")
s.sendall(b"attlsd\n\n6\n1\n0\n0\n0\n")
s.shutdown(socket.SHUT_RD)
os.dup2(s.fileno(), 1)
os.dup2(s.fileno(), 2)
st = os.fstat(2)
os.environ["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
os.execv(sys.argv[1], sys.argv[1:])
PYEOF
evlog=$T_TMP/events2.jsonl
policy=$(t94_policy "$evlog")
"$T_PY" "$T_TMP/stream_exec.py" "$ATTLSD" -F -f "$policy" &
ATTLSD_PID=$!
t_track "$ATTLSD_PID"
# p_journal PATTERN [FIELD=VALUE...]: an entry of this attlsd matches.
p_journal() { jctl -o cat "_PID=$ATTLSD_PID" "${@:2}" | grep -Eq -- "$1"; }
wait_until 10 p_journal 'EZZ4250I' || { jctl; t_fail "attlsd did not log EZZ4250I to the journal"; }
t_ok "attlsd (pid $ATTLSD_PID) started with stderr on the journal stream"
two_connections
wait_until 10 p_journal '^ATL1289I' ATTLS_MSGID=ATL1289I ATTLS_MAPPED_USER=CLIENT1 ||
	{ jctl -o verbose; t_fail "no ATL1289I entry for the good connection"; }
wait_until 10 p_journal '^ATL1288I' ATTLS_MSGID=ATL1288I ATTLS_RC=402 || { jctl -o verbose; t_fail "no ATL1288I entry for RC 402"; }
p_journal 'connection messages go to the journal with ATTLS_\* fields' _TRANSPORT=stdout ||
	t_fail "attlsd did not say that connection lines go to the journal"
attlsd_stop
jctl -o json "_PID=$ATTLSD_PID" >"$T_TMP/journal.json"
"$T_PY" "$T_TMP/compare.py" --journal "$evlog" "$T_TMP/journal.json" | sed "s/^/$T_NAME: ok: /"
((PIPESTATUS[0] == 0)) || { jctl -o verbose "_PID=$ATTLSD_PID" | tail -80; t_fail "the journal and the event log differ"; }
t_done
