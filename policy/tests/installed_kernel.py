#!/usr/bin/env python3
"""moat-polc build without --kernel packs the installed kernel, found relative to its own
executable: a copy of moat-polc in DIR/BINDIR finds DIR/LIBDIR/moat-sdk/kernel/kernel.elf,
wherever DIR is (a moved SDK still works), and says so when the kernel is missing.

Usage: installed_kernel.py MOAT_POLC KERNEL.elf BINDIR LIBDIR POLICY.xml ELF_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    polc, kernel, bindir, libdir, policy, elfs = sys.argv[1:7]
    with tempfile.TemporaryDirectory() as root:
        tree = os.path.join(root, "moved", "sdk")
        os.makedirs(os.path.join(tree, bindir))
        os.makedirs(os.path.join(tree, libdir, "moat-sdk", "kernel"))
        installed = os.path.join(tree, bindir, "moat-polc")
        shutil.copy(polc, installed)
        shutil.copy(kernel, os.path.join(tree, libdir, "moat-sdk", "kernel", "kernel.elf"))
        image = os.path.join(root, "system.elf")
        cmd = [installed, "build", policy, "-I", elfs, "-o", image]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not os.path.exists(image):
            sys.exit("build with the installed kernel failed:\n" + proc.stderr)
        with open(kernel, "rb") as f:
            start = f.read(64)
        with open(image, "rb") as f:
            if f.read(64)[:24] != start[:24]:
                sys.exit("the image does not start with the installed kernel's ELF header")
        os.remove(os.path.join(tree, libdir, "moat-sdk", "kernel", "kernel.elf"))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 2 or "cannot read kernel" not in proc.stderr:
            sys.exit("a missing installed kernel gave status %d:\n%s" % (proc.returncode, proc.stderr))
    print("the installed kernel is found relative to moat-polc")


if __name__ == "__main__":
    main()
