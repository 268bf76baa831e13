"""moat-gdb: GDB follows the running Moat subject.

Every subject is linked at the same addresses (from 4 MiB, each in its own address
space), so one subject's symbols name another's code wrongly. Loaded into GDB (`gdb -x
moat-gdb.py`, or `source` it), this script adds:

  moat-follow LAYOUT.txt [-I DIR]... [--kernel KERNEL.elf]
      reads the layout report moat-polc wrote (each subject's name, image and CR3, its
      page-table root) and from then on, at every stop, before GDB shows where it
      stopped, matches the stopped CPU's CR3 against the subjects' and loads that
      subject's ELF as the only subject symbol file (remove-symbol-file, then
      add-symbol-file). ELFs are found by the image name in the report: as given,
      next to the report, then in each -I folder. --kernel adds the kernel's symbols
      (they live at other addresses and stay loaded).
  moat-subject
      says which subject's symbols are loaded and lists the subjects.
  moat-sync
      matches CR3 now (moat-follow runs it at every stop through GDB's hook-stop).

CR3 of a CPU in the kernel or idle is no subject's: the last subject's symbols stay.
On a machine of several CPUs, GDB shows each CPU as a thread: `thread N` and then
`moat-sync` switch to that CPU's subject.
"""
import atexit
import os
import re
import shlex
import struct
import tempfile

import gdb

SUBJECT = re.compile(r"^Subject '([^']+)' \(id (\d+),")
IMAGE = re.compile(r"^\s+image (\S+), entry 0x[0-9a-fA-F]+, CR3 (0x[0-9a-fA-F]+)")
PAGE_MASK = ~0xfff


class Subject:
    def __init__(self, name, image, cr3, path):
        self.name, self.image, self.cr3, self.path = name, image, cr3, path


class Follower:
    def __init__(self):
        self.subjects = {}   # CR3 -> Subject
        self.loaded = None   # the Subject whose ELF is loaded

    def read_layout(self, layout, dirs):
        subjects = {}
        name = None
        with open(layout) as f:
            for line in f:
                m = SUBJECT.match(line)
                if m:
                    name = m.group(1)
                    continue
                m = IMAGE.match(line)
                if m and name is not None:
                    image, cr3 = m.group(1), int(m.group(2), 16)
                    subjects[cr3] = Subject(name, image, cr3, find_elf(image, layout, dirs))
                    name = None
        if not subjects:
            raise gdb.GdbError(f"moat-follow: {layout}: no subject in it (not a layout report?)")
        self.subjects = subjects

    def sync(self, quiet=False):
        try:
            cr3 = int(gdb.parse_and_eval("$cr3")) & PAGE_MASK
        except gdb.error:
            return  # no CPU to read (not connected)
        subject = self.subjects.get(cr3)
        if subject is None or subject is self.loaded:
            return
        if subject.path is None:
            print(f"[moat] subject {subject.name} runs; its image {subject.image} was not "
                  "found (moat-follow -I DIR)")
            return
        if self.loaded is not None and self.loaded.path is not None:
            gdb.execute(f"remove-symbol-file {shlex.quote(self.loaded.path)}", to_string=True)
        gdb.execute(f"add-symbol-file {shlex.quote(subject.path)}", to_string=True)
        self.loaded = subject
        if not quiet:
            print(f"[moat] subject {subject.name}: symbols of {subject.path}")


FOLLOWER = Follower()


def kernel_symbols(kernel):
    """A copy of the kernel ELF for its symbols without its tables section: that section
    spans the subjects' addresses (from 4 MiB) and would hide their code from GDB."""
    with open(kernel, "rb") as f:
        elf = bytearray(f.read())
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        raise gdb.GdbError(f"moat-follow: {kernel}: not an ELF64 file")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3a)
    names_off, = struct.unpack_from("<Q", elf, shoff + shstrndx * shentsize + 0x18)
    for i in range(shnum):
        sh = shoff + i * shentsize
        name_at = names_off + struct.unpack_from("<I", elf, sh)[0]
        name = bytes(elf[name_at:elf.index(b"\0", name_at)])
        if name == b".moat.tables":
            flags, = struct.unpack_from("<Q", elf, sh + 8)
            struct.pack_into("<Q", elf, sh + 8, flags & ~0x2)  # not SHF_ALLOC
    fd, path = tempfile.mkstemp(prefix="moat-gdb-kernel-", suffix=".elf")
    with os.fdopen(fd, "wb") as f:
        f.write(elf)
    atexit.register(os.remove, path)
    return path


