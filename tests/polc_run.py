#!/usr/bin/env python3
"""Run moat-polc for one test system and give its outputs build-unique names.

moat-polc writes fixed names (OUTDIR/tables.c, layout.txt, system.elf); Meson needs an
output name per target, so this runs it in a private folder and copies what was asked.

Usage: polc_run.py POLC SYSTEM.xml [-I DIR]... --tables OUT.c [--layout OUT.txt]
       polc_run.py POLC SYSTEM.xml [-I DIR]... --kernel KERNEL.elf --image OUT.elf
"""
import argparse
import shutil
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("polc")
    ap.add_argument("xml")
    ap.add_argument("-I", dest="include", action="append", default=[])
    ap.add_argument("--tables")
    ap.add_argument("--layout")
    ap.add_argument("--kernel")
    ap.add_argument("--image")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.polc, "build", args.xml, "-o", tmp]
        for d in args.include:
            cmd += ["-I", d]
        if args.kernel:
            cmd += ["--kernel", args.kernel]
        proc = subprocess.run(cmd)
        if proc.returncode != 0:
            return proc.returncode
        for name, out in (("tables.c", args.tables), ("layout.txt", args.layout),
                          ("system.elf", args.image)):
            if out:
                shutil.copyfile(f"{tmp}/{name}", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
