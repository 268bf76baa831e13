#!/usr/bin/env python3
"""Install files another part of the build made (crt0.o, the freestanding libchannel
archive) into the SDK folders:

    install_built.py DEST_RELATIVE_TO_PREFIX FILE...

A relative FILE is taken from the build root. Meson cannot attach an install rule to a
target defined in a folder the SDK does not own, so
`meson install` runs this script instead. A file that was not built is reported and
skipped: `meson install` builds what is built by default, and the SDK still installs.
"""
import os
import shutil
import sys


def main():
    dest_rel = sys.argv[1]
    prefix = os.environ.get("MESON_INSTALL_DESTDIR_PREFIX") or os.environ["MESON_INSTALL_PREFIX"]
    dest = os.path.join(prefix, dest_rel)
    os.makedirs(dest, exist_ok=True)
    for path in sys.argv[2:]:
        path = os.path.join(os.environ.get("MESON_BUILD_ROOT", "."), path)
        if not os.path.isfile(path):
            print("moat-sdk: not built, not installed:", path, file=sys.stderr)
            continue
        shutil.copy2(path, os.path.join(dest, os.path.basename(path)))
        if not os.environ.get("MESON_INSTALL_QUIET"):
            print("Installing", path, "to", dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
