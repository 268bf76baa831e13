#!/usr/bin/env python3
"""Check the shape of the kernel's return path where no emulator can show it.

Usage: check_exit_path.py OBJDUMP KERNEL.elf

Under QEMU TCG and Bochs the speculation mitigations do nothing observable: removing
VERW before iretq, or the IBPB/RSB-fill call on a change of subject, leaves every booted
test green. So this reads the linked kernel's code instead:
  - the instruction right before `tramp_iret` (the iretq to ring 3) is VERW, so the
    buffers are cleared after the last register is restored (tramp.S; skipped at run
    time only where the CPU does not need it);
  - kernel C calls `cpu_spec_switch` (entry.c: on a change of subject, before entering it).
Exits 1 with what is missing.
"""
import re
import subprocess
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    objdump, kernel = sys.argv[1], sys.argv[2]
    text = subprocess.run([objdump, "-d", "--no-show-raw-insn", kernel], check=True,
                          capture_output=True, text=True).stdout
    lines = text.splitlines()
    failures = []
    iret = [i for i, line in enumerate(lines) if re.search(r"<tramp_iret>:\s*$", line)]
    if len(iret) != 1:
        failures.append("no single tramp_iret label")
    else:
        before = [line for line in lines[:iret[0]] if re.match(r"\s*[0-9a-f]+:\s", line)]
        after = [line for line in lines[iret[0] + 1:] if re.match(r"\s*[0-9a-f]+:\s", line)]
        if not before or "verw" not in before[-1].split(":", 1)[1]:
            failures.append("the instruction before tramp_iret is not verw: %r"
                            % (before[-1].strip() if before else None))
        if not after or "iretq" not in after[0]:
            failures.append("tramp_iret is not an iretq: %r" % (after[0].strip() if after else None))
    calls = [line for line in lines if re.search(r"\bcall\s.*<cpu_spec_switch>", line)]
    if not calls:
        failures.append("nothing calls cpu_spec_switch (IBPB, RSB fill, L1D flush on a "
                        "change of subject)")
    for f in failures:
        print("FAIL: " + f)
    if not failures:
        print("exit path: verw right before the iretq; cpu_spec_switch called %d time(s)"
              % len(calls))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
