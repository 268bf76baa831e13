#!/usr/bin/env python3
"""moat-image: build a bootable Moat system image from a policy.

    moat-image SYSTEM.xml [-I DIR]... -o IMAGE.elf [--layout LAYOUT.txt]

Runs `moat-polc build` for the kernel tables, compiles them and links the kernel with
them, then runs `moat-polc build --kernel` for the image. -I DIR is where the subject
ELFs named in the policy are found (repeatable). The installed copy knows where the
SDK put moat-polc and the kernel; the in-tree build passes every path explicitly.
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
}

# Flags for the generated tables.c: what the kernel build uses for its own objects.
TABLE_CFLAGS = [
    "--target=x86_64-unknown-none-elf", "-std=c11", "-ffreestanding", "-fno-builtin",
    "-nostdlibinc", "-fno-stack-protector", "-fno-pic", "-fno-pie", "-mno-red-zone",
    "-O2", "-mcmodel=small", "-mgeneral-regs-only", "-fno-asynchronous-unwind-tables",
    "-ffunction-sections", "-fdata-sections",
]


def default(name):
    value = INSTALLED[name]
    return None if value.startswith("@") else value


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
    ap.add_argument("--include", action="append", default=[],
                    help="header folder for tables.c (moat/abi/tables.h)")
    ap.add_argument("--clang", default=shutil.which("clang") or "clang")
    ap.add_argument("--lld", default=shutil.which("ld.lld") or "ld.lld")
    args = ap.parse_args()
    includes = args.include or ([default("include")] if default("include") else [])
    for what in ("polc", "kernel_archive", "kernel_ld"):
        if not getattr(args, what):
            ap.error(f"--{what.replace('_', '-')} is needed (not an installed moat-image)")

    polc = [args.polc, "build", args.xml]
    for d in args.dirs:
        polc += ["-I", d]
    with tempfile.TemporaryDirectory(prefix="moat-image-") as tmp:
        run(polc + ["-o", tmp])
        tables_o = os.path.join(tmp, "tables.o")
        kernel = os.path.join(tmp, "kernel.elf")
        run([args.clang] + TABLE_CFLAGS + [f"-I{i}" for i in includes] +
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
