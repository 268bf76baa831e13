#!/usr/bin/env python3
"""moat-run: boot a Moat system image in QEMU with the serial console on the terminal.

    moat-run IMAGE.elf [--gdb] [--gdb-port N] [--layout L.txt] [--timeout S]
                       [--memory M] [--share NAME=FILE]... [--qemu PATH]
                       [--print-command] [-- QEMU-ARGS...]

The image says what machine it needs: moat-polc writes a PT_NOTE "Moat" of type
MOAT_NOTE_SYSTEM (kernel/include/moat/abi/layout.h) holding the policy's CPU count and
the end of its memory. moat-run starts QEMU with that many CPUs (-smp) and enough RAM
(-m). Channels the policy puts in device memory (memory="device") get a MOAT_NOTE_DEVICE_
CHANNEL note each; moat-run gives each one to QEMU as memory at its paddr (a pc-dimm):
with --share NAME=FILE a host file shared with QEMU, so a program on the host opens the
channel there, else private RAM. Exit status: 0 when the system powered off (a poweroff
event), 1 when the kernel refused to run or panicked, 2 when QEMU ended any other way or
the image cannot be booted (missing, not a Moat system image, a --share that does not
fit), 124 on --timeout.
"""
import argparse
import glob
import os
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile

# The kernel's isa-debug-exit writes: QEMU exits with (value << 1) | 1.
QEMU_POWEROFF = 1
QEMU_KERNEL_FAILURE = 3

# From kernel/include/moat/abi/layout.h (sdk-moat-run checks that they agree).
MOAT_NOTE_NAME = b"Moat"
MOAT_NOTE_SYSTEM = 2
MOAT_NOTE_DEVICE_CHANNEL = 3
MOAT_NOTE_VERSION = 1
MOAT_NOTE_NAME_BYTES = 64

# ELF64 (little-endian, x86-64): what moat-run reads of the header and program headers.
ELF_HEADER = struct.Struct("<16sHHIQQQIHHHHHH")
ELF_PHDR = struct.Struct("<IIQQQQQQ")
ELF_MACHINE_X86_64 = 62
PT_NOTE = 4
NOTE_HEADER = struct.Struct("<III")
SYSTEM_NOTE = struct.Struct("<III")  # version, cpu count, memory end in MiB
# version (u64), paddr, size, element size, protocol, name (NUL-padded)
DEVICE_NOTE = struct.Struct(f"<QQQQQ{MOAT_NOTE_NAME_BYTES}s")

# SHMStream v2 (docs/channel-protocol.md): the header a shared file may already hold.
CHANNEL_MARKER = 0x487312b6b79a9b6d
CHANNEL_HEADER = struct.Struct("<QQQQ")  # transport, epoch, protocol, size

# QEMU's pc machine puts memory given as a pc-dimm from 4 GiB up (its device memory),
# as long as all RAM fits below 4 GiB (less than 3.5 GiB: QEMU moves RAM above that).
QEMU_DEVICE_MEMORY_BASE = 1 << 32
QEMU_LOW_RAM_MAX_MIB = 3584
PAGE = 4096

# RAM beyond the policy's memory end: the firmware QEMU boots with keeps its own tables
# at the top of RAM, which must not fall on a policy region.
MEMORY_HEADROOM_MIB = 16


class ImageError(Exception):
    """The file is not a bootable Moat system image; the message says why."""


def _align4(n):
    return (n + 3) & ~3


