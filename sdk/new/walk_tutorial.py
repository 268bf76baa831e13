#!/usr/bin/env python3
"""Walk docs/tutorial.md as a new user would, and fail where the page and Moat disagree.

From an empty temporary $HOME, in the order the page shows them:
  - every ```sh block runs in bash (set -euo pipefail), in the folder and with the
    environment the previous block left (cd and export carry over, as in one terminal);
    `git clone <moat repository> moat-src` is replaced by a copy of SOURCE's files
    (tracked and new, not ignored ones such as build folders) with `build` configured
    as scripts/quickstart leaves it (`meson setup build`), since the README sends a new
    user there first;
  - every block marked <!-- file: NAME --> is written to NAME in the current folder;
  - a plain ``` block right after a ```sh block is that block's output: each of its
    lines except `...` must appear, in order, in what the commands printed.
A command that fails, or output the page shows but Moat does not print, fails the walk
with the section and the block. The walk never installs outside its temporary folder:
a `meson` shim first on PATH refuses `meson install` of a build whose prefix lies
elsewhere, and fails `meson setup` of a folder that is configured already (Meson only
says so and exits with 0, and the next command would install into /usr/local).

Usage: walk_tutorial.py --source SOURCE_DIR [--keep] [--page docs/tutorial.md]
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

CLONE_LINE = "git clone <moat repository> moat-src"
BLOCK_TIMEOUT = 1500  # seconds: the first block builds and installs all of Moat
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
FILE_MARK = re.compile(r"<!-- file: (\S+) -->")
HEADING = re.compile(r"^#+\s+(.*)$")


class Failure(Exception):
    pass


def parse(text):
    """The page's steps in order: ("run", section, body), ("file", section, name, body),
    ("expect", section, lines)."""
    steps = []
    lines = text.split("\n")
    section = "the top"
    pending_file = None
    after_run = False  # only blank lines since a sh block closed
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = HEADING.match(line)
        if heading:
            section = heading.group(1)
        mark = FILE_MARK.search(line)
        if mark:
            pending_file = mark.group(1)
        fence = FENCE.match(line)
        if not fence:
            if line.strip():
                after_run = False
            i += 1
            continue
        indent, lang = fence.group(1), fence.group(2)
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            inner = lines[i]
            body.append(inner[len(indent):] if inner.startswith(indent) else inner.lstrip())
            i += 1
        if i == len(lines):
            raise Failure(f"{section}: a ``` block is never closed")
        i += 1
        content = "\n".join(body) + "\n"
        if pending_file is not None:
            steps.append(("file", section, pending_file, content))
            pending_file = None
            after_run = False
        elif lang == "sh":
            steps.append(("run", section, content))
            after_run = True
            continue
        elif lang == "" and after_run:
            steps.append(("expect", section, body))
        after_run = False
    return steps


def copy_tree(source, dest):
    """SOURCE's files as a clone would have them, plus new files not yet committed, and
    the `build` folder scripts/quickstart configures."""
    listed = subprocess.run(["git", "-C", source, "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], check=True, capture_output=True).stdout
    for rel in sorted(set(p.decode() for p in listed.split(b"\0") if p)):
        src = os.path.join(source, rel)
        if not os.path.lexists(src):
            continue  # deleted in the work tree
        dst = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
    subprocess.run(["meson", "setup", "build"], cwd=dest, check=True, stdout=subprocess.DEVNULL)


# A `meson` for the walk: the real one, with the two guards described above.
MESON_SHIM = """#!{python}
import json, os, subprocess, sys
REAL, ROOT = {real!r}, {root!r}
args = sys.argv[1:]
if args[:1] == ["install"] and "-C" in args:
    build = args[args.index("-C") + 1]
    options = json.loads(subprocess.run([REAL, "introspect", build, "--buildoptions"],
                                        check=True, capture_output=True, text=True).stdout)
    prefix = next(o["value"] for o in options if o["name"] == "prefix")
    if os.path.commonpath([os.path.realpath(prefix), ROOT]) != ROOT:
        sys.exit(f"walk_tutorial: refusing `meson install` into {{prefix}}, outside the walk")
