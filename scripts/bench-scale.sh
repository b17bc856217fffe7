#!/usr/bin/env bash
# Scaling benchmark, corex beside libbpf 1.1, on generated objects of 1,000,
# 10,000 and 50,000 programs (each loads a map, calls a .text function and
# reads a CO-RE relocated task_struct field: crates/object/examples/gen_object.rs),
# and peak memory on 2,000 functions overlapping one 100,000-instruction .text.
# Prints Markdown tables for the README on stdout; progress goes to stderr.
#
#   scripts/bench-scale.sh [BTF]      RUNS=9 SIZES="1000 10000 50000" to change them
#
# What is timed, in-process, mean / median / best of RUNS runs:
#   open   corex: crates/object/examples/open_time.rs (read + Object::parse,
#          what `corex inspect` parses before printing); libbpf:
#          crates/cli/tests/libbpf/reloc_time.c --open (bpf_object__open_file).
#   CO-RE  corex: crates/object/examples/reloc_time.rs (Target::for_object +
#          relocate_core, object and target already parsed); libbpf:
#          reloc_time.c, bpf_object__load's CO-RE phase from its first to its
#          last relocation message (see that file).
# Also the whole `corex inspect OBJ` and `corex reloc OBJ --btf BTF` commands,
# output to /dev/null (best of 3 wall times), for what a user waits.
set -euo pipefail

btf=${1:-/sys/kernel/btf/vmlinux}
runs=${RUNS:-9}
sizes=${SIZES:-"1000 10000 50000"}

# shellcheck source=scripts/lib/bench-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bench-common.sh"
[[ -r $btf ]] || die "cannot read $btf"
bench_setup bench-scale
log "building corex and its timers (release)"
(cd "$repo" && cargo build -q --release -p corex-cli &&
    cargo build -q --release -p corex-object --example gen_object --example open_time \
        --example reloc_time) >&2
ex=$target/release/examples
corex=$target/release/corex

# ratio A B: A / B with one decimal and an x.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
# wall CMD...: best of 3 wall times of CMD (output discarded), in ms.
wall() {
    local best="" t0 t1
    for _ in 1 2 3; do
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1 || true
        t1=$(date +%s%N)
        t1=$(((t1 - t0) / 1000))
        [[ -z $best || $t1 -lt $best ]] && best=$t1
    done
    ms "$best"
}

open_rows=() core_rows=() cmd_rows=()
for n in $sizes; do
    obj=$work/scale-$n.o
    "$ex/gen_object" scale "$n" "$obj"
    log "open: $n programs x $runs"
    cx=$("$ex/open_time" "$obj" "$runs")
    lb=$("$work/reloc_time" --open "$obj" "$runs")
    [[ $(field "$cx" programs) == "$n" && $(field "$lb" programs) == "$n" ]] ||
        die "program counts differ: corex '$cx', libbpf '$lb'"
    open_rows+=("| $n | $(cell "$lb") | $(cell "$cx") | $(awk -v us="$(field "$cx" median_us)" -v n="$n" 'BEGIN { printf "%.2f", us / n }') | $(ratio "$(field "$lb" median_us)" "$(field "$cx" median_us)") |")
    log "CO-RE: $n relocations x $runs"
    cx=$("$ex/reloc_time" "$obj" "$btf" "$runs")
    lb=$("$work/reloc_time" "$obj" "$btf" "$runs")
    [[ $(field "$cx" relocations) == "$n" && $(field "$lb" relocations) == "$n" ]] ||
        die "relocation counts differ: corex '$cx', libbpf '$lb'"
    core_rows+=("| $n | $(cell "$lb") | $(cell "$cx") | $(ms "$(field "$cx" index_mean_us)") | $(awk -v us="$(field "$cx" median_us)" -v n="$n" 'BEGIN { printf "%.2f", us / n }') | $(ratio "$(field "$lb" median_us)" "$(field "$cx" median_us)") |")
    log "commands: $n"
    cmd_rows+=("| $n | $(wall "$corex" inspect "$obj") | $(wall "$corex" reloc "$obj" --btf "$btf") |")
done

overlap=$work/overlap.o
"$ex/gen_object" overlap 2000 100000 "$overlap"
# peak KB of CMD...
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
log "memory: 2,000 functions over one 100,000-instruction .text"
mem_lb=$(peak "$work/reloc_time" --open "$overlap" 1)
mem_inspect=$(peak "$corex" inspect "$overlap")
mem_reloc=$(peak "$corex" reloc "$overlap" --btf "$btf")

echo "Opening (parsing) the object: libbpf's bpf_object__open_file beside corex's read + Object::parse, in-process, $runs runs:"
echo
echo "| programs | libbpf 1.1, ms (mean / median / best) | corex, ms (mean / median / best) | corex µs per program (median) | corex speedup (median) |"
echo "|---:|---:|---:|---:|---:|"
printf '%s\n' "${open_rows[@]}"
echo
echo "CO-RE relocation, one record per program, against $btf: libbpf's CO-RE phase in bpf_object__load beside corex's Target::for_object + relocate_core, in-process, $runs runs:"
echo
echo "| relocations | libbpf 1.1, ms (mean / median / best) | corex, ms (mean / median / best) | of which corex indexes the target, ms | corex µs per relocation (median) | corex speedup (median) |"
echo "|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${core_rows[@]}"
echo
echo "The whole commands, output to /dev/null, best of 3 wall times (ms):"
echo
echo "| programs | corex inspect | corex reloc |"
echo "|---:|---:|---:|"
printf '%s\n' "${cmd_rows[@]}"
echo
echo "Peak RSS, 2,000 function symbols each spanning one 100,000-instruction .text (an 841 KiB object):"
echo
echo "| libbpf 1.1 bpf_object__open_file | corex inspect | corex reloc |"
echo "|---:|---:|---:|"
echo "| $((mem_lb / 1024)) MiB | $((mem_inspect / 1024)) MiB | $((mem_reloc / 1024)) MiB |"
echo
echo "$(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); libbpf $(dpkg-query -W -f '${Version}' libbpf1 2>/dev/null || echo '?')."