def read_notes(data):
    """(cpu count, memory end in MiB, device channels) from a system image's notes; each
    device channel is a dict with name, paddr, size, element_size, protocol."""
    if len(data) < ELF_HEADER.size or data[:4] != b"\x7fELF":
        raise ImageError("not an ELF file")
    (ident, _type, machine, _version, _entry, phoff, _shoff, _flags, _ehsize,
     phentsize, phnum, _shentsize, _shnum, _shstrndx) = ELF_HEADER.unpack_from(data)
    if ident[4] != 2 or ident[5] != 1 or machine != ELF_MACHINE_X86_64:
        raise ImageError("not a 64-bit little-endian x86-64 ELF")
    if phentsize != ELF_PHDR.size or phoff + phnum * phentsize > len(data):
        raise ImageError("its program headers are cut off or malformed")
    found = None
    devices = []
    for i in range(phnum):
        p_type, _f, p_offset, _va, _pa, p_filesz, _memsz, _align = \
            ELF_PHDR.unpack_from(data, phoff + i * phentsize)
        if p_type != PT_NOTE:
            continue
        if p_offset + p_filesz > len(data):
            raise ImageError(f"its note segment {i} runs past the end of the file")
        pos, end = p_offset, p_offset + p_filesz
        while pos + NOTE_HEADER.size <= end:
            namesz, descsz, n_type = NOTE_HEADER.unpack_from(data, pos)
            name_at = pos + NOTE_HEADER.size
            desc_at = name_at + _align4(namesz)
            pos = desc_at + _align4(descsz)
            if pos > end:
                raise ImageError(f"a note in segment {i} runs past its segment")
            if data[name_at:name_at + namesz].rstrip(b"\0") != MOAT_NOTE_NAME:
                continue
            if n_type == MOAT_NOTE_DEVICE_CHANNEL:
                devices.append(read_device_note(data, desc_at, descsz))
                continue
            if n_type != MOAT_NOTE_SYSTEM:
                continue
            if descsz < SYSTEM_NOTE.size:
                raise ImageError(f"its Moat system note is too short ({descsz} bytes)")
            found = found or SYSTEM_NOTE.unpack_from(data, desc_at)
    if found is None:
        raise ImageError("no Moat system note (moat-polc build writes it)")
    version, cpus, memory_mib = found
    if version != MOAT_NOTE_VERSION:
        raise ImageError(f"its Moat system note has version {version}, this moat-run "
                         f"reads version {MOAT_NOTE_VERSION}: use the moat-run of the SDK "
                         "whose moat-polc built the image")
    if cpus == 0 or memory_mib == 0:
        raise ImageError(f"its Moat system note is malformed (cpus {cpus}, memory "
                         f"{memory_mib} MiB)")
    return cpus, memory_mib, devices


def read_device_note(data, at, size):
    if size < DEVICE_NOTE.size:
        raise ImageError(f"its device channel note is too short ({size} bytes)")
    version, paddr, chan_size, element_size, protocol, name = DEVICE_NOTE.unpack_from(data, at)
    if version != MOAT_NOTE_VERSION:
        raise ImageError(f"its device channel note has version {version}, this moat-run "
                         f"reads version {MOAT_NOTE_VERSION}")
    name = name.split(b"\0", 1)[0].decode("ascii", "replace")
    if not name or chan_size == 0 or chan_size % PAGE or paddr % PAGE or element_size == 0:
        raise ImageError(f"its device channel note for '{name}' is malformed")
    return {"name": name, "paddr": paddr, "size": chan_size, "element_size": element_size,
            "protocol": protocol}


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


class ShareError(Exception):
    """A --share that cannot be set up; the message says why."""


