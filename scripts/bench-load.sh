#!/usr/bin/env bash
# Benchmarks open + relocate + load of a large real BPF object: `corex load`
# beside libbpf 1.1 (crates/cli/tests/libbpf/load_object.c: open, select the
# programs, bpf_object__load, close), in one run. The object is
# libbpf-tools' klockstat.bpf.o (Debian's binary embeds it): 5 maps and
# global data sections, 48 programs, 311 relocations (CO-RE and map/data
# loads); its fentry/fexit programs are refused on kernels without BPF
# trampolines, so both load the same selection, the programs that load on
# this kernel (by default: all but fentry/fexit). Each run is one process
# that opens, relocates, loads and exits (everything unloaded); the two
# tools' runs alternate (corex first on even rounds, libbpf first on odd
# ones), so a machine shared with other work slows both alike. Per run:
# wall time and CPU time (user + system, from the kernel's accounting of
# the child); peak RSS from /usr/bin/time.
#
#   scripts/bench-load.sh          RUNS=20 WARMUP=3 OBJECT=tool to change
#
# Prints a Markdown table for the README on stdout; progress on stderr.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-20}
warmup=${WARMUP:-3}
tool=${OBJECT:-klockstat}

log() { echo "bench-load: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

[[ $(id -u) == 0 ]] || die "loading BPF programs needs root"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"

target=${CARGO_TARGET_DIR:-$repo/target}
work=$target/bench-load
mkdir -p "$work"
log "building corex (release), the libbpf harness, extracting libbpf-tools' objects"
(cd "$repo" && cargo build -q --release -p corex-cli) >&2
cc -O2 -o "$work/load_object" "$repo/crates/cli/tests/libbpf/load_object.c" -lbpf -lelf -lz
"$repo/bpf/real-objects/extract.sh" "$work/objects" >&2
corex=$target/release/corex
object=$work/objects/$tool.bpf.o
[[ -f $object ]] || die "no $tool.bpf.o among libbpf-tools' objects"

# The programs both load: every program whose section is not fentry/fexit.
mapfile -t programs < <("$corex" inspect "$object" --format json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["programs"]:
    if not p["subprog"] and not p["section"].startswith(("fentry", "fexit")):
        print(p["name"])')
((${#programs[@]} > 0)) || die "$tool has no program to load here"
corex_cmd=("$corex" load "$object")
for p in "${programs[@]}"; do corex_cmd+=(-p "$p"); done
libbpf_cmd=("$work/load_object" "$object" "${programs[@]}")

# Both must load the selection, or the comparison means nothing.
"${corex_cmd[@]}" >/dev/null || die "corex load failed"
[[ $("${libbpf_cmd[@]}" | grep -v '^warn: ') == "result ok" ]] || die "libbpf failed"
relocs=$("$corex" inspect "$object" --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(len(p["relocations"]) + len(p["core_relocations"]) for p in d["programs"]))')

# peak CMD...: the largest peak RSS of 3 runs, in MiB.
peak() {
    for _ in 1 2 3; do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; done |
        sort -n | tail -1 | awk '{printf "%.1f", $1 / 1024}'
}

log "timing ${#programs[@]} programs of $tool.bpf.o: $runs alternating runs each after $warmup warm-up runs"
# Prints "WALL_MEDIAN WALL_MEAN WALL_SD CPU_MEDIAN" for corex, then libbpf.
read -r corex_wall corex_mean corex_sd corex_cpu libbpf_wall libbpf_mean libbpf_sd libbpf_cpu < <(
    python3 - "$runs" "$warmup" "${#corex_cmd[@]}" "${corex_cmd[@]}" "${libbpf_cmd[@]}" <<'PY'
import os, statistics, subprocess, sys, time
runs, warmup, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
cmds = {"corex": sys.argv[4:4 + n], "libbpf": sys.argv[4 + n:]}
wall = {k: [] for k in cmds}
cpu = {k: [] for k in cmds}
for i in range(warmup + runs):
    order = ["corex", "libbpf"] if i % 2 == 0 else ["libbpf", "corex"]
    for name in order:
        before = os.times()
        t = time.perf_counter()
        subprocess.run(cmds[name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        elapsed = (time.perf_counter() - t) * 1000
        after = os.times()
        if i >= warmup:
            wall[name].append(elapsed)
            cpu[name].append((after.children_user - before.children_user
                              + after.children_system - before.children_system) * 1000)
print(" ".join("%.1f %.1f %.1f %.1f" % (statistics.median(wall[k]), statistics.mean(wall[k]),
                                       statistics.stdev(wall[k]), statistics.median(cpu[k]))
               for k in ("corex", "libbpf")))
PY
)
corex_rss=$(peak "${corex_cmd[@]}")
libbpf_rss=$(peak "${libbpf_cmd[@]}")
ratio() { python3 -c "print(f'{$1 / $2:.2f}x')"; }

cat <<EOF
Object: libbpf-tools' \`$tool.bpf.o\` ($(stat -c %s "$object") bytes, $relocs relocations, the ${#programs[@]} programs that load on this kernel), Linux $(uname -r), $(nproc) cores.
Each run is a process that opens, relocates and loads the object, then exits (everything unloaded);
$runs runs of each after $warmup warm-up runs, the two tools alternating. Load average at the start: $(cut -d' ' -f1 /proc/loadavg).
Peak RSS: the largest of 3 runs (\`/usr/bin/time -f %M\`).

| measure | corex | libbpf 1.1 | corex ÷ libbpf |
|---|---|---|---|
| wall time, median | $corex_wall ms | $libbpf_wall ms | $(ratio "$corex_wall" "$libbpf_wall") |
| wall time, mean ± σ | $corex_mean ± $corex_sd ms | $libbpf_mean ± $libbpf_sd ms | $(ratio "$corex_mean" "$libbpf_mean") |
| CPU time (user + system), median | $corex_cpu ms | $libbpf_cpu ms | $(ratio "$corex_cpu" "$libbpf_cpu") |
| peak RSS | $corex_rss MiB | $libbpf_rss MiB | $(ratio "$corex_rss" "$libbpf_rss") |
EOF
