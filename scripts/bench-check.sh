#!/usr/bin/env bash
# corex check / corex minimize beside bpftool gen min_core_btf, in one run.
#
#   scripts/bench-check.sh [VARIANTS]     (default 120 writer-made kernels)
#
# Kernels: Debian's 6.1 and 6.12 (scripts/fetch-kernels.sh), the running
# kernel, VARIANTS copies of them edited with corex's BTF writer
# (crates/cli/examples/btf_variants.rs: members renamed away, task_struct's
# members moved, older UAPI enums) and one 45 MB BTF whose types are not
# deduplicated (18 copies of Debian 6.1's, as BTFHub's RHEL 8.1 files),
# all raw BTF files in one directory.
#
# 1. One object checked against every kernel: `corex check` (parallel over
#    kernels) against a shell loop of `bpftool gen min_core_btf` over the
#    same files (the cheapest bpftool command that resolves every CO-RE
#    relocation of an object against a kernel).
# 2. Minimize one object, and 60 objects, against one kernel: corex and
#    bpftool, time and output size (the outputs must be identical).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
kernels=${COREX_KERNELS:-$repo/.cache/kernels}
variants=${1:-120}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[[ -r $kernels/debian-6.1/vmlinux.btf ]] || scripts/fetch-kernels.sh
cargo build -q --release --bin corex --example btf_variants
corex=$repo/target/release/corex

mkdir -p "$work/kernels"
cp "$kernels/debian-6.1/vmlinux.btf" "$work/kernels/debian-6.1.btf"
cp "$kernels/debian-6.12/vmlinux.btf" "$work/kernels/debian-6.12.btf"
cp /sys/kernel/btf/vmlinux "$work/kernels/running.btf"
target/release/examples/btf_variants "$work/kernels" "$variants" \
    "$kernels/debian-6.1/vmlinux.btf" "$kernels/debian-6.12/vmlinux.btf" /sys/kernel/btf/vmlinux
n=$(ls "$work/kernels" | wc -l)
size=$(du -sm "$work/kernels" | cut -f1)
obj=bpf/core-tests/task.bpf.o

# best of 3 wall times, in seconds, of "$@"
best() {
    local b=
    for _ in 1 2 3; do
        local s e
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || true
        e=$(date +%s.%N)
        b=$(echo "$s $e ${b:-999999}" | awk '{t=$2-$1; print (t<$3)?t:$3}')
    done
    echo "$b"
}
bpftool_loop() {
    for f in "$work"/kernels/*.btf; do bpftool gen min_core_btf "$f" "$work/min.btf" "$@"; done
}
cat /proc/cpuinfo >/dev/null
echo "kernels: $n raw BTF files, $size MB; object: $obj ($(nproc) cores)"
c=$(best "$corex" check "$obj" --btf-dir "$work/kernels" --format json)
b=$(best bpftool_loop "$obj")
printf '| one object, %d kernels | corex check %.2f s | bpftool gen min_core_btf loop %.2f s | ratio %.2fx |\n' \
    "$n" "$c" "$b" "$(echo "$c $b" | awk '{print $1/$2}')"

objs=()
pool=(bpf/core-tests/{task,syscalls,fields,types_enums,names}.bpf.o bpf/core-tests/gcc/{task,fields}.bpf.o
    bpf/check-tests/{guards,attach,arch,ctx,newer}.bpf.o bpf/core-tests/bench/reloc_bench.bpf.o)
while ((${#objs[@]} < 60)); do objs+=("${pool[@]}"); done
objs=("${objs[@]:0:60}")
k=$kernels/debian-6.12/vmlinux.btf
for set in one sixty; do
    if [[ $set == one ]]; then list=("$obj"); else list=("${objs[@]}"); fi
    c=$(best "$corex" minimize "${list[@]}" --btf "$k" -o "$work/c.btf")
    b=$(best bpftool gen min_core_btf "$k" "$work/b.btf" "${list[@]}")
    cmp -s "$work/c.btf" "$work/b.btf" && same=identical || same=DIFFERENT
    printf '| minimize %d object(s), Debian 6.12 | corex %.3f s, %d bytes | bpftool %.3f s, %d bytes | outputs %s |\n' \
        "${#list[@]}" "$c" "$(stat -c %s "$work/c.btf")" "$b" "$(stat -c %s "$work/b.btf")" "$same"
done
