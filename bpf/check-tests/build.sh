#!/usr/bin/env bash
# Rebuilds the `corex check` / `corex minimize` test objects with Debian's
# clang 14; the objects are committed, so run this only after changing a
# source. The programs include a vmlinux.h that bpftool generates from
# $VMLINUX_BTF (default: Debian 6.1's BTF from scripts/fetch-kernels.sh) into
# build/ (not committed). Objects are built for x86 (`__TARGET_ARCH_x86`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
repo=$(cd ../.. && pwd)
CLANG=${CLANG:-clang}
VMLINUX_BTF=${VMLINUX_BTF:-${COREX_KERNELS:-$repo/.cache/kernels}/debian-6.1/vmlinux.btf}
[[ -r $VMLINUX_BTF ]] || {
    echo "build.sh: no $VMLINUX_BTF (run scripts/fetch-kernels.sh or set VMLINUX_BTF)" >&2
    exit 1
}
mkdir -p build
bpftool btf dump file "$VMLINUX_BTF" format c >build/vmlinux.h
for src in *.bpf.c; do
    echo "$CLANG -g -O2 -target bpf -D__TARGET_ARCH_x86 -I build -c $src" >&2
    "$CLANG" -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I build -c "$src" -o "${src%.c}.o"
done
