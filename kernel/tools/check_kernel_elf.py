#!/usr/bin/env python3
"""Check that a built kernel ELF is one moat-polc can pack a system into.

Usage: check_kernel_elf.py ABI_CONSTANTS KERNEL.elf

ABI_CONSTANTS is the host program (abi_constants.c) that prints the constants of
kernel/include. The kernel must have:
  - exactly one PT_LOAD at p_paddr = p_vaddr = MOAT_TABLES_PHYS with p_memsz
    MOAT_TABLES_CAPACITY, no file bytes (p_filesz 0) and flags R only;
  - every other PT_LOAD (its image, .bss included) at physical addresses from
    MOAT_KERNEL_PHYS_BASE up to below MOAT_TABLES_PHYS;
  - a PT_NOTE holding a note "Moat" of type MOAT_NOTE_KERNEL whose descriptor is
    {MOAT_NOTE_VERSION, layout hash low 32 bits, high 32 bits}.
Exits 1 naming what is wrong.
"""
import struct
import subprocess
import sys

PT_LOAD, PT_NOTE = 1, 4
PF_R = 4


def notes(data, off, size):
    end = off + size
    while off + 12 <= end:
        namesz, descsz, kind = struct.unpack_from("<III", data, off)
        name_off = off + 12
        desc_off = name_off + ((namesz + 3) & ~3)
        yield data[name_off:name_off + namesz].rstrip(b"\0"), kind, data[desc_off:desc_off + descsz]
        off = desc_off + ((descsz + 3) & ~3)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    abi = {k: int(v) for k, v in (line.split() for line in out.splitlines())}
    data = open(sys.argv[2], "rb").read()
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    failures = []
    tables = []
    found_note = False
    for i in range(phnum):
        kind, flags, off, vaddr, paddr, filesz, memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if kind == PT_LOAD and paddr == abi["tables_phys"]:
            tables.append((flags, vaddr, filesz, memsz))
        elif kind == PT_LOAD and not abi["kernel_phys_base"] <= paddr <= paddr + memsz <= abi["tables_phys"]:
            failures.append(f"PT_LOAD at {paddr:#x}+{memsz:#x} outside [kernel base, tables)")
        if kind == PT_NOTE:
            for name, ntype, desc in notes(data, off, filesz):
                if name == b"Moat" and ntype == abi["note_kernel"]:
                    found_note = True
                    h = abi["layout_hash"]
                    want = struct.pack("<III", abi["note_version"], h & 0xffffffff, h >> 32)
                    if desc != want:
                        failures.append(f"Moat kernel note {desc.hex()} != {want.hex()}")
    if len(tables) != 1:
        failures.append(f"{len(tables)} PT_LOADs at the tables segment, want 1")
    else:
        flags, vaddr, filesz, memsz = tables[0]
        if (flags, vaddr, filesz, memsz) != (PF_R, abi["tables_phys"], 0, abi["tables_capacity"]):
            failures.append(f"tables PT_LOAD flags {flags} vaddr {vaddr:#x} filesz {filesz:#x} "
                            f"memsz {memsz:#x}, want R, {abi['tables_phys']:#x}, 0, "
                            f"{abi['tables_capacity']:#x}")
    if not found_note:
        failures.append("no Moat note of type MOAT_NOTE_KERNEL")
    for f in failures:
        print(f"{sys.argv[2]}: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
