#!/usr/bin/env bash
# corex execsnoop beside libbpf-tools' execsnoop (Debian's libbpf-tools,
# /usr/sbin/execsnoop), in one run, on an exec storm (needs root).
#
#   scripts/bench-execsnoop.sh [ROUNDS] [EXECS_PER_WORKER]   (default 5, 2500)
#
# Each round runs every tracer configuration in turn (the order rotates
# between rounds) and, once, the storm with no tracer. For each:
#   - start-up: from spawning the tracer to its header line (printed right
#     after attaching; execsnoop line-buffered through stdbuf for this run
#     only, corex flushes it);
#   - a storm: two workers, each posix_spawn + waitpid of /bin/true with a
#     tag as fast as the machine execs, EXECS_PER_WORKER each;
#   - captured: output lines with the storm's tag, out of execs made (both
#     tracers write text to a file, fully buffered);
#   - in-kernel cost per exec: with kernel.bpf_stats_enabled=1, the
#     tracer's programs' run_time_ns over the run count of the program
#     that runs once per exec (from bpftool prog show, programs found in
#     the tracer's fdinfo), over the storm;
#   - tracer CPU: on-CPU time of all its threads (/proc/PID/task/*/schedstat)
#     from before the storm until its output is drained;
#   - memory: peak RSS (VmHWM) and the kernel memory of its maps (memlock
#     in fdinfo, as bpftool map show reports it).
# Medians over the rounds are printed as a Markdown table.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
rounds=${1:-5}
per_worker=${2:-2500}
[[ $(id -u) == 0 ]] || { echo "bench-execsnoop.sh: needs root (BPF)" >&2; exit 1; }
[[ -x /usr/sbin/execsnoop ]] || { echo "bench-execsnoop.sh: needs Debian's libbpf-tools (/usr/sbin/execsnoop)" >&2; exit 1; }
command -v bpftool >/dev/null || { echo "bench-execsnoop.sh: needs bpftool" >&2; exit 1; }
cargo build -q --release --bin corex
work=$(mktemp -d)
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
    # Only undo what this script did (another run may have turned it on).
    [[ $stats_before == 0 ]] && sysctl -q -w kernel.bpf_stats_enabled=0
    rm -rf "$work"
}
trap cleanup EXIT
sysctl -q -w kernel.bpf_stats_enabled=1

