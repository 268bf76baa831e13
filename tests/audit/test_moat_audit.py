#!/usr/bin/env python3
"""moat-audit on the fault zoo (tests/systems/faults): boots it once in QEMU, keeps its
serial log and, after the witness powered off, a copy of the audit region (QEMU monitor
pmemsave at the address the layout report gives). The reports must name the subject,
the vector, the page-fault cause, the region of each address and the source line of the
faulting instruction (the line in zoo.c that reads address 8, found in the source, not
written here), and the log and the region copy must give the same reports.

usage: test_moat_audit.py MOAT_AUDIT QEMU FAULTS.elf FAULTS-LAYOUT.txt SUBJECT_ELF_DIR
                          SOURCE_ROOT AUDIT_LAYOUT_PROBE FAULTS-KERNEL.elf
"""
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import importlib.util

ARGS = {}
BOOT = {}


def tool(*args, check=True):
    r = subprocess.run([sys.executable, ARGS["tool"]] + list(args), capture_output=True,
                       text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"moat-audit {args}: {r.returncode}\n{r.stderr}")
    return r


def audit_region(layout):
    with open(layout) as f:
        for line in f:
            m = re.match(r"\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+\S+\s+audit\s+system\s+audit", line)
            if m:
                start, end = int(m.group(1), 16), int(m.group(2), 16)
                return start, end - start + 1
    raise AssertionError(f"{layout}: no audit region")


def monitor(sock_path, command):
    """One monitor command; returns its output up to the next prompt."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(20)
        s.connect(sock_path)
        out = b""
        while b"(qemu)" not in out:
            out += s.recv(4096)
        s.sendall(command.encode() + b"\n")
        out = b""
        while out.count(b"(qemu)") < 1:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
        return out.decode(errors="replace")


def boot(tmp):
    """Boots the fault zoo without isa-debug-exit (so poweroff leaves QEMU running),
    waits for the witness's poweroff, copies the audit region; returns (log, dump)."""
    log = os.path.join(tmp, "faults.log")
    dump = os.path.join(tmp, "audit.bin")
    sock = os.path.join(tmp, "monitor.sock")
    base, size = audit_region(ARGS["layout"])
    cmd = [ARGS["qemu"], "-cpu", "max", "-m", "128", "-display", "none", "-no-reboot",
           "-no-shutdown", "-monitor", f"unix:{sock},server=on,wait=off",
           "-serial", f"file:{log}", "-kernel", ARGS["image"]]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        text = ""
        while "poweroff: requested by witness" not in text:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError(f"no poweroff in the log:\n{text[-3000:]}")
            time.sleep(0.2)
            text = open(log, errors="replace").read() if os.path.exists(log) else ""
        monitor(sock, "stop")
        monitor(sock, f'pmemsave 0x{base:x} {size} "{dump}"')
        while not os.path.exists(dump) or os.path.getsize(dump) < size:
            if time.monotonic() > deadline:
                raise AssertionError("pmemsave wrote nothing")
            time.sleep(0.1)
        monitor(sock, "quit")
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return log, dump


def source_line(path, marker):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if marker in line:
                return n
    raise AssertionError(f"{marker!r} not in {path}")


def reports(output):
    """audit seq -> its report's lines."""
    out = {}
    for block in output.strip().split("\n\n"):
        m = re.match(r"audit (\d+):", block)
        if m:
            out[int(m.group(1))] = block.splitlines()
    return out


def by_subject(rep, subject):
    found = [lines for lines in rep.values()
             if re.match(rf"audit \d+: (fault in )?{re.escape(subject)}\b", lines[0])]
    assert len(found) == 1, f"{len(found)} reports for {subject}"
    return found[0]


