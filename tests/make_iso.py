#!/usr/bin/env python3
"""Make a GRUB (Multiboot2) bootable ISO of a Moat system image.

Usage: make_iso.py SYSTEM.elf OUT.iso
Needs grub-mkrescue (grub-pc-bin, grub-common), xorriso and mtools.
"""
import os
import shutil
import subprocess
import sys
import tempfile

GRUB_CFG = """set timeout=0
set default=0
menuentry "Moat" {
    multiboot2 /boot/moat.elf
    boot
}
"""


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    image, out = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "boot", "grub"))
        shutil.copyfile(image, os.path.join(tmp, "boot", "moat.elf"))
        with open(os.path.join(tmp, "boot", "grub", "grub.cfg"), "w") as f:
            f.write(GRUB_CFG)
        proc = subprocess.run(["grub-mkrescue", "-o", out, tmp],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout.decode(errors="replace"))
            return proc.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
