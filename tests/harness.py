#!/usr/bin/env python3
"""Boot a Moat system in QEMU, capture the serial console and check it.

Usage: harness.py --qemu QEMU (--kernel ELF | --cdrom ISO) --expect FILE [--timeout S]

The expect file, one rule per line ('#' starts a comment line):
  TEXT             a line containing TEXT must appear, after the previous such line
  !TEXT            no line may contain TEXT
  @exit N          QEMU's exit status must be N (isa-debug-exit: 1 = poweroff,
                   3 = the kernel refused to run or panicked); default 1
  @allow-audit S   audit records of subject S are expected; any other subject's
                   audit record fails the test
  @audit S F V     some audit record of subject S has field F starting with V
                   (order-free; implies @allow-audit S)
  @bound PREFIX M  the last line starting with PREFIX carries an integer <= M; when
                   only bounds fail, the system is booted once more and must pass
                   then (timing under TCG includes host scheduling noise)
  @qemu ARGS...    extra QEMU arguments (e.g. -m 32)
  @monitor S CMD   S seconds after start, send CMD to the QEMU monitor (e.g. nmi)
  @expect-panic    the kernel is expected to panic (PANIC lines are allowed)
  @labels L...     after "starting plan", every line starts with `[L] ` for one of the
                   labels L (the log server's sources)
  @line L REGEX    every line labelled [L] is, without the label, matched whole by REGEX
  @counter L REGEX the lines labelled [L] that REGEX matches whole number themselves
                   1, 2, 3, ... (group 1): none missing, none twice, in order
Lines with PANIC or "kernel exception" fail the test unless @expect-panic.

Once the plan runs, every line comes from the log server as `[source] text` (kernel
lines as `[kernel] ...`); audit records and @bound prefixes are matched on the text
without that label, other rules on the whole line.
"""
import argparse
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time


def parse_expect(path):
    rules = {"appear": [], "forbid": ["PANIC", "kernel exception"], "exit": 1,
             "audits": set(), "audit_fields": [], "bounds": [], "qemu": [],
             "monitor": [], "labels": None, "line_formats": [], "counters": []}
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("!"):
                rules["forbid"].append(line[1:])
            elif line.startswith("@exit "):
                rules["exit"] = int(line.split()[1])
            elif line.startswith("@allow-audit "):
                rules["audits"].add(line.split()[1])
            elif line.startswith("@audit "):
                _, subject, field, value = line.split(" ", 3)
                rules["audits"].add(subject)
                rules["audit_fields"].append((subject, field, value))
            elif line.startswith("@bound "):
                _, rest = line.split(" ", 1)
                prefix, limit = rest.rsplit(" ", 1)
                rules["bounds"].append((prefix, int(limit)))
            elif line.startswith("@labels "):
                rules["labels"] = line.split()[1:]
            elif line.startswith("@line "):
                _, label, regex = line.split(" ", 2)
                rules["line_formats"].append((label, re.compile(regex)))
            elif line.startswith("@counter "):
                _, label, regex = line.split(" ", 2)
                rules["counters"].append((label, re.compile(regex)))
            elif line == "@expect-panic":
                rules["forbid"].remove("PANIC")
            elif line.startswith("@monitor "):
                _, delay, command = line.split(" ", 2)
                rules["monitor"].append((float(delay), command))
            elif line.startswith("@qemu "):
                rules["qemu"] += shlex.split(line[len("@qemu "):])
            else:
                rules["appear"].append(line)
    return rules


LABEL = re.compile(r"\[([^\]]+)\] ")


def unlabelled(line):
    """A log-server line without its `[source] ` label (kernel lines: `[kernel] `)."""
    m = LABEL.match(line)
    return line[m.end():] if m else line