if args[:1] == ["setup"]:
    proc = subprocess.run([REAL] + args, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    sys.stdout.write(proc.stdout)
    if "Directory already configured" in proc.stdout:
        sys.exit("walk_tutorial: `meson setup` of a folder configured already did nothing")
    sys.exit(proc.returncode)
os.execv(REAL, [REAL] + args)
"""


def make_meson_shim(root):
    real = shutil.which("meson")
    if real is None:
        raise Failure("no meson on PATH")
    shim_dir = os.path.join(root, "shim")
    os.makedirs(shim_dir)
    shim = os.path.join(shim_dir, "meson")
    with open(shim, "w") as f:
        f.write(MESON_SHIM.format(python=sys.executable, real=real, root=os.path.realpath(root)))
    os.chmod(shim, 0o755)
    return shim_dir


def run_block(body, state, env, source):
    if CLONE_LINE in body:
        body = body.replace(CLONE_LINE, " ".join(shlex.quote(a) for a in [
            sys.executable, os.path.abspath(__file__), "--copy-tree", source, "moat-src"]))
    script = "\n".join([
        "set -euo pipefail",
        f"source {shlex.quote(os.path.join(state, 'env'))}",
        f"cd \"$(cat {shlex.quote(os.path.join(state, 'cwd'))})\"",
        "set -x",
        body,
        "{ set +x; } 2>/dev/null",
        f"pwd > {shlex.quote(os.path.join(state, 'cwd'))}",
        f"export -p > {shlex.quote(os.path.join(state, 'env'))}",
    ])
    try:
        proc = subprocess.run(["bash", "-c", script], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=BLOCK_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        output = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        print(output, flush=True)
        raise Failure(f"still running after {BLOCK_TIMEOUT} s")
    print(proc.stdout, flush=True)
    if proc.returncode != 0:
        raise Failure(f"exit status {proc.returncode}")
    return proc.stdout


def check_output(shown, printed):
    position = 0
    for line in shown:
        if line.strip() in ("", "..."):
            continue
        found = printed.find(line.strip(), position)
        if found < 0:
            raise Failure(f"the page shows {line.strip()!r}, not printed (after what came "
                          "before it on the page)")
        position = found + len(line.strip())


def walk(page, source, home):
    steps = parse(open(page).read())
    if not any(s[0] == "run" and CLONE_LINE in s[2] for s in steps):
        raise Failure(f"the page has no `{CLONE_LINE}` line: the walker replaces it "
                      "with a copy of the tree")
    state = os.path.join(os.path.dirname(home), "state")
    os.makedirs(state)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MESON", "NINJA", "PKG_CONFIG", "MOAT"))}
    env["HOME"] = home
    env["PATH"] = make_meson_shim(os.path.dirname(home)) + os.pathsep + env["PATH"]
    with open(os.path.join(state, "cwd"), "w") as f:
        f.write(home + "\n")
    with open(os.path.join(state, "env"), "w") as f:
        f.write("")
    printed = ""
    for number, step in enumerate(steps, 1):
        kind, section = step[0], step[1]
        where = f"step {number} ({section})"
        try:
            if kind == "run":
                print(f"=== {where}: run\n{step[2]}", flush=True)
                printed = run_block(step[2], state, env, source)
            elif kind == "file":
                cwd = open(os.path.join(state, "cwd")).read().strip()
                print(f"=== {where}: write {os.path.join(cwd, step[2])}", flush=True)
                with open(os.path.join(cwd, step[2]), "w") as f:
                    f.write(step[3])
            else:
                print(f"=== {where}: check the output shown", flush=True)
                check_output(step[2], printed)
        except Failure as e:
            block = "\n".join(step[2] if kind == "expect" else [str(step[-1])])
            raise Failure(f"{where}: {e}\nthe block:\n{block}")
    return len(steps)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source")
    ap.add_argument("--page")
    ap.add_argument("--keep", action="store_true", help="keep the temporary $HOME")
    ap.add_argument("--copy-tree", nargs=2, metavar=("SOURCE", "DEST"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.copy_tree:
        copy_tree(os.path.abspath(args.copy_tree[0]), os.path.abspath(args.copy_tree[1]))
        return 0
    if not args.source:
        ap.error("--source is required")
    source = os.path.abspath(args.source)
    page = args.page or os.path.join(source, "docs", "tutorial.md")
    tmp = tempfile.mkdtemp(prefix="moat-tutorial-")
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    failure = None
    try:
        count = walk(page, source, home)
    except Failure as e:
        failure = e
    if args.keep:
        print("kept", tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    if failure is not None:
        print(f"FAIL: {failure}")
        return 1
    print(f"PASS: {count} steps of {os.path.relpath(page, source)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
