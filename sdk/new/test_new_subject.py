#!/usr/bin/env python3
"""moat-new-subject on a staged install: the configured tool is put in PREFIX/BINDIR next
to a copy of the template in PREFIX/DATADIR/moat-sdk/template, as `meson install` lays
them out, and run from there (also after the staged install is moved):
  - the new project holds every template file, the same except the project name and the
    install's real cross file and pkg-config paths in place of the placeholders;
  - the commands it prints name that folder and those paths;
  - a non-empty folder, an existing file and a bad project name are refused, untouched.
Building and booting the project is the tutorial walk's job (sdk-tutorial-walk).

Usage: test_new_subject.py --tool TOOL --template DIR --bindir B --datadir D --libdir L
"""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile


class Failure(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise Failure(what)


def stage(root, args):
    prefix = os.path.join(root, "prefix")
    bindir = os.path.join(prefix, args.bindir)
    sdk_data = os.path.join(prefix, args.datadir, "moat-sdk")
    os.makedirs(bindir)
    shutil.copy(args.tool, os.path.join(bindir, "moat-new-subject"))
    shutil.copytree(args.template, os.path.join(sdk_data, "template"))
    open(os.path.join(sdk_data, "moat-x86_64.ini"), "w").close()
    os.makedirs(os.path.join(prefix, args.libdir, "pkgconfig"))
    return prefix


def run(prefix, args, *tool_args, cwd=None):
    tool = os.path.join(prefix, args.bindir, "moat-new-subject")
    return subprocess.run([sys.executable, tool, *tool_args], cwd=cwd, text=True,
                          capture_output=True)


def check_project(prefix, args, project, name, printed):
    cross = os.path.join(prefix, args.datadir, "moat-sdk", "moat-x86_64.ini")
    pkgconfig = os.path.join(prefix, args.libdir, "pkgconfig")
    template_files = sorted(os.listdir(args.template))
    expect(sorted(os.listdir(project)) == template_files,
           f"the project has {sorted(os.listdir(project))}, the template {template_files}")
    for file_name in template_files:
        new = os.path.join(project, file_name)
        if file_name in ("meson.build", "README.md"):
            text = open(new).read()
            expect("PREFIX/" not in text, f"{file_name} still says PREFIX/...")
            expect(cross in text and pkgconfig in text,
                   f"{file_name} does not name {cross} and {pkgconfig}")
        else:
            expect(filecmp.cmp(new, os.path.join(args.template, file_name), shallow=False),
                   f"{file_name} differs from the template's")
    meson_build = open(os.path.join(project, "meson.build")).read()
    expect(f"project('{name}'," in meson_build, f"meson.build is not project '{name}'")
    for piece in (f"--cross-file {cross}", f"-Dbuild.pkg_config_path={pkgconfig}",
                  "meson compile -C build && meson test -C build", "moat-run build/system.elf"):
        expect(piece in printed, f"the printed commands lack {piece!r}:\n{printed}")


def check_all(root, args):
    prefix = stage(root, args)
    work = os.path.join(root, "work")
    os.makedirs(work)

    proc = run(prefix, args, "my-subject", cwd=work)
    expect(proc.returncode == 0, f"status {proc.returncode}: {proc.stderr}")
    expect("cd my-subject" in proc.stdout, f"no `cd my-subject` in:\n{proc.stdout}")
    check_project(prefix, args, os.path.join(work, "my-subject"), "my-subject", proc.stdout)

    # An empty folder is fine, and --name names the project.
    os.makedirs(os.path.join(work, "empty"))
    proc = run(prefix, args, "--name", "sensor", os.path.join(work, "empty"))
    expect(proc.returncode == 0, f"empty folder refused: {proc.stderr}")
    check_project(prefix, args, os.path.join(work, "empty"), "sensor", proc.stdout)

    # Refusals leave everything as it was.
    open(os.path.join(work, "a-file"), "w").close()
    for bad, message in ((["my-subject"], "exists and is not an empty folder"),
                         (["a-file"], "exists and is not an empty folder"),
                         (["--name", "no spaces", "fresh"], "cannot be a project name")):
        before = sorted(os.listdir(work))
        proc = run(prefix, args, *bad, cwd=work)
        expect(proc.returncode == 1 and message in proc.stderr,
               f"{bad}: status {proc.returncode}, stderr {proc.stderr!r}")
        expect(sorted(os.listdir(work)) == before, f"{bad} changed the folder")

    # The install moved elsewhere: the tool finds its new place.
    moved = os.path.join(root, "moved")
    shutil.move(prefix, moved)
    proc = run(moved, args, os.path.join(work, "after-move"))
    expect(proc.returncode == 0, f"after the move: {proc.stderr}")
    check_project(moved, args, os.path.join(work, "after-move"), "after-move", proc.stdout)

    # No template where the tool looks: a clear message, not a traceback.
    shutil.rmtree(os.path.join(moved, args.datadir, "moat-sdk", "template"))
    proc = run(moved, args, os.path.join(work, "nowhere"))
    expect(proc.returncode == 1 and "no SDK template at" in proc.stderr,
           f"without a template: {proc.returncode} {proc.stderr!r}")


def main():
    ap = argparse.ArgumentParser()
    for option in ("--tool", "--template", "--bindir", "--datadir", "--libdir"):
        ap.add_argument(option, required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="moat-new-subject-") as root:
        try:
            check_all(root, args)
        except Failure as e:
            print("FAIL:", e)
            return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
