#!/usr/bin/env python3
"""moat-audit: the kernel's audit records (contained faults, returns from main, panics)
as readable reports.

    moat-audit [--layout LAYOUT.txt] [-I DIR]... [--elf SUBJECT=ELF]... [--kernel ELF] LOG
    moat-audit [--layout LAYOUT.txt] [-I DIR]... [--elf SUBJECT=ELF]... [--kernel ELF]
               --dump AUDIT.bin

LOG is a boot log ('-': standard input) holding the kernel's `audit <seq> <field> <value>`
lines (kernel/core/audit.c), bare or as the log server prints them (`[kernel] audit ...`).
AUDIT.bin is a copy of the policy's audit region (kernel/include/moat/abi/audit.h), e.g.
from QEMU's monitor: `pmemsave ADDR SIZE "audit.bin"` with the address and size the
layout report gives for the region 'audit'.

Each record becomes: the subject, the vector by name, a page fault's error code in
words, the instruction and the faulting address each with the region of the subject's
address space it falls in (from the layout report, `moat-polc layout` or `build
--layout`), and the source line of the instruction from the subject's ELF. Source lines
come from llvm-symbolizer (Debian package llvm) or addr2line (binutils); without either,
or without debug information, the ELF's symbol table gives function+offset.
ELFs are found by the image name in the layout report, in the layout report's folder and
in each -I folder; --elf SUBJECT=PATH names one directly. --kernel names the kernel ELF,
for the source line of a panic.

Exit status: 0 reports printed (also when there is no record), 1 unreadable or invalid
input, 2 usage errors.
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys

# kernel/include/moat/abi/audit.h
AUDIT_MAGIC = 0x5444554154414F4D  # "MOATAUDT"
AUDIT_REGS = 20
HEADER = struct.Struct("<QQII5Q")  # magic, count, record_size, capacity, reserved[5]
RECORD = struct.Struct("<QQHHIQQQQ%dQ" % AUDIT_REGS)
KIND_FAULT, KIND_EXIT, KIND_PANIC = 1, 2, 3
KINDS = {KIND_FAULT: "fault", KIND_EXIT: "exit", KIND_PANIC: "panic"}
FAULT_ACTIONS = {0: "stop", 1: "restart"}  # enum moat_fault_action
SUBJECT_IDLE = 0xFFFF  # MOAT_SUBJECT_IDLE: the kernel itself
REGISTERS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10",
             "r11", "r12", "r13", "r14", "r15", "rflags", "cs", "ss", ""]

# x86-64 exception vectors: the kernel's short names (entry.c) and what they mean.
VECTORS = {
    0: ("#DE", "divide error"), 1: ("#DB", "debug"), 2: ("NMI", "non-maskable interrupt"),
    3: ("#BP", "breakpoint"), 4: ("#OF", "overflow"), 5: ("#BR", "bound range exceeded"),
    6: ("#UD", "invalid opcode"), 7: ("#NM", "device not available"),
    8: ("#DF", "double fault"), 9: ("#CSO", "coprocessor segment overrun"),
    10: ("#TS", "invalid TSS"), 11: ("#NP", "segment not present"),
    12: ("#SS", "stack-segment fault"), 13: ("#GP", "general protection"),
    14: ("#PF", "page fault"), 16: ("#MF", "x87 floating-point error"),
    17: ("#AC", "alignment check"), 18: ("#MC", "machine check"),
    19: ("#XM", "SIMD floating-point error"), 20: ("#VE", "virtualization exception"),
    21: ("#CP", "control protection"), 28: ("#HV", "hypervisor injection"),
    29: ("#VC", "VMM communication"), 30: ("#SX", "security exception"),
}
# Traps report the instruction after the one that caused them.
TRAPS = {3, 4}


def vector_text(vector):
    name, what = VECTORS.get(vector, (f"#{vector}", "reserved vector"))
    return f"{vector} {name} ({what})"


def page_fault_text(error):
    """A #PF error code in words."""
    access = "instruction fetch" if error & 0x10 else ("write" if error & 0x2 else "read")
    mode = "user-mode" if error & 0x4 else "supervisor-mode"
    cause = "protection violation on a present page" if error & 0x1 else "page not present"
    extra = [w for bit, w in ((0x8, "reserved bit set"), (0x20, "protection key"),
                              (0x40, "shadow stack")) if error & bit]
    return f"{mode} {access}, {cause}" + "".join(f", {w}" for w in extra)


