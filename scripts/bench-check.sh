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

# "WALL CPU": the best of 3 wall times and the best of 3 CPU times (user +
# system, children included), in seconds, of "$@". CPU time is the work
# done: on a machine others share, the wall time also counts the waits.
best() {
    local w= c=
    for _ in 1 2 3; do
        local r
        r=$({ TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>&1 | tail -1) || true
        w=$(echo "$r ${w:-999999}" | awk '{print ($1<$4)?$1:$4}')
        c=$(echo "$r ${c:-999999}" | awk '{t=$2+$3; print (t<$4)?t:$4}')
    done
    echo "$w $c"
}
bpftool_loop() {
    for f in "$work"/kernels/*.btf; do bpftool gen min_core_btf "$f" "$work/min.btf" "$@"; done
}
cat /proc/cpuinfo >/dev/null
echo "kernels: $n raw BTF files, $size MB; object: $obj ($(nproc) cores)"
read -r cw cc < <(best "$corex" check "$obj" --btf-dir "$work/kernels" --format json)
read -r bw bc < <(best bpftool_loop "$obj")
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1/$2}'; }
printf '| one object, %d kernels | corex check %.2f s (CPU %.2f s) | bpftool gen min_core_btf loop %.2f s (CPU %.2f s) | ratio %sx wall, %sx CPU |\n' \
    "$n" "$cw" "$cc" "$bw" "$bc" "$(ratio "$cw" "$bw")" "$(ratio "$cc" "$bc")"

objs=()
pool=(bpf/core-tests/{task,syscalls,fields,types_enums,names}.bpf.o bpf/core-tests/gcc/{task,fields}.bpf.o
    bpf/check-tests/{guards,attach,arch,ctx,newer}.bpf.o bpf/core-tests/bench/reloc_bench.bpf.o)
while ((${#objs[@]} < 60)); do objs+=("${pool[@]}"); done
objs=("${objs[@]:0:60}")
k=$kernels/debian-6.12/vmlinux.btf
for set in one sixty; do
    if [[ $set == one ]]; then list=("$obj"); else list=("${objs[@]}"); fi
    read -r c _ < <(best "$corex" minimize "${list[@]}" --btf "$k" -o "$work/c.btf")
    read -r b _ < <(best bpftool gen min_core_btf "$k" "$work/b.btf" "${list[@]}")
    cmp -s "$work/c.btf" "$work/b.btf" && same=identical || same=DIFFERENT
    printf '| minimize %d object(s), Debian 6.12 | corex %.3f s, %d bytes | bpftool %.3f s, %d bytes | outputs %s |\n' \
        "${#list[@]}" "$c" "$(stat -c %s "$work/c.btf")" "$b" "$(stat -c %s "$work/b.btf")" "$same"
done