def prepare_share(device, path):
    """Make the host file of a device channel, or check an existing one: a regular file
    of exactly the channel's size whose header is blank or this channel's (so a stale
    file of another system is never handed to it)."""
    name, size = device["name"], device["size"]
    if not os.path.exists(path):
        # Made whole under another name, then linked in place (never over a file), so a
        # program waiting for it never opens it half-made.
        folder = os.path.dirname(os.path.abspath(path))
        try:
            fd, tmp = tempfile.mkstemp(prefix=".moat-share-", dir=folder)
        except OSError as e:
            raise ShareError(f"--share {name}={path}: cannot create it: {e.strerror}")
        try:
            os.ftruncate(fd, size)
            os.fchmod(fd, 0o666 & ~current_umask())
            os.link(tmp, path)
            return True
        except FileExistsError:
            pass  # another process made it meanwhile: check theirs below
        except OSError as e:
            raise ShareError(f"--share {name}={path}: cannot create it: {e.strerror}")
        finally:
            os.close(fd)
            os.unlink(tmp)
    if not os.path.isfile(path):
        raise ShareError(f"--share {name}={path}: not a regular file")
    have = os.path.getsize(path)
    if have != size:
        raise ShareError(f"--share {name}={path}: the file has {have} bytes, the channel "
                         f"is {size} bytes (the policy's size); remove it or give another file")
    try:
        with open(path, "r+b") as f:
            head = f.read(CHANNEL_HEADER.size)
    except OSError as e:
        raise ShareError(f"--share {name}={path}: {e.strerror}")
    transport, _epoch, protocol, element_size = CHANNEL_HEADER.unpack(head)
    if transport == 0 and protocol == 0 and element_size == 0:
        return False
    if transport != CHANNEL_MARKER:
        raise ShareError(f"--share {name}={path}: not a channel (its header is neither "
                         "blank nor SHMStream v2)")
    if protocol != device["protocol"] or element_size != device["element_size"]:
        raise ShareError(f"--share {name}={path}: the file holds a channel of protocol "
                         f"0x{protocol:x}, {element_size}-byte elements; '{name}' has protocol "
                         f"0x{device['protocol']:x}, {device['element_size']}-byte elements")
    return False


def device_memory_args(devices, shares, ram_mib):
    """QEMU arguments that put each device channel's memory at its paddr: one pc-dimm
    each, backed by the --share file (share=on) or by private RAM; and the -m suffix
    (slots, maxmem) that makes room for them."""
    known = {d["name"]: d for d in devices}
    for name in shares:
        if name not in known:
            where = ", ".join(sorted(known)) or "none"
            raise ShareError(f"--share {name}=...: the image has no channel '{name}' in device "
                             f"memory (its device channels: {where}); a channel is shared when "
                             "the policy gives it memory=\"device\" and a paddr")
    if not devices:
        return "", []
    if ram_mib > QEMU_LOW_RAM_MAX_MIB:
        raise ShareError(f"device channels need all RAM below 4 GiB, so at most "
                         f"{QEMU_LOW_RAM_MAX_MIB} MiB of it (--memory)")
    args = []
    end = QEMU_DEVICE_MEMORY_BASE
    for i, d in enumerate(sorted(devices, key=lambda d: d["paddr"])):
        if d["paddr"] < QEMU_DEVICE_MEMORY_BASE:
            raise ShareError(f"channel '{d['name']}': device memory at 0x{d['paddr']:x}; QEMU's "
                             "pc machine provides such memory only from 4 GiB "
                             f"(0x{QEMU_DEVICE_MEMORY_BASE:x}) up: give it a paddr there")
        path = shares.get(d["name"])
        if path is not None:
            backend = (f"memory-backend-file,id=moat-dev{i},mem-path={path},"
                       f"size={d['size']},share=on")
        else:
            backend = f"memory-backend-ram,id=moat-dev{i},size={d['size']}"
        args += ["-object", backend,
                 "-device", f"pc-dimm,id=moat-dimm{i},memdev=moat-dev{i},addr={d['paddr']:#x}"]
        end = max(end, d["paddr"] + d["size"])
    span_mib = (end - QEMU_DEVICE_MEMORY_BASE + (1 << 20) - 1) >> 20
    return f",slots={len(devices)},maxmem={int(ram_mib) + span_mib}M", args


