#!/usr/bin/env python3
"""moat-run's contract, with a stand-in for QEMU: the command line it starts QEMU with,
and how QEMU's exit status becomes moat-run's (poweroff 0, kernel failure 1, anything
else 2, timeout 124).

Usage: test_moat_run.py MOAT_RUN
"""
import os
import stat
import subprocess
import sys
import tempfile


def fake_qemu(folder, status, sleep=0):
    path = os.path.join(folder, f"qemu-{status}-{sleep}")
    with open(path, "w") as f:
        # exec: the timeout's kill must reach the sleeping process itself.
        tail = f"exec sleep {sleep}\n" if sleep else f"exit {status}\n"
        f.write(f"#!/bin/sh\necho \"$@\" > \"{path}.args\"\n{tail}")
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


def moat_run(tool, qemu, image, *extra):
    cmd = [sys.executable, tool, image, "--qemu", qemu] + list(extra)
    return subprocess.run(cmd, capture_output=True, text=True).returncode


def main():
    tool = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        image = os.path.join(tmp, "system.elf")
        open(image, "w").close()
        for qemu_status, expected in ((1, 0), (3, 1), (0, 2), (2, 2)):
            got = moat_run(tool, fake_qemu(tmp, qemu_status), image)
            if got != expected:
                failures.append(f"QEMU status {qemu_status}: moat-run {got}, want {expected}")
        slow = fake_qemu(tmp, 1, sleep=5)
        got = moat_run(tool, slow, image, "--timeout", "0.5")
        if got != 124:
            failures.append(f"timeout: moat-run {got}, want 124")

        qemu = fake_qemu(tmp, 1)
        moat_run(tool, qemu, image, "--gdb", "--memory", "64M", "--", "-smp", "2")
        args = open(qemu + ".args").read().split()
        for want in (["-kernel", image], ["-serial", "stdio"], ["-m", "64M"], ["-s", "-S"],
                     ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"], ["-smp", "2"]):
            if not any(args[i:i + len(want)] == want for i in range(len(args))):
                failures.append(f"QEMU arguments lack {' '.join(want)}: {' '.join(args)}")
        if moat_run(tool, qemu, os.path.join(tmp, "missing.elf")) == 0:
            failures.append("a missing image did not fail")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
