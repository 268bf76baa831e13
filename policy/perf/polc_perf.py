#!/usr/bin/env python3
"""Measures moat-polc on a large generated policy: 64 subjects, 256 channels, 4 CPUs
(plus events, memories, I/O ports and IRQs), for check, layout and build with an image.
A measurement, not a test: it prints a table; docs/policy.md records the results.

Usage: polc_perf.py BUILD_DIR [RUNS]
  BUILD_DIR is a configured and built Moat build folder (moat-polc and the test ELFs
  of policy/tests are taken from it).
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

SUBJECTS, CHANNELS, CPUS = 64, 256, 4


def policy():
    lines = ['<system name="perf">', '  <platform cpus="%d" memory="1G"/>' % CPUS, '  <subjects>']
    for i in range(SUBJECTS):
        extra = '<memory name="heap" size="256K"/><timer name="tick"/>'
        if i < 16:
            extra += '<ioport name="port" base="0x%x" count="4"/>' % (0x1000 + 8 * i)
            extra += '<irq name="irq" line="%d"/>' % (i + 3)
        lines.append('    <subject name="s%d" cpu="%d" image="good.elf">%s</subject>'
                     % (i, i % CPUS, extra))
    lines.append('  </subjects>')
    lines.append('  <channels>')
    for c in range(CHANNELS):
        writer = c % SUBJECTS
        readers = {(writer + 1) % SUBJECTS, (writer + 7) % SUBJECTS}
        lines.append('    <channel name="c%d" size="16K" element-size="64">' % c)
        lines.append('      <writer subject="s%d"/>' % writer)
        for r in sorted(readers):
            lines.append('      <reader subject="s%d"/>' % r)
        lines.append('    </channel>')
    lines.append('  </channels>')
    lines.append('  <events>')
    for i in range(SUBJECTS):
        lines.append('    <event name="e%d" from="s%d" to="s%d"/>' % (i, i, (i + 1) % SUBJECTS))
    lines.append('    <event name="off" from="s0" action="poweroff"/>')
    lines.append('    <event name="safe" from="s0" action="switch-plan" plan="safe"/>')
    lines.append('  </events>')
    lines.append('  <scheduling tick="100us">')
    for plan in ("normal", "safe"):
        lines.append('    <plan name="%s">' % plan)
        for cpu in range(CPUS):
            frames = ''.join('<frame subject="s%d" ticks="%d"/>' % (s, 2 if plan == "normal" else 1)
                             for s in range(cpu, SUBJECTS, CPUS))
            if plan == "safe":
                frames += '<idle ticks="16"/>'
            lines.append('      <cpu id="%d">%s</cpu>' % (cpu, frames))
        lines.append('    </plan>')
    lines.append('  </scheduling>')
    lines.append('</system>')
    return "\n".join(lines) + "\n"


def measure(cmd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit("moat-polc failed:\n" + proc.stderr)
    return min(times), statistics.median(times)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    polc = os.path.join(build, "policy", "moat-polc")
    elfs = os.path.join(build, "policy", "tests")
    kernel = os.path.join(elfs, "kernel.elf")
    with tempfile.TemporaryDirectory() as tmp:
        xml = os.path.join(tmp, "perf.xml")
        with open(xml, "w") as f:
            f.write(policy())
        out = os.path.join(tmp, "out")
        rows = [
            ("check", [polc, "check", xml, "-I", elfs]),
            ("layout", [polc, "layout", xml, "-I", elfs]),
            ("build (tables.c, layout.txt)", [polc, "build", xml, "-I", elfs, "-o", out + "1"]),
            ("build --kernel (+ system.elf)",
             [polc, "build", xml, "-I", elfs, "-o", out + "2", "--kernel", kernel]),
        ]
        print("moat-polc on %d subjects, %d channels, %d CPUs (%d runs each, whole process)"
              % (SUBJECTS, CHANNELS, CPUS, runs))
        print("%-32s %10s %10s" % ("command", "best s", "median s"))
        for name, cmd in rows:
            best, median = measure(cmd, runs)
            print("%-32s %10.3f %10.3f" % (name, best, median))
        sizes = {n: os.path.getsize(os.path.join(out + "2", n))
                 for n in ("tables.c", "layout.txt", "system.elf")}
        print("outputs: " + ", ".join("%s %d bytes" % kv for kv in sizes.items()))


if __name__ == "__main__":
    main()
