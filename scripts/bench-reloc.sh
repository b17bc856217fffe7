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

# shellcheck source=scripts/lib/bench-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bench-common.sh"
btf=${1:-/sys/kernel/btf/vmlinux}
shift || true
objs=("$@")
runs=${RUNS:-20}
[[ -r $btf ]] || die "cannot read $btf"
bench_setup bench-reloc
((${#objs[@]})) || objs=("$repo/bpf/core-tests/bench/reloc_bench.bpf.o")

log "building corex's timer (cargo example reloc_time of corex-object, release)"
corex_timer=$target/release/examples/reloc_time
if ! (cd "$repo" && cargo build -q --release -p corex-object --example reloc_time) >&2; then
    log "corex's reloc_time example does not build: corex column unavailable"
    corex_timer=
fi

echo "| object | target BTF | relocations | libbpf 1.1 CO-RE phase, ms (mean / median / best) | corex, ms (mean / median / best) | of which corex indexes the target, ms (mean) | corex speedup (mean) |"
echo "|---|---|---:|---:|---:|---:|---:|"
for obj in "${objs[@]}"; do
    [[ -r $obj ]] || die "cannot read $obj"
    log "libbpf: ${obj##*/} x $runs"
    lb=$("$work/reloc_time" "$obj" "$btf" "$runs") || die "reloc_time failed on $obj"
    relos=$(field "$lb" relocations)
    lb_mean=$(field "$lb" mean_us)
    lb_cell=$(cell "$lb")
    cx_cell="unavailable"
    index_cell="-"
    speedup="-"
    if [[ -n $corex_timer ]]; then
        log "corex: ${obj##*/} x $runs"
        cx=$("$corex_timer" "$obj" "$btf" "$runs") || die "corex reloc_time failed on $obj"
        [[ $(field "$cx" relocations) == "$relos" ]] ||
            log "warning: corex counted $(field "$cx" relocations) relocations, libbpf $relos"
        cx_mean=$(field "$cx" mean_us)
        cx_cell=$(cell "$cx")
        index_cell=$(ms "$(field "$cx" index_mean_us)")
        speedup=$(awk -v a="$lb_mean" -v b="$cx_mean" 'BEGIN { printf "%.1fx", a / b }')
    fi
    echo "| ${obj#"$repo"/} | $btf | $relos | $lb_cell | $cx_cell | $index_cell | $speedup |"
done
echo
echo "In-process, $runs runs each, $(nproc) CPUs, $(uname -r); libbpf $(dpkg-query -W -f '${Version}' libbpf1 2>/dev/null || echo '?')."
echo "Reading and parsing the object and the target BTF are excluded on both sides."
