#!/usr/bin/env python3
"""Count the kernel's lines of C and assembly without blank lines and comments.

Counts kernel/core, kernel/arch and kernel/include (*.c, *.h, *.S); kernel/tests (host
tests, the fake arch, fixtures) and the generated tables are not part of it.
The files that exist only for VM subjects (VM_FILES) are counted apart, with their own
budget; the hooks VMs need in shared files count with the rest.
Usage: kernel/tools/count_lines.py [--files] [--max N] [--vm-max N]   (run from anywhere)
With --max (--vm-max), exits 1 when the total without (of) the VM files exceeds N (the
kernel's line budget test).
"""
import pathlib
import re
import sys

KERNEL = pathlib.Path(__file__).resolve().parent.parent
DIRS = ["core", "arch", "include"]
VM_FILES = {
    "core/tables_check.h", "core/tables_vm.c", "core/vm.c", "core/vm.h",
    "arch/x86_64/svm.c", "arch/x86_64/svm.h", "arch/x86_64/svm_run.S", "arch/x86_64/vcpu.c",
}


def code_lines(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return sum(1 for line in text.splitlines() if line.strip())


def main():
    total = 0
    vm = 0
    rows = []
    for d in DIRS:
        for path in sorted((KERNEL / d).rglob("*")):
            if path.suffix in (".c", ".h", ".S"):
                n = code_lines(path.read_text())
                rows.append((n, path.relative_to(KERNEL.parent)))
                if path.relative_to(KERNEL).as_posix() in VM_FILES:
                    vm += n
                else:
                    total += n
    if "--files" in sys.argv:
        for n, path in rows:
            print(f"{n:6d}  {path}")
    print(f"{total:6d}  kernel/ without the VM files (C + assembly, no blanks or comments, "
          "tests excluded)")
    print(f"{vm:6d}  VM files")
    status = 0
    for option, count in (("--max", total), ("--vm-max", vm)):
        if option in sys.argv:
            limit = int(sys.argv[sys.argv.index(option) + 1])
            if count > limit:
                print(f"{option}: over the budget of {limit} lines")
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
