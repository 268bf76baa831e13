#!/usr/bin/env python3
"""Boot a Moat GRUB ISO in Bochs, capture COM1 and check it against expect files.

Usage: run.py --iso ISO --expect FILE [--expect FILE]... [--anywhere FILE]...
              [--bochs BOCHS] [--model MODEL] [--cpus N] [--ips IPS] [--megs M]
              [--budget S] [--boot-instructions N] [--timeout S] [--keep DIR]

Expect files have tests/harness.py's format; several are checked as one, their ordered
lines in the order given. --anywhere FILE (same format, repeatable) adds lines that must
each appear somewhere, in any order: what a CPU model's boot banner must say. QEMU-only
rules (@qemu, @monitor, @exit) are ignored: Bochs ignores the debug-exit port 0xf4 and
its ACPI power-off (port 0xb004) ends the run without the kernel's status, so a run is
judged by its serial log. It fails unless the guest powers off through ACPI within
BOOT_INSTRUCTIONS + BUDGET emulated seconds (firmware and GRUB take about the same
number of instructions at any rate); a Bochs panic or a guest triple fault fails it too.

Bochs 2.7 as Debian builds it has no headless display: the `term` display runs in a
pseudo-terminal made by script(1), and an -rc file drives the start-up debugger. With
`clock: sync=none` emulated time follows the executed instruction count (IPS per
emulated second): at a low IPS a 1 ms frame is only IPS/1000 instructions, whatever the
host's speed, and a run is deterministic. The debugger stops the machine at that
instruction count (a time breakpoint) and prints CPU 0's registers: where it hung.
The breakpoint is not reached while every CPU is halted, so a machine that halts for
good (no timer interrupt left) ends at --timeout (host seconds).
"""
import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402  (the expect format and its check)

BOCHSRC = """\
megs: {megs}
romimage: file={bios}
vgaromimage: file={vgabios}
cpu: model={model}, count={cpus}, ips={ips}, reset_on_triple_fault=0
clock: sync=none, time0=946684800
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev={com1}
display_library: term
log: {log}
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
"""

# The debugger script: run until BUDGET emulated seconds have passed, then show where
# CPU 0 is and quit. A guest power-off ends Bochs before that.
DEBUGGER = """\
sb {ticks}
continue
regs
quit
"""

# Bochs reports the guest's ACPI power-off as a panic of its ACPI device, and stops.
POWEROFF = "ACPI control: soft power off"
# Any other panic (severity 'p' after the instruction count) or a guest triple fault
# means the machine, not only the system, went wrong.
BOCHS_FAILURE = re.compile(r"^\d+p\[|triple fault", re.IGNORECASE)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


def boot(args, workdir):
    """One Bochs run; returns (COM1 log, Bochs log, terminal output, outcome), outcome
    'stopped' (Bochs ended by itself), 'budget' or 'timeout'."""
    com1 = os.path.join(workdir, "com1.txt")
    log = os.path.join(workdir, "bochs.log")
    terminal = os.path.join(workdir, "terminal.txt")
    rc = os.path.join(workdir, "bochsrc")
    with open(rc, "w") as f:
        f.write(BOCHSRC.format(
            megs=args.megs, model=args.model, cpus=args.cpus, ips=args.ips,
            iso=os.path.abspath(args.iso), com1=com1, log=log,
            bios="/usr/share/bochs/BIOS-bochs-latest",
            vgabios="/usr/share/vgabios/vgabios.bin"))
    debugger = os.path.join(workdir, "debugger.rc")
    with open(debugger, "w") as f:
        f.write(DEBUGGER.format(ticks=args.boot_instructions + int(args.budget * args.ips)))
    inner = " ".join(shlex.quote(c) for c in [args.bochs, "-q", "-f", rc, "-rc", debugger])
    cmd = ["script", "-q", "-e", "-c", inner, os.devnull]
    print(f"+ {inner}\n  model {args.model}, {args.cpus} CPUs, {args.ips} instructions/s, "
          f"budget {args.budget} s emulated", flush=True)
    env = dict(os.environ, TERM="xterm")
    # meson test sets MALLOC_PERTURB_; Bochs 2.7 then crashes while loading its plugins.
    env.pop("MALLOC_PERTURB_", None)
    start = time.monotonic()
    with open(terminal, "wb") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            proc.wait(timeout=args.timeout)
            outcome = "stopped"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            outcome = "timeout"
    term = read(terminal)
    if outcome == "stopped" and "Caught time breakpoint" in term:
        outcome = "budget"
    print(f"bochs: {outcome} after {time.monotonic() - start:.1f} s", flush=True)
    return read(com1), read(log), term, outcome


