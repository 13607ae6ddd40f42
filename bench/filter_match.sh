#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds bench/filter_match against the tree's libattls_policy.a and runs it:
# IP filter decisions at 10, 1,000 and 10,000 filters. Argument: lookups per size.
# ATTLS_BUILDDIR: the configured build tree (default: in-tree).
set -e
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
top=${ATTLS_BUILDDIR:-$src}
make -C "$top" libattls_policy.a >/dev/null
mkdir -p "$here/bin"
# shellcheck disable=SC2046
${CC:-cc} ${CFLAGS:--O2 -g} -std=gnu11 -Wall -Wextra -Werror -include arpa/inet.h \
	-I"$top" -I"$src/src" -o "$here/bin/filter_match" "$here/filter_match.c" \
	"$top/libattls_policy.a" $(pkg-config --libs yaml-0.1)
exec "$here/bin/filter_match" "$@"
