#!/usr/bin/env python3
"""Out-of-tree test: what docs/tutorial.md tells a new user to do, end to end.

Installs Moat from SOURCE into a temporary prefix, copies sdk/template to a temporary
folder outside the source tree, builds it there against the installed SDK with the
shipped cross file, runs its host unit test, builds the system image with moat-image
and boots it with moat-run, which must end in a clean poweroff with the expected log.

Usage: template_out_of_tree.py --source SOURCE_DIR [--keep]
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

EXPECTED = ["[app] app ready on CPU 0", "[app] answered 1, total 285",
            "[feeder] all 10 replies correct, total 285"]


def run(cmd, env=None, cwd=None, capture=False):
    print("+", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, env=env, cwd=cwd, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.STDOUT if capture else None)
    if capture:
        print(proc.stdout, flush=True)
    return proc


def check(proc, what):
    if proc.returncode != 0:
        print(f"FAIL: {what} (status {proc.returncode})")
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="moat-oot-")
    try:
        prefix = os.path.join(tmp, "prefix")
        build = os.path.join(tmp, "moat-build")
        check(run(["meson", "setup", build, args.source, f"--prefix={prefix}",
                   "-Dtests=disabled", "-Dintegration=disabled"]), "configure Moat")
        check(run(["meson", "install", "-C", build, "--quiet"]), "install Moat")

        cross = os.path.join(prefix, "share", "moat-sdk", "moat-x86_64.ini")
        pcs = glob.glob(os.path.join(prefix, "**", "moat-sdk.pc"), recursive=True)
        if not os.path.isfile(cross) or len(pcs) != 1:
            print("FAIL: the install lacks the cross file or moat-sdk.pc")
            return 1
        project = os.path.join(tmp, "my-subject")
        shutil.copytree(os.path.join(args.source, "sdk", "template"), project)
        env = dict(os.environ, PATH=os.path.join(prefix, "bin") + os.pathsep + os.environ["PATH"])
        check(run(["meson", "setup", "build", "--cross-file", cross,
                   f"-Dbuild.pkg_config_path={os.path.dirname(pcs[0])}"], env=env, cwd=project),
              "configure the template against the installed SDK")
        check(run(["meson", "compile", "-C", "build"], env=env, cwd=project), "build it")
        check(run(["meson", "test", "-C", "build"], env=env, cwd=project),
              "its host unit test")
        image = os.path.join(project, "build", "system.elf")
        if not os.path.isfile(image):
            print("FAIL: no build/system.elf")
            return 1
        proc = run(["moat-run", image, "--timeout", "60"], env=env, capture=True)
        check(proc, "moat-run: boot to a clean poweroff")
        pos = 0
        for line in EXPECTED:
            found = proc.stdout.find(line, pos)
            if found < 0:
                print(f"FAIL: missing (in order): {line}")
                return 1
            pos = found + len(line)
        for bad in ("PANIC", "audit"):
            if bad in proc.stdout:
                print(f"FAIL: the log contains {bad}")
                return 1
        print("PASS")
        return 0
    finally:
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