def where(term):
    """The debugger's view of CPU 0 after the budget: its rip and rflags lines."""
    text = term[term.find("Caught time breakpoint"):]
    lines = [" ".join(l.split()) for l in text.replace("\r", "\n").splitlines()]
    return ([l for l in lines if l.startswith("(0) [")][:1] +
            [l for l in lines if l.startswith(("rip:", "eflags"))][:2])


def check(serial, bochs_log, term, outcome, rules, anywhere, budget):
    # The exit status is not observable under Bochs: pass the expected one.
    errors = harness.check(serial, rules["exit"], rules)
    lines = serial.splitlines()
    for want in anywhere:
        if not any(want in line for line in lines):
            errors.append(f"expected line not found (anywhere): {want!r}")
    if outcome == "budget":
        errors.append(f"no power-off within {budget} s of emulated time after the boot "
                      "allowance (hung?); CPU 0: " +
                      "; ".join(where(term)))
    elif outcome == "timeout":
        # A time breakpoint is not checked while every CPU is halted: a system that
        # halts with no interrupt left to come (a timer that never fires) ends here.
        errors.append("Bochs still running at the host timeout (every CPU halted with "
                      "no interrupt to come?)")
    elif POWEROFF not in bochs_log:
        errors.append("Bochs stopped, but not by the guest's ACPI power-off")
    for line in bochs_log.splitlines():
        if BOCHS_FAILURE.search(line) and POWEROFF not in line:
            errors.append(f"bochs: {line.strip()}")
    return errors


def merge_rules(parts):
    """One rule set from several expect files: ordered lines in file order."""
    rules = parts[0]
    for more in parts[1:]:
        for key, value in more.items():
            if isinstance(value, list):
                rules[key] += [v for v in value if key != "forbid" or v not in rules[key]]
            elif isinstance(value, set):
                rules[key] |= value
    if any("PANIC" not in p["forbid"] for p in parts):  # one file said @expect-panic
        rules["forbid"] = [f for f in rules["forbid"] if f != "PANIC"]
    return rules


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bochs", default=shutil.which("bochs") or "bochs")
    ap.add_argument("--iso", required=True)
    ap.add_argument("--expect", required=True, action="append")
    ap.add_argument("--anywhere", action="append", default=[])
    ap.add_argument("--model", default="corei7_sandy_bridge_2600k")
    ap.add_argument("--cpus", type=int, default=1)
    ap.add_argument("--ips", type=int, default=100000000)
    ap.add_argument("--megs", type=int, default=128)
    ap.add_argument("--budget", type=float, default=20,
                    help="emulated seconds (after the boot allowance) before the run "
                         "counts as hung")
    ap.add_argument("--boot-instructions", type=int, default=300000000,
                    help="instructions allowed for firmware, GRUB and the kernel's boot, "
                         "on top of the budget (they take ~60 M whatever the rate)")
    ap.add_argument("--timeout", type=float, default=300, help="host seconds (backstop)")
    ap.add_argument("--keep", help="keep bochsrc, COM1 and the Bochs log in this folder")
    args = ap.parse_args()
    anywhere_rules = [harness.parse_expect(e) for e in args.anywhere]
    rules = merge_rules([harness.parse_expect(e) for e in args.expect] +
                        [dict(r, appear=[]) for r in anywhere_rules])
    anywhere = [line for r in anywhere_rules for line in r["appear"]]
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        result = boot(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="moat-bochs-") as tmp:
            result = boot(args, tmp)
    serial, bochs_log, term, outcome = result
    print(serial)
    errors = check(serial, bochs_log, term, outcome, rules, anywhere, args.budget)
    for e in errors:
        print("FAIL: " + e)
    if errors:
        print("(the Bochs log's last lines:)")
        for line in bochs_log.splitlines()[-12:]:
            print("  " + line)
    else:
        print("PASS")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
