#!/usr/bin/env bash
# Benchmarks CO-RE relocation in-process, corex beside libbpf 1.1, on the
# large generated object (bpf/core-tests/bench/reloc_bench.bpf.o) against a
# target BTF (default: the running kernel's /sys/kernel/btf/vmlinux).
# Prints a Markdown table for the README on stdout; progress goes to stderr.
#
#   scripts/bench-reloc.sh [BTF [OBJ...]]      RUNS=20 to change the count
#
# What is timed, per run (mean, median and best of RUNS runs):
#   libbpf  crates/cli/tests/libbpf/reloc_time.c: bpf_object__load's CO-RE
#           phase, from its first `found N CO-RE relocations` message to its
#           last relocation message (see that file). Reading and parsing the
#           object and the target BTF are outside the window; candidate
#           search, matching, spec formatting and patching are inside.
#   corex   crates/object/examples/reloc_time.rs: indexing the target BTF by
#           the names the object looks up (Target::for_object) and relocating every program of the object with
#           the CO-RE engine, on an object and a target BTF already read and
#           parsed (the same boundary as libbpf's window). The indexing part
#           is also shown on its own.
# If the corex example does not build yet, its column says so.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
btf=${1:-/sys/kernel/btf/vmlinux}
shift || true
objs=("$@")
((${#objs[@]})) || objs=("$repo/bpf/core-tests/bench/reloc_bench.bpf.o")
runs=${RUNS:-20}

log() { echo "bench: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

[[ -r $btf ]] || die "cannot read $btf"
target=${CARGO_TARGET_DIR:-$repo/target}
work=$target/bench-reloc
mkdir -p "$work"

log "building the libbpf timer (crates/cli/tests/libbpf/reloc_time.c)"
${CC:-cc} -O2 -Wall -Wextra -Werror -o "$work/reloc_time" \
    "$repo/crates/cli/tests/libbpf/reloc_time.c" -lbpf -lelf -lz ||
    die "cannot build reloc_time.c (needs libbpf-dev, libelf-dev, zlib1g-dev)"

log "building corex's timer (cargo example reloc_time of corex-object, release)"
corex_timer=$target/release/examples/reloc_time
if ! (cd "$repo" && cargo build -q --release -p corex-object --example reloc_time) >&2; then
    log "corex's reloc_time example does not build: corex column unavailable"
    corex_timer=
fi

# field LINE KEY: the value of KEY=VALUE in LINE.
field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

# ms MICROSECONDS: milliseconds with 2 decimals.
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

echo "| object | target BTF | relocations | libbpf 1.1 CO-RE phase, ms (mean / median / best) | corex, ms (mean / median / best) | of which corex indexes the target, ms (mean) | corex speedup (mean) |"
echo "|---|---|---:|---:|---:|---:|---:|"
for obj in "${objs[@]}"; do
    [[ -r $obj ]] || die "cannot read $obj"
    log "libbpf: ${obj##*/} x $runs"
    lb=$("$work/reloc_time" "$obj" "$btf" "$runs") || die "reloc_time failed on $obj"
    relos=$(field "$lb" relocations)
    lb_mean=$(field "$lb" mean_us)
    lb_cell="$(ms "$lb_mean") / $(ms "$(field "$lb" median_us)") / $(ms "$(field "$lb" min_us)")"
    cx_cell="unavailable"
    index_cell="-"
    speedup="-"
    if [[ -n $corex_timer ]]; then
        log "corex: ${obj##*/} x $runs"
        cx=$("$corex_timer" "$obj" "$btf" "$runs") || die "corex reloc_time failed on $obj"
        [[ $(field "$cx" relocations) == "$relos" ]] ||
            log "warning: corex counted $(field "$cx" relocations) relocations, libbpf $relos"
        cx_mean=$(field "$cx" mean_us)
        cx_cell="$(ms "$cx_mean") / $(ms "$(field "$cx" median_us)") / $(ms "$(field "$cx" min_us)")"
        index_cell=$(ms "$(field "$cx" index_mean_us)")
        speedup=$(awk -v a="$lb_mean" -v b="$cx_mean" 'BEGIN { printf "%.1fx", a / b }')
    fi
    echo "| ${obj#"$repo"/} | $btf | $relos | $lb_cell | $cx_cell | $index_cell | $speedup |"
done
echo
echo "In-process, $runs runs each, $(nproc) CPUs, $(uname -r); libbpf $(dpkg-query -W -f '${Version}' libbpf1 2>/dev/null || echo '?')."
echo "Reading and parsing the object and the target BTF are excluded on both sides."
