#!/usr/bin/env python3
"""moat-run's contract, with a stand-in for QEMU and images made here byte by byte:
  - the machine follows the image's Moat system note: -smp is its CPU count, -m its
    memory end plus headroom (or --memory, refused below the memory end); QEMU ARGS
    after -- come last;
  - an image without a readable note (no note, only the kernel's note, a truncated
    file, a note of another version, zero CPUs, not an ELF) is refused with "not a Moat
    system image" and a reason, exit status 2, and QEMU is never started;
  - QEMU's exit status becomes moat-run's (poweroff 0, kernel failure 1, anything else
    2, timeout 124);
  - the note constants moat-run uses are those of layout.h;
  - --help shows every option and `-- QEMU ARGS`.

Usage: test_moat_run.py MOAT_RUN LAYOUT_H
"""
import os
import re
import stat
import struct
import subprocess
import sys
import tempfile

NOTE_SYSTEM = 2
NOTE_KERNEL = 1


def note(name, n_type, desc):
    """One ELF note: header, name padded to 4, descriptor padded to 4."""
    raw_name = name + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(raw_name), len(desc), n_type) + pad(raw_name) + pad(desc)


def system_note(version=1, cpus=2, memory_mib=64):
    return note(b"Moat", NOTE_SYSTEM, struct.pack("<III", version, cpus, memory_mib))


def elf(notes=b"", with_note_segment=True, machine=62):
    """An x86-64 ELF64 with one PT_LOAD and (optionally) one PT_NOTE holding `notes`,
    laid out like moat-polc's images: header, program headers, notes, then the load."""
    phnum = 2 if with_note_segment else 1
    phoff = 64
    notes_at = phoff + phnum * 56
    load_at = (notes_at + len(notes) + 0xfff) & ~0xfff
    header = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9,
                         2, machine, 1, 0x100000, phoff, 0, 0, 64, 56, phnum, 64, 0, 0)
    phdrs = struct.pack("<IIQQQQQQ", 1, 5, load_at, 0x100000, 0x100000, 16, 16, 0x1000)
    if with_note_segment:
        phdrs += struct.pack("<IIQQQQQQ", 4, 4, notes_at, 0, 0, len(notes), len(notes), 4)
    body = header + phdrs + notes
    return body + b"\0" * (load_at - len(body)) + b"\xf4" * 16


# The PVH entry note every kernel carries, ahead of the Moat notes as in a real image.
PVH = note(b"Xen", 18, struct.pack("<I", 0x100000))

BAD_IMAGES = {
    "no note segment": (elf(with_note_segment=False), "no Moat system note"),
    "only the kernel's note (kernel.elf given)":
        (elf(PVH + note(b"Moat", NOTE_KERNEL, struct.pack("<III", 1, 5, 6))),
         "no Moat system note"),
    "another owner's note of the same type": (elf(note(b"Xen", NOTE_SYSTEM, b"\1" * 12)),
                                              "no Moat system note"),
    "truncated in the note": (elf(PVH + system_note())[:64 + 2 * 56 + len(PVH) + 14],
                              "past the end of the file"),
    "truncated in the program headers": (elf(system_note())[:64 + 2 * 56 - 1],
                                         "program headers are cut off"),
    "truncated by the note's last byte": (elf(system_note())[:64 + 2 * 56 + len(system_note()) - 1],
                                          "past the end of the file"),
    "note longer than its segment":
        (elf(system_note()[:-4]), "runs past its segment"),
    "descriptor too short": (elf(note(b"Moat", NOTE_SYSTEM, struct.pack("<II", 1, 2))),
                             "too short"),
    "another note version": (elf(system_note(version=2)), "version 2"),
    "zero CPUs": (elf(system_note(cpus=0)), "malformed"),
    "zero memory": (elf(system_note(memory_mib=0)), "malformed"),
    "another machine": (elf(system_note(), machine=3), "x86-64"),
    "a 32-bit ELF": (elf(system_note())[:4] + b"\x01" + elf(system_note())[5:], "64-bit"),
    "a big-endian ELF": (elf(system_note())[:5] + b"\x02" + elf(system_note())[6:], "64-bit"),
    "empty file": (b"", "not an ELF file"),
    "a shell script": (b"#!/bin/sh\necho hello\n" * 8, "not an ELF file"),
}


def fake_qemu(folder, status, sleep=0):
    path = os.path.join(folder, f"qemu-{status}-{sleep}")
    with open(path, "w") as f:
        # exec: the timeout's kill must reach the sleeping process itself.
        tail = f"exec sleep {sleep}\n" if sleep else f"exit {status}\n"
        f.write(f"#!/bin/sh\necho \"$@\" > \"{path}.args\"\n{tail}")
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


def moat_run(tool, qemu, image, *extra):
    cmd = [sys.executable, tool, image, "--qemu", qemu] + list(extra)
    return subprocess.run(cmd, capture_output=True, text=True)


def qemu_args(qemu):
    """The arguments the fake QEMU was last started with (and forget them)."""
    path = qemu + ".args"
    if not os.path.exists(path):
        return None
    with open(path) as f:
        args = f.read().split()
    os.remove(path)
    return args


def has(args, want):
    return any(args[i:i + len(want)] == want for i in range(len(args)))


def write(folder, name, data):
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def check_constants(tool, layout_h, failures):
    with open(layout_h) as f:
        header = f.read()
    with open(tool) as f:
        source = f.read()
    for name in ("MOAT_NOTE_NAME", "MOAT_NOTE_SYSTEM", "MOAT_NOTE_VERSION"):
        in_header = re.search(rf"#define {name}\s+(\S+)", header)
        in_tool = re.search(rf"^{name} = b?(\S+)", source, re.M)
        if not in_header or not in_tool or in_header.group(1) != in_tool.group(1):
            failures.append(f"{name}: layout.h has {in_header and in_header.group(1)}, "
                            f"moat-run {in_tool and in_tool.group(1)}")


