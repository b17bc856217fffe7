#!/usr/bin/env bash
# Benchmarks `corex btf dump` beside `bpftool btf dump file` on one BTF file
# (default: the running kernel's /sys/kernel/btf/vmlinux), raw and C formats:
# wall time (hyperfine when available, else a loop of /usr/bin/time) and peak
# RSS (/usr/bin/time), plus corex's parse-only and name-index times (examples/parse_time.rs).
# Prints a Markdown table for the README on stdout; progress goes to stderr.
#
#   scripts/bench-btf-dump.sh [FILE]      RUNS=20 WARMUP=3 to change the counts
#
# A format corex does not implement yet (its dump fails) is reported as
# unavailable rather than failing the benchmark.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
file=${1:-/sys/kernel/btf/vmlinux}
runs=${RUNS:-20}
warmup=${WARMUP:-3}

log() { echo "bench: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

[[ -r $file ]] || die "cannot read $file"
command -v bpftool >/dev/null || die "bpftool not found (apt-get install bpftool)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
if ! command -v hyperfine >/dev/null && [[ $(id -u) == 0 ]]; then
    log "installing hyperfine"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >&2 ||
        log "hyperfine not installable; timing with a loop of /usr/bin/time"
fi

log "building corex and examples/parse_time (release)"
(cd "$repo" && cargo build -q --release -p corex-cli && cargo build -q --release -p corex-btf --example parse_time) >&2
target=${CARGO_TARGET_DIR:-$repo/target}
corex=$target/release/corex
parse_time=$target/release/examples/parse_time

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The commands, by tool.format. They are split on spaces when run (as
# hyperfine -N does), so paths with spaces are not supported.
declare -A cmd=(
    [corex.raw]="$corex btf dump $file --format raw"
    [bpftool.raw]="bpftool btf dump file $file"
    [corex.c]="$corex btf dump $file --format c"
    [bpftool.c]="bpftool btf dump file $file format c"
)

# available CMD: whether CMD succeeds and prints something.
available() {
    local bytes
    # shellcheck disable=SC2086 # the command's words
    bytes=$($1 2>/dev/null | wc -c) || return 1
    ((bytes > 0))
}

# wall CMD: "MEAN SD", in milliseconds, over $runs runs.
wall() {
    if command -v hyperfine >/dev/null; then
        hyperfine -N --style none --warmup "$warmup" --runs "$runs" --output null \
            --export-csv "$tmp/h.csv" "$1" >/dev/null 2>&1 || die "hyperfine failed on: $1"
        # command,mean,stddev,median,user,system,min,max (seconds)
        awk -F, 'NR == 2 { printf "%.1f %.1f", $2 * 1000, $3 * 1000 }' "$tmp/h.csv"
    else
        local i
        for ((i = 0; i < warmup; i++)); do $1 >/dev/null; done
        : >"$tmp/t"
        for ((i = 0; i < runs; i++)); do
            # shellcheck disable=SC2086 # the command's words
            /usr/bin/time -a -o "$tmp/t" -f "%e" $1 >/dev/null
        done
        awk '{ s += $1; q += $1 * $1; n++ }
             END { m = s / n; v = q / n - m * m; if (v < 0) v = 0;
                   printf "%.1f %.1f", m * 1000, sqrt(v) * 1000 }' "$tmp/t"
    fi
}

# peak_rss CMD: the largest maximum resident set size of 3 runs, in MiB.
peak_rss() {
    local i
    : >"$tmp/m"
    for ((i = 0; i < 3; i++)); do
        # shellcheck disable=SC2086 # the command's words
        /usr/bin/time -a -o "$tmp/m" -f "%M" $1 >/dev/null
    done
    sort -n "$tmp/m" | tail -n 1 | awk '{ printf "%.1f", $1 / 1024 }'
}

# Figures by measure.tool.format: "MEAN SD" (wall), MiB (rss) or unavailable.
declare -A fig
for fmt in raw c; do
    for tool in corex bpftool; do
        c=${cmd[$tool.$fmt]}
        if available "$c"; then
            log "$tool $fmt: timing $runs runs: $c"
            fig[wall.$tool.$fmt]=$(wall "$c")
            fig[rss.$tool.$fmt]=$(peak_rss "$c")
        else
            log "$tool $fmt: unavailable ($c fails)"
            fig[wall.$tool.$fmt]=unavailable
            fig[rss.$tool.$fmt]=unavailable
        fi
    done
done

log "corex parse only: $runs parses"
parse_line=$("$parse_time" "$file" "$runs") || die "parse_time failed"
parse_mean=$(sed -n '1s/.*mean \([0-9.]*\) ms.*/\1/p' <<<"$parse_line")
types=$(sed -n '1s/.* \([0-9]*\) types,.*/\1/p' <<<"$parse_line")
index_mean=$(sed -n '2s/.*mean \([0-9.]*\) ms.*/\1/p' <<<"$parse_line")

# Table cells: a figure with its unit, and corex's mean over bpftool's.
cell() {
    case $1 in
    unavailable) echo unavailable ;;
    *\ *) awk '{ printf "%.1f ± %.1f ms", $1, $2 }' <<<"$1" ;;
    *) echo "$1 MiB" ;;
    esac
}
ratio() {
    if [[ $1 == unavailable || $2 == unavailable ]]; then
        echo "—"
    else
        awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { printf "%.2f×", a / b }'
    fi
}
# row LABEL FORMAT MEASURE(wall|rss)
row() {
    local c=${fig[$3.corex.$2]} b=${fig[$3.bpftool.$2]}
    echo "| $1 | $(cell "$c") | $(cell "$b") | $(ratio "$c" "$b") |"
}

timer=$(command -v hyperfine >/dev/null && hyperfine --version || echo "a loop of /usr/bin/time")
cat <<EOF
Input: \`$file\` ($(stat -c %s "$file") bytes, $types types), Linux $(uname -r), $(nproc) cores.
Wall time: mean ± σ of $runs runs after $warmup warm-up runs ($timer), output to /dev/null.
Peak RSS: the largest of 3 runs (\`/usr/bin/time -f %M\`).
Tools: corex $(git -C "$repo" describe --always --dirty), $(bpftool version | head -n 1).

| measure | corex | bpftool | corex ÷ bpftool |
|---|---|---|---|
$(row "raw dump: wall time" raw wall)
$(row "raw dump: peak RSS" raw rss)
$(row "C dump (vmlinux.h): wall time" c wall)
$(row "C dump (vmlinux.h): peak RSS" c rss)
| parse only (mean of $runs parses, in process) | $parse_mean ms | — | — |
| name index for lookups by name and kind (mean of $runs builds, in process) | $index_mean ms | — | — |
EOF