class MoatAudit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.zoo_c = os.path.join(ARGS["root"], "tests", "subjects", "zoo.c")
        common = ["--layout", ARGS["layout"], "-I", ARGS["subjects"]]
        cls.common = common
        cls.from_log = reports(tool(*common, BOOT["log"]).stdout)
        cls.from_dump = reports(tool(*common, "--dump", BOOT["dump"]).stdout)

    def test_a_null_read_names_vector_cause_region_and_source_line(self):
        line = source_line(self.zoo_c, "(uintptr_t)8u")
        r = by_subject(self.from_log, "zoo_null")
        self.assertRegex(r[0], r"^audit \d+: fault in zoo_null, vector 14 #PF \(page fault\); "
                               r"the kernel stops it$")
        self.assertIn("  error  0x4: user-mode read, page not present", r)
        ip = [l for l in r if l.startswith("  ip ")][0]
        self.assertRegex(ip, r"^  ip     0x40[0-9a-f]{4}  in image segment 0 \(0x400000-0x[0-9a-f]+, "
                             r"r-x user\), offset 0x[0-9a-f]+, physical 0x[0-9a-f]+$")
        self.assertTrue(any(l.endswith(f"tests/subjects/zoo.c:{line}") and "source zoo_fault at"
                            in l for l in r), "\n".join(r))
        self.assertIn("  addr   0x8  not mapped in zoo_null's address space (below image "
                      "segment 0, which starts at 0x400000)", r)

    def test_addresses_fall_in_the_regions_the_layout_names(self):
        ro = by_subject(self.from_log, "zoo_ro_write")
        self.assertIn("  error  0x7: user-mode write, protection violation on a present page", ro)
        self.assertTrue(any(l.startswith("  addr   0x100000000  in channel 'ro' (") and
                            "r-- user" in l for l in ro), "\n".join(ro))
        other = by_subject(self.from_log, "zoo_other_read")
        self.assertTrue(any("the same address is witness's memory 'secret'" in l for l in other))
        tramp = by_subject(self.from_log, "zoo_tramp_read")
        self.assertIn("  error  0x5: user-mode read, protection violation on a present page",
                      tramp)
        self.assertTrue(any("in trampoline data, cpu 0 slice" in l and "supervisor-only" in l
                            for l in tramp if l.startswith("  addr")))
        jump = by_subject(self.from_log, "zoo_kernel_jump")
        self.assertIn("  error  0x15: user-mode instruction fetch, protection violation on a "
                      "present page", jump)

    def test_a_trap_is_looked_up_at_the_instruction_that_trapped(self):
        line = source_line(self.zoo_c, '"int3"')
        bp = by_subject(self.from_log, "zoo_bp")
        self.assertRegex(bp[0], r"vector 3 #BP \(breakpoint\)")
        self.assertTrue(any(l.endswith(f"zoo.c:{line}") and "source" in l for l in bp),
                        "\n".join(bp))

    def test_an_exit_reports_its_status(self):
        r = by_subject(self.from_log, "zoo_exit")
        self.assertRegex(r[0], r"^audit \d+: zoo_exit returned from main with status 7; the "
                               r"kernel stops it$")
        self.assertFalse([l for l in r if l.startswith("  ip")])

    def test_every_subject_that_faulted_is_reported_once(self):
        subjects = sorted(re.match(r"audit \d+: (?:fault in )?(\S+?)[, ]", r[0]).group(1)
                          for r in self.from_dump.values())
        want = sorted(["zoo_de", "zoo_ud", "zoo_bp", "zoo_cli", "zoo_hlt", "zoo_wrmsr",
                       "zoo_cr3", "zoo_lgdt", "zoo_out", "zoo_in", "zoo_null",
                       "zoo_kernel_read", "zoo_tramp_read", "zoo_other_read",
                       "zoo_kernel_jump", "zoo_ro_write", "zoo_mf", "zoo_exit", "zoo_edge",
                       "zoo_calls"])
        self.assertEqual(subjects, want)

    def test_the_log_and_the_audit_region_give_the_same_reports(self):
        complete = {s: r for s, r in self.from_log.items() if "[incomplete" not in r[0]}
        self.assertGreaterEqual(len(complete), 15)
        for seq, r in complete.items():
            self.assertEqual(r, self.from_dump.get(seq), f"audit {seq}")

    def test_without_a_symbolizer_the_symbol_table_gives_function_and_offset(self):
        out = reports(tool(*self.common, "--symbolizer", "none", BOOT["log"]).stdout)
        nm = shutil.which("nm") or shutil.which("llvm-nm")
        if nm is None:
            self.skipTest("no nm to cross-check the symbol")
        syms = subprocess.run([nm, os.path.join(ARGS["subjects"], "zoo.elf")],
                              capture_output=True, text=True, check=True).stdout
        main = int(re.search(r"^([0-9a-f]+) T main$", syms, re.M).group(1), 16)
        # A fault reports the faulting instruction; a trap (#BP) the one after it, so the
        # lookup is one byte back, at the int3.
        for subject, back in (("zoo_null", 0), ("zoo_bp", 1)):
            r = by_subject(out, subject)
            self.assertFalse([l for l in r if "source" in l])
            ip = int(re.search(r"ip     (0x[0-9a-f]+)", "\n".join(r)).group(1), 16)
            self.assertIn(f"         main+0x{ip - back - main:x} in zoo.elf", r)

    def test_a_panic_is_looked_up_in_the_kernel(self):
        nm = shutil.which("nm") or shutil.which("llvm-nm")
        if nm is None:
            self.skipTest("no nm to find a kernel function")
        syms = subprocess.run([nm, ARGS["kernel"]], capture_output=True, text=True,
                              check=True).stdout
        panic = int(re.search(r"^([0-9a-f]+) T core_panic$", syms, re.M).group(1), 16)
        lines = ["audit 3 begin", "audit 3 kind panic", "audit 3 subject kernel",
                 "audit 3 tsc 9", "audit 3 vector 13 #GP", "audit 3 error 0x0",
                 f"audit 3 ip 0x{panic + 4:x}", "audit 3 addr 0x0", "audit 3 rax 0x11",
                 "audit 3 rflags 0x2", "audit 3 end"]
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "panic.log")
            with open(log, "w") as f:
                f.write("PANIC: something\n" + "\n".join(lines) + "\n")
            r = tool("--kernel", ARGS["kernel"], log).stdout.splitlines()
        self.assertEqual(r[0], "audit 3: kernel panic, vector 13 #GP (general protection)")
        self.assertIn(f"         core_panic+0x4 in {os.path.basename(ARGS['kernel'])}", r)
        self.assertTrue(any(l.startswith("         source core_panic at ") and
                            "kernel/core/" in l for l in r), "\n".join(r))
        self.assertTrue(any("rax 0x0000000000000011" in l and "rflags 0x0000000000000002" in l
                            for l in r), "\n".join(r))

    def test_records_are_reported_in_sequence_order(self):
        out = tool(*self.common, BOOT["log"]).stdout
        seqs = [int(s) for s in re.findall(r"^audit (\d+):", out, re.M)]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(len(seqs), len(set(seqs)))

    def test_only_the_kernels_lines_count(self):
        with tempfile.TemporaryDirectory() as tmp:
            forged = os.path.join(tmp, "forged.log")
            with open(forged, "w") as f:
                f.write("[witness] audit 1 begin\n[witness] audit 1 kind fault\n"
                        "[witness] audit 1 subject zoo_de\n[witness] audit 1 end\n"
                        "[kernel] audit 2 begin\n[kernel] audit 2 kind fault\n"
                        "[kernel] audit 2 subject zoo_de\n[kernel] audit 2 vector 0 #DE\n")
            out = tool(*self.common, forged).stdout
        self.assertNotIn("audit 1:", out)
        self.assertIn("audit 2: fault in zoo_de, vector 0 #DE (divide error) [incomplete: "
                      "some of its lines were lost]", out)

    def test_a_file_that_is_not_an_audit_region_is_refused(self):
        r = tool("--dump", ARGS["layout"], check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad magic", r.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            short = os.path.join(tmp, "short.bin")
            with open(BOOT["dump"], "rb") as f, open(short, "wb") as g:
                g.write(f.read(100))
            r = tool("--dump", short, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not fit", r.stderr)

    # ---- the readers' bounds, on made-up input ----
    def module(self):
        spec = importlib.util.spec_from_file_location("moat_audit", ARGS["tool"])
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod

    def test_a_dump_keeps_only_intact_records_and_fits_its_capacity(self):
        mod = self.module()

        def region(count, capacity, seqs, record_size=None, cut=0):
            data = bytearray(mod.HEADER.pack(mod.AUDIT_MAGIC, count,
                                              record_size or mod.RECORD.size, capacity,
                                              0, 0, 0, 0, 0))
            data += bytes(capacity * mod.RECORD.size)
            for slot, seq in enumerate(seqs):
                mod.RECORD.pack_into(data, mod.HEADER.size + slot * mod.RECORD.size, seq, 0, 0,
                                     mod.KIND_FAULT, 6, 0, 0x401000, 0, 0,
                                     *([0] * mod.AUDIT_REGS))
            return bytes(data[:len(data) - cut])

        # 5 records into 3 slots: 4, 5, 3 survive; slot 0 was overwritten by record 7
        # while the copy was taken, so record 4 is gone too.
        got = [r.seq for r in mod.records_from_dump(region(5, 3, [7, 5, 3]), {})]
        self.assertEqual(got, [3, 5])
        with self.assertRaisesRegex(ValueError, "record size"):
            mod.records_from_dump(region(1, 2, [1], record_size=mod.RECORD.size + 8), {})
        with self.assertRaisesRegex(ValueError, "does not fit"):
            mod.records_from_dump(region(1, 2, [1], cut=1), {})

    def test_symbols_and_regions_end_where_they_end(self):
        mod = self.module()
        symbols = [(0x1000, 0x10, "f"), (0x2000, 0x10, "g")]
        self.assertEqual(mod.symbol_at(symbols, 0x100f), "f+0xf")
        self.assertIsNone(mod.symbol_at(symbols, 0x1010))
        s = mod.Space("s", 0, "s.elf")
        s.maps.append(mod.Mapping(0x10000, 0x10fff, "rw-", "user", 0x2000000, "memory 'm'"))
        t = mod.Space("t", 1, "t.elf")
        t.maps.append(mod.Mapping(0x20000, 0x20fff, "r--", "sup", 0x3000000, "sinfo"))
        ctx = mod.Context({"s": s, "t": t}, {}, None)
        last = mod.where(ctx, "s", 0x10fff)
        self.assertIn("in memory 'm' (0x10000-0x10fff", last)
        self.assertIn("physical 0x2000fff", last)
        self.assertIn("physical 0x2000800", mod.where(ctx, "s", 0x10800))
        # Another subject's supervisor-only mapping is not a user mapping to point to.
        self.assertNotIn("t's", mod.where(ctx, "s", 0x20000))

    # ---- what the tool knows twice: checked against the kernel's own sources ----
    def test_the_record_layout_is_the_kernels(self):
        spec = importlib.util.spec_from_file_location("moat_audit", ARGS["tool"])
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        probe = dict(l.split(" ", 1) for l in subprocess.run(
            [ARGS["probe"]], capture_output=True, text=True, check=True).stdout.splitlines())
        self.assertEqual(int(probe["magic"], 16), mod.AUDIT_MAGIC)
        self.assertEqual(int(probe["subject_idle"]), mod.SUBJECT_IDLE)
        self.assertEqual(int(probe["header"]), mod.HEADER.size)
        self.assertEqual(int(probe["record"]), mod.RECORD.size)
        fmt = mod.RECORD.format.lstrip("<")
        fields = ["seq", "tsc", "subject", "kind", "vector", "error", "ip", "addr", "action"]
        codes = re.findall(r"\d*[A-Za-z]", fmt)
        for name, i in zip(fields, range(len(fields))):
            offset = struct.calcsize("<" + "".join(codes[:i]))
            size = struct.calcsize("<" + codes[i])
            self.assertEqual(probe[f"moat_audit_record.{name}"], f"{offset} {size}", name)
        self.assertEqual(probe["moat_audit_record.regs"],
                         f"{struct.calcsize('<' + ''.join(codes[:9]))} {8 * mod.AUDIT_REGS}")
        self.assertEqual(probe["fault"],
                         f"{mod.KIND_FAULT} exit {mod.KIND_EXIT} panic {mod.KIND_PANIC}")
        self.assertEqual(probe["stop"], "{} restart {}".format(
            *[k for v in ("stop", "restart") for k, n in mod.FAULT_ACTIONS.items() if n == v]))

    def test_vector_and_register_names_are_the_kernels(self):
        spec = importlib.util.spec_from_file_location("moat_audit", ARGS["tool"])
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        with open(os.path.join(ARGS["root"], "kernel", "arch", "x86_64", "entry.c")) as f:
            entry = f.read()
        names = re.findall(r'"([^"]*)"', re.search(
            r"vector_names\[\d+\] = \{(.*?)\};", entry, re.S).group(1))
        for vector, (short, _) in mod.VECTORS.items():
            self.assertEqual(names[vector], short, f"vector {vector}")
        regs = re.findall(r'"([^"]*)"', re.search(
            r"register_names\[ARCH_FAULT_REGS\] = \{(.*?)\};", entry, re.S).group(1))
        self.assertEqual(regs, mod.REGISTERS)


if __name__ == "__main__":
    keys = ["tool", "qemu", "image", "layout", "subjects", "root", "probe", "kernel"]
    ARGS.update(zip(keys, sys.argv[1:9]))
    with tempfile.TemporaryDirectory() as tmp:
        BOOT["log"], BOOT["dump"] = boot(tmp)
        prog = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
