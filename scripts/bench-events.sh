#!/usr/bin/env bash
# Benchmarks the event readers, corex beside libbpf 1.1, on the same program
# and load: bpf/loader-tests/buffers.bpf.o's producers (BPF_PROG_TEST_RUN,
# 1024 numbered records of 16 to 136 bytes a run) read by corex's
# RingBuffer / PerfBuffer (crates/corex/examples/events_bench.rs) and by
# libbpf's ring_buffer__poll / perf_buffer__poll
# (crates/corex/bench/events_libbpf.c). Prints a Markdown table for the
# README on stdout; progress goes to stderr. Needs root.
#
#   scripts/bench-events.sh            REPEAT=5 runs of each, alternating
#
# Modes (each tool runs the same producer the same number of times):
#   live   the reader reads while the producer runs, as in real use; the
#          clock runs from the first run until every record not dropped has
#          arrived. The ring buffer is the object's 256 KiB, so records are
#          dropped when the reader falls behind: delivered/s is the figure.
#   drain  the producer fills a buffer large enough for everything first,
#          then the clock runs while the reader drains it: the reader's own
#          speed.
# CPU: the reader thread's, from /proc/thread-self/schedstat (user and
# system) and /proc/thread-self/stat (user ticks, summed over all runs);
# sleeps: the times the reader thread slept (its voluntary context
# switches), each one wake-up.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repeat=${REPEAT:-5}
obj=$repo/bpf/loader-tests/buffers.bpf.o
log() { echo "bench: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

target=${CARGO_TARGET_DIR:-$repo/target}
work=$target/bench-events
mkdir -p "$work"
log "building the libbpf reader (crates/corex/bench/events_libbpf.c)"
${CC:-cc} -O2 -Wall -Wextra -Werror -o "$work/events_libbpf" \
    "$repo/crates/corex/bench/events_libbpf.c" -lbpf -lelf -lz -lpthread ||
    die "cannot build events_libbpf.c (needs libbpf-dev, libelf-dev, zlib1g-dev)"
log "building corex's reader (cargo example events_bench of corex, release)"
(cd "$repo" && cargo build -q --release -p corex --example events_bench) >&2 ||
    die "cannot build the events_bench example"
corex=$target/release/examples/events_bench
libbpf=$work/events_libbpf

# field LINE KEY: the value of KEY=VALUE in LINE.
field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

# median: the median of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# CONFIG: kind mode runs size
configs=(
    "ring live 2000 262144"
    "ring drain 2000 268435456"
    "perf live 300 64"
    "perf drain 600 32768"
)
uname_r=$(uname -r)
echo "Linux $uname_r, $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg) at the start; median of $repeat runs each, corex and libbpf alternating."
echo
echo "| buffer, mode | records a run | corex: delivered/s | libbpf: delivered/s | corex: dropped | libbpf: dropped | corex: reader CPU ms per 1M records | libbpf: reader CPU ms per 1M | corex: user CPU ms per 1M | libbpf: user CPU ms per 1M | corex: reader sleeps a run | libbpf: reader sleeps a run |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for config in "${configs[@]}"; do
    read -r kind mode runs size <<<"$config"
    for tool in corex libbpf; do
        : >"$work/$tool.$kind.$mode"
    done
    for ((i = 1; i <= repeat; i++)); do
        for tool in corex libbpf; do
            log "$kind $mode: $tool run $i of $repeat"
            line=$(nice "${!tool}" "$obj" "$kind" "$mode" "$runs" 1024 "$size") ||
                die "$tool failed on $kind $mode"
            echo "$line" >>"$work/$tool.$kind.$mode"
        done
    done
    row="| $kind, $mode | $((runs * 1024))"
    rates=() drops=() cpus=() users=() sleeps=()
    for tool in corex libbpf; do
        f=$work/$tool.$kind.$mode
        rates+=("$(while read -r l; do awk -v d="$(field "$l" delivered)" -v w="$(field "$l" wall_ns)" 'BEGIN { printf "%.0f\n", d / w * 1e9 }'; done <"$f" | median)")
        drops+=("$(while read -r l; do awk -v l="$(field "$l" lost)" -v p="$(field "$l" produced)" 'BEGIN { printf "%.1f\n", 100 * l / p }'; done <"$f" | median)")
        cpus+=("$(while read -r l; do awk -v c="$(field "$l" reader_cpu_ns)" -v d="$(field "$l" delivered)" 'BEGIN { printf "%.2f\n", c / d * 1e6 / 1e6 }'; done <"$f" | median)")
        sleeps+=("$(while read -r l; do field "$l" reader_sleeps; done <"$f" | median)")
        # User ticks are 10 ms: summed over the runs, per million records.
        users+=("$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } t += v["reader_user_ticks"]; d += v["delivered"] } END { printf "%.2f", t * 10 / d * 1e6 }' "$f")")
    done
    fmt_rate() { awk -v r="$1" 'BEGIN { printf "%.3f M", r / 1e6 }'; }
    echo "$row | $(fmt_rate "${rates[0]}") | $(fmt_rate "${rates[1]}") | ${drops[0]}% | ${drops[1]}% | ${cpus[0]} | ${cpus[1]} | ${users[0]} | ${users[1]} | ${sleeps[0]} | ${sleeps[1]} |"
done
