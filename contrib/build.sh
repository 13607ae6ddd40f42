#!/bin/bash
# Configures and builds attls out of tree in build/ (or in $BUILD_DIR, with extra
# configure arguments: contrib/build.sh --enable-sanitizers).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] || ./bootstrap >/dev/null 2>&1
dir=${BUILD_DIR:-$top/build}
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ] || [ "$*" != "$(cat .attls-configure-args 2>/dev/null)" ]; then
	"$top/configure" --enable-werror "$@" >/dev/null
	echo "$*" > .attls-configure-args
fi
make -j"$(nproc)" >/dev/null
echo "build: $dir/attlsd"
