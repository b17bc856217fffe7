#!/bin/sh
# Kernel-matrix driver: runs a plan (written by xtask/src/plan.rs) and prints
# each command's result as "@@corex" lines (read by xtask/src/protocol.rs). It
# judges nothing: the checkers run on the host. It runs in the guest under
# busybox and natively (inside `unshare --mount`) under the host's tools.
#
# Usage: COREX=PATH driver.sh PLAN        (root: mounts tracefs, bpffs, tmpfs)
#
# Plan lines, fields separated by one tab (no field is empty or holds a tab):
#   variant SCENARIO NAME CAPTURE TIMEOUT   starts a variant (CAPTURE: full|digest)
#   corex ARG...                            corex's arguments
#   ready TEXT                              optional: run corex in the background
#                                           until TEXT appears in its output, then
#   exec PROGRAM ARG...                     run these (the workload), then stop it
#                                           (SIGINT, SIGTERM 2 s later)
#   end                                     runs the variant
# Scenario "no-btf" hides the kernel's BTF: an empty tmpfs over /sys/kernel/btf.
# /sys/fs/bpf is a fresh BPF file system, shared by the variants in plan order.
set -u
plan=$1
tab=$(printf '\t')
ifs=$IFS
work=$(mktemp -d)

say() { echo "@@corex $*"; }

# Every line of stdin, gzip-compressed and base64-encoded, as "@@corex TAG ..." lines.
send() { gzip -c | base64 | sed "s|^|@@corex $1 |"; }

mounted() {
    while read -r _ dir _; do
        [ "$dir" = "$1" ] && return 0
    done </proc/mounts
    return 1
}

mount_once() { # TYPE DIR
    mounted "$2" || { mkdir -p "$2" && mount -t "$1" "$1" "$2"; } || say "warn cannot mount $1 on $2"
}

mount_once tracefs /sys/kernel/tracing
mount_once debugfs /sys/kernel/debug
# A BPF file system of its own (natively over the host's, inside the private mount
# namespace): maps pinned by the load rows go there and vanish with the driver.
mount -t bpf corex-bpffs /sys/fs/bpf || say "warn cannot mount a bpf file system on /sys/fs/bpf"
say "hello $(uname -r) $$"

# Enters scenario $1 and says how many entries /sys/kernel/btf shows in it.
scenario=
enter_scenario() {
    [ "$1" = "$scenario" ] && return
    case $1 in
    no-btf) mount -t tmpfs corex-no-btf /sys/kernel/btf || say "warn cannot hide /sys/kernel/btf" ;;
    btf) [ "$scenario" != no-btf ] || umount /sys/kernel/btf || say "warn cannot unhide /sys/kernel/btf" ;;
    esac
    scenario=$1
    say "scenario $1 $(($(find /sys/kernel/btf -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)))"
}

# Whether process $1 runs (a child that ended stays a zombie until waited for).
alive() {
    [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

# Kills $1 with SIGKILL after $2 seconds unless it ends first; marks $work/timedout.
watchdog() {
    i=0
    while [ "$i" -lt "$2" ]; do
        sleep 1
        alive "$1" || exit 0
        i=$((i + 1))
    done
    : >"$work/timedout"
    kill -KILL "$1" 2>/dev/null
}

# Stops a tracer: SIGINT as Ctrl-C would, then SIGTERM after 2 s (a shell starts
# background commands with SIGINT ignored; a program that sets no handler of its
# own keeps ignoring it).
stop() {
    kill -INT "$1" 2>/dev/null
    i=0
    while alive "$1" && [ "$i" -lt 20 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -TERM "$1" 2>/dev/null
}

# Runs the workload while corex runs: each line of $work/workload is a command.
workload() {
    while IFS= read -r line; do
        IFS=$tab
        set -f
        # shellcheck disable=SC2086 # split on tabs on purpose
        set -- $line
        set +f
        IFS=$ifs
        "$@" </dev/null >/dev/null 2>&1 &
        exec_pid=$!
        wait "$exec_pid"
        status=$?
        say "exec $scenario $name $exec_pid $status $(printf '%s\n' "$@" | base64 | tr -d '\n')"
    done <"$work/workload"
}

# Waits until $ready is in corex's output or corex (pid $1) ends; says which.
wait_ready() {
    while alive "$1"; do
        if grep -qF -e "$ready" "$work/out" "$work/err"; then
            say "ready $scenario $name yes"
            return 0
        fi
        sleep 0.1
    done
    say "ready $scenario $name no"
    return 1
}

run_variant() {
    say "begin $scenario $name"
    rm -f "$work/timedout"
    IFS=$tab
    set -f
    # shellcheck disable=SC2086 # split on tabs on purpose
    set -- $args
    set +f
    IFS=$ifs
    "$COREX" "$@" </dev/null >"$work/out" 2>"$work/err" &
    pid=$!
    watchdog "$pid" "$timeout" &
    dog=$!
    if [ -n "$ready" ] && wait_ready "$pid"; then
        workload
        stop "$pid"
    fi
    wait "$pid"
    rc=$?
    kill "$dog" 2>/dev/null
    wait "$dog" 2>/dev/null
    case $capture in
    full) send "out $scenario $name" <"$work/out" ;;
    *)
        sum=$(sha256sum <"$work/out")
        say "digest $scenario $name ${sum%% *} $(($(wc -c <"$work/out"))) $(($(wc -l <"$work/out")))"
        ;;
    esac
    head -c 65536 "$work/err" | send "err $scenario $name"
    timedout=0
    [ -e "$work/timedout" ] && timedout=1
    say "end $scenario $name $rc $timedout"
}

while IFS= read -r line; do
    kind=${line%%"$tab"*}
    rest=${line#*"$tab"}
    case $kind in
    variant)
        IFS=$tab read -r sc name capture timeout <<EOT
$rest
EOT
        enter_scenario "$sc"
        args='' ready=
        : >"$work/workload"
        ;;
    corex) args=$rest ;;
    ready) ready=$rest ;;
    exec) printf '%s\n' "$rest" >>"$work/workload" ;;
    end) run_variant ;;
    *) say "warn unknown plan line: $kind" ;;
    esac
done <"$plan"
rm -rf "$work"
say "done"
