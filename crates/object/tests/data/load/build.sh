#!/bin/sh
# Rebuilds the load plan's test objects from their C sources (Debian's
# clang 14 and libbpf-dev's headers); the objects are committed, so run it
# only after changing a source. btf_kinds_enum64.bpf.o is btf_kinds.bpf.o
# with an ENUM64 and a signed ENUM added to its .BTF (add_btf_kinds.py),
# which clang 14 cannot emit.
set -eu
cd "$(dirname "$0")"
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
for src in *.bpf.c; do
	[ "$src" = bad.bpf.c ] && continue
	obj="${src%.c}.o"
	clang -g -O2 -target bpf -I"$ARCH_INC" -c "$src" -o "$obj"
	echo "built $obj"
done
python3 add_btf_kinds.py btf_kinds.bpf.o btf_kinds_enum64.bpf.o
echo "built btf_kinds_enum64.bpf.o"
# bad.bpf.c: one mistake per case, bad_N.bpf.o (not built by the loop above:
# it needs CASE)
for n in $(seq 1 14); do
	clang -g -O2 -target bpf -I"$ARCH_INC" -DCASE="$n" -c bad.bpf.c -o "bad_$n.bpf.o"
done
echo "built bad_1.bpf.o .. bad_14.bpf.o"
