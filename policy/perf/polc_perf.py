#!/usr/bin/env python3
"""Measures moat-polc's growth with the policy: generated policies of 64, 256 and 1,024
subjects, four channels per subject (two readers each), 8 CPUs, a memory and a timer per
subject, 16 with I/O ports and an IRQ, one notify event per subject and two plans; it times
whole `moat-polc check` and `moat-polc build` (the image, packed into the stand-in kernel
of policy/tests) processes. A measurement, not a test: it prints a table;
docs/benchmarks.md records the results. The target: the 1,024-subject, 4,096-channel,
8-CPU policy checks and builds in under 1 s.

Usage: polc_perf.py BUILD_DIR [RUNS] [SUBJECTS,...]
  BUILD_DIR is a configured and built Moat build folder (moat-polc and the test ELFs
  of policy/tests are taken from it).
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

CPUS = 8
CHANNELS_PER_SUBJECT = 4


def policy(subjects):
    channels = CHANNELS_PER_SUBJECT * subjects
    lines = ['<system name="perf">', '  <platform cpus="%d" memory="4G"/>' % CPUS, '  <subjects>']
    for i in range(subjects):
        extra = '<memory name="heap" size="256K"/><timer name="tick"/>'
        if i < 16:
            extra += '<ioport name="port" base="0x%x" count="4"/>' % (0x1000 + 8 * i)
            extra += '<irq name="irq" line="%d"/>' % (i + 3)
        lines.append('    <subject name="s%d" cpu="%d" image="good.elf">%s</subject>'
                     % (i, i % CPUS, extra))
    lines.append('  </subjects>')
    lines.append('  <channels>')
    for c in range(channels):
        writer = c % subjects
        readers = {(writer + 1) % subjects, (writer + 7) % subjects}
        lines.append('    <channel name="c%d" size="16K" element-size="64">' % c)
        lines.append('      <writer subject="s%d"/>' % writer)
        for r in sorted(readers):
            lines.append('      <reader subject="s%d"/>' % r)
        lines.append('    </channel>')
    lines.append('  </channels>')
    lines.append('  <events>')
    for i in range(subjects):
        lines.append('    <event name="e%d" from="s%d" to="s%d"/>' % (i, i, (i + 1) % subjects))
    lines.append('    <event name="off" from="s0" action="poweroff"/>')
    lines.append('    <event name="safe" from="s0" action="switch-plan" plan="safe"/>')
    lines.append('  </events>')
    lines.append('  <scheduling tick="100us">')
    for plan in ("normal", "safe"):
        lines.append('    <plan name="%s">' % plan)
        for cpu in range(CPUS):
            frames = ''.join('<frame subject="s%d" ticks="%d"/>' % (s, 2 if plan == "normal" else 1)
                             for s in range(cpu, subjects, CPUS))
            if plan == "safe":
                frames += '<idle ticks="%d"/>' % (subjects // CPUS)
            lines.append('      <cpu id="%d">%s</cpu>' % (cpu, frames))
        lines.append('    </plan>')
    lines.append('  </scheduling>')
    lines.append('</system>')
    return "\n".join(lines) + "\n"


def measure(cmd, runs):
    """Best wall time, median wall time and best CPU time (user + system) of runs."""
    walls = []
    cpus = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            sys.exit("moat-polc failed:\n" + proc.stderr)
    return min(walls), statistics.median(walls), min(cpus)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    sizes = [int(n) for n in sys.argv[3].split(",")] if len(sys.argv) > 3 else [64, 256, 1024]
    polc = os.path.join(build, "policy", "moat-polc")
    elfs = os.path.join(build, "policy", "tests")
    kernel = os.path.join(elfs, "kernel.elf")
    print("moat-polc, %d CPUs, %d channels per subject (%d runs each, whole process; wall"
          " times best and median, CPU = user + system, best)" % (CPUS, CHANNELS_PER_SUBJECT, runs))
    print("%8s %8s | %7s %7s %7s | %7s %7s %7s | %8s %10s"
          % ("subjects", "channels", "check", "median", "CPU", "build", "median", "CPU",
             "blob", "image"))
    first = None
    with tempfile.TemporaryDirectory() as tmp:
        for subjects in sizes:
            xml = os.path.join(tmp, "perf-%d.xml" % subjects)
            with open(xml, "w") as f:
                f.write(policy(subjects))
            image = os.path.join(tmp, "perf-%d.elf" % subjects)
            layout = os.path.join(tmp, "perf-%d.txt" % subjects)
            check = measure([polc, "check", xml, "-I", elfs], runs)
            build = measure([polc, "build", xml, "-I", elfs, "-o", image, "--kernel", kernel,
                             "--layout", layout], runs)
            blob = next(line for line in open(layout) if line.startswith("Tables blob:"))
            print("%8d %8d | %7.3f %7.3f %7.3f | %7.3f %7.3f %7.3f | %8s %10d"
                  % (subjects, CHANNELS_PER_SUBJECT * subjects, check[0], check[1], check[2],
                     build[0], build[1], build[2], blob.split()[2], os.path.getsize(image)))
            if first is None:
                first = (subjects, check, build)
            else:
                print("%8s %8s | %6.1fx %7s %6.1fx | %6.1fx %7s %6.1fx |   (%dx the subjects)"
                      % ("growth", "", check[0] / first[1][0], "", check[2] / first[1][2],
                         build[0] / first[2][0], "", build[2] / first[2][2],
                         subjects // first[0]))

if __name__ == "__main__":
    main()
