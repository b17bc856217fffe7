#!/usr/bin/env bash
# Minimizes every kernel BTF at hand for execsnoop's two objects (every program
# of both, so every attach mode and buffer) with `corex minimize`, one small raw
# BTF per kernel release and architecture: ARCH/RELEASE.btf (ARCH as BTFHub
# names it: x86_64, arm64). crates/execsnoop embeds every file of this tree
# (its build.rs indexes them), so `corex execsnoop` runs on these kernels when
# they have no BTF of their own.
#
#   bpf/execsnoop/btf/rebuild.sh              rewrite this directory's files
#   bpf/execsnoop/btf/rebuild.sh --out DIR    write DIR/ARCH/RELEASE.btf instead
#   bpf/execsnoop/btf/rebuild.sh --running    also the running kernel's BTF
#                                             (/sys/kernel/btf/vmlinux, uname -r)
#
# Kernels, each directory with vmlinux.btf and the package it came from:
#   ${COREX_KERNELS:-<repo>/.cache/kernels}/*/  scripts/fetch-kernels.sh (version.txt)
#   ${COREX_XTASK_KERNELS:-<repo>/target/kernels}/*/  xtask's cache (package.txt)
# The release is the package's name without linux-image- and -unsigned
# (linux-image-6.1.0-57-cloud-amd64-unsigned: 6.1.0-57-cloud-amd64, what
# `uname -r` says on it), the architecture its last word (amd64: x86_64).
#
# A file whose kernel is not at hand is left as it is (another machine made
# it); nothing is deleted. crates/cli/tests/execsnoop_btf_fresh.rs reruns this
# into a temporary directory and compares every file it could remake.
#
# Environment: COREX, the corex binary (default: cargo build --release, then
# target/release/corex).
set -euo pipefail

btf_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$btf_dir/../../.." && pwd)
objects=("$repo/bpf/execsnoop/execsnoop.bpf.o" "$repo/bpf/execsnoop/execsnoop_perf.bpf.o")
out=$btf_dir
running=

die() {
    echo "rebuild.sh: error: $*" >&2
    exit 1
}

while (($#)); do
    case $1 in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --running) running=1; shift ;;
    *) die "unknown argument $1 (--out DIR, --running)" ;;
    esac
done

if [[ -z ${COREX:-} ]]; then
    (cd "$repo" && cargo build --release -q -p corex-cli) || die "cargo build failed"
    COREX=$repo/target/release/corex
fi

# arch_of WORD: BTFHub's architecture name for a Debian architecture or a
# `uname -m` machine.
arch_of() {
    case $1 in
    amd64 | x86_64) echo x86_64 ;;
    arm64 | aarch64) echo arm64 ;;
    *) die "unknown architecture $1" ;;
    esac
}

# minimize BTF RELEASE ARCH: writes $out/ARCH/RELEASE.btf. The same release
# met twice (both caches hold Debian's 6.1) must give the same bytes.
declare -A made
minimize() {
    local btf=$1 release=$2 arch=$3
    local dst=$out/$arch/$release.btf
    mkdir -p "$out/$arch"
    local tmp
    tmp=$(mktemp "$out/$arch/.new.XXXXXX")
    "$COREX" minimize "${objects[@]}" --btf "$btf" -o "$tmp" >/dev/null ||
        { rm -f "$tmp"; die "corex minimize failed for $btf"; }
    if [[ -n ${made[$dst]:-} ]]; then
        cmp -s "$tmp" "$dst" || { rm -f "$tmp"; die "$btf and ${made[$dst]} are both $release on $arch but differ"; }
        rm -f "$tmp"
        return
    fi
    chmod 644 "$tmp"
    mv "$tmp" "$dst"
    made[$dst]=$btf
    echo "$arch/$release.btf: $(stat -c %s "$dst") bytes, from $btf"
}

# from_cache DIR MARKER: every DIR/*/ with vmlinux.btf and a MARKER file whose
# first word is the package name.
from_cache() {
    local dir=$1 marker=$2 kernel package release
    for kernel in "$dir"/*; do
        [[ -s $kernel/vmlinux.btf && -s $kernel/$marker ]] || continue
        package=$(awk '{print $1; exit}' "$kernel/$marker")
        release=${package#linux-image-}
        release=${release%-unsigned}
        [[ $release != "$package" ]] || die "$kernel/$marker: $package is not a linux-image- package"
        minimize "$kernel/vmlinux.btf" "$release" "$(arch_of "${release##*-}")"
    done
}

from_cache "${COREX_KERNELS:-$repo/.cache/kernels}" version.txt
from_cache "${COREX_XTASK_KERNELS:-$repo/target/kernels}" package.txt
if [[ -n $running ]]; then
    [[ -r /sys/kernel/btf/vmlinux ]] || die "--running: this kernel has no /sys/kernel/btf/vmlinux"
    minimize /sys/kernel/btf/vmlinux "$(uname -r)" "$(arch_of "$(uname -m)")"
fi
((${#made[@]})) || die "no kernel BTF found (run scripts/fetch-kernels.sh, or give --running)"
