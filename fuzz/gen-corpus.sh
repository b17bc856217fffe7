#!/bin/sh
# Regenerates the seed corpus under fuzz/corpus/<target>/ from seeds/prog.bpf.c
# (clang, llvm-objcopy) and src/seeds.rs (corex-btf's writer). Inputs the
# fuzzer found are kept: only the seed files named here are overwritten.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo run -q --bin gen_corpus -- "$tmp"
inc=/usr/include/$(gcc -print-multiarch)
for target in bpfel bpfeb; do
	clang -g -O2 -target "$target" -I"$inc" -c seeds/prog.bpf.c -o "$tmp/full.o"
	llvm-objcopy --strip-debug "$tmp/full.o" "$tmp/prog-$target.o"
	llvm-objcopy --dump-section .BTF="$tmp/prog-$target.btf" \
		--dump-section .BTF.ext="$tmp/prog-$target.btf.ext" "$tmp/prog-$target.o"
done
xz -9 -k -c "$tmp/prog-bpfel.btf" >"$tmp/prog.btf.xz"
# Two xz streams with stream padding between them: one valid .xz file.
head -c 1000 "$tmp/prog-bpfel.btf" | xz -9 -c >"$tmp/prog-two-streams.btf.xz"
printf '\0\0\0\0' >>"$tmp/prog-two-streams.btf.xz"
tail -c +1001 "$tmp/prog-bpfel.btf" | xz -9 -c >>"$tmp/prog-two-streams.btf.xz"
tar -C "$tmp" -b 1 --owner=0 --group=0 --mtime=@0 -cf "$tmp/all-kinds.tar" all-kinds.btf
xz -9 -k -c "$tmp/all-kinds.tar" >"$tmp/all-kinds.tar.xz"

mkdir -p corpus/btf_parse corpus/btf_load corpus/btf_ext corpus/object_gen corpus/core_gen
for f in all-kinds.btf all-kinds-be.btf cycles.btf split-on-all-kinds.btf \
	prog-bpfel.btf prog-bpfeb.btf; do
	cp "$tmp/$f" corpus/btf_parse/
done
for f in all-kinds.btf cycles.btf prog-bpfel.o prog-bpfeb.o prog.btf.xz \
	prog-two-streams.btf.xz all-kinds.tar all-kinds.tar.xz; do
	cp "$tmp/$f" corpus/btf_load/
done
cp "$tmp/prog-bpfel.btf.ext" "$tmp/prog-bpfeb.btf.ext" corpus/btf_ext/
for target in object_gen core_gen; do
	for f in "$tmp/$target"-seed-*; do
		cp "$f" "corpus/$target/${f##*/$target-}"
	done
done
