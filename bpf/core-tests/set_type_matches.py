#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Turns TYPE_EXISTS CO-RE records on `*___tm` types into TYPE_MATCHES.

clang 14 cannot emit BPF_TYPE_MATCHES (kind 12) relocations, so the corpus
writes `corex_type_matches(T)` as `bpf_core_type_exists(T___tm)` (common.h)
and this script rewrites, in place, the kind of every .BTF.ext core_relo
TYPE_EXISTS record whose local root type is named `*___tm` from 8 (TYPE_EXISTS) to 12
(TYPE_MATCHES). The instruction (`rX = 1`) is the same for both kinds.

usage: set_type_matches.py OBJ...
"""
import struct
import sys

TYPE_EXISTS, TYPE_MATCHES = 8, 12
FLAVOR = "___tm"


def sections(elf):
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        raise SystemExit("not a 64-bit ELF file")
    end = "<" if elf[5] == 1 else ">"
    shoff, = struct.unpack_from(end + "Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", elf, 0x3A)
    headers = []
    for i in range(shnum):
        name, _type, _flags, _addr, off, size = struct.unpack_from(
            end + "IIQQQQ", elf, shoff + i * shentsize)
        headers.append((name, off, size))
    strtab_off = headers[shstrndx][1]
    named = {}
    for name, off, size in headers:
        stop = elf.index(b"\0", strtab_off + name)
        named[elf[strtab_off + name:stop].decode()] = (off, size)
    return end, named


# Bytes that follow the 12-byte common header, per BTF kind, given vlen.
EXTRA = {1: lambda v: 4, 3: lambda v: 12, 4: lambda v: 12 * v, 5: lambda v: 12 * v,
         6: lambda v: 8 * v, 13: lambda v: 8 * v, 14: lambda v: 4,
         15: lambda v: 12 * v, 17: lambda v: 4, 19: lambda v: 12 * v}


def type_names(elf, end, off):
    _magic, _ver, _flags, hdr_len, type_off, type_len, str_off, _str_len = \
        struct.unpack_from(end + "HBBIIIII", elf, off)
    types = off + hdr_len + type_off
    strings = off + hdr_len + str_off
    names = [""]
    pos = types
    while pos < types + type_len:
        name_off, info, _size = struct.unpack_from(end + "III", elf, pos)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        stop = elf.index(b"\0", strings + name_off)
        names.append(elf[strings + name_off:stop].decode())
        pos += 12 + EXTRA.get(kind, lambda v: 0)(vlen)
    return names


def patch(path):
    elf = bytearray(open(path, "rb").read())
    end, named = sections(elf)
    names = type_names(elf, end, named[".BTF"][0])
    ext = named[".BTF.ext"][0]
    hdr_len, = struct.unpack_from(end + "I", elf, ext + 4)
    if hdr_len < 32:
        return 0
    relo_off, relo_len = struct.unpack_from(end + "II", elf, ext + 24)
    pos = ext + hdr_len + relo_off
    stop = pos + relo_len
    rec_size, = struct.unpack_from(end + "I", elf, pos)
    pos += 4
    patched = 0
    while pos < stop:
        _sec, count = struct.unpack_from(end + "II", elf, pos)
        pos += 8
        for _ in range(count):
            _insn, type_id, _access, kind = struct.unpack_from(end + "IIII", elf, pos)
            if kind == TYPE_EXISTS and names[type_id].endswith(FLAVOR):
                struct.pack_into(end + "I", elf, pos + 12, TYPE_MATCHES)
                patched += 1
            pos += rec_size
    open(path, "wb").write(elf)
    return patched


for obj in sys.argv[1:]:
    print(f"{obj}: {patch(obj)} type_matches relocation(s)")
