#!/usr/bin/env python3
"""Count the kernel's lines of C and assembly without blank lines and comments.

Counts kernel/core, kernel/arch and kernel/include (*.c, *.h, *.S); kernel/tests (host
tests, the fake arch, fixtures) and the generated tables are not part of it.
Usage: kernel/tools/count_lines.py [--files] [--max N]   (run from anywhere)
With --max, exits 1 when the total exceeds N (the kernel's line budget test).
"""
import pathlib
import re
import sys

KERNEL = pathlib.Path(__file__).resolve().parent.parent
DIRS = ["core", "arch", "include"]


def code_lines(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return sum(1 for line in text.splitlines() if line.strip())


def main():
    total = 0
    rows = []
    for d in DIRS:
        for path in sorted((KERNEL / d).rglob("*")):
            if path.suffix in (".c", ".h", ".S"):
                n = code_lines(path.read_text())
                rows.append((n, path.relative_to(KERNEL.parent)))
                total += n
    if "--files" in sys.argv:
        for n, path in rows:
            print(f"{n:6d}  {path}")
    print(f"{total:6d}  kernel/ total (C + assembly, no blanks or comments, tests excluded)")
    if "--max" in sys.argv:
        limit = int(sys.argv[sys.argv.index("--max") + 1])
        if total > limit:
            print(f"over the budget of {limit} lines")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
