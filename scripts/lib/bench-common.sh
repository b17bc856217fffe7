# shellcheck shell=bash
# Shared by scripts/bench-reloc.sh and scripts/bench-scale.sh (sourced, not
# run): progress messages, the libbpf timer, and reading timers' output.
#
#   bench_setup NAME   sets repo, target and work ($target/NAME, created),
#                      and builds libbpf's timer as $work/reloc_time.

# log MESSAGE...: progress on stderr.
log() { echo "bench: $*" >&2; }

# die MESSAGE...: an error on stderr, exit 1.
die() {
    log "error: $*"
    exit 1
}

bench_setup() {
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    target=${CARGO_TARGET_DIR:-$repo/target}
    work=$target/$1
    mkdir -p "$work"
    log "building libbpf's timer (crates/cli/tests/libbpf/reloc_time.c)"
    ${CC:-cc} -O2 -Wall -Wextra -Werror -o "$work/reloc_time" \
        "$repo/crates/cli/tests/libbpf/reloc_time.c" -lbpf -lelf -lz ||
        die "cannot build reloc_time.c (needs libbpf-dev, libelf-dev, zlib1g-dev)"
}

# field LINE KEY: the value of KEY=VALUE in LINE.
field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

# ms MICROSECONDS: milliseconds with 2 decimals.
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

# cell LINE: "mean / median / best" of a timer's line, in ms.
cell() { echo "$(ms "$(field "$1" mean_us)") / $(ms "$(field "$1" median_us)") / $(ms "$(field "$1" min_us)")"; }
