#!/usr/bin/env bash
# Fetches Debian's 6.1 and 6.12 cloud kernels and extracts BTF fixtures for the
# tests into ${COREX_KERNELS:-<repo>/.cache/kernels}:
#
#   debian-6.1/ and debian-6.12/, each with
#     vmlinux.btf         raw BTF, the .BTF section of the decompressed vmlinuz
#     vmlinux.btf.tar.xz  the same file as a BTFHub-style tar.xz archive
#     vmlinux.elf.xz      an xz-compressed ELF holding only vmlinux's .BTF section
#     modules/*.ko        a few modules with split BTF (decompressed)
#     version.txt         the package name and version
#
# Idempotent: a kernel whose directory is complete (version.txt is written
# last) is skipped. Needs root for apt-get; installs the decompressors it needs.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${COREX_KERNELS:-$repo/.cache/kernels}
start=$SECONDS

log() { echo "fetch-kernels: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Modules to keep (paths under lib/modules/VERSION/kernel, without .ko*):
# netfilter, file systems and small drivers. Those that are built in or absent
# are passed over; at least MIN_MODULES must be found.
candidate_modules=(
    net/netfilter/nf_conntrack
    net/netfilter/nf_tables
    fs/btrfs/btrfs
    drivers/net/veth
    drivers/net/dummy
    drivers/block/loop
)
MIN_MODULES=4

apt_updated=
apt_update_once() {
    if [[ -z $apt_updated ]]; then
        log "apt-get update"
        apt-get update -qq >&2 || die "apt-get update failed"
        apt_updated=1
    fi
}

# need_tool TOOL PACKAGE: installs PACKAGE from apt if TOOL is missing.
need_tool() {
    command -v "$1" >/dev/null && return
    apt_update_once
    log "installing $2 (for $1)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2 || die "cannot install $2"
}

# newest_package REGEX: sets $newest to the highest-versioned package whose
# name matches (run in this shell, not a subshell, so apt_updated sticks).
newest_package() {
    newest=$(apt-cache search --names-only "$1" | awk '{print $1}' | sort -V | tail -n 1)
    if [[ -z $newest && -z $apt_updated ]]; then
        apt_update_once
        newest=$(apt-cache search --names-only "$1" | awk '{print $1}' | sort -V | tail -n 1)
    fi
    [[ -n $newest ]] || die "no package matches $1"
}

# u8/u32 FILE OFFSET: little-endian integers from a file.
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' \n'; }
u32() { od -An -tu4 --endian=little -j "$2" -N4 "$1" | tr -d ' \n'; }

# extract_vmlinux BZIMAGE OUT: decompresses the kernel payload of an x86
# bzImage. The setup header gives the payload's place (boot protocol 2.08+):
# it starts payload_offset bytes into the protected-mode code, which follows
# the (setup_sects + 1) 512-byte setup sectors.
extract_vmlinux() {
    local img=$1 dst=$2 setup_sects pm_start payload_off payload_len magic
    [[ $(od -An -c -j 0x202 -N4 "$img" | tr -d ' ') == HdrS ]] ||
        die "$img: not an x86 bzImage (no HdrS setup header)"
    setup_sects=$(u8 "$img" $((0x1f1)))
    ((setup_sects == 0)) && setup_sects=4
    pm_start=$(((setup_sects + 1) * 512))
    payload_off=$(u32 "$img" $((0x248)))
    payload_len=$(u32 "$img" $((0x24c)))
    local start_byte=$((pm_start + payload_off))
    magic=$(od -An -tx1 -j "$start_byte" -N4 "$img" | tr -d ' \n')
    local decompress
    case $magic in
    28b52ffd) need_tool zstd zstd; decompress="zstd -dc" ;;
    fd377a58) need_tool xz xz-utils; decompress="xz -dc --single-stream" ;;
    02214c18) need_tool lz4 lz4; decompress="lz4 -dc" ;;
    1f8b*) decompress="gzip -dc" ;;
    *) die "$img: unknown payload compression (magic $magic at byte $start_byte)" ;;
    esac
    log "decompressing $(basename "$img") ($payload_len bytes at $start_byte, ${decompress%% *})"
    # The kernel build appends the decompressed size after some formats'
    # streams, which decompressors may call trailing garbage: judge by the output.
    tail -c +"$((start_byte + 1))" "$img" | head -c "$payload_len" | $decompress >"$dst" 2>/dev/null || true
    [[ $(head -c 4 "$dst" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]] ||
        die "$img: decompressing the payload with $decompress did not give an ELF file"
}

