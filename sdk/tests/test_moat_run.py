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
  - each MOAT_NOTE_DEVICE_CHANNEL becomes a pc-dimm at the channel's paddr: --share
    NAME=FILE a host file shared with QEMU (created at the channel's size, or an existing
    one of that size whose header is blank or this channel's), else private RAM; a
    --share of no device channel, a file of another size or channel, device memory below
    4 GiB and a malformed --share are refused before QEMU starts;
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


NOTE_DEVICE_CHANNEL = 3
MARKER = 0x487312b6b79a9b6d


def device_note(name, paddr, size, element_size=64, protocol=0x62726467):
    desc = struct.pack("<QQQQQ64s", 1, paddr, size, element_size, protocol, name)
    return note(b"Moat", NOTE_DEVICE_CHANNEL, desc)


def check_shares(tool, qemu, tmp, failures):
    image = write(tmp, "dev.elf", elf(PVH + system_note(cpus=1, memory_mib=64) +
                                      device_note(b"host.up", 0x100000000, 0x4000) +
                                      device_note(b"host.down", 0x100200000, 0x10000)))
    up = os.path.join(tmp, "up.chan")
    proc = moat_run(tool, qemu, image, "--share", f"host.up={up}")
    args = qemu_args(qemu) or []
    for want in (["-m", "80M,slots=2,maxmem=83M"],
                 ["-object", f"memory-backend-file,id=moat-dev0,mem-path={up},size=16384,share=on"],
                 ["-device", "pc-dimm,id=moat-dimm0,memdev=moat-dev0,addr=0x100000000"],
                 ["-object", "memory-backend-ram,id=moat-dev1,size=65536"],
                 ["-device", "pc-dimm,id=moat-dimm1,memdev=moat-dev1,addr=0x100200000"]):
        if not has(args, want):
            failures.append(f"--share: QEMU arguments lack {' '.join(want)}: {' '.join(args)} "
                            f"{proc.stderr}")
    if not os.path.isfile(up) or os.path.getsize(up) != 0x4000 or \
            open(up, "rb").read() != bytes(0x4000):
        failures.append("--share did not create a zero file of the channel's 16384 bytes")
    mask = os.umask(0)
    os.umask(mask)
    if os.path.isfile(up) and os.stat(up).st_mode & 0o777 != 0o666 & ~mask:
        failures.append(f"--share made its file mode {os.stat(up).st_mode & 0o777:o}, not "
                        f"{0o666 & ~mask:o} (0666 less the umask): a host program of another "
                        "user could not open it")
    if f"MOAT_CHANNELS=host.up={up}" not in proc.stderr:
        failures.append(f"--share does not tell the host program's MOAT_CHANNELS: {proc.stderr}")
    # An existing file holding this channel is used as it is.
    with open(up, "r+b") as f:
        f.write(struct.pack("<QQQQ", MARKER, 7, 0x62726467, 64))
    proc = moat_run(tool, qemu, image, "--share", f"host.up={up}")
    if proc.returncode != 0 or qemu_args(qemu) is None:
        failures.append(f"--share of a file holding the channel: {proc.returncode} {proc.stderr}")

    def refused(what, extra, reason):
        proc = moat_run(tool, qemu, image, *extra)
        started = qemu_args(qemu) is not None
        if proc.returncode != 2 or started or reason not in proc.stderr:
            failures.append(f"{what}: status {proc.returncode}, QEMU started {started}, want 2, "
                            f"no QEMU, {reason!r}: {proc.stderr}")

    refused("--share of no device channel", ["--share", f"nope={up}"],
            "no channel 'nope' in device memory (its device channels: host.down, host.up)")
    refused("--share without a file", ["--share", "host.up"], "want NAME=FILE")
    refused("--share twice", ["--share", f"host.up={up}", "--share", f"host.up={up}"],
            "given twice")
    with open(up, "r+b") as f:
        f.write(struct.pack("<QQQQ", MARKER, 7, 0x6f746865, 64))
    refused("--share of a file of another protocol", ["--share", f"host.up={up}"],
            "protocol 0x6f746865")
    with open(up, "r+b") as f:
        f.write(struct.pack("<QQQQ", MARKER, 7, 0x62726467, 32))
    refused("--share of a file of another element size", ["--share", f"host.up={up}"],
            "32-byte elements")
    with open(up, "r+b") as f:
        f.write(b"not a channel at all")
    refused("--share of a file that is no channel", ["--share", f"host.up={up}"],
            "not a channel")
    with open(up, "wb") as f:
        f.write(bytes(0x4000 - 1))
    refused("--share of a file one byte short", ["--share", f"host.up={up}"],
            "the file has 16383 bytes, the channel is 16384 bytes")
    if os.path.getsize(up) != 0x4000 - 1:
        failures.append("a refused --share file was changed")
    with open(up, "wb") as f:
        f.write(bytes(0x4000 + 1))
    refused("--share of a file one byte long", ["--share", f"host.up={up}"],
            "the file has 16385 bytes, the channel is 16384 bytes")
    refused("--share of a folder", ["--share", f"host.up={tmp}"], "not a regular file")
    refused("device channels and more than 3.5 GiB of RAM", ["--memory", "3585M"],
            "at most 3584 MiB")
    low = write(tmp, "low.elf", elf(system_note(cpus=1, memory_mib=64) +
                                    device_note(b"low", 0xfe000000, 0x1000)))
    proc = moat_run(tool, qemu, low)
    if proc.returncode != 2 or qemu_args(qemu) is not None or "from 4 GiB" not in proc.stderr:
        failures.append(f"device memory below 4 GiB: {proc.returncode} {proc.stderr}")
    odd = write(tmp, "odd.elf", elf(system_note(cpus=1, memory_mib=64) +
                                    device_note(b"odd", 0x100000800, 0x1000)))
    proc = moat_run(tool, qemu, odd)
    if proc.returncode != 2 or qemu_args(qemu) is not None or "malformed" not in proc.stderr:
        failures.append(f"device memory off the page grid: {proc.returncode} {proc.stderr}")
    later = write(tmp, "later.elf", elf(system_note() + note(
        b"Moat", NOTE_DEVICE_CHANNEL, struct.pack("<QQQQQ64s", 2, 0x100000000, 0x1000, 64, 1,
                                                  b"later"))))
    proc = moat_run(tool, qemu, later)
    if proc.returncode != 2 or "has version 2" not in proc.stderr:
        failures.append(f"a device channel note of version 2: {proc.returncode} {proc.stderr}")
    short = write(tmp, "short.elf", elf(system_note() + note(b"Moat", NOTE_DEVICE_CHANNEL, b"\1" * 40)))
    proc = moat_run(tool, qemu, short)
    if proc.returncode != 2 or "device channel note is too short" not in proc.stderr:
        failures.append(f"a short device channel note: {proc.returncode} {proc.stderr}")


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
    for name in ("MOAT_NOTE_NAME", "MOAT_NOTE_SYSTEM", "MOAT_NOTE_VERSION",
                 "MOAT_NOTE_DEVICE_CHANNEL", "MOAT_NOTE_NAME_BYTES"):
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
        check_shares(tool, qemu, tmp, failures)

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
