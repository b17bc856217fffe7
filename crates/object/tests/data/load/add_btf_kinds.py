#!/usr/bin/env python3
"""Appends to a little-endian BPF object's .BTF the kinds clang 14 cannot
emit: an ENUM64 (`enum big64 { BIG_ONE = 1, BIG_HUGE = 1 << 40 }`) and a
signed ENUM (kind flag set: `enum signed_e { NEG = -1, POS = 1 }`).

    add_btf_kinds.py IN.o OUT.o

The new types go after the last type and their names after the last
string, so every existing type id and string offset (and .BTF.ext, which
refers to them) stays valid. The grown .BTF is written at the end of the
file and its section header pointed at it.
"""
import struct
import sys

BTF_KIND_ENUM, BTF_KIND_ENUM64 = 6, 19


def section_headers(elf):
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    strtab = hdrs[shstrndx]
    names = []
    for h in hdrs:
        start = strtab[4] + h[0]
        names.append(elf[start:elf.index(b"\0", start)].decode())
    return shoff, shentsize, hdrs, names


def grow_btf(btf):
    magic, ver, flags, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("<HBBIIIII", btf, 0)
    assert magic == 0xEB9F and type_off == 0 and str_off == type_len
    types = btf[hdr_len:hdr_len + type_len]
    strs = bytearray(btf[hdr_len + str_off:hdr_len + str_off + str_len])

    def name(s):
        off = len(strs)
        strs.extend(s.encode() + b"\0")
        return off

    new = bytearray()
    # ENUM64 big64 { BIG_ONE = 1, BIG_HUGE = 1 << 40 }, 8 bytes, unsigned
    new += struct.pack("<III", name("big64"), (BTF_KIND_ENUM64 << 24) | 2, 8)
    for n, v in (("BIG_ONE", 1), ("BIG_HUGE", 1 << 40)):
        new += struct.pack("<III", name(n), v & 0xFFFFFFFF, v >> 32)
    # ENUM signed_e { NEG = -1, POS = 1 }, kind flag: signed
    new += struct.pack("<III", name("signed_e"), (1 << 31) | (BTF_KIND_ENUM << 24) | 2, 4)
    for n, v in (("NEG", -1), ("POS", 1)):
        new += struct.pack("<Ii", name(n), v)
    types = types + bytes(new)
    hdr = struct.pack("<HBBIIIII", magic, ver, flags, hdr_len, 0, len(types), len(types), len(strs))
    return hdr + btf[24:hdr_len] + types + bytes(strs)


def main():
    elf = bytearray(open(sys.argv[1], "rb").read())
    assert elf[:4] == b"\x7fELF" and elf[4] == 2 and elf[5] == 1, "little-endian ELF64 only"
    shoff, shentsize, hdrs, names = section_headers(elf)
    i = names.index(".BTF")
    h = hdrs[i]
    btf = grow_btf(bytes(elf[h[4]:h[4] + h[5]]))
    while len(elf) % 8:
        elf.append(0)
    new_off = len(elf)
    elf += btf
    struct.pack_into("<QQ", elf, shoff + i * shentsize + 0x18, new_off, len(btf))
    open(sys.argv[2], "wb").write(elf)


main()
