#!/bin/sh
# Rebuilds the BPF objects whose .BTF the C dumper tests compare with
# `bpftool btf dump file F format c`. Needs clang (tested with Debian's 14).
set -eu
cd "$(dirname "$0")"
for src in *.c; do
	clang -g -O2 -target bpf -c "$src" -o "${src%.c}.o"
done