class Record:
    def __init__(self, seq):
        self.seq = seq
        self.kind = None
        self.subject = None  # name, or None
        self.subject_id = None
        self.tsc = None
        self.vector = None
        self.status = None
        self.error = None
        self.ip = None
        self.addr = None
        self.action = None
        self.regs = {}
        self.complete = False


# ---- inputs ----

AUDIT_LINE = re.compile(r"^(?:\[kernel\] )?audit (\d+) (\S+)(?: (.*))?$")


def number(text):
    return int(text.split()[0], 0)


def records_from_log(lines):
    """Records in the order they began. Only the kernel's own lines count: bare ones
    (boot, panic) or the log server's `[kernel]` ones, never another source's."""
    records, open_by_seq = [], {}
    for raw in lines:
        m = AUDIT_LINE.match(raw.rstrip("\r\n"))
        if not m:
            continue
        seq, field, value = int(m.group(1)), m.group(2), m.group(3) or ""
        if field == "begin" or seq not in open_by_seq:
            r = Record(seq)
            records.append(r)
            open_by_seq[seq] = r
            if field == "begin":
                continue
        r = open_by_seq[seq]
        try:
            if field == "end":
                r.complete = True
                del open_by_seq[seq]
            elif field == "kind":
                r.kind = {v: k for k, v in KINDS.items()}.get(value)
            elif field == "subject":
                r.subject = None if value == "kernel" else value
            elif field == "tsc":
                r.tsc = number(value)
            elif field == "vector":
                r.vector = number(value)
            elif field == "status":
                r.status = number(value)
            elif field in ("error", "ip", "addr"):
                setattr(r, field, number(value))
            elif field == "action":
                r.action = value
            elif field in REGISTERS:
                r.regs[field] = number(value)
        except (ValueError, IndexError):
            pass  # a damaged line: the field stays unknown
    # A record's lines may come late and between another's (a report is printed a line
    # at a time in the subject's own frames): in sequence order.
    return sorted(records, key=lambda r: r.seq)


def records_from_dump(data, names):
    """Records of an audit region copy, oldest first; names: subject id -> name."""
    if len(data) < HEADER.size:
        raise ValueError(f"{len(data)} bytes: shorter than the audit header ({HEADER.size})")
    magic, count, record_size, capacity, *_ = HEADER.unpack_from(data)
    if magic != AUDIT_MAGIC:
        raise ValueError(f"bad magic 0x{magic:x}: not a Moat audit region "
                         f"(want 0x{AUDIT_MAGIC:x}, \"MOATAUDT\")")
    if record_size != RECORD.size:
        raise ValueError(f"record size {record_size}, this moat-audit reads {RECORD.size}")
    if capacity == 0 or HEADER.size + capacity * RECORD.size > len(data):
        raise ValueError(f"capacity {capacity} records does not fit in {len(data)} bytes")
    records = []
    for seq in range(max(1, count - capacity + 1), count + 1):
        at = HEADER.size + ((seq - 1) % capacity) * RECORD.size
        f = RECORD.unpack_from(data, at)
        if f[0] != seq:
            continue  # overwritten while the copy was taken
        r = Record(seq)
        r.tsc, r.subject_id, r.kind = f[1], f[2], f[3]
        r.subject = names.get(r.subject_id) if r.subject_id != SUBJECT_IDLE else None
        if r.kind == KIND_EXIT:
            r.status = f[4]
        else:
            r.vector = f[4]
        r.error, r.ip, r.addr = f[5], f[6], f[7]
        r.action = FAULT_ACTIONS.get(f[8], str(f[8]))
        r.regs = {n: v for n, v in zip(REGISTERS, f[9:]) if n}
        r.complete = True
        records.append(r)
    return records


