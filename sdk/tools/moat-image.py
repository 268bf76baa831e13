#!/usr/bin/env python3
"""moat-image: build a bootable Moat system image from a policy.

    moat-image SYSTEM.xml [-I DIR]... -o IMAGE.elf [--layout LAYOUT.txt]

Runs `moat-polc build` for the kernel tables, compiles them and links the kernel with
them, then runs `moat-polc build --kernel` for the image. -I DIR is where the subject
ELFs named in the policy are found (repeatable). The installed copy knows where the
SDK put moat-polc, the kernel and the kernel's flags for tables.c (kernel-cflags.txt,
written by the Moat build); the in-tree build passes every path explicitly.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

# Filled in by `meson install` (configure_file); empty in the source tree.
INSTALLED = {
    "polc": "@POLC@",
    "kernel_archive": "@KERNEL_ARCHIVE@",
    "kernel_ld": "@KERNEL_LD@",
    "include": "@INCLUDEDIR@",
    "cflags_file": "@KERNEL_CFLAGS@",
}


def default(name):
    value = INSTALLED[name]
    return None if value.startswith("@") else value


def read_cflags(path):
    """The flags for tables.c, one per line, as the Moat build wrote them (fs_tables_cflags)."""
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def run(cmd):
    proc = subprocess.run(cmd)
    if proc.returncode != 0:
        sys.exit(proc.returncode)


def main():
    ap = argparse.ArgumentParser(description="Build a bootable Moat system image.")
    ap.add_argument("xml", help="the system policy")
    ap.add_argument("-I", dest="dirs", action="append", default=[],
                    help="folder holding subject ELFs named in the policy")
    ap.add_argument("-o", dest="image", required=True, help="the image to write")
    ap.add_argument("--layout", help="also write the layout report here")
    ap.add_argument("--tables", help="also keep the generated tables.c here")
    ap.add_argument("--polc", default=default("polc"))
    ap.add_argument("--kernel-archive", default=default("kernel_archive"))
    ap.add_argument("--kernel-ld", default=default("kernel_ld"))
    ap.add_argument("--cflags-file", default=default("cflags_file"),
                    help="the kernel build's flags for tables.c (kernel-cflags.txt)")
    ap.add_argument("--include", action="append", default=[],
                    help="header folder for tables.c (moat/abi/tables.h)")
    ap.add_argument("--clang", default=shutil.which("clang") or "clang")
    ap.add_argument("--lld", default=shutil.which("ld.lld") or "ld.lld")
    args = ap.parse_args()
    includes = args.include or ([default("include")] if default("include") else [])
    for what in ("polc", "kernel_archive", "kernel_ld", "cflags_file"):
        if not getattr(args, what):
            ap.error(f"--{what.replace('_', '-')} is needed (not an installed moat-image)")

    cflags = read_cflags(args.cflags_file)
    polc = [args.polc, "build", args.xml]
    for d in args.dirs:
        polc += ["-I", d]
    with tempfile.TemporaryDirectory(prefix="moat-image-") as tmp:
        run(polc + ["-o", tmp])
        tables_o = os.path.join(tmp, "tables.o")
        kernel = os.path.join(tmp, "kernel.elf")
        run([args.clang] + cflags + [f"-I{i}" for i in includes] +
            ["-c", os.path.join(tmp, "tables.c"), "-o", tables_o])
        run([args.lld, "-nostdlib", "-z", "max-page-size=4096", "--gc-sections",
             "-T", args.kernel_ld, "--whole-archive", args.kernel_archive,
             "--no-whole-archive", tables_o, "-o", kernel])
        run(polc + ["-o", tmp, "--kernel", kernel])
        shutil.copyfile(os.path.join(tmp, "system.elf"), args.image)
        if args.layout:
            shutil.copyfile(os.path.join(tmp, "layout.txt"), args.layout)
        if args.tables:
            shutil.copyfile(os.path.join(tmp, "tables.c"), args.tables)
    return 0


if __name__ == "__main__":
    sys.exit(main())
