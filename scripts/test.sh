#!/usr/bin/env bash
# Runs every corex test on a fresh machine: installs the oracle tools and
# build dependencies from Debian, fetches the kernels the tests compare
# against, then runs the Rust test suite (release mode: the tests parse and
# dump several 5 MB kernel BTFs).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(bpftool clang llvm libbpf-dev libbpf-tools libelf-dev zlib1g-dev pkg-config xz-utils zstd lz4 binutils)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "test.sh: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "test.sh: need root to install packages (or install them yourself): ${missing[*]}" >&2
        exit 1
    fi
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

scripts/fetch-kernels.sh
crates/uapi/tests/fetch-uapi-headers.sh

cargo fmt --all --check
cargo clippy --workspace --all-targets --release -- -D warnings
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --release --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The kernel matrix: Debian's 5.10, 6.1 and 6.12 booted under qemu, and the
# running kernel, each running corex (xtask/README.md).
cargo xtask kernels 2>&1 | tee -a "$log" || status=1
set -e
# One closing line over every test binary (the last binary cargo runs is a
# doc-test run that may hold no test).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
