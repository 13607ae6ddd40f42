#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# contrib/bash-completion/attlsctl, driven the way bash drives it (COMP_WORDS,
# COMP_CWORD, then COMPREPLY), with bash-completion's helpers when installed:
# every subcommand attlsctl --help lists, the second words, the options of a
# subcommand, rule names for import pagent --backend from the file on the
# line, and for query the addresses of a live connection of a running attlsd,
# which `attlsctl query` then answers for.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
src=${ATTLS_SRCDIR:-$T_TOP}
[[ -f /usr/share/bash-completion/bash_completion ]] && . /usr/share/bash-completion/bash_completion
. "$src/contrib/bash-completion/attlsctl"
PATH=$(cd "$(dirname "$ATTLSCTL")" && pwd):$PATH
[[ $(command -v attlsctl) -ef $ATTLSCTL ]] || t_fail "attlsctl on PATH is not $ATTLSCTL"

# comp WORDS...: the completions of the last word (may be empty) of the line.
comp() {
	COMP_WORDS=(attlsctl "$@")
	COMP_CWORD=$#
	COMP_LINE="attlsctl $*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_attlsctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

subs=$("$ATTLSCTL" --help | sed -n 's/^\(Usage: \|       \)attlsctl \([a-z]*\).*/\2/p' | sort | tr '\n' ' ')
assert_eq "attlsctl <TAB>: every subcommand of --help" "--help ${subs% }" "$(comp "")"
assert_eq "attlsctl ke<TAB>" "keyring" "$(comp ke)"
assert_eq "attlsctl intercept <TAB>" "down plan up" "$(comp intercept "")"
assert_eq "attlsctl keyring <TAB>" "check stash" "$(comp keyring "")"
assert_eq "attlsctl query --<TAB>" "--cert --help --socket" "$(comp query --)"
assert_eq "attlsctl explain --po<TAB>" "--policy" "$(comp explain --po)"
assert_eq "attlsctl help ke<TAB>" "keyring" "$(comp help ke)"
cp "$src/policy/zowe-gateway.pagent" "$T_TMP/z.pagent"
assert_eq "import pagent FILE --backend <TAB>: its TTLSRule names" "ZoweGatewayIn= ZoweLoopbackClear=" \
	"$(comp import pagent "$T_TMP/z.pagent" --backend "")"
assert_eq "explain -f <TAB>: file names" "z.pagent" "$(cd "$T_TMP" && comp explain -f z.)"

# A live connection: query completes its addresses, and they are the right ones.
start_backend echo
port=$(free_port)
policy=$(write_policy t62 <<EOF
settings:
  control_socket: $T_TMP/ctl.sock
keyrings:
  srv: { certificate: "$T_PKI/server.crt", key: "$T_PKI/server.key" }
groups:
  on: { enabled: On }
environments:
  server: { handshake_role: Server, keyring: srv }
rules:
  app: { priority: 10, direction: Inbound, local_addr: 127.0.0.1, local_port: $port, group: on, environment: server, backend: "127.0.0.1:$BACKEND_PORT" }
EOF
)
attlsd_start "$policy"
tlsclient_bg "$T_TMP/held.out" --ca "$T_PKI/ca.crt" "127.0.0.1:$port" send:10 sleep:60
for ((i = 0; i < 100; i++)); do
	[[ $(attlsctl connections -s "$T_TMP/ctl.sock" | wc -l) -ge 2 ]] && break
	sleep 0.05
done
local_addr=$(comp query -s "$T_TMP/ctl.sock" "")
[[ -n $local_addr && $local_addr != *" "* ]] || t_fail "query -s SOCK <TAB>: expected one address, got '$local_addr'"
# bash-completion trims what precedes the last ":" of the word being completed.
full_local=$local_addr
[[ $local_addr == *:* ]] || full_local=$(_attlsctl_conns "$T_TMP/ctl.sock" 3)
t_ok "query -s SOCK <TAB>: $full_local"
remote_addr=$(comp query -s "$T_TMP/ctl.sock" "$full_local" "")
[[ -n $remote_addr && $remote_addr != *" "* && $remote_addr != "$full_local" ]] ||
	t_fail "query -s SOCK LOCAL <TAB>: expected the peer's address, got '$remote_addr'"
t_ok "query -s SOCK $full_local <TAB>: $remote_addr"
out=$(attlsctl query -s "$T_TMP/ctl.sock" "$full_local" "$remote_addr") || t_fail "attlsctl query with the completed addresses failed"
assert_match "attlsctl query answers for the completed addresses" "^rule=app$" "$out"
t_kill "$BG_PID"
attlsd_stop
t_done
