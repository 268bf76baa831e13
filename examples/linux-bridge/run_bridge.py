#!/usr/bin/env python3
"""The host case of linux-bridge, end to end: a Linux program on the host and a native
subject in a QEMU-run Moat system exchange through two host files that moat-run --share
gives QEMU as the channels' device memory, both ways, every element sequence-numbered and
checksummed. Passes when both sides report that every element checks (each loss reported
by the reader's lost counter exactly where it happened), the host's burst made the subject
lose elements (so the lost counter was exercised), and channel-stat, channel-cat and
channel-put reach the shared files by channel name.

Usage: run_bridge.py MOAT_RUN IMAGE HOST_PROGRAM CHANNEL_STAT CHANNEL_CAT CHANNEL_PUT
"""
import os
import re
import subprocess
import sys
import tempfile


def main():
    moat_run, image, host, stat, cat, put = sys.argv[1:7]
    failures = []
    with tempfile.TemporaryDirectory(prefix="moat-bridge-") as tmp:
        up, down = os.path.join(tmp, "up.chan"), os.path.join(tmp, "down.chan")
        env = dict(os.environ, MOAT_CHANNELS=f"host.up={up},host.down={down}")
        env.pop("MOAT_CHANNEL_DIR", None)
        # The host program first: it waits for the files moat-run makes.
        host_proc = subprocess.Popen([host, "--timeout", "90"], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        run = subprocess.run([sys.executable, moat_run, image, "--timeout", "100",
                              "--share", f"host.up={up}", "--share", f"host.down={down}"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        host_out = host_proc.communicate(timeout=100)[0]
        print("--- serial\n" + run.stdout + "--- host\n" + host_out, end="")
        if run.returncode != 0:
            failures.append(f"moat-run exited {run.returncode}")
        if host_proc.returncode != 0:
            failures.append(f"the host program exited {host_proc.returncode}")
        if "[bridge] bridge: every element checks" not in run.stdout:
            failures.append("the subject did not check every element of the host's stream")
        if "[host] every element checks" not in host_out:
            failures.append("the host did not check every element of the subject's stream")
        lost = re.search(r"from the host: received (\d+) of (\d+), lost (\d+)", run.stdout)
        if lost is None or int(lost.group(3)) == 0:
            failures.append("the subject lost nothing: the burst did not exercise its lost counter")
        if not re.search(r"from the subject: received \d+ of 3000,", host_out):
            failures.append("the host did not get the subject's 3000-element stream")
        # The tools, by channel name, on the shared files the run left behind.
        tool = subprocess.run([stat, "host.down"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        print("--- channel-stat host.down\n" + tool.stdout, end="")
        if tool.returncode != 0 or f"channel {down} " not in tool.stdout or \
                "wc         3000 elements written" not in tool.stdout:
            failures.append("channel-stat host.down did not report the subject's 3000 elements")
        tool = subprocess.run([cat, "-n", "1", "host.down"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if tool.returncode != 0 or len(tool.stdout.split("\n")[0]) != 128:
            failures.append(f"channel-cat host.down: {tool.stdout!r}")
        tool = subprocess.run([put, "-x", "host.up"], env=env, input="00" * 64 + "\n",
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if tool.returncode != 0:
            failures.append(f"channel-put host.up: {tool.stdout!r}")
        tool = subprocess.run([stat, "host.up"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if "wc         1 elements written" not in tool.stdout:
            failures.append(f"channel-put by name did not write host.up: {tool.stdout!r}")
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