def main():
    tool, layout_h = sys.argv[1], sys.argv[2]
    failures = []
    check_constants(tool, layout_h, failures)
    with tempfile.TemporaryDirectory() as tmp:
        qemu = fake_qemu(tmp, 1)
        two_cpus = write(tmp, "two.elf", elf(PVH + system_note(cpus=2, memory_mib=64)))

        # The machine follows the note.
        proc = moat_run(tool, qemu, two_cpus)
        args = qemu_args(qemu) or []
        for want in (["-kernel", two_cpus], ["-smp", "2"], ["-m", "80M"], ["-serial", "stdio"],
                     ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]):
            if not has(args, want):
                failures.append(f"2-CPU image: QEMU arguments lack {' '.join(want)}: "
                                f"{' '.join(args)} {proc.stderr}")
        if has(args, ["-s", "-S"]):
            failures.append("QEMU started halted without --gdb")
        # A file that ends right after the note still has all of it.
        moat_run(tool, qemu, write(tmp, "cut.elf", elf(system_note())[:64 + 2 * 56 + len(system_note())]))
        if not has(qemu_args(qemu) or [], ["-smp", "2"]):
            failures.append("an image ending right after its note was refused")
        four = write(tmp, "four.elf", elf(system_note(cpus=4, memory_mib=1000)))
        moat_run(tool, qemu, four)
        args = qemu_args(qemu) or []
        if not has(args, ["-smp", "4"]) or not has(args, ["-m", "1016M"]):
            failures.append(f"4-CPU 1000 MiB image: {' '.join(args)}")

        # Two system notes (moat-polc writes one): the first one counts.
        moat_run(tool, qemu, write(tmp, "twice.elf",
                                   elf(system_note(cpus=2) + system_note(cpus=4))))
        if not has(qemu_args(qemu) or [], ["-smp", "2"]):
            failures.append(f"two system notes: not the first one's CPUs: {qemu_args(qemu)}")
        # --memory 1G is 1024 MiB: enough for an image that needs 1010.
        proc = moat_run(tool, qemu, write(tmp, "1010.elf", elf(system_note(memory_mib=1010))),
                        "--memory", "1G")
        if not has(qemu_args(qemu) or [], ["-m", "1G"]):
            failures.append(f"--memory 1G for a 1010 MiB image: {proc.returncode} {proc.stderr}")

        # Options: --gdb, --memory at or above the memory end, QEMU ARGS last.
        moat_run(tool, qemu, two_cpus, "--gdb", "--memory", "1G", "--", "-smp", "3", "-d", "int")
        args = qemu_args(qemu) or []
        for want in (["-m", "1G"], ["-s", "-S"]):
            if not has(args, want):
                failures.append(f"QEMU arguments lack {' '.join(want)}: {' '.join(args)}")
        if args[-4:] != ["-smp", "3", "-d", "int"]:
            failures.append(f"QEMU ARGS are not last (they must override): {' '.join(args)}")
        moat_run(tool, qemu, two_cpus, "--memory", "64")
        if not has(qemu_args(qemu) or [], ["-m", "64"]):
            failures.append("--memory equal to the memory end was not used")
        for too_small in ("63M", "32", "65532K"):
            proc = moat_run(tool, qemu, two_cpus, "--memory", too_small)
            if proc.returncode != 2 or qemu_args(qemu) is not None or "64 MiB" not in proc.stderr:
                failures.append(f"--memory {too_small} below the image's 64 MiB was not "
                                f"refused: {proc.returncode} {proc.stderr}")
        proc = moat_run(tool, qemu, two_cpus, "--print-command")
        if "-smp 2" not in proc.stdout or qemu_args(qemu) is not None:
            failures.append(f"--print-command: {proc.stdout!r}, or QEMU was started")

        # Images moat-run must refuse, before starting QEMU.
        for what, (data, reason) in BAD_IMAGES.items():
            image = write(tmp, "bad.elf", data)
            proc = moat_run(tool, qemu, image)
            started = qemu_args(qemu) is not None
            if proc.returncode != 2 or started or "not a Moat system image" not in proc.stderr \
                    or reason not in proc.stderr:
                failures.append(f"{what}: status {proc.returncode}, QEMU started {started}, "
                                f"want 2, no QEMU, a message with {reason!r}: {proc.stderr}")
        proc = moat_run(tool, qemu, os.path.join(tmp, "missing.elf"))
        if proc.returncode != 2 or "No such file" not in proc.stderr:
            failures.append(f"a missing image: {proc.returncode} {proc.stderr}")

        # QEMU's exit status.
        for qemu_status, expected in ((1, 0), (3, 1), (0, 2), (2, 2)):
            got = moat_run(tool, fake_qemu(tmp, qemu_status), two_cpus).returncode
            if got != expected:
                failures.append(f"QEMU status {qemu_status}: moat-run {got}, want {expected}")
        slow = fake_qemu(tmp, 1, sleep=5)
        got = moat_run(tool, slow, two_cpus, "--timeout", "0.5").returncode
        if got != 124:
            failures.append(f"timeout: moat-run {got}, want 124")

    # --help documents every option and the QEMU arguments.
    usage = subprocess.run([sys.executable, tool, "--help"], capture_output=True,
                           text=True).stdout
    for word in ("--gdb", "--gdb-port", "--layout", "--timeout", "--memory", "--qemu", "--print-command",
                 "-- QEMU ARGS", "-smp", "Exit status"):
        if word not in usage:
            failures.append(f"--help does not mention {word}")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
