#!/usr/bin/env python3
"""Where a kernel path's instructions go: single-steps it in QEMU's gdb stub.

Usage: attribute.py --qemu QEMU --gdb GDB --kernel-elf KERNEL.elf --bench-elf BENCH.elf
                    --layout LAYOUT.txt IMAGE

Boots IMAGE (a bench system of >= 7 subjects, gen_system.py) under -icount shift=0
(sleep=on: with sleep=off a stop in gdb jumps the clock to the next timer deadline)
with gdb attached and, for a few samples of each benchmarked path, counts every
instruction from its first (the syscall, or the timer or wake vector's stub) to the
first user instruction after it, one `stepi` at a time, on that CPU alone. Of these it
counts apart:
  - rep string iterations (rep movs/stos: TCG, and so -icount, counts each iteration
    as one instruction; hardware retires the instruction once),
  - the speculation hygiene that runs: the RSB fill (cpu_rsb_fill) and VERW.
The totals must equal the benchmark's in-guest numbers (run_bench.py); the script prints
both columns. A path is stepped from a breakpoint: kernel calls at bench's labelled
syscall (bench_kcall_syscall, bench's page tables), switches at the timer vector's stub
while the outgoing spinner's page tables are loaded, the wake at the wake vector's
stub on CPU 1 when it lands in the waiter with the wake event.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

SAMPLES = 3  # per path; the most frequent count is reported
VEC_TIMER, VEC_WAKE = 0x30, 0x31  # kernel/arch/x86_64/tramp.h
# kernel call numbers (kernel/include/moat/abi/kcall.h) and bench's outgoing ids
# (document order of its events in gen_system.py: poke, wake, done)
KCALLS = [("kcall-invalid", 99, None), ("event-poll", 3, None), ("event-send", 1, 0),
          ("timer-set", 4, None), ("wake-sender", 1, 1)]
SWITCHES = [("switch-to sw-plain", "sw-warm", "sw-plain"),
            ("switch-to sw-ports", "sw-plain", "sw-ports"),
            ("switch-to sw-after-ports", "sw-ports", "sw-after-ports")]


def symbols(elf):
    out = subprocess.run(["llvm-nm", "-n", elf], capture_output=True, text=True, check=True)
    table = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            table[parts[2]] = int(parts[0], 16)
    return table


def page_tables(layout):
    """{subject: physical address of its page tables (the PML4 comes first)}."""
    tables = {}
    with open(layout) as f:
        for line in f:
            m = re.match(r"\s*0x([0-9a-f]+)\s+0x[0-9a-f]+\s+\S+\s+pagetable\s+(\S+)", line)
            if m:
                tables[m.group(2)] = int(m.group(1), 16)
    return tables


def outer(args):
    ks = symbols(args.kernel_elf)
    bs = symbols(args.bench_elf)
    rsb = ks["cpu_rsb_fill"]
    rsb_end = min(a for a in ks.values() if a > rsb)
    disasm = subprocess.run(["llvm-objdump", "-d", "--no-show-raw-insn", args.kernel_elf],
                            capture_output=True, text=True, check=True).stdout
    def at(pattern):
        return sorted(int(m.group(1), 16) for m in re.finditer(r"^\s*([0-9a-f]+):\s+" + pattern,
                                                                disasm, re.M))
    # The kernel's code is known from its ELF, so a step inside it needs no memory read
    # to classify the instruction (one gdb round trip less per step: under load the
    # stepping is what takes the time); elsewhere the step reads the instruction's bytes.
    headers = subprocess.run(["llvm-objdump", "-h", args.kernel_elf], capture_output=True,
                             text=True, check=True).stdout
    text = [(int(m.group(2), 16), int(m.group(2), 16) + int(m.group(1), 16))
            for m in re.finditer(r"^\s*\d+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+TEXT$",
                                 headers, re.M)]
    config = {
        "syscall": bs["bench_kcall_syscall"], "vectors": ks["tramp_vectors"],
        "rsb": (rsb, rsb_end), "verw": at(r"verw\b"), "tables": page_tables(args.layout),
        "text": text, "rep": at(r"rep\s+(?:movs|stos)"), "stop": at(r"(?:hlt|pause)\b"),
    }
    if not text or not config["rep"]:
        raise RuntimeError(f"no code sections or rep string instructions found in {args.kernel_elf}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, BENCH_ATTRIBUTE=repr(config), BENCH_GDB_PORT=str(port))
    qemu = subprocess.Popen(
        [args.qemu, "-m", "128", "-kernel", args.image, "-cpu", "max", "-smp", "2",
         "-display", "none", "-monitor", "none", "-serial", "file:/dev/null", "-no-reboot",
         "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-icount", "shift=0,sleep=on",
         "-gdb", f"tcp:127.0.0.1:{port}", "-S"], stdin=subprocess.DEVNULL)
    try:
        result = subprocess.run([args.gdb, "-nx", "-batch", "-x", os.path.abspath(__file__)],
                                env=env, timeout=args.timeout, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        counted = [line for line in result.stdout.splitlines() if line.startswith("attribute")]
        for line in counted:
            print(line)
        if result.returncode != 0 or not counted:
            # gdb -batch can end 0 after a Python error: no count at all is a failure too.
            print(result.stdout[-3000:] + result.stderr[-3000:])
            return result.returncode or 1
        return 0
    finally:
        qemu.kill()
        qemu.wait()


def inner():
    import gdb  # only inside gdb

    config = eval(os.environ["BENCH_ATTRIBUTE"])  # our own repr, from outer()
    tables = config["tables"]
    rsb_lo, rsb_hi = config["rsb"]
    verws, reps, stops = set(config["verw"]), set(config["rep"]), set(config["stop"])

    def in_kernel_text(pc):
        return any(lo <= pc < hi for lo, hi in config["text"])
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("set architecture i386:x86-64")
    # QEMU may not listen yet on a loaded machine: retry the connection for a while.
    for attempt in range(120):
        try:
            gdb.execute(f"target remote 127.0.0.1:{os.environ['BENCH_GDB_PORT']}", to_string=True)
            break
        except gdb.error:
            if attempt == 119:
                raise
            time.sleep(0.5)
    gdb.execute("set scheduler-locking step")

    def reg(name):
        return int(gdb.parse_and_eval(f"${name}")) & 0xffffffffffffffff

    def space():
        return reg("cr3") & ~0xfff & 0xfffffffffffff

    def step_to_user():
        """Steps to the first ring-3 instruction; (steps, rep iterations, rsb, verw)."""
        inferior = gdb.selected_inferior()
        n = rep = rsb = verw = 0
        while n == 0 or reg("cs") & 3 != 3:
            pc = reg("pc")
            if in_kernel_text(pc):
                stop, is_rep = pc in stops, pc in reps
            else:
                code = bytes(inferior.read_memory(pc, 4))
                stop = code[0] == 0xf4 or code[:2] == b"\xf3\x90"
                body = code[1:] if code[0] == 0xf3 else b""
                if body[:1] in (b"\x48",):
                    body = body[1:]
                is_rep = body[:1] in (b"\xa4", b"\xa5", b"\xaa", b"\xab")
            if stop:
                return None  # hlt or pause: this entry idles or waits for another CPU
            rep += is_rep
            rsb += rsb_lo <= pc < rsb_hi
            verw += pc in verws
            gdb.execute("stepi", to_string=True)
            n += 1
            if n > 200000:
                raise RuntimeError("no return to ring 3 within 200,000 instructions")
        return n, rep, rsb, verw

    wanted = {}
    for key, number, rdi in KCALLS:
        wanted[key] = []
    for key, _, _ in SWITCHES:
        wanted[key] = []
    wanted["wake-receiver"] = []
    # Bench's first kernel call comes after boot and the common start of the plan (whose
    # wait for the start instant would take a million steps); then the vectors.
    gdb.execute(f"hbreak *{config['syscall']:#x}", to_string=True)
    armed = False
    for _ in range(5000):
        if all(len(v) >= SAMPLES for v in wanted.values()):
            break
        gdb.execute("continue", to_string=True)
        pc = reg("pc")
        if not armed:
            gdb.execute(f"hbreak *{config['vectors'] + 16 * VEC_TIMER:#x}", to_string=True)
            armed = True
        key = None
        if pc == config["syscall"] and space() == tables["bench"]:
            for k, number, rdi in KCALLS:
                if reg("rax") == number and (rdi is None or reg("rdi") == rdi):
                    key = k
            if key is None or len(wanted[key]) >= SAMPLES:
                continue
            land = "bench"
        elif pc == config["vectors"] + 16 * VEC_TIMER:
            for k, before, after in SWITCHES:
                if space() == tables[before] and len(wanted[k]) < SAMPLES:
                    key, land = k, after
            if key is None:
                continue
        elif pc == config["vectors"] + 16 * VEC_WAKE and gdb.selected_thread().num == 2:
            gdb.execute("delete 3", to_string=True)
            key, land = "wake-receiver", "waiter"
        else:
            continue
        counted = step_to_user()
        if key == "wake-sender" and counted is not None:
            # The IPI this send raised is the next wake vector entry on CPU 1.
            gdb.execute(f"hbreak *{config['vectors'] + 16 * VEC_WAKE:#x}", to_string=True)
        if counted is None or space() != tables[land]:
            continue  # an entry that ended elsewhere (idle, another subject)
        if key == "wake-receiver" and reg("rax") != 0:
            continue  # the waiter resumed with something else than its wake event
        wanted[key].append(counted)
    for key, samples in wanted.items():
        # An entry can do more than the path (a frame boundary's work, a subject change
        # the path itself does not make): the most frequent count is the path's.
        best = max(samples, key=samples.count) if samples else None
        for n, rep, rsb, verw in samples:
            print(f"attribute-sample: {key} instructions {n} rep-iterations {rep} rsb-fill {rsb} verw {verw}")
        if best:
            n, rep, rsb, verw = best
            print(f"attribute: {key} instructions {n} rep-iterations {rep} rsb-fill {rsb} verw {verw}")
    sys.stdout.flush()
    gdb.execute("kill", to_string=True)
    return 0 if all(len(v) >= SAMPLES for v in wanted.values()) else 1


if __name__ == "__main__":
    try:
        import gdb  # noqa: F401
        sys.exit(inner())
    except ImportError:
        ap = argparse.ArgumentParser()
        ap.add_argument("--qemu", required=True)
        ap.add_argument("--gdb", default="gdb")
        ap.add_argument("--kernel-elf", required=True)
        ap.add_argument("--bench-elf", required=True)
        ap.add_argument("--layout", required=True)
        ap.add_argument("--timeout", type=float, default=900)
        ap.add_argument("image")
        sys.exit(outer(ap.parse_args()))