class Mapping:
    def __init__(self, start, end, perm, mode, phys, what):
        self.start, self.end, self.perm, self.mode, self.phys, self.what = (
            start, end, perm, mode, phys, what)


class Space:
    def __init__(self, name, sid, image):
        self.name, self.id, self.image, self.maps = name, sid, image, []


SUBJECT_HEAD = re.compile(r"^Subject '([^']+)' \(id (\d+),")
IMAGE_LINE = re.compile(r"^\s+image (\S+), entry")
MAP_LINE = re.compile(r"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+\S+\s+([r-][w-][x-])\s+(user|sup)"
                      r"\s+(0x[0-9a-f]+|-)\s+(.+?)\s*$")


def read_layout(path):
    """Subject name -> Space, from a layout report."""
    spaces, current = {}, None
    with open(path) as f:
        for line in f:
            m = SUBJECT_HEAD.match(line)
            if m:
                current = Space(m.group(1), int(m.group(2)), None)
                spaces[current.name] = current
                continue
            if current is None:
                continue
            if not line.strip() or not line.startswith(" "):
                current = None
                continue
            m = IMAGE_LINE.match(line)
            if m:
                current.image = m.group(1)
                continue
            m = MAP_LINE.match(line)
            if m:
                phys = int(m.group(5), 16) if m.group(5) != "-" else None
                current.maps.append(Mapping(int(m.group(1), 16), int(m.group(2), 16),
                                            m.group(3), m.group(4), phys, m.group(6)))
    return spaces


# ---- ELF symbols ----

def elf_symbols(path):
    """[(start, size, name)] of the ELF64 little-endian file's function and object
    symbols, sorted by address."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path}: not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    symbols = []
    for sh in sections:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        for i in range(sh[5] // 24):
            name, info, _, shndx, value, size = struct.unpack_from("<IBBHQQ", data, sh[4] + i * 24)
            if info & 0xF not in (1, 2) or shndx == 0 or value == 0:  # OBJECT, FUNC
                continue
            start = strtab[4] + name
            symbols.append((value, size, data[start:data.index(b"\0", start)].decode()))
    return sorted(symbols)


def symbol_at(symbols, addr):
    best = None
    for start, size, name in symbols:
        if start <= addr and (addr < start + size or (size == 0 and best is None)):
            best = (name, addr - start)
    return f"{best[0]}+0x{best[1]:x}" if best else None


def find_symbolizer(choice):
    if choice == "none":
        return None
    for tool in (("llvm-symbolizer", "addr2line") if choice == "auto" else (choice,)):
        path = shutil.which(tool)
        if path:
            return path
    return None


def source_lines(symbolizer, elf, addr):
    """['function at file:line', ...] innermost first (inlined calls), or []."""
    if symbolizer is None:
        return []
    if os.path.basename(symbolizer).startswith("llvm-symbolizer"):
        cmd = [symbolizer, "--obj=" + elf, "--inlines", "--functions=short", hex(addr)]
    else:
        cmd = [symbolizer, "-f", "-i", "-e", elf, hex(addr)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    lines = [l for l in out.splitlines() if l.strip()]
    frames = []
    for func, loc in zip(lines[0::2], lines[1::2]):
        parts = loc.rsplit(":", 2)
        if parts[0] in ("??", "") or loc.startswith("??"):
            continue
        # llvm: file:line:column, addr2line: file:line (maybe " (discriminator N)")
        path = os.path.normpath(parts[0])
        line = parts[1].split()[0] if len(parts) > 1 else "?"
        if line in ("0", "?"):
            continue
        frames.append(f"{func} at {path}:{line}")
    return frames


# ---- the report ----

class Context:
    def __init__(self, spaces, elf_paths, symbolizer, kernel=None):
        self.spaces = spaces
        self.kernel = kernel  # the kernel's ELF, for panics
        self.elf_paths = elf_paths  # subject -> path
        self.symbolizer = symbolizer
        self.symbol_cache = {}

    def symbols(self, elf):
        if elf not in self.symbol_cache:
            try:
                self.symbol_cache[elf] = elf_symbols(elf)
            except (OSError, ValueError, IndexError, struct.error):
                self.symbol_cache[elf] = []  # not a readable ELF: no symbols
        return self.symbol_cache[elf]


def where(ctx, subject, addr):
    """The region of subject's address space holding addr, in words."""
    space = ctx.spaces.get(subject) if subject else None
    if space is None:
        return None
    for m in space.maps:
        if m.start <= addr <= m.end:
            phys = f", physical 0x{m.phys + addr - m.start:x}" if m.phys is not None else ""
            mode = "supervisor-only" if m.mode == "sup" else "user"
            return (f"in {m.what} (0x{m.start:x}-0x{m.end:x}, {m.perm} {mode}), "
                    f"offset 0x{addr - m.start:x}{phys}")
    text = f"not mapped in {subject}'s address space"
    below = [m for m in space.maps if m.end < addr]
    above = [m for m in space.maps if m.start > addr]
    near = []
    if below:
        m = max(below, key=lambda m: m.end)
        near.append(f"above {m.what}, which ends at 0x{m.end:x}")
    if above:
        m = min(above, key=lambda m: m.start)
        near.append(f"below {m.what}, which starts at 0x{m.start:x}")
    if near:
        text += " (" + "; ".join(near) + ")"
    others = [f"{s.name}'s {m.what}" for s in ctx.spaces.values() if s.name != subject
              for m in s.maps if m.start <= addr <= m.end and m.mode == "user"]
    if others:
        text += "; the same address is " + ", ".join(others[:3]) + \
                (f" and {len(others) - 3} more" if len(others) > 3 else "")
    return text


