#!/usr/bin/env python3
"""Copy examples/pingpong's files into the code blocks of docs/tutorial.md.

The tutorial shows each file after a `<!-- file: NAME -->` marker; sdk-out-of-tree fails
when a shown file differs from examples/pingpong/NAME. After changing the example, run
this from the top of the tree (or pass the tree): sync-tutorial.py [SOURCE_DIR]
meson.build is left alone: the tutorial's is an out-of-tree project, the example's is
part of this tree's build.
"""
import os
import re
import sys


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else "."
    path = os.path.join(source, "docs", "tutorial.md")
    text = open(path).read()
    changed = []

    def replace(m):
        name, head, body = m.group(1), m.group(2), m.group(3)
        example = os.path.join(source, "examples", "pingpong", name)
        if name == "meson.build" or not os.path.isfile(example):
            return m.group(0)
        new = open(example).read()
        if new != body:
            changed.append(name)
        return f"<!-- file: {name} -->\n{head}{new}```"

    text = re.sub(r"<!-- file: (\S+) -->\n(.*?\n```\w*\n)(.*?)```", replace, text, flags=re.S)
    with open(path, "w") as f:
        f.write(text)
    print("updated:", ", ".join(changed) if changed else "nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
