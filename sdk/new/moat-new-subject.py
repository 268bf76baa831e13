#!/usr/bin/env python3
"""moat-new-subject: start a new native subject project from the installed SDK template.

Usage: moat-new-subject [--name NAME] DIR

Copies the template installed with the SDK (PREFIX/share/moat-sdk/template: a subject
"app" with its message handler kept apart and unit-tested on the host, a test peer
"feeder", the policy system.xml and the meson.build that builds it all into a bootable
image) into DIR, which must not exist or be empty. The project is named NAME (default:
DIR's last component). The README and meson.build name this install's cross file and
pkg-config folder, and the commands to build, test and boot the project are printed.
The install is found relative to this script, so a moved install still works.
"""
import argparse
import os
import re
import shlex
import shutil
import sys

# Filled in by Meson: the install's folders, relative to the prefix (or absolute).
BINDIR = "@BINDIR@"
DATADIR = "@DATADIR@"
LIBDIR = "@LIBDIR@"

TEMPLATE_PROJECT = "project('moat-subject',"
CROSS_PLACEHOLDER = "PREFIX/share/moat-sdk/moat-x86_64.ini"
PKGCONFIG_PLACEHOLDER = "PREFIX/LIBDIR/pkgconfig"


def install_prefix():
    """The prefix this script is installed under: BINDIR's parent as many levels up."""
    here = os.path.dirname(os.path.realpath(__file__))
    if os.path.isabs(BINDIR):
        return None
    prefix = here
    for _ in BINDIR.strip("/").split("/"):
        prefix = os.path.dirname(prefix)
    return prefix


def under(prefix, folder):
    return folder if os.path.isabs(folder) else os.path.join(prefix, folder)


def fail(message):
    print(f"moat-new-subject: {message}", file=sys.stderr)
    return 1


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="moat-new-subject",
        description="Create a new Moat subject project from the SDK's template.")
    ap.add_argument("dir", metavar="DIR", help="the new project's folder (new or empty)")
    ap.add_argument("--name", help="the Meson project name (default: DIR's last component)")
    args = ap.parse_args(argv)

    prefix = install_prefix()
    if prefix is None:
        return fail(f"installed with an absolute bindir ({BINDIR}): cannot find the SDK")
    template = os.path.join(under(prefix, DATADIR), "moat-sdk", "template")
    cross = os.path.join(under(prefix, DATADIR), "moat-sdk", "moat-x86_64.ini")
    pkgconfig = os.path.join(under(prefix, LIBDIR), "pkgconfig")
    if not os.path.isfile(os.path.join(template, "meson.build")):
        return fail(f"no SDK template at {template}: is the Moat SDK installed there?")

    target = os.path.abspath(os.path.expanduser(args.dir))
    name = args.name or os.path.basename(target.rstrip("/"))
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]*", name):
        return fail(f"'{name}' cannot be a project name: use letters, digits and _.+- "
                    "(or give --name)")
    if os.path.exists(target) and (not os.path.isdir(target) or os.listdir(target)):
        return fail(f"{args.dir} exists and is not an empty folder: choose a new one")

    meson_build = open(os.path.join(template, "meson.build")).read()
    if TEMPLATE_PROJECT not in meson_build:
        return fail(f"the template's meson.build has no {TEMPLATE_PROJECT} line to rename")
    shutil.copytree(template, target, dirs_exist_ok=True)
    for file_name in ("meson.build", "README.md"):
        path = os.path.join(target, file_name)
        text = open(path).read()
        text = text.replace(TEMPLATE_PROJECT, f"project('{name}',")
        text = text.replace(CROSS_PLACEHOLDER, cross).replace(PKGCONFIG_PLACEHOLDER, pkgconfig)
        with open(path, "w") as f:
            f.write(text)

    q = shlex.quote
    print(f"moat-new-subject: created {args.dir}, project '{name}', from the SDK template:\n"
          "  app (main.c, its message handler handler.c, their host tests test_main.c\n"
          "  and test_handler.c), the test peer feeder.c, the policy system.xml, meson.build.\n"
          "Build it, run the host test, boot it:\n"
          f"  cd {q(args.dir)}\n"
          f"  meson setup build --cross-file {q(cross)} \\\n"
          f"      -Dbuild.pkg_config_path={q(pkgconfig)}\n"
          "  meson compile -C build && meson test -C build\n"
          "  moat-run build/system.elf")
    for path, what in ((cross, "cross file"), (pkgconfig, "pkg-config folder")):
        if not os.path.exists(path):
            print(f"moat-new-subject: warning: the SDK's {what} {path} is missing",
                  file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
