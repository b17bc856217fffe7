#!/usr/bin/env bash
# Fetches Linux 6.12's UAPI headers (linux/bpf.h, linux/bpf_common.h,
# linux/perf_event.h) from Debian's linux-headers-6.12.*-common package into
# ${COREX_UAPI_HEADERS:-<repo>/.cache/uapi-6.12}/linux/, for the test that
# checks corex-uapi's and corex-sys's numbers and layouts against the C
# headers. (The system's /usr/include/linux/bpf.h is Debian 12's 6.1.)
#
# Idempotent: nothing is fetched when version.txt (written last) exists.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
out=${COREX_UAPI_HEADERS:-$repo/.cache/uapi-6.12}
log() { echo "fetch-uapi-headers: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

[[ -s $out/version.txt ]] && exit 0
command -v apt-get >/dev/null || die "apt-get not found (this script needs Debian's packages)"

regex='^linux-headers-6\.12\.[0-9]+\+deb12-common$'
pick() { apt-cache search --names-only "$regex" | awk '{print $1}' | sort -V | tail -n 1; }
pkg=$(pick)
if [[ -z $pkg ]]; then
    log "apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    pkg=$(pick)
fi
[[ -n $pkg ]] || die "no package matches $regex"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "downloading $pkg"
if ! (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2); then
    log "download failed; updating the apt lists and trying again"
    apt-get update -qq >&2 || die "apt-get update failed"
    pkg=$(pick)
    (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) || die "apt-get download $pkg failed"
fi
dpkg -x "$work"/*.deb "$work/root"
src=$(echo "$work"/root/usr/src/linux-headers-*/include/uapi/linux)
[[ -f $src/bpf.h ]] || die "$pkg has no include/uapi/linux/bpf.h"
mkdir -p "$out/linux"
for h in bpf.h bpf_common.h perf_event.h; do
    cp "$src/$h" "$out/linux/$h"
done
dpkg-deb -f "$work"/*.deb Package Version | tr '\n' ' ' >"$out/version.txt"
echo >>"$out/version.txt"
log "$(cat "$out/version.txt")-> $out"