def code_at(ctx, subject, ip, vector):
    """ELF, symbol+offset and source lines of the instruction at ip."""
    elf = ctx.elf_paths.get(subject) if subject else ctx.kernel
    if elf is None:
        return None, []
    lookup = ip - 1 if vector in TRAPS else ip
    sym = symbol_at(ctx.symbols(elf), lookup)
    return sym, source_lines(ctx.symbolizer, elf, lookup)


def report(ctx, r):
    who = r.subject if r.subject else ("the kernel" if r.kind == KIND_PANIC or
                                       r.subject_id == SUBJECT_IDLE else "an unknown subject")
    if r.subject_id is not None and r.subject is None and r.subject_id != SUBJECT_IDLE:
        who = f"subject {r.subject_id}"
    kind = KINDS.get(r.kind, "record")
    out = []
    if r.kind == KIND_EXIT:
        head = f"audit {r.seq}: {who} returned from main"
        if r.status is not None:
            head += f" with status {r.status}"
    elif r.kind == KIND_PANIC:
        head = f"audit {r.seq}: kernel panic"
        if r.vector is not None and r.ip:
            head += f", vector {vector_text(r.vector)}"
    else:
        head = f"audit {r.seq}: {kind} in {who}"
        if r.vector is not None:
            head += f", vector {vector_text(r.vector)}"
    if r.action and r.kind != KIND_PANIC:
        head += f"; the kernel {'restarts' if r.action == 'restart' else 'stops'} it"
    if not r.complete:
        head += " [incomplete: some of its lines were lost]"
    out.append(head)
    if r.error is not None and r.kind != KIND_EXIT and (r.error or r.vector in (14, 13)):
        text = f"  error  0x{r.error:x}"
        if r.vector == 14:
            text += f": {page_fault_text(r.error)}"
        elif r.error and r.vector in (10, 11, 12, 13):
            text += f": selector 0x{r.error & ~7:x}" + (" (IDT)" if r.error & 2 else "")
        out.append(text)
    if r.ip is not None and r.kind != KIND_EXIT:
        text = f"  ip     0x{r.ip:x}"
        region = where(ctx, r.subject, r.ip)
        if region:
            text += f"  {region}"
        out.append(text)
        sym, frames = code_at(ctx, r.subject, r.ip, r.vector)
        if sym:
            elf = os.path.basename(ctx.elf_paths[r.subject] if r.subject else ctx.kernel)
            out.append(f"         {sym} in {elf}")
        for i, frame in enumerate(frames):
            out.append(f"         {'source' if i == 0 else 'inlined into'} {frame}")
    if r.addr is not None and r.kind != KIND_EXIT and (r.vector == 14 or r.addr):
        text = f"  addr   0x{r.addr:x}"
        region = where(ctx, r.subject, r.addr)
        if region:
            text += f"  {region}"
        out.append(text)
    if r.tsc is not None:
        out.append(f"  tsc    {r.tsc}")
    if r.regs and r.kind == KIND_PANIC:
        names = [n for n in REGISTERS if n in r.regs]
        for i in range(0, len(names), 4):
            out.append("  " + "  ".join(f"{n:>6} 0x{r.regs[n]:016x}" for n in names[i:i + 4]))
    return "\n".join(out)


