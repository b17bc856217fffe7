#!/usr/bin/env bash
# Rebuilds the GCC part of the CO-RE test corpus with Debian 12's GCC 12 BPF
# backend (`apt-get install gcc-bpf`); the objects are committed, so tests
# need no gcc-bpf. Run this only after changing a source.
#
# -gbtf -mco-re: BTF and CO-RE records (.BTF.ext). No -Werror: GCC warns that
# the kernel_helper declarations are "used but never defined". -idirafter /usr/include
# finds libbpf's <bpf/bpf_core_read.h> without the host's other headers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
GCC=${GCC:-bpf-gcc}
CFLAGS=(-O2 -gbtf -mco-re -Wall -Wno-unknown-pragmas -Wno-unused-function
	-idirafter /usr/include)

for src in *.bpf.c; do
    echo "$GCC ${CFLAGS[*]} -c $src -o ${src%.c}.o" >&2
    "$GCC" "${CFLAGS[@]}" -c "$src" -o "${src%.c}.o"
done
# The same source with 32-bit ALU instructions.
echo "$GCC ${CFLAGS[*]} -malu32 -c fields.bpf.c -o fields_alu32.bpf.o" >&2
"$GCC" "${CFLAGS[@]}" -malu32 -c fields.bpf.c -o fields_alu32.bpf.o
# Big-endian: libbpf 1.1 will not open it on a little-endian host; the test
# compares corex on it with corex on the little-endian build.
echo "$GCC ${CFLAGS[*]} -mbig-endian -c fields.bpf.c -o fields_be.bpf.o" >&2
"$GCC" "${CFLAGS[@]}" -mbig-endian -c fields.bpf.c -o fields_be.bpf.o
