#!/usr/bin/python3
"""Mark one version need of an ELF64 shared library weak (VER_FLG_WEAK), in place.

usage: weak_verneed.py LIB VERSION   e.g. weak_verneed.py libstdc++.so.6 GLIBC_2.38

After `patchelf --clear-symbol-version SYM` no symbol asks for VERSION any more, but the library still lists it
in .gnu.version_r, and ld.so refuses to load it when the C library lacks that version ("version `GLIBC_2.38' not
found"). A weak need only earns a warning under LD_DEBUG, so the library loads on an older glibc.
"""
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def main(path, version):
    data = bytearray(open(path, "rb").read())
    if data[:4] != b"\x7fELF" or data[4] != 2:
        sys.exit(f"{path}: not an ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    changed = 0
    for sh in sections:
        if sh[1] != SHT_GNU_VERNEED:
            continue
        strtab = sections[sh[6]]  # sh_link: the string table of the names
        off, count = sh[4], sh[7]  # sh_offset, sh_info = number of Verneed entries
        for _ in range(count):
            _, vn_cnt, _, vn_aux, vn_next = struct.unpack_from("<HHIII", data, off)
            aux = off + vn_aux
            for _ in range(vn_cnt):
                _, flags, _, name, vna_next = struct.unpack_from("<IHHII", data, aux)
                start = strtab[4] + name
                end = data.index(0, start)
                if data[start:end].decode() == version and not flags & VER_FLG_WEAK:
                    struct.pack_into("<H", data, aux + 4, flags | VER_FLG_WEAK)
                    changed += 1
                aux += vna_next
            off += vn_next
    if not changed:
        sys.exit(f"{path}: no strong need for {version}")
    open(path, "wb").write(data)
    print(f"{path}: {changed} need(s) for {version} marked weak")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
