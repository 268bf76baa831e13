#!/usr/bin/env python3
"""Boots one Linux VM subject of a built Moat image under plain QEMU, without Moat.

    plainboot.py --qemu QEMU --firmware FW.bin --image SYSTEM.elf --layout LAYOUT.txt
                 --subject NAME --expect TEXT [--expect TEXT]... [--timeout S] [--tsc-khz N]

What moat-polc built for the VM (its pristine kernel, initrd and boot state: zero page,
e820, command line, ACPI tables) is copied out of the image to the guest-physical
addresses the layout report gives, the TSC-kHz field is filled as Moat's kernel fills it
(left-aligned digits, the rest spaces), and QEMU's pc machine (no ACPI tables of its
own, no devices but COM1) runs plainboot-fw.S instead of a BIOS, which starts it as Moat
starts a VM:
32-bit flat protected mode, paging off, CS 0x10, DS/ES/SS 0x18, esi = the zero page, at
the entry. So it checks moat-polc's boot state against the real guest kernel
independently of the kernel's SVM back end. Differences from Moat's VM: QEMU's TCG
offers an xAPIC (MMIO) where Moat offers an x2APIC, and the pc machine has a (masked)
PIC, a PIT, CMOS and PCI where Moat's unknown ports read all-ones.
Passes when every TEXT appears on the guest's serial console, in order.
"""
import argparse
import re
import struct
import subprocess
import sys
import tempfile
import os

PARAMS = 0x100  # offset of `params` in plainboot-fw.S: src, dst, size, esi, entry


def elf_reader(path):
    """read(paddr, size) over an ELF64's PT_LOAD segments (beyond p_filesz: zeros)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:4] != b'\x7fELF' or data[4] != 2:
        sys.exit(f'plainboot: {path} is not an ELF64 image')
    phoff, = struct.unpack_from('<Q', data, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', data, 0x36)
    segs = []
    for i in range(phnum):
        p_type, _, p_offset, _, p_paddr, p_filesz, p_memsz = struct.unpack_from(
            '<IIQQQQQ', data, phoff + i * phentsize)
        if p_type == 1:
            segs.append((p_paddr, p_memsz, data[p_offset:p_offset + p_filesz]))

    def read(paddr, size):
        for base, memsz, content in segs:
            if base <= paddr and paddr + size <= base + memsz:
                chunk = content[paddr - base:paddr - base + size]
                return chunk + b'\0' * (size - len(chunk))
        sys.exit(f'plainboot: [{paddr:#x}, +{size:#x}) is not inside one segment of {path}')
    return read


def parse_layout(path, subject):
    """The subject's copied segments [(gpa, size, source hpa)], entry, esi, RAM, TSC field."""
    with open(path) as f:
        text = f.read()
    m = re.search(rf"^Subject '{re.escape(subject)}' .*?(?=^Subject |\Z)", text, re.M | re.S)
    if not m:
        sys.exit(f'plainboot: no subject {subject!r} in {path}')
    part = m.group(0)
    vm = re.search(r'^  VM: linux .*guest RAM (\d+)([KMG])$', part, re.M)
    start = re.search(r'^  entry (0x[0-9a-f]+) .*esi (0x[0-9a-f]+)', part, re.M)
    tsc = re.search(r'^  TSC kHz field at (0x[0-9a-f]+)', part, re.M)
    if not (vm and start and tsc):
        sys.exit(f'plainboot: {subject!r} is not a Linux VM in {path}')
    ram = int(vm.group(1)) << {'K': 10, 'M': 20, 'G': 30}[vm.group(2)]
    copies = []
    for line in part.splitlines():
        c = re.match(r'\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s.*copied from (0x[0-9a-f]+)$', line)
        if c:
            lo, hi, src = (int(x, 16) for x in c.groups())
            copies.append((lo, hi + 1 - lo, src))
    return copies, int(start.group(1), 16), int(start.group(2), 16), ram, int(tsc.group(1), 16)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--qemu', required=True)
    ap.add_argument('--firmware', required=True)
    ap.add_argument('--image', required=True)
    ap.add_argument('--layout', required=True)
    ap.add_argument('--subject', required=True)
    ap.add_argument('--expect', action='append', default=[])
    ap.add_argument('--timeout', type=float, default=60)
    ap.add_argument('--tsc-khz', type=int, default=2000000)
    args = ap.parse_args()

    copies, entry, esi, ram, tsc_field = parse_layout(args.layout, args.subject)
    read = elf_reader(args.image)
    digits = str(args.tsc_khz).encode()
    with tempfile.TemporaryDirectory() as tmp:
        loaders = []
        patched = False
        low_copy = None
        for i, (gpa, size, src) in enumerate(copies):
            blob = bytearray(read(src, size))
            if src <= tsc_field < src + size:  # as the kernel does once at boot
                off = tsc_field - src
                blob[off:off + 10] = digits.ljust(10, b' ')
                patched = True
            path = os.path.join(tmp, f'seg{i}.bin')
            with open(path, 'wb') as f:
                f.write(blob)
            if gpa < 0x100000:  # ROM until the firmware opens it: staged, the firmware copies it
                if low_copy or size % 4:
                    sys.exit('plainboot: more than one segment below 1 MiB')
                low_copy = (ram + 0x100000, gpa, size)
                gpa = low_copy[0]
            loaders += ['-device', f'loader,file={path},addr={gpa:#x},force-raw=on']
        if not patched:
            sys.exit('plainboot: the TSC kHz field is in none of the copied segments')
        with open(args.firmware, 'rb') as f:
            fw = bytearray(f.read())
        fw[PARAMS:PARAMS + 20] = struct.pack('<5I', *(low_copy or (0, 0, 0)), esi, entry)
        bios = os.path.join(tmp, 'bios.bin')
        with open(bios, 'wb') as f:
            f.write(fw)
        cmd = [args.qemu, '-M', 'pc', '-nodefaults', '-bios', bios,
               '-cpu', 'max', '-m', f'{(ram >> 20) + 64}M', '-display', 'none',
               '-serial', 'stdio', '-monitor', 'none', '-no-reboot'] + loaders
        print('+ ' + ' '.join(cmd), flush=True)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        want = list(args.expect)
        log = []
        try:
            deadline_timer = __import__('threading').Timer(args.timeout, proc.kill)
            deadline_timer.start()
            for raw in proc.stdout:
                line = raw.decode(errors='replace').rstrip('\r\n')
                log.append(line)
                print(line, flush=True)
                if want and want[0] in line:
                    want.pop(0)
                    if not want:
                        break
        finally:
            deadline_timer.cancel()
            proc.kill()
            proc.wait()
    if want:
        print(f'plainboot: FAIL: not on the console (in order): {want[0]!r}')
        return 1
    print('plainboot: ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
