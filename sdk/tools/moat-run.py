#!/usr/bin/env python3
"""moat-run: boot a Moat system image in QEMU with the serial console on the terminal.

    moat-run IMAGE.elf [--gdb] [--timeout S] [--memory M] [-- QEMU-ARGS...]

Exit status: 0 when the system powered off (a poweroff event), 1 when the kernel
refused to run or panicked, 2 when QEMU ended any other way, 124 on --timeout.
--gdb starts QEMU halted with a GDB server on localhost:1234.
"""
import argparse
import os
import shutil
import subprocess
import sys

# The kernel's isa-debug-exit writes: QEMU exits with (value << 1) | 1.
QEMU_POWEROFF = 1
QEMU_KERNEL_FAILURE = 3


def qemu_command(args):
    cmd = [args.qemu, "-kernel", args.image, "-cpu", "max", "-m", args.memory,
           "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if args.gdb:
        cmd += ["-s", "-S"]
    return cmd + args.qemu_args


def main():
    ap = argparse.ArgumentParser(description="Boot a Moat system image in QEMU.")
    ap.add_argument("image")
    ap.add_argument("--gdb", action="store_true",
                    help="wait for a debugger on localhost:1234 before booting")
    ap.add_argument("--timeout", type=float, help="stop QEMU after this many seconds")
    ap.add_argument("--memory", default="256M", help="guest RAM (QEMU -m), default 256M")
    ap.add_argument("--qemu", default=shutil.which("qemu-system-x86_64") or
                    "qemu-system-x86_64")
    ap.add_argument("--print-command", action="store_true",
                    help="print the QEMU command line and exit")
    argv = sys.argv[1:]
    # Everything after "--" goes to QEMU untouched (argparse would bind it to nothing).
    qemu_args = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.qemu_args = qemu_args
    if not os.path.isfile(args.image):
        ap.error(f"{args.image}: no such image")
    cmd = qemu_command(args)
    if args.print_command:
        print(" ".join(cmd))
        return 0
    if args.gdb:
        print(f"moat-run: waiting for GDB: gdb {args.image} -ex 'target remote :1234'",
              file=sys.stderr)
    try:
        status = subprocess.run(cmd, timeout=args.timeout).returncode
    except subprocess.TimeoutExpired:
        print(f"moat-run: timed out after {args.timeout:g} s", file=sys.stderr)
        return 124
    if status == QEMU_POWEROFF:
        return 0
    if status == QEMU_KERNEL_FAILURE:
        print("moat-run: the kernel refused to run or panicked", file=sys.stderr)
        return 1
    print(f"moat-run: QEMU ended without a poweroff (status {status})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