def check(log, status, rules):
    errors = []
    raw = [l.rstrip("\r") for l in log.splitlines()]
    lines = [unlabelled(l) for l in raw]
    pos = 0
    for want in rules["appear"]:
        found = False
        while pos < len(raw):
            pos += 1
            if want in raw[pos - 1]:
                found = True
                break
        if not found:
            errors.append(f"expected line not found (in order): {want!r}")
            break
    for line, text in zip(raw, lines):
        for bad in rules["forbid"]:
            if bad in line:
                errors.append(f"forbidden line: {line!r}")
        m = re.match(r"audit \d+ subject (\S+)$", text)
        if m and m.group(1) not in rules["audits"]:
            errors.append(f"unexpected audit record for subject {m.group(1)}")
    records = {}
    for line in lines:
        m = re.match(r"audit (\d+) (\S+) ?(.*)$", line)
        if m:
            records.setdefault(m.group(1), {})[m.group(2)] = m.group(3)
    for subject, field, value in rules["audit_fields"]:
        if not any(r.get("subject") == subject and r.get(field, "").startswith(value)
                   for r in records.values()):
            errors.append(f"no audit record of {subject} with {field} {value!r}")
    for prefix, limit in rules["bounds"]:
        values = [l for l in lines if l.startswith(prefix)]
        if not values:
            errors.append(f"no line starting with {prefix!r}")
            continue
        m = re.search(r"-?\d+", values[-1][len(prefix):])
        if not m or int(m.group(0)) > limit:
            errors.append(f"bound: {values[-1]!r} exceeds {limit}")
    errors += check_sources(raw, rules)
    if status != rules["exit"]:
        errors.append(f"QEMU exit status {status}, expected {rules['exit']}")
    return errors


def check_sources(raw, rules):
    """@labels, @line and @counter: which source each console line came from."""
    errors = []
    start = next((i for i, l in enumerate(raw) if "starting plan" in l), len(raw))
    after = [l for l in raw[start + 1:] if l.strip()]
    if rules["labels"] is not None:
        bad = [l for l in after
               if not (LABEL.match(l) and LABEL.match(l).group(1) in rules["labels"])]
        for l in bad[:5]:
            errors.append(f"line without a source's label: {l!r}")
        if len(bad) > 5:
            errors.append(f"... and {len(bad) - 5} more lines without a source's label")
    for label, regex in rules["line_formats"]:
        bad = [l for l in after if l.startswith(f"[{label}] ")
               and not regex.fullmatch(l[len(label) + 3:])]
        for l in bad[:5]:
            errors.append(f"not a line of {label}: {l!r}")
    for label, regex in rules["counters"]:
        numbers = [int(m.group(1)) for l in after if l.startswith(f"[{label}] ")
                   for m in [regex.fullmatch(l[len(label) + 3:])] if m]
        if numbers != list(range(1, len(numbers) + 1)):
            wrong = next(i for i, n in enumerate(numbers) if n != i + 1)
            errors.append(f"[{label}] numbers out of sequence at the {wrong + 1}th: "
                          f"{numbers[max(0, wrong - 2):wrong + 3]}")
    return errors


def boot(args, rules):
    """One QEMU boot; returns (serial log, exit status or 'timeout')."""
    tmp = tempfile.TemporaryDirectory()
    monitor = os.path.join(tmp.name, "monitor.sock")
    monitor_arg = f"unix:{monitor},server=on,wait=off" if rules["monitor"] else "none"
    cmd = [args.qemu, "-cpu", "max", "-m", "128", "-display", "none", "-monitor", monitor_arg,
           "-serial", "stdio", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if args.kernel:
        cmd += ["-kernel", args.kernel]
    if args.cdrom:
        cmd += ["-cdrom", args.cdrom, "-boot", "d"]
    cmd += rules["qemu"]
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    start = time.monotonic()
    for delay, command in rules["monitor"]:
        time.sleep(max(0.0, start + delay - time.monotonic()))
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(monitor)
            s.sendall(command.encode() + b"\n")
            time.sleep(0.2)
    try:
        out, _ = proc.communicate(timeout=max(1.0, args.timeout - (time.monotonic() - start)))
        status = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        status = "timeout"
    log = out.decode(errors="replace")
    tmp.cleanup()
    return log, status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--kernel")
    ap.add_argument("--cdrom")
    ap.add_argument("--expect", required=True)
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    rules = parse_expect(args.expect)
    log, status = boot(args, rules)
    print(log)
    errors = check(log, status, rules)
    # Under TCG a timing bound also measures the host's scheduling: a bound alone must
    # fail in two consecutive boots to fail the test (a broken kernel fails both).
    if errors and all(e.startswith("bound: ") for e in errors):
        for e in errors:
            print("RETRY: " + e)
        log, status = boot(args, rules)
        print(log)
        errors = check(log, status, rules)
    for e in errors:
        print("FAIL: " + e)
    if not errors:
        print("PASS")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
