#!/usr/bin/env bash
# Extracts the BPF objects embedded in Debian's libbpf-tools binaries, for the
# libbpf-agreement harness (issue 7): real CO-RE objects not written by us.
#
#   bpf/real-objects/extract.sh [OUT_DIR]     default OUT_DIR: <repo>/target/real-objects
#
# Each tool embeds its .bpf.o as a bpftool skeleton: the whole ELF file, bytes
# as they were, inside the binary's .rodata. The script scans every regular
# file of the package under /usr/sbin for ELF headers with e_machine EM_BPF
# (247), takes each one's extent from its header (the furthest of the section
# header table and every section's data) and writes OUT_DIR/TOOL.bpf.o
# (TOOL.N.bpf.o if a binary embeds more than one). Symlinked tools (btrfsdist
# -> fsdist ...) are extracted once. OUT_DIR/SOURCES lists
# object, binary, offset, size and sha256, and the package version. Objects are
# not committed (about 3 MB); rerun after a libbpf-tools upgrade.
#
# Installs libbpf-tools with apt-get when it is missing (needs root).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-$repo/target/real-objects}

if ! dpkg-query -W -f='${Status}' libbpf-tools 2>/dev/null | grep -q 'ok installed'; then
    echo "extract.sh: installing libbpf-tools" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libbpf-tools >&2 ||
        { echo "extract.sh: cannot install libbpf-tools" >&2; exit 1; }
fi
version=$(dpkg-query -W -f='${Version}' libbpf-tools)
mapfile -t binaries < <(dpkg -L libbpf-tools | grep '^/usr/sbin/' | while read -r f; do
    [[ -f $f && ! -L $f ]] && echo "$f"
done | sort)
((${#binaries[@]} > 0)) || { echo "extract.sh: libbpf-tools has no binaries under /usr/sbin" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
python3 - "$out" "$version" "${binaries[@]}" <<'PY'
import hashlib, os, struct, sys

out, version, binaries = sys.argv[1], sys.argv[2], sys.argv[3:]
EM_BPF = 247

def embedded_objects(data):
    """Yields (offset, size) of every little- or big-endian ELF64 EM_BPF file in data."""
    start = 0
    while True:
        at = data.find(b"\x7fELF", start)
        if at < 0:
            return
        start = at + 1
        hdr = data[at:at + 64]
        if len(hdr) < 64 or hdr[4] != 2 or hdr[5] not in (1, 2):  # ELFCLASS64, LSB/MSB
            continue
        e = "<" if hdr[5] == 1 else ">"
        (e_type, e_machine) = struct.unpack_from(e + "HH", hdr, 16)
        if e_machine != EM_BPF or e_type != 1:  # ET_REL
            continue
        e_shoff, = struct.unpack_from(e + "Q", hdr, 40)
        e_shentsize, e_shnum = struct.unpack_from(e + "HH", hdr, 58)
        if e_shentsize != 64 or e_shnum == 0:
            continue
        end = e_shoff + e_shnum * e_shentsize
        if at + end > len(data):
            continue
        for i in range(e_shnum):
            sh = at + e_shoff + i * 64
            sh_type, = struct.unpack_from(e + "I", data, sh + 4)
            sh_offset, sh_size = struct.unpack_from(e + "QQ", data, sh + 24)
            if sh_type != 8:  # SHT_NOBITS occupies no file bytes
                end = max(end, sh_offset + sh_size)
        if at + end > len(data):
            continue
        yield at, end
        start = at + end

lines = [f"# libbpf-tools {version}: object binary offset size sha256"]
total = 0
for path in binaries:
    with open(path, "rb") as f:
        data = f.read()
    found = list(embedded_objects(data))
    tool = os.path.basename(path)
    for n, (at, size) in enumerate(found):
        name = f"{tool}.bpf.o" if len(found) == 1 else f"{tool}.{n}.bpf.o"
        blob = data[at:at + size]
        with open(os.path.join(out, name), "wb") as f:
            f.write(blob)
        lines.append(f"{name} {path} {at} {size} {hashlib.sha256(blob).hexdigest()}")
        total += 1
    if not found:
        lines.append(f"# {path}: no embedded BPF object")
with open(os.path.join(out, "SOURCES"), "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"extract.sh: {total} objects from {len(binaries)} binaries into {out}", file=sys.stderr)
PY