# decompress_module SRC DST: copies a .ko, .ko.xz or .ko.zst as a plain .ko.
decompress_module() {
    case $1 in
    *.ko.xz) need_tool xz xz-utils; xz -dc "$1" >"$2" ;;
    *.ko.zst) need_tool zstd zstd; zstd -qdc "$1" >"$2" ;;
    *.ko.gz) gzip -dc "$1" >"$2" ;;
    *.ko) cp "$1" "$2" ;;
    *) die "$1: unknown module compression" ;;
    esac
}

# fetch_kernel NAME PACKAGE_REGEX
fetch_kernel() {
    local name=$1 regex=$2 dir=$out/$1
    if [[ -s $dir/version.txt && -s $dir/vmlinux.btf && -s $dir/vmlinux.btf.tar.xz && -s $dir/vmlinux.elf.xz ]] &&
        compgen -G "$dir/modules/*.ko" >/dev/null; then
        log "$name: present ($(head -n 1 "$dir/version.txt")), skipping"
        return
    fi
    local work
    work=$(mktemp -d "$out/.work-$name.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    # Stale apt lists can name a version the mirror no longer has: then
    # update them once and choose again.
    local pkg version
    while :; do
        newest_package "$regex"
        pkg=$newest
        version=$(apt-cache show --no-all-versions "$pkg" | awk '/^Version:/ {print $2; exit}')
        [[ -n $version ]] || die "$pkg: no version in apt-cache show"
        log "$name: $pkg $version"
        (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$version" >&2) && break
        [[ -z $apt_updated ]] || die "apt-get download $pkg=$version failed"
        log "$name: download failed; updating the apt lists and choosing again"
        apt_update_once
    done
    local deb
    deb=$(echo "$work"/*.deb)
    [[ -f $deb ]] || die "apt-get download left no .deb in $work"
    log "$name: unpacking $(basename "$deb") ($(du -h "$deb" | cut -f1))"
    dpkg -x "$deb" "$work/root"

    local vmlinuz
    vmlinuz=$(echo "$work"/root/boot/vmlinuz-*)
    [[ -f $vmlinuz ]] || die "$deb: no boot/vmlinuz-*"
    rm -rf "$dir"
    mkdir -p "$dir/modules"
    extract_vmlinux "$vmlinuz" "$work/vmlinux"
    objcopy -O binary --only-section=.BTF "$work/vmlinux" "$dir/vmlinux.btf"
    chmod 644 "$dir/vmlinux.btf"
    [[ $(head -c 2 "$dir/vmlinux.btf" | od -An -tx1 | tr -d ' \n') == 9feb ]] ||
        die "$name: vmlinux has no .BTF section (or it does not start with the BTF magic)"
    log "$name: vmlinux.btf $(stat -c %s "$dir/vmlinux.btf") bytes"

    tar -C "$dir" -cf - vmlinux.btf | xz -T0 -6 >"$dir/vmlinux.btf.tar.xz"
    # objcopy warns about vmlinux's empty loadable segments: not a problem.
    objcopy --only-section=.BTF "$work/vmlinux" "$work/vmlinux.elf" 2> >(grep -v 'empty loadable segment' >&2)
    xz -T0 -6 -c "$work/vmlinux.elf" >"$dir/vmlinux.elf.xz"
    log "$name: vmlinux.btf.tar.xz, vmlinux.elf.xz written"

    local moddir found=0 m src
    moddir=$(echo "$work"/root/lib/modules/*/kernel)
    [[ -d $moddir ]] || die "$deb: no lib/modules/*/kernel"
    for m in "${candidate_modules[@]}"; do
        src=$(compgen -G "$moddir/$m.ko*" | head -n 1 || true)
        if [[ -z $src ]]; then
            log "$name: module $m not found (built in?), passing over"
            continue
        fi
        decompress_module "$src" "$dir/modules/$(basename "$m").ko"
        found=$((found + 1))
    done
    ((found >= MIN_MODULES)) || die "$name: only $found of the candidate modules found"
    log "$name: modules: $(cd "$dir/modules" && echo *.ko)"

    printf '%s %s\n' "$pkg" "$version" >"$dir/version.txt"
    rm -rf "$work"
    trap - EXIT
}

mkdir -p "$out"
command -v apt-get >/dev/null || die "apt-get not found (this script needs Debian's packages)"
need_tool objcopy binutils
need_tool xz xz-utils
fetch_kernel debian-6.1 '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$'
fetch_kernel debian-6.12 '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$'
log "done in $((SECONDS - start)) s: $out"