def parse_memory(text):
    """QEMU's -m size (a number with an optional K/M/G/T suffix, M by default) in MiB."""
    units = {"K": 1.0 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}
    text = text.strip().upper()
    scale = units.get(text[-1:], None)
    number = text[:-1] if scale is not None else text
    try:
        value = float(number) * (scale if scale is not None else 1)
    except ValueError:
        raise ValueError(f"--memory {text}: not a size (e.g. 256M, 1G)") from None
    return value


def qemu_command(args, cpus, memory_mib, devices=(), shares=None):
    ram = args.memory or f"{memory_mib + MEMORY_HEADROOM_MIB}M"
    ram_mib = parse_memory(ram) if args.memory else memory_mib + MEMORY_HEADROOM_MIB
    slots, device_args = device_memory_args(list(devices), shares or {}, ram_mib)
    cmd = [args.qemu, "-kernel", args.image, "-cpu", "max", "-smp", str(cpus),
           "-m", ram + slots,
           "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] + device_args
    if args.gdb:
        # -s is QEMU's "-gdb tcp::1234"
        cmd += (["-s"] if args.gdb_port == 1234 else ["-gdb", f"tcp::{args.gdb_port}"]) + ["-S"]
    return cmd + args.qemu_args


def gdb_command(args):
    """The GDB command line that follows the running subject (moat-gdb.py, docs/sdk.md)."""
    here = os.path.dirname(os.path.realpath(__file__))
    prefix = os.path.dirname(here)
    scripts = [os.path.join(here, "moat-gdb.py"),  # the source tree (sdk/tools)
               os.path.join(prefix, "share", "moat-sdk", "gdb", "moat-gdb.py")]  # installed
    script = next((s for s in scripts if os.path.isfile(s)), None)
    layout = args.layout
    if layout is None:
        stem = os.path.splitext(args.image)[0]
        guesses = [stem + "-layout.txt", os.path.join(os.path.dirname(args.image), "layout.txt")]
        layout = next((g for g in guesses if os.path.isfile(g)), None)
    cmd = ["gdb"]
    if script is not None and layout is not None:
        follow = ["moat-follow", layout]
        subjects = os.path.join(prefix, "share", "moat-sdk", "subjects")
        if os.path.isdir(subjects):
            follow += ["-I", subjects]  # the SDK's log server
        kernels = glob.glob(os.path.join(prefix, "lib*", "**", "moat-sdk", "kernel", "kernel.elf"),
                            recursive=True)
        if kernels:
            follow += ["--kernel", kernels[0]]
        cmd += ["-x", script, "-ex", " ".join(shlex.quote(w) for w in follow)]
    cmd += ["-ex", f"target remote localhost:{args.gdb_port}"]
    return " ".join(shlex.quote(w) for w in cmd), script is not None and layout is not None


def parser():
    ap = argparse.ArgumentParser(
        prog="moat-run",
        usage="moat-run IMAGE [options] [-- QEMU ARGS...]",
        description="Boot a Moat system image in QEMU (-cpu max, serial console on "
                    "this terminal, no display). The CPU count (-smp) and RAM (-m) come "
                    "from the image's Moat system note, which moat-polc build writes.",
        epilog="-- QEMU ARGS: everything after -- is appended to the QEMU command line "
               "unchanged, after moat-run's own options, so it can add devices or "
               "override them (e.g. -- -smp 4 -d int). Exit status: 0 the system powered "
               "off, 1 the kernel refused to run or panicked, 2 QEMU ended otherwise or "
               "IMAGE is not a bootable Moat system image, 124 --timeout expired.")
    ap.add_argument("image", metavar="IMAGE", help="the system image moat-polc build wrote")
    ap.add_argument("--gdb", action="store_true",
                    help="start QEMU halted with a GDB server on localhost:1234 and print "
                         "the gdb command that follows the running subject (moat-gdb.py)")
    ap.add_argument("--gdb-port", type=int, default=1234, metavar="N",
                    help="the GDB server's port (default 1234)")
    ap.add_argument("--layout", metavar="L.txt",
                    help="the layout report of IMAGE, for --gdb (default: IMAGE's name "
                         "with -layout.txt, or layout.txt next to it)")
    ap.add_argument("--timeout", type=float, metavar="S",
                    help="stop QEMU after S seconds (exit status 124)")
    ap.add_argument("--memory", metavar="M",
                    help="guest RAM as QEMU's -m takes it (e.g. 512M); default: the "
                         f"image's memory end plus {MEMORY_HEADROOM_MIB} MiB; refused "
                         "when below the memory end")
    ap.add_argument("--share", action="append", default=[], metavar="NAME=FILE",
                    help="back channel NAME (memory=\"device\" in the policy) with the host "
                         "file FILE, shared with QEMU: created at the channel's size when "
                         "missing, else checked (size, header); a Linux program on the host "
                         "opens it by name with MOAT_CHANNELS=NAME=FILE (repeatable)")
    ap.add_argument("--qemu", metavar="PATH",
                    default=shutil.which("qemu-system-x86_64") or "qemu-system-x86_64",
                    help="the QEMU to run (default: qemu-system-x86_64 on PATH)")
    ap.add_argument("--print-command", action="store_true",
                    help="print the QEMU command line and exit")
    return ap


def main(argv):
    ap = parser()
    # Everything after "--" goes to QEMU untouched (argparse would bind it to nothing).
    split = argv.index("--") if "--" in argv else len(argv)
    args = ap.parse_args(argv[:split])
    args.qemu_args = argv[split + 1:]
    try:
        with open(args.image, "rb") as f:
            cpus, memory_mib, devices = read_notes(f.read())
    except OSError as e:
        print(f"moat-run: {args.image}: {e.strerror}", file=sys.stderr)
        return 2
    except ImageError as e:
        print(f"moat-run: {args.image}: not a Moat system image: {e}", file=sys.stderr)
        return 2
    if args.memory is not None:
        try:
            asked = parse_memory(args.memory)
        except ValueError as e:
            ap.error(str(e))
        if asked < memory_mib:
            ap.error(f"--memory {args.memory} is less than the {memory_mib} MiB the "
                     "image's policy places memory in")
    shares = {}
    for item in args.share:
        name, eq, path = item.partition("=")
        if not eq or not name or not path:
            ap.error(f"--share {item}: want NAME=FILE")
        if name in shares:
            ap.error(f"--share {name}: given twice")
        shares[name] = path
    try:
        cmd = qemu_command(args, cpus, memory_mib, devices, shares)
        if not args.print_command:
            for d in devices:
                if d["name"] in shares:
                    prepare_share(d, shares[d["name"]])
    except ShareError as e:
        print(f"moat-run: {args.image}: {e}", file=sys.stderr)
        return 2
    if shares and not args.print_command:
        pairs = ",".join(f"{n}={p}" for n, p in shares.items())
        print(f"moat-run: shared with the host: MOAT_CHANNELS={shlex.quote(pairs)}",
              file=sys.stderr)
    if args.print_command:
        print(" ".join(cmd))
        return 0
    if args.gdb:
        line, follows = gdb_command(args)
        print(f"moat-run: waiting for GDB on localhost:{args.gdb_port}; in another terminal:\n"
              f"  {line}", file=sys.stderr)
        if not follows:
            print("moat-run: no layout report found (--layout L.txt): gdb will not know "
                  "which subject runs", file=sys.stderr)
    try:
        status = subprocess.run(cmd, timeout=args.timeout).returncode
    except subprocess.TimeoutExpired:
        print(f"moat-run: timed out after {args.timeout:g} s", file=sys.stderr)
        return 124
    if status == QEMU_POWEROFF:
        return 0
    if status == QEMU_KERNEL_FAILURE:
        print("moat-run: the kernel refused to run or panicked", file=sys.stderr)
        return 1
    print(f"moat-run: QEMU ended without a poweroff (status {status})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
