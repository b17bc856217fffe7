#!/usr/bin/env bash
# Rebuilds the BPF objects of bpf/lab, bpf/execsnoop, bpf/loader-tests and bpf/broken from
# their C sources with Debian's clang 14, deterministically: the same sources,
# header and clang give the same bytes wherever the repository lives. The
# objects are committed (building corex needs only cargo);
# crates/testkit/tests/bpf_objects_fresh.rs rebuilds them into a temporary
# directory and fails when a committed object differs.
#
#   bpf/build.sh              rebuild in place
#   bpf/build.sh --out DIR    write DIR/lab/lab.bpf.o, DIR/execsnoop/..., leave the tree alone
#   bpf/build.sh --list       print the objects this script builds, one path a line
#
# Environment: CLANG (default clang), LLVM_STRIP (default llvm-strip),
# BPF_ARCH (bpf_tracing.h's __TARGET_ARCH_*; default: the host's, from uname -m).
# The committed objects are built for x86 (BPF_ARCH=x86): bpf/include/vmlinux.h
# comes from an x86_64 kernel. bpf/core-tests and bpf/btf-tests keep their own
# build.sh.
#
# Determinism: each source is compiled from its own directory under a relative
# name with -fdebug-compilation-dir=. (BTF line info names files, clang would
# otherwise prefix the absolute working directory), then DWARF is stripped
# (`llvm-strip -g`; .BTF and .BTF.ext stay, which is all a loader reads).
set -euo pipefail
bpf_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLANG=${CLANG:-clang}
LLVM_STRIP=${LLVM_STRIP:-llvm-strip}

# arch_of MACHINE: bpf_tracing.h's architecture name for a `uname -m` machine.
arch_of() {
    case $1 in
    x86_64 | i?86) echo x86 ;;
    aarch64 | arm64) echo arm64 ;;
    arm*) echo arm ;;
    s390x) echo s390 ;;
    ppc64le | ppc64) echo powerpc ;;
    riscv64) echo riscv ;;
    mips*) echo mips ;;
    *) echo "build.sh: unknown machine $1; set BPF_ARCH" >&2; exit 1 ;;
    esac
}
BPF_ARCH=${BPF_ARCH:-$(arch_of "$(uname -m)")}
# The BPF target's byte order follows the kernel's.
case $BPF_ARCH in
s390) target=bpfeb ;;
powerpc) [[ $(uname -m) == ppc64 ]] && target=bpfeb || target=bpfel ;;
*) target=bpfel ;;
esac

# OBJECTS: "DIR SOURCE OBJECT EXTRA_CFLAGS..." one object a line.
OBJECTS=(
    "lab lab.bpf.c lab.bpf.o"
    "execsnoop execsnoop.bpf.c execsnoop.bpf.o -DEXECSNOOP_RINGBUF=1"
    "execsnoop execsnoop.bpf.c execsnoop_perf.bpf.o -DEXECSNOOP_RINGBUF=0"
    "broken hardcoded_pid.bpf.c hardcoded_pid.bpf.o"
)
for src in "$bpf_dir"/loader-tests/*.bpf.c; do
    [[ -e $src ]] || continue
    name=$(basename "$src" .c)
    OBJECTS+=("loader-tests $name.c $name.o")
done

out=
case ${1:-} in
--out)
    out=$(mkdir -p "${2:?--out needs a directory}" && cd "$2" && pwd)
    ;;
--list)
    for spec in "${OBJECTS[@]}"; do
        read -r dir _ obj _ <<<"$spec"
        echo "$dir/$obj"
    done
    exit 0
    ;;
"") ;;
*)
    echo "usage: build.sh [--out DIR | --list]" >&2
    exit 2
    ;;
esac

CFLAGS=(-g -O2 -target "$target" "-D__TARGET_ARCH_$BPF_ARCH" -I ../include
    -Wall -Werror -fdebug-compilation-dir=.)

# build DIR SRC OBJ [EXTRA_CFLAGS...]: one object, into the tree or under --out.
build() {
    local dir=$1 src=$2 obj=$3 dest_dir=$bpf_dir/$1
    shift 3
    [[ -n $out ]] && dest_dir=$out/$dir && mkdir -p "$dest_dir"
    echo "(cd $dir && $CLANG ${CFLAGS[*]} $* -c $src -o $obj && $LLVM_STRIP -g $obj)" >&2
    (cd "$bpf_dir/$dir" && "$CLANG" "${CFLAGS[@]}" "$@" -c "$src" -o "$dest_dir/$obj") &&
        "$LLVM_STRIP" -g "$dest_dir/$obj"
}

# Objects are independent: build them JOBS at a time (default: the CPUs).
jobs=${JOBS:-$(nproc)}
pids=()
failed=0
for spec in "${OBJECTS[@]}"; do
    # shellcheck disable=SC2086 # the spec's words are the arguments
    build $spec &
    pids+=($!)
    if ((${#pids[@]} >= jobs)); then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
done
((failed == 0)) || { echo "build.sh: an object failed to build (see above)" >&2; exit 1; }