cat > "$work/storm.c" <<'EOF'
/* storm WORKERS COUNT TAG: WORKERS processes, each spawning "/bin/true TAG
 * wW I" COUNT times as fast as it can; prints the execs that succeeded and
 * the seconds it took. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv)
{
	int workers, count, made = 0, ok, status, fds[2];
	struct timespec a, b;
	if (argc != 4 || pipe(fds))
		return 2;
	workers = atoi(argv[1]);
	count = atoi(argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int w = 0; w < workers; w++) {
		if (fork() == 0) {
			char wb[16], ib[16];
			char *args[] = { "true", argv[3], wb, ib, NULL };
			ok = 0;
			snprintf(wb, sizeof(wb), "w%d", w);
			for (int i = 0; i < count; i++) {
				pid_t pid;
				snprintf(ib, sizeof(ib), "%d", i);
				if (posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ) == 0 &&
				    waitpid(pid, &status, 0) == pid && WIFEXITED(status))
					ok++;
			}
			_exit(write(fds[1], &ok, sizeof(ok)) == sizeof(ok) ? 0 : 1);
		}
	}
	close(fds[1]);
	while (read(fds[0], &ok, sizeof(ok)) == sizeof(ok))
		made += ok;
	while (wait(&status) > 0)
		;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%d %.3f\n", made, (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
EOF
cc -O2 -Wall -o "$work/storm" "$work/storm.c"

/usr/bin/python3 - "$work" "$rounds" "$per_worker" "$repo/target/release/corex" <<'EOF'
import json, os, signal, statistics, subprocess, sys, time

work, rounds, per_worker, corex = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
CONFIGS = [
    ("libbpf-tools execsnoop", ["/usr/sbin/execsnoop"]),
    ("corex execsnoop", [corex, "execsnoop"]),
    ("libbpf-tools execsnoop -x", ["/usr/sbin/execsnoop", "-x"]),
    ("corex execsnoop -x", [corex, "execsnoop", "-x"]),
    ("corex execsnoop --attach tp_btf", [corex, "execsnoop", "--attach", "tp_btf"]),
    ("corex execsnoop --attach tracepoint", [corex, "execsnoop", "--attach", "tracepoint"]),
    ("corex execsnoop --buffer perf", [corex, "execsnoop", "--buffer", "perf"]),
    ("corex execsnoop --max-delay 0", [corex, "execsnoop", "--max-delay", "0"]),
]

def cpu_ns(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass
    return total

def fdinfo(pid):
    """prog ids, link count and the memlock of maps the process holds."""
    progs, links, map_bytes = set(), 0, 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
        except (FileNotFoundError, ValueError):
            continue
        if "prog_id" in info:
            progs.add(int(info["prog_id"]))
        if "link_id" in info:
            links += 1
        if "map_id" in info and "memlock" in info:
            map_bytes += int(info["memlock"])
    return progs, links, map_bytes

def prog_stats(ids):
    stats = {}
    for i in ids:
        out = subprocess.run(["bpftool", "prog", "show", "id", str(i), "--json"],
                             capture_output=True, text=True)
        if out.returncode == 0:
            p = json.loads(out.stdout)
            stats[i] = (p.get("run_time_ns", 0), p.get("run_cnt", 0))
    return stats

def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0

def spawn(cmd, **kw):
    """Starts a tracer with SIGINT at its default action (a shell's
    background job inherits it ignored, and execsnoop installs its handler
    only after printing its header)."""
    return subprocess.Popen(cmd, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kw)

def startup(cmd):
    """Seconds from spawn to the header line (line-buffered execsnoop)."""
    prefix = ["stdbuf", "-oL"] if cmd[0] == "/usr/sbin/execsnoop" else []
    t0 = time.monotonic()
    p = spawn(prefix + cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline()
    t = time.monotonic() - t0
    p.send_signal(signal.SIGINT)
    p.wait()
    assert line.startswith(b"PCOMM") or b"PCOMM" in line, line
    return t

def storm(tag):
    out = subprocess.run([f"{work}/storm", "2", str(per_worker), tag], capture_output=True, text=True, check=True)
    made, secs = out.stdout.split()
    return int(made), float(secs)

def traced_storm(name, cmd, round_no):
    tag = f"storm-{os.getpid()}-{round_no}-{abs(hash(name)) % 100000}"
    out_path = f"{work}/out"
    with open(out_path, "wb") as out, open(f"{work}/err", "wb") as err:
        p = spawn(cmd, stdout=out, stderr=err)
        # Attached: its links are there (execsnoop: two, for its enter and
        # exit programs; corex: one). Then a moment for its reader.
        deadline = time.monotonic() + 60
        want = 2 if cmd[0] == "/usr/sbin/execsnoop" else 1
        while fdinfo(p.pid)[1] < want:
            assert p.poll() is None and time.monotonic() < deadline, f"{name} did not attach"
            time.sleep(0.005)
        time.sleep(0.2)
        progs, _, map_bytes = fdinfo(p.pid)
        before, cpu0 = prog_stats(progs), cpu_ns(p.pid)
        made, secs = storm(tag)
        after = prog_stats(progs)
        time.sleep(0.5)  # corex drains at most 100 ms later
        cpu = cpu_ns(p.pid) - cpu0
        rss = peak_rss_kib(p.pid)
        p.send_signal(signal.SIGINT)
        p.wait(timeout=60)
    with open(out_path, "rb") as f:
        # The storm's own exec line has the tag too: count its children's.
        captured = sum(1 for line in f if f"/bin/true {tag} w".encode() in line)
    run_time = sum(after[i][0] - before[i][0] for i in after if i in before)
    per_exec_runs = max((after[i][1] - before[i][1] for i in after if i in before), default=0)
    with open(f"{work}/err", "rb") as f:
        errors = f.read().decode(errors="replace")
    return {
        "made": made, "captured": captured, "rate": made / secs,
        "kernel_ns": run_time / per_exec_runs if per_exec_runs else float("nan"),
        "cpu_ms": cpu / 1e6, "rss_mib": rss / 1024, "maps_mib": map_bytes / 2**20,
        "stderr": errors,
    }

results = {name: [] for name, _ in CONFIGS}
starts = {name: [] for name, _ in CONFIGS}
baseline = []
for r in range(rounds):
    order = CONFIGS[r % len(CONFIGS):] + CONFIGS[:r % len(CONFIGS)]
    for name, cmd in order:
        starts[name].append(startup(cmd))
        results[name].append(traced_storm(name, cmd, r))
    made, secs = storm(f"baseline-{r}")
    baseline.append(made / secs)
    print(f"round {r + 1}/{rounds} done", file=sys.stderr)

med = statistics.median
print(f"Linux {os.uname().release}, {os.cpu_count()} CPUs, load average at the end "
      f"{os.getloadavg()[0]:.1f}; {rounds} rounds, medians; storm: 2 workers x {per_worker} "
      f"execs of /bin/true; untraced storm {med(baseline):.0f} execs/s")
print()
print("| tracer | captured | storm rate | in-kernel per exec | tracer CPU | CPU per exec | start-up | peak RSS | map memory |")
print("|---|---|---|---|---|---|---|---|---|")
for name, _ in CONFIGS:
    rs = results[name]
    captured = min(x["captured"] / x["made"] for x in rs)
    print(f"| {name} | {med([x['captured'] for x in rs]):.0f}/{med([x['made'] for x in rs]):.0f} "
          f"(worst round {100 * captured:.2f}%) | {med([x['rate'] for x in rs]):.0f}/s "
          f"| {med([x['kernel_ns'] for x in rs]) / 1000:.1f} us "
          f"| {med([x['cpu_ms'] for x in rs]):.0f} ms "
          f"| {1000 * med([x['cpu_ms'] / x['made'] for x in rs]):.1f} us "
          f"| {1000 * med(starts[name]):.0f} ms | {med([x['rss_mib'] for x in rs]):.1f} MiB "
          f"| {med([x['maps_mib'] for x in rs]):.1f} MiB |")
def ratio(a, b, key):
    return med([x[key] for x in results[a]]) / med([x[key] for x in results[b]])

print()
for corex_name, theirs in [("corex execsnoop", "libbpf-tools execsnoop"),
                           ("corex execsnoop -x", "libbpf-tools execsnoop -x")]:
    start = med(starts[corex_name]) / med(starts[theirs])
    print(f"{corex_name} / {theirs}: in-kernel {ratio(corex_name, theirs, 'kernel_ns'):.2f}x, "
          f"CPU {ratio(corex_name, theirs, 'cpu_ms'):.2f}x, start-up {start:.2f}x, "
          f"RSS + maps {(med([x['rss_mib'] + x['maps_mib'] for x in results[corex_name]]) / med([x['rss_mib'] + x['maps_mib'] for x in results[theirs]])):.2f}x")
for n, rs in results.items():
    for x in rs:
        said = [l for l in x["stderr"].splitlines()
                if "lost" in l.lower() and not l.endswith("lost: none")]
        if said:
            print(f"\n{n} reported drops: " + " / ".join(said)[-400:])
EOF