def find_elf(image, layout, dirs):
    candidates = [image] if os.path.isabs(image) else []
    for d in [os.path.dirname(os.path.abspath(layout))] + dirs:
        candidates += [os.path.join(d, image), os.path.join(d, os.path.basename(image))]
    for c in candidates:
        if os.path.isfile(c):
            return os.path.abspath(c)
    return None


class MoatFollow(gdb.Command):
    """moat-follow LAYOUT.txt [-I DIR]... [--kernel KERNEL.elf]: at every stop, load the
symbols of the subject the stopped CPU runs (matched by CR3 in moat-polc's layout report)."""

    def __init__(self):
        super().__init__("moat-follow", gdb.COMMAND_FILES, gdb.COMPLETE_FILENAME)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        layout, dirs, kernel = None, [], None
        i = 0
        while i < len(words):
            w = words[i]
            if w in ("-I", "--kernel") and i + 1 < len(words):
                if w == "-I":
                    dirs.append(words[i + 1])
                else:
                    kernel = words[i + 1]
                i += 2
                continue
            if w.startswith("-I") and len(w) > 2:
                dirs.append(w[2:])
            elif layout is None and not w.startswith("-"):
                layout = w
            else:
                raise gdb.GdbError("usage: moat-follow LAYOUT.txt [-I DIR]... [--kernel KERNEL.elf]")
            i += 1
        if layout is None:
            raise gdb.GdbError("usage: moat-follow LAYOUT.txt [-I DIR]... [--kernel KERNEL.elf]")
        try:
            FOLLOWER.read_layout(layout, dirs)
        except OSError as e:
            raise gdb.GdbError(f"moat-follow: {layout}: {e.strerror}")
        except UnicodeDecodeError:
            raise gdb.GdbError(f"moat-follow: {layout}: not a text file (not a layout report?)")
        if kernel is not None:
            try:
                copy = kernel_symbols(kernel)
            except OSError as e:
                raise gdb.GdbError(f"moat-follow: {kernel}: {e.strerror}")
            except (ValueError, IndexError, struct.error):
                raise gdb.GdbError(f"moat-follow: {kernel}: its section headers are cut off "
                                   "or malformed")
            gdb.execute(f"add-symbol-file {shlex.quote(copy)}", to_string=True)
        for s in sorted(FOLLOWER.subjects.values(), key=lambda s: s.name):
            where = s.path if s.path is not None else "NOT FOUND (add -I DIR)"
            print(f"[moat] subject {s.name}: CR3 {s.cr3:#x}, {where}")
        # hook-stop runs before GDB prints where it stopped, so the frame it shows is
        # already the right subject's.
        gdb.execute("define hook-stop\nmoat-sync\nend")
        FOLLOWER.sync()


class MoatSync(gdb.Command):
    """moat-sync: load the symbols of the subject this CPU runs now (by CR3)."""

    def __init__(self):
        super().__init__("moat-sync", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        FOLLOWER.sync()


class MoatSubject(gdb.Command):
    """moat-subject: which subject's symbols are loaded, and every subject's CR3."""

    def __init__(self):
        super().__init__("moat-subject", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        if not FOLLOWER.subjects:
            raise gdb.GdbError("moat-subject: run moat-follow LAYOUT.txt first")
        cr3 = int(gdb.parse_and_eval("$cr3")) & PAGE_MASK
        running = FOLLOWER.subjects.get(cr3)
        print(f"CR3 {cr3:#x}: " + (f"subject {running.name}" if running else
                                    "no subject's (the kernel or idle)"))
        print("symbols loaded: " + (FOLLOWER.loaded.name if FOLLOWER.loaded else "none"))


MoatFollow()
MoatSync()
MoatSubject()
