#!/usr/bin/env python3
"""GDB follows the running subject: `moat-run --gdb` prints a gdb command (moat-gdb.py,
moat-follow with the layout report) and, with it, a breakpoint on an address that two
subjects share shows each subject's own source when that subject stops there.

Usage: test_moat_gdb.py MOAT_RUN MOAT_GDB QEMU IMAGE LAYOUT ELF_DIRS KERNEL SUBJECT=SOURCE...

ELF_DIRS: the folders of the subject ELFs, separated by ':'. The images: pingpong (ping's,
pong's and the log server's main() are linked at the same address) and irq-cpu1 (two
CPUs: clock on CPU 1, the log server on CPU 0, main() at the same address); the test
checks that precondition first. At every stop, the subject
that runs is read from the CPU's own sinfo page (MOAT_SINFO_VIRT, the subject_name
field), independently of the symbols GDB loaded; the function and source file GDB
shows must be that subject's (in what GDB printed at the stop, and in its frame).
"""
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile

SINFO_NAME = 0x00007fffffff0000 + 16  # MOAT_SINFO_VIRT + offsetof(struct moat_sinfo, subject_name)

CHECK = r'''
import gdb
gdb.execute("hbreak *ADDR")
# A subject may stop there twice (an interrupt while GDB steps off the breakpoint
# returns to the same instruction): go on until every subject stopped, 4 rounds at most.
seen = set()
for _ in range(4 * STOPS):
    gdb.execute("continue")
    raw = bytes(gdb.selected_inferior().read_memory(SINFO, 64))
    name = raw.split(b"\0")[0].decode()
    seen.add(name)
    frame = gdb.selected_frame()
    sal = frame.find_sal()
    print("STOP subject={} function={} file={}".format(
        name, frame.name(), sal.symtab.filename if sal.symtab else None), flush=True)
    if len(seen) == STOPS:
        break
gdb.execute("kill")
'''


def main_address(elf):
    out = subprocess.run(["gdb", "-nx", "-batch", "-ex", "print/x (long)&main", elf],
                         capture_output=True, text=True, check=True).stdout
    return int(re.search(r"= (0x[0-9a-f]+)", out).group(1), 16)


def free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def main():
    moat_run, moat_gdb, qemu, image, layout, elf_dirs, kernel = sys.argv[1:8]
    elf_dirs = elf_dirs.split(":")
    sources = dict(a.split("=", 1) for a in sys.argv[8:])
    failures = []
    subject_elf = {}  # subject -> ELF, by the layout's image names
    for name, image_name in re.findall(r"^Subject '([^']+)'.*\n\s+image (\S+),", open(layout).read(),
                                       re.M):
        subject_elf[name] = next((os.path.join(d, image_name) for d in elf_dirs
                                  if os.path.isfile(os.path.join(d, image_name))), None)
    addrs = {name: main_address(subject_elf[name]) for name in sources}
    if len(set(addrs.values())) != 1:
        print(f"FAIL: precondition: the subjects' main() are at different addresses: {addrs}")
        return 1
    addr = next(iter(addrs.values()))

    port = free_port()
    run = subprocess.Popen([sys.executable, moat_run, image, "--gdb", "--gdb-port", str(port),
                            "--layout", layout, "--qemu", qemu, "--timeout", "120"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # moat-run prints the gdb command before it starts QEMU.
        printed = run.stderr.readline() + run.stderr.readline()
        m = re.search(r"^  (gdb .*)$", printed, re.M)
        if m is None:
            print(f"FAIL: moat-run --gdb printed no gdb command: {printed!r}")
            return 1
        words = shlex.split(m.group(1))
        script = [words[i + 1] for i in range(len(words) - 1) if words[i] == "-x"]
        if not script or os.path.realpath(script[0]) != os.path.realpath(moat_gdb):
            failures.append(f"the gdb command does not load {moat_gdb}: {m.group(1)}")
        want = ["-ex", f"target remote localhost:{port}"]
        if not any(words[i:i + 2] == want for i in range(len(words))):
            failures.append(f"the gdb command lacks {want}: {m.group(1)}")
        follow = [i for i, w in enumerate(words) if w.startswith("moat-follow ")]
        if not follow or layout not in words[follow[0]]:
            failures.append(f"the gdb command does not moat-follow {layout}: {m.group(1)}")
            return report(failures)
        # In the tree the log server and the kernel are not where an install keeps them.
        words[follow[0]] += "".join(f" -I {shlex.quote(d)}" for d in elf_dirs) + \
            f" --kernel {shlex.quote(kernel)}"
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(CHECK.replace("ADDR", str(addr)).replace("STOPS", str(len(sources)))
                    .replace("SINFO", str(SINFO_NAME)))
            check = f.name
        gdb = subprocess.run(["gdb", "-nx", "-batch", "-ex", "set pagination off"] + words[1:]
                             + ["-x", check], capture_output=True, text=True, timeout=120)
        os.remove(check)
    finally:
        run.kill()
        run.wait()
    out = gdb.stdout
    stops = re.findall(r"^STOP subject=(\S+) function=(\S+) file=(\S+)$", out, re.M)
    # "Breakpoint 1, main () at FILE:LINE", on several CPUs "Thread 2 hit Hardware assisted
    # breakpoint 1, ...".
    shown = re.findall(r"^(?:Thread \S+ hit )?(?:Hardware assisted )?[Bb]reakpoint 1, (\S+) "
                       r"\(\) at (\S+):\d+$", out, re.M)
    if len(stops) < len(sources):
        failures.append(f"{len(stops)} stops, want {len(sources)} or more:\n{out}\n{gdb.stderr}")
    for i, (subject, function, file) in enumerate(stops):
        want = sources.get(subject)
        if want is None:
            failures.append(f"stop {i}: unknown subject {subject!r}")
            continue
        if function != "main" or not file.endswith("/" + want):
            failures.append(f"stop {i} in {subject}: GDB's frame is {function} in {file}, "
                            f"want main in {want}")
        if i >= len(shown) or shown[i][0] != "main" or not shown[i][1].endswith("/" + want):
            failures.append(f"stop {i} in {subject}: GDB printed "
                            f"{shown[i] if i < len(shown) else 'nothing'}, want main in {want}")
    seen = {s[0] for s in stops}
    if seen != set(sources):
        failures.append(f"stopped in {sorted(seen)}, want every one of {sorted(sources)}")
    for s in stops:
        print("stop:", *s)
    return report(failures)


def report(failures):
    """Every failure on a line of its own, then the count; the exit status."""
    print("".join(f"FAIL: {f}\n" for f in failures) + f"{len(failures)} failures")
    return int(bool(failures))


if __name__ == "__main__":
    sys.exit(main())
