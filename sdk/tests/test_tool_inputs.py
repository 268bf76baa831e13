#!/usr/bin/env python3
"""moat-audit and moat-gdb.py on malformed inputs: a clear one-line error (or a report
without what could not be read), never a Python traceback.

Usage: test_tool_inputs.py MOAT_AUDIT_PY MOAT_GDB_PY
"""
import importlib.util
import os
import shlex
import struct
import subprocess
import sys
import tempfile
import types
import unittest

AUDIT, GDB_PY = sys.argv[1], sys.argv[2]
LOG = "audit 1 begin\naudit 1 kind fault\naudit 1 subject s\naudit 1 ip 0x401000\naudit 1 end\n"


def elf_with_symtab(link):
    """A minimal ELF64 with one SHT_SYMTAB section whose sh_link is `link`."""
    ehdr = bytearray(64)
    ehdr[:6] = b"\x7fELF\x02\x01"
    shoff = 64
    struct.pack_into("<Q", ehdr, 0x28, shoff)
    struct.pack_into("<HH", ehdr, 0x3A, 64, 2)  # shentsize, shnum
    null = bytes(64)
    symtab = struct.pack("<IIQQQQIIQQ", 0, 2, 0, 0, 0, 0, link, 0, 8, 24)
    return bytes(ehdr) + null + symtab


class Files(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path


class MoatAudit(Files):
    def audit(self, *args):
        r = subprocess.run([sys.executable, AUDIT] + list(args), capture_output=True,
                           text=True)
        self.assertNotIn("Traceback", r.stderr)
        return r

    def test_a_binary_layout_is_refused_in_one_line(self):
        r = self.audit("--layout", self.write("layout.bin", bytes(range(256)) * 4),
                       self.write("log.txt", LOG))
        self.assertEqual(r.returncode, 1)
        self.assertIn("layout.bin: not a text file (not a layout report?)", r.stderr)

    def test_an_elf_whose_symbol_table_links_no_section_gives_no_symbols(self):
        r = self.audit("--elf", "s=" + self.write("bad.elf", elf_with_symtab(999)),
                       "--symbolizer", "none", self.write("log.txt", LOG))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("audit 1: fault in s", r.stdout)

    def test_a_truncated_elf_gives_no_symbols(self):
        r = self.audit("--elf", "s=" + self.write("cut.elf", elf_with_symtab(0)[:70]),
                       "--symbolizer", "none", self.write("log.txt", LOG))
        self.assertEqual(r.returncode, 0, r.stderr)


class GdbError(Exception):
    pass


def load_moat_gdb():
    """moat-gdb.py with a stand-in for GDB's module (commands registered, nothing run)."""
    fake = types.ModuleType("gdb")
    fake.GdbError = GdbError
    fake.error = RuntimeError
    fake.COMMAND_FILES = fake.COMMAND_STATUS = fake.COMPLETE_FILENAME = 0
    fake.Command = type("Command", (), {"__init__": lambda self, *a: None})
    fake.string_to_argv = shlex.split
    fake.executed = []
    fake.execute = lambda cmd, to_string=False: fake.executed.append(cmd)
    fake.parse_and_eval = lambda expr: (_ for _ in ()).throw(RuntimeError("no CPU"))
    sys.modules["gdb"] = fake
    spec = importlib.util.spec_from_file_location("moat_gdb", GDB_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class MoatGdb(Files):
    def setUp(self):
        super().setUp()
        self.gdb = load_moat_gdb()
        self.layout = self.write("layout.txt", "Subject 's' (id 0, cpu 0)\n"
                                 "  image s.elf, entry 0x401000, CR3 0x2000000\n")

    def follow(self, arg):
        with self.assertRaises(GdbError) as e:
            self.gdb.MoatFollow().invoke(arg, False)
        return str(e.exception)

    def test_a_binary_layout_is_refused_in_one_line(self):
        path = self.write("layout.bin", bytes(range(256)) * 4)
        self.assertIn("not a text file (not a layout report?)", self.follow(path))

    def test_a_truncated_kernel_is_refused_in_one_line(self):
        kernel = self.write("kernel.elf", elf_with_symtab(0)[:70])
        self.assertIn("kernel.elf: its section headers are cut off or malformed",
                      self.follow(f"{self.layout} --kernel {kernel}"))

    def test_a_kernel_whose_section_names_lie_beyond_the_file_is_refused(self):
        elf = bytearray(elf_with_symtab(0))
        struct.pack_into("<H", elf, 0x3E, 1)  # shstrndx: the symtab, its offset 0 ...
        struct.pack_into("<Q", elf, 64 + 64 + 0x18, 1 << 40)  # ... far beyond the file
        kernel = self.write("kernel.elf", bytes(elf))
        self.assertIn("its section headers are cut off or malformed",
                      self.follow(f"{self.layout} --kernel {kernel}"))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
