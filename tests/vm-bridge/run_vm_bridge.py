#!/usr/bin/env python3
"""vm-bridge: examples/linux-bridge's VM case, built the way a user would build it.

Installs the build into a temporary DESTDIR, compiles the guest programs statically with
nothing but the installed Linux SDK (`pkg-config --cflags moat-linux`, libmoat-linux.a,
libchannel.a): linux-bridge-host (examples/linux-bridge/host.c), channel-cat
channel-stat, channel-put (libchannel/tools) and vm-bridge-probe; packs them into a busybox initramfs
(tests/vm/initramfs.py), builds vm-bridge.xml with moat-polc and boots it with the test
harness against vm-bridge.expect (channel-stat and channel-put too). Then checks from the log that the native subject's
lost counter was exercised (the guest's first burst overruns host.up's ring).

Usage: run_vm_bridge.py --meson M --pkg-config P --build DIR --source DIR --polc POLC
         --kernel KERNEL_ELF --include DIR... --busybox B --initramfs-py PY --harness PY
         --qemu QEMU -- CC [CC_ARGS...]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if done.returncode != 0:
        print(done.stdout)
        sys.exit(f"vm-bridge: {cmd[0]} failed ({done.returncode})")
    return done.stdout


def main():
    ap = argparse.ArgumentParser()
    for opt in ("meson", "pkg-config", "build", "source", "polc", "kernel", "busybox",
                "initramfs-py", "harness", "qemu"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--include", action="append", default=[])
    ap.add_argument("cc", nargs="+")
    a = ap.parse_args()
    here = os.path.join(a.source, "tests", "vm-bridge")
    with tempfile.TemporaryDirectory(prefix="moat-vm-bridge-") as tmp:
        root = os.path.join(tmp, "root")
        run([a.meson, "install", "-C", a.build, "--no-rebuild", "--skip-subprojects", "--quiet",
             "--destdir", root])
        pcs = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f == "moat-linux.pc"]
        if not pcs:
            sys.exit("vm-bridge: moat-linux.pc was not installed")
        # The installed .pc is relocatable (its prefix is ${pcfiledir}-relative).
        env = dict(os.environ, PKG_CONFIG_LIBDIR=os.path.dirname(pcs[0]), PKG_CONFIG_PATH="")
        cflags = run([a.pkg_config, "--cflags", "moat-linux"], env=env).split()
        libdir = run([a.pkg_config, "--variable=libdir", "moat-linux"], env=env).strip()
        static_libs = [os.path.join(libdir, "libmoat-linux.a"), os.path.join(libdir, "libchannel.a")]
        progs = {
            "linux-bridge-host": [os.path.join(a.source, "examples", "linux-bridge", "host.c"),
                                  "-I" + os.path.join(a.source, "examples", "linux-bridge")],
            "channel-cat": [os.path.join(a.source, "libchannel", "tools", "channel_cat.c"),
                            "-I" + os.path.join(a.source, "libchannel", "tools")],
            "channel-stat": [os.path.join(a.source, "libchannel", "tools", "channel_stat.c"),
                             "-I" + os.path.join(a.source, "libchannel", "tools")],
            "channel-put": [os.path.join(a.source, "libchannel", "tools", "channel_put.c"),
                            "-I" + os.path.join(a.source, "libchannel", "tools")],
            "vm-bridge-probe": [os.path.join(here, "vm-bridge-probe.c")],
        }
        initramfs = [sys.executable, a.initramfs_py, os.path.join(tmp, "vm-bridge.cpio.gz"),
                     "--busybox", a.busybox, "--init", os.path.join(here, "init-bridge.sh")]
        for name, src in progs.items():
            out = os.path.join(tmp, name)
            run(a.cc + ["-static", "-O2", "-o", out] + src + cflags + static_libs)
            initramfs += ["--bin", out]
        run(initramfs)
        image = os.path.join(tmp, "vm-bridge.elf")
        cmd = [a.polc, "build", os.path.join(here, "vm-bridge.xml"), "-I", tmp]
        for d in a.include:
            cmd += ["-I", d]
        run(cmd + ["--kernel", a.kernel, "-o", image, "--layout", os.path.join(tmp, "layout.txt")])
        print(open(os.path.join(tmp, "layout.txt")).read(), flush=True)
        boot = subprocess.run([sys.executable, a.harness, "--qemu", a.qemu, "--kernel", image,
                               "--expect", os.path.join(here, "vm-bridge.expect"),
                               "--timeout", "150"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(boot.stdout, flush=True)
        if boot.returncode != 0:
            return 1
        lost = re.search(r"from the host: received (\d+) of (\d+), lost (\d+)", boot.stdout)
        if lost is None or int(lost.group(3)) == 0:
            print("FAIL: the native subject lost nothing: its lost counter was not exercised")
            return 1
        print(f"vm-bridge: the native subject received {lost.group(1)} of {lost.group(2)}, "
              f"lost {lost.group(3)} (each reported by its lost counter)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
