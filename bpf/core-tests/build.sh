#!/usr/bin/env bash
# Rebuilds the CO-RE test corpus with Debian's clang 14; the objects are
# committed, so run this only after changing a source:
#
#   NAME.bpf.c  -> NAME.bpf.o          programs with CO-RE relocations
#   target_types.c -> target_types.o  the synthetic targets' test types (BTF only)
#   bench/gen_bench.py -> bench/reloc_bench.bpf.c -> bench/reloc_bench.bpf.o
#
# then rewrites the `___tm` TYPE_EXISTS records into TYPE_MATCHES ones
# (set_type_matches.py; clang 14 cannot emit them). The benchmark object is
# compiled against a vmlinux.h that bpftool generates from $VMLINUX_BTF
# (default: Debian 6.12's BTF from scripts/fetch-kernels.sh) into bench/build/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
repo=$(cd ../.. && pwd)
CLANG=${CLANG:-clang}
VMLINUX_BTF=${VMLINUX_BTF:-${COREX_KERNELS:-$repo/.cache/kernels}/debian-6.12/vmlinux.btf}
CFLAGS=(-g -O2 -target bpf -Wall -Werror)

compile() {
    echo "$CLANG ${CFLAGS[*]} $* " >&2
    "$CLANG" "${CFLAGS[@]}" "$@"
}

for src in *.bpf.c; do
    compile -c "$src" -o "${src%.c}.o"
done
compile -c target_types.c -o target_types.o

[[ -r $VMLINUX_BTF ]] || {
    echo "build.sh: no $VMLINUX_BTF (run scripts/fetch-kernels.sh or set VMLINUX_BTF)" >&2
    exit 1
}
mkdir -p bench/build
bpftool btf dump file "$VMLINUX_BTF" format c >bench/build/vmlinux.h
python3 bench/gen_bench.py >bench/reloc_bench.bpf.c
compile -I bench/build -c bench/reloc_bench.bpf.c -o bench/reloc_bench.bpf.o

python3 set_type_matches.py *.bpf.o bench/reloc_bench.bpf.o
