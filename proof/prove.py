#!/usr/bin/env python3
"""Run one Frama-C proof of the 'proof' suite and fail on anything not proved.

usage: prove.py PART --source-root DIR --work DIR

PART names a driver and its sources (PARTS below). Two analyses, both must pass:

  EVA  the driver makes the inputs symbolic; fails on any alarm (a possible run-time
       error) and on any ACSL property EVA finds invalid. Properties EVA cannot decide
       (relational facts such as "the slot ends inside the mapping") are proved by WP.
  WP   -wp-rte: every run-time-error goal plus every contract, loop invariant and
       assertion of the library and of the driver's state generators (havoc_*);
       fails unless every goal is proved, and prints the count.

Exits 77 (meson's "skipped") when frama-c, why3 or a prover is missing, saying which
and how to install them (scripts/debian-packages.txt). docs/assurance.md describes the
claims and how to rerun by hand.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

# The atomic primitives: WP takes their ACSL contracts as their specification (each is
# one volatile access under __FRAMAC__); EVA analyses their bodies.
PRIMITIVES = [
    "channel_load_u64_relaxed", "channel_load_u64_acquire", "channel_load_u8_relaxed",
    "channel_store_u64_relaxed", "channel_store_u64_release", "channel_store_u8_relaxed",
    "channel_fence_acquire", "channel_fence_release", "channel_pause",
]

# EVA: the octagon domain relates a copy loop's two indices (channel side and private
# side) through the call; slevel only keeps apart the return states of the boolean and
# init helpers (EVA's split-return) so the caller's test reduces on them.
EVA_COMMON = [
    "-eva", "-eva-domains", "cvalue,octagon", "-eva-octagon-through-calls",
    "-eva-split-return", "full",
]

# The kernel parts are WP only (EVA's non-relational domains cannot carry "index < count"
# for a blob whose counts are arbitrary; docs/assurance.md). One translation unit,
# proof/kernel/kernel.c, holds kernel/core with the contracts; a part proves the
# functions it names, using the contracts of the functions they call.
KERNEL_INCLUDES = ["kernel/include", "sdk/include", "libchannel/include", "libchannel/src",
                   "kernel/core"]
# libchannel's writer is proved by the libchannel-writer part; the kernel takes its
# contracts (the kernel log channels).
KERNEL_SOURCES = ["libchannel/src/channel_writer.c"]
KERNEL_WP = ["-pp-annot", "-wp-literals", "-wp-split"]
KERNEL_PRINT = ["print_self", "print_publish", "print_to_console", "print_char", "print_str",
                "print_dec", "print_hex", "print_nl", "print_use_channel", "print_power_now",
                "print_power_request", "print_power_on_yield", "print_power_check"]
# The scheduler's functions proved so far (docs/assurance.md; the rest of sched.c's and
# smp.c's contracts, spec_sched.h, are stated and used by other parts, not yet proved).
KERNEL_SCHED = ["sched_ticks_to_tsc", "sched_frame", "sched_load_plan", "sched_set_frame_end",
                "sched_init", "sched_report_late", "smp_reset", "smp_barrier",
                "smp_kick", "smp_console_lock", "smp_console_unlock", "core_panicking",
                "sched_report_switch", "sched_begin_frame", "sched_step"]
# vm.c (docs/assurance.md): the functions proved so far; vm_check_machine, vm_reset and
# the exits that step the plan (vm_on_call, vm_on_halt) are not.
KERNEL_VM = ["vm_write_tsc_patches", "vm_fault_name", "vm_highest", "vm_irq_request",
             "vm_irq_next", "vm_irq_injected", "vm_irq_eoi", "vm_timer_route", "vm_timer_set",
             "vm_timer_get", "vm_event_poll", "vm_console_out", "vm_console_publish", "vm_on_fault",
             "vm_enter"]
# event.c, subject.c and core.h's event_fire_timer: the kernel calls, faults, IRQs and
# the subjects' life cycle (resets, reports, stop and restart). kernel-event proves those
# all of whose goals prove today; KERNEL_EVENT_ALL (part kernel-event-all, not in the
# suite) is every function of the two files: the rest fail on the frame problem
# (docs/assurance.md; a predicate of print_ok/tables_ok over memory a store changed), or
# (subject_reset_work) on EV_RESET of the step under way, an instance of EV_RESETS that
# the solvers did not find (its quantifier indexes fc_resets with reset_first + k).
KERNEL_EVENT = ["event_raise", "event_fire_timer", "event_take", "subject_reset_bytes",
                "subject_reset_begin", "subject_work_fits",
                "subject_do_stop", "subject_do_restart", "subject_stop", "subject_restart",
                "subject_take_requests", "core_raise_irq", "subject_write_khz",
                "subject_reset_finish", "subject_print_stopped", "subject_print_restarted",
                "event_act", "event_send", "subject_report_work"]
KERNEL_EVENT_ALL = ["event_raise", "event_fire_timer", "event_take", "event_act", "event_send",
                "core_on_kcall", "subject_reset_bytes", "subject_write_khz", "subject_reset_finish",
                "subject_reset_begin", "subject_work_fits", "subject_reset_work",
                "subject_print_stopped", "subject_print_restarted", "subject_do_stop",
                "subject_do_restart", "subject_stop", "subject_restart",
                "subject_report_work", "subject_contain", "subject_take_requests",
                "core_prepare_subjects", "core_on_fault", "core_raise_irq", "core_on_irq"]

# audit.c, system.c: the crash-audit ring (capacity, slot index, record and header writes
# into the region), the report printing (audit_mark .. audit_print), the panics, and the
# boot check core_check_system (its CHECK cannot fail) with system_check_ram. Not yet in
# the part (contracts taken as given): system_banner, system_panic.
KERNEL_SYSTEM = ["audit_capacity", "audit_write_header", "audit_init", "audit_store",
                 "audit_write", "audit_kind_name", "audit_record", "core_panic",
                 "core_panic_hex", "core_panic_fault", "audit_mark",
                 "audit_line_begin", "audit_hex", "audit_print_line", "audit_print",
                 "system_check_ram", "core_check_system"]

# tables.c, tables_vm.c and the checksum: the boot check, whose contract is `\result ==>
# tables_ok` (model_tables.h). kernel-tables proves those all of whose goals prove today;
# KERNEL_TABLES_ALL (part kernel-tables-all, not in the suite) is every function of the
# check, tables_check itself last.
KERNEL_TABLES = ["moat_tables_checksum", "tables_rec_at", "tables_refuse", "tables_in_region",
                 "tables_range_ok", "array_ok", "name_ok", "irq_routed", "regions_ok", "irqs_ok",
                 "tables_vm_subject_ok", "frames_ok", "header_ok", "tables_print_value", "tables_refuse_n",
                 "tables_kernel_range_hit"]
# plans_ok proves with a lemma over the plans' major frames (plan_major, in its commit,
# 4b6094d), but in every part's context that lemma made event_send's goals fail: the lemma is
# left out and plans_ok is not in the part.
KERNEL_TABLES_ALL = KERNEL_TABLES + [
    "arrays_ok", "names_ok", "send_ok",
    "reset_ok", "subject_ok", "vm_patch_ok", "tables_vm_patches_ok", "plans_ok", "tables_vms_ok",
    "system_ok", "tables_check"]


def kernel_part(functions):
    """A kernel part: proves `functions` (with -wp-fct) in the one unit kernel.c."""
    return {"driver": "proof/kernel/kernel.c", "sources": KERNEL_SOURCES,
            "includes": KERNEL_INCLUDES, "wp_only": True, "wp_extra": KERNEL_WP,
            "wp_fct": functions}


PARTS = {
    "kernel-print": kernel_part(KERNEL_PRINT),
    # Every ACSL lemma of the unit (model.h's valid_str_N, the modules' own): the other
    # parts use them as facts, this part proves them.
    "kernel-lemmas": dict(kernel_part([]), wp_prop="@lemma"),
    "kernel-sched": kernel_part(KERNEL_SCHED),
    "kernel-event": kernel_part(KERNEL_EVENT),
    "kernel-event-all": kernel_part(KERNEL_EVENT_ALL),

    "kernel-system": kernel_part(KERNEL_SYSTEM),
    "kernel-vm": kernel_part(KERNEL_VM),
    "kernel-tables": kernel_part(KERNEL_TABLES),
    "kernel-tables-all": kernel_part(KERNEL_TABLES_ALL),
    "libchannel-reader": {
        "driver": "proof/libchannel/eva_reader.c",
        "sources": ["libchannel/src/channel_reader.c"],
        "slevel": "main:10",
    },
    "libchannel-writer": {
        "driver": "proof/libchannel/eva_writer.c",
        "sources": ["libchannel/src/channel_writer.c"],
        "slevel": "main:10,writer_check_layout:10,channel_writer_init:10,"
                  "channel_writer_resume:10,channel_write:10,channel_write_batch:10,"
                  "writer_is_active:10",
    },
}

# The only WP warning accepted: Frama-C models void * as char *, so the library's
# void * parameters converted to unsigned char * are "casts" to WP. With -wp-model
# Typed+cast they are the identity they are in C. Any other warning fails the run.
ALLOWED_WP_WARNING = re.compile(
    r"Cast with incompatible pointers types \(source: (sint8|uint8)\*\) "
    r"\(target: (sint8|uint8)\*\)")
# The kernel parts accept, besides, the casts of the blob's format (the tables segment
# read as its header, the header's bytes for the checksum, a log record array handed to
# the channel writer as bytes), each admitted where WP needs it, and WP's memory-model
# hypotheses (that a pointer argument does not point at the global `tables` pointer
# itself, and the like), which the runner prints.
KERNEL_WP_WARNING = re.compile(
    r"Cast with incompatible pointers types \(source: [^)]*\)|"
    r"Memory model hypotheses for function")


def skip(msg):
    print(f"SKIP: {msg}")
    print("install with scripts/install-deps (Debian: frama-c-base why3 z3 cvc4)")
    sys.exit(77)


def run(cmd, log_path, env):
    start = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    with open(log_path) as log:
        text = log.read()
    return proc.returncode, text, time.monotonic() - start


def check_eva(text, rc):
    failures = []
    alarms = re.search(r"(\d+|No) alarms? generated by the analysis", text)
    if alarms is None:
        alarms = re.search(r"(\d+) alarms? generated", text)
    count = 0 if alarms is None else (0 if alarms.group(1) == "No" else int(alarms.group(1)))
    if alarms is None:
        failures.append("no EVA summary in the log")
    elif count != 0:
        failures.append(f"{count} alarm(s)")
        for m in re.finditer(r"\[eva:alarm\] (\S+): Warning: \n?\s*(.*(?:\n\s+.*)?)", text):
            if "status unknown" not in m.group(2):
                print(f"  alarm at {m.group(1)}: {' '.join(m.group(2).split())}")
    props = {}
    for kind in ("Assertions", "Preconditions"):
        m = re.search(kind + r"\s+(\d+) valid\s+(\d+) unknown\s+(\d+) invalid\s+(\d+) total", text)
        if m:
            props[kind] = tuple(int(x) for x in m.groups())
            if props[kind][2] != 0:
                failures.append(f"{props[kind][2]} invalid {kind.lower()}")
    coverage = re.search(r"(\d+) functions analyzed.*\n.*?(\d+)% coverage", text)
    stmts = re.search(r"In these functions, (\d+) statements reached \(out of (\d+)\)", text)
    if rc != 0:
        failures.append(f"frama-c exited {rc}")
    return count, props, stmts, failures


def check_wp(text, rc, allowed=ALLOWED_WP_WARNING):
    failures = []
    m = re.search(r"\[wp\] Proved goals:\s+(\d+) / (\d+)", text)
    if m is None:
        failures.append("no WP goal count in the log")
        return 0, 0, failures
    proved, total = int(m.group(1)), int(m.group(2))
    if proved != total or total == 0:
        failures.append(f"{total - proved} goal(s) not proved")
        for g in re.finditer(r"\[wp\] \[(?:Failed|Unknown|Timeout)\] Goal (\S+)", text):
            print(f"  not proved: {g.group(1)}")
    for w in re.finditer(r"\[wp\] (\S+): Warning: *\n?\s*(.*)", text):
        if not allowed.search(w.group(2)):
            failures.append(f"WP warning at {w.group(1)}: {w.group(2).strip()}")
    if rc != 0:
        failures.append(f"frama-c exited {rc}")
    return proved, total, failures


def read_sources(root, part):
    """The kernel/core and proof/kernel text, where the admits are."""
    text = ""
    for d in ("kernel/core", "proof/kernel"):
        for name in sorted(os.listdir(os.path.join(root, d))):
            if name.endswith((".c", ".h")):
                with open(os.path.join(root, d, name)) as f:
                    text += f.read()
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("part", choices=sorted(PARTS))
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--work", required=True)
    # Generous: the hardest goals take a few seconds, but a loaded machine stretches them.
    ap.add_argument("--timeout", type=int, default=90, help="seconds per prover call")
    ap.add_argument("--functions", help="a kernel part: prove only these (comma-separated), "
                    "to work on one function at a time")
    ap.add_argument("--par", type=int, default=2, help="prover calls at once (-wp-par)")
    args = ap.parse_args()
    part = dict(PARTS[args.part])
    if args.functions:
        if "wp_fct" not in part:
            ap.error("--functions needs a kernel part")
        part["wp_fct"] = args.functions.split(",")

    tools = {t: shutil.which(t) for t in ("frama-c", "why3", "z3", "cvc4")}
    missing = [t for t, p in tools.items() if p is None]
    if missing:
        skip(f"{', '.join(missing)} not found on PATH: the {args.part} proof is not run")

    root = os.path.abspath(args.source_root)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ)
    # A private why3 configuration, so the run needs nothing in $HOME.
    env["WHY3CONFIG"] = os.path.join(work, "why3.conf")
    subprocess.run([tools["why3"], "config", "detect"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    includes = part.get("includes", ["libchannel/include", "libchannel/src"])
    inc = " ".join(f"-I{root}/{d}" for d in includes)
    files = [os.path.join(root, part["driver"])] + [os.path.join(root, s) for s in part["sources"]]
    base = [tools["frama-c"], "-cpp-extra-args=" + inc] + files
    if part.get("wp_only"):
        base[1:1] = ["-c11", "-machdep", "x86_64"]
    failures = []

    if not part.get("wp_only"):
        eva_cmd = base + EVA_COMMON + ["-eva-slevel-function", part["slevel"]]
        rc, text, secs = run(eva_cmd, os.path.join(work, "eva.log"), env)
        alarms, props, stmts, eva_fail = check_eva(text, rc)
        unknown = sum(p[1] for p in props.values())
        total = sum(p[3] for p in props.values())
        reached = f", {stmts.group(1)}/{stmts.group(2)} statements reached" if stmts else ""
        print(f"EVA {args.part}: {alarms} alarms{reached}; ACSL properties: "
              f"{total - unknown} valid under EVA, {unknown} left to WP, "
              f"{sum(p[2] for p in props.values())} invalid ({secs:.1f} s)")
        failures += [f"EVA: {f}" for f in eva_fail]

    wp_cmd = base + [
        "-wp", "-wp-rte", "-wp-model", "Typed+cast", "-wp-prover", "cvc4,z3",
        "-wp-timeout", str(args.timeout), "-wp-par", str(args.par),
    ]
    if "wp_prop" in part:
        wp_cmd += part.get("wp_extra", []) + ["-wp-prop=" + part["wp_prop"]]
        allowed = KERNEL_WP_WARNING
    elif "wp_fct" in part:
        wp_cmd += part.get("wp_extra", []) + ["-wp-fct", ",".join(part["wp_fct"])]
        allowed = KERNEL_WP_WARNING
    else:
        # main only sequences the calls; any_values only feeds EVA arbitrary numbers.
        wp_cmd += ["-wp-skip-fct", ",".join(PRIMITIVES + ["main", "any_values"])]
        allowed = ALLOWED_WP_WARNING
    rc, text, secs = run(wp_cmd, os.path.join(work, "wp.log"), env)
    proved, goals, wp_fail = check_wp(text, rc, allowed)
    pct = 100 * proved // goals if goals else 0
    print(f"WP {args.part}: {proved} / {goals} goals proved ({pct}%) ({secs:.1f} s)")
    failures += [f"WP: {f}" for f in wp_fail]
    if "wp_fct" in part:
        # What the proof takes on trust inside the code: each admit, by place.
        admits = re.findall(r"^\s*/\*@ admit (.*?)\*/", read_sources(root, part), re.M)
        hyps = len(re.findall(r"Memory model hypotheses for function", text))
        print(f"WP {args.part}: {len(admits)} admitted facts (docs/assurance.md lists them), "
              f"{hyps} functions with memory-model hypotheses (wp.log)")
        failures += [f"kernel warning: {w}" for w in re.findall(
            r"\[kernel(?::[\w-]+)*\] [^\n]*Warning: *\n\s*(Neither code nor specification[^\n]*)",
            text)]

    print(f"logs: {work}/wp.log" if part.get("wp_only") else f"logs: {work}/eva.log, {work}/wp.log")
    for f in failures:
        print(f"FAIL {f}")
    if not failures:
        what = "" if part.get("wp_only") else "0 alarms, "
        print(f"{args.part}: {what}all {goals} goals proved")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