def elf_paths_for(spaces, layout_dir, include_dirs, overrides):
    paths = {}
    for space in spaces.values():
        if space.image is None:
            continue
        for d in [layout_dir] + include_dirs:
            p = space.image if os.path.isabs(space.image) else os.path.join(d, space.image)
            if os.path.isfile(p):
                paths[space.name] = p
                break
    paths.update(overrides)
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="moat-audit", description="Turn Moat audit records into readable reports.")
    ap.add_argument("log", nargs="?", help="boot log with the kernel's audit lines ('-': stdin)")
    ap.add_argument("--dump", help="a copy of the audit region instead of a log")
    ap.add_argument("--layout", help="the system's layout report (moat-polc layout)")
    ap.add_argument("-I", dest="include", action="append", default=[],
                    help="a folder to search for subject ELFs (repeatable)")
    ap.add_argument("--elf", action="append", default=[], metavar="SUBJECT=PATH",
                    help="the ELF of one subject (repeatable)")
    ap.add_argument("--kernel", help="the kernel ELF (source lines of a panic)")
    ap.add_argument("--symbolizer", default="auto",
                    help="llvm-symbolizer, addr2line, none or auto (the first found)")
    args = ap.parse_args(argv)
    if (args.log is None) == (args.dump is None):
        ap.error("give a LOG or --dump AUDIT.bin (one of them)")
    overrides = {}
    for item in args.elf:
        if "=" not in item:
            ap.error(f"--elf {item}: want SUBJECT=PATH")
        name, path = item.split("=", 1)
        overrides[name] = path
    try:
        spaces = read_layout(args.layout) if args.layout else {}
    except OSError as e:
        print(f"moat-audit: {args.layout}: {e.strerror}", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"moat-audit: {args.layout}: not a text file (not a layout report?)",
              file=sys.stderr)
        return 1
    layout_dir = os.path.dirname(os.path.abspath(args.layout)) if args.layout else "."
    ctx = Context(spaces, elf_paths_for(spaces, layout_dir, args.include, overrides),
                  find_symbolizer(args.symbolizer), args.kernel)
    try:
        if args.dump:
            with open(args.dump, "rb") as f:
                data = f.read()
            records = records_from_dump(data, {s.id: s.name for s in spaces.values()})
        elif args.log == "-":
            records = records_from_log(sys.stdin)
        else:
            with open(args.log, errors="replace") as f:
                records = records_from_log(f)
    except OSError as e:
        print(f"moat-audit: {e.filename}: {e.strerror}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"moat-audit: {args.dump}: {e}", file=sys.stderr)
        return 1
    print("\n\n".join(report(ctx, r) for r in records) if records else "no audit records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
