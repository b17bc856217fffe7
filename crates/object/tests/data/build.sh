#!/bin/sh
# Rebuilds the committed test objects from their C sources.
# Needs clang (14 on Debian 12) and libbpf-dev's headers.
set -eu
cd "$(dirname "$0")"
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
for src in *.bpf.c; do
	obj="${src%.c}.o"
	clang -g -O2 -target bpf -I"$ARCH_INC" -c "$src" -o "$obj"
	echo "built $obj"
done
# A big-endian build of the same source, for the other byte order.
clang -g -O2 -target bpfeb -I"$ARCH_INC" -c core_basic.bpf.c -o core_basic.bpfeb.o
echo "built core_basic.bpfeb.o"
