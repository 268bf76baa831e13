#!/usr/bin/env python3
"""Out-of-tree test: what a new user does with the installed SDK, end to end.

Installs Moat from SOURCE twice: into a temporary prefix, and staged (--destdir), the
staged tree then moved to a folder of its own. The first projects
use the install; before the others the install is deleted, so they can only work if
the moved copy is relocatable (its .pc files, its tools, moat-polc finding its kernel).
  template  (install) copies sdk/template to a temporary folder outside the source tree;
  subproject  (no install) makes a native parent project with SOURCE as
            subprojects/moat, building the template's subjects and image through Moat's
            exported variables;
  mismatch  (moved) a subject that sees a sinfo page of another format version: it must
            stop with exit status 90003 (MOAT_SDK_EXIT_SINFO_VERSION), audited, not crash;
  hostile-log  (moved) a subject writing garbage into its log channel next to an honest
            one: every honest line whole, no escape character reaches the console;
  tutorial  (moved) extracts every file docs/tutorial.md shows (<!-- file: NAME -->
            before a fenced block) into an empty folder, and checks that each one is
            identical to examples/pingpong/NAME where that exists (meson.build excepted);
  own-ld    (moved) a 2-CPU system; one subject is linked with the author's own link
            script (moat-sdk-custom-ld.pc) at another address, the other with the SDK's;
then (except for subproject) configures it with the installed cross file, builds it and
runs its host unit test. The image is made again from the policy and the subject ELFs by
the installed moat-polc with a PATH that holds only python3, QEMU and the SDK's bin/ (no
C compiler or linker): it must equal the one the project built (own-ld builds none).
moat-run boots it with that PATH and no QEMU arguments (the 2-CPU system gets -smp 2
from the image): a clean poweroff with the expected lines.

Usage: out_of_tree.py --source SOURCE_DIR [--only NAME] [--keep]
"""
import argparse
import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

PROJECTS = {
    "template": {
        "image": "system.elf",
        "expect": ["[app] app ready on CPU 0", "[app] answered 1, total 285",
                   "[feeder] all 10 replies correct, total 285", "poweroff: requested by feeder"],
    },
    "subproject": {
        "image": "system.elf",
        "expect": ["[app] app ready on CPU 0", "[app] answered 1, total 285",
                   "[feeder] all 10 replies correct, total 285", "poweroff: requested by feeder"],
    },
    "mismatch": {
        "image": "system.elf",
        "expect": ["audit 1 subject stale", "audit 1 status 90003", "subject stale stopped",
                   "poweroff: requested by witness"],
        "audits": True,
    },
    "hostile-log": {
        "image": "system.elf",
        "expect": [f"[good] good line {i}\n" for i in range(30)] +
                  ["poweroff: requested by log-server"],
        "forbid": ["\x1b"],
    },
    "tutorial": {
        "image": "pingpong.elf",
        "expect": ["[ping] round 1: sent 0, got 1", "[ping] round 10: sent 9, got 10",
                   "[ping] game over after 10 rounds", "poweroff: requested by ping"],
    },
    "own-ld": {
        "image": None,
        "expect": ["poweroff: requested by log-server"],
        "patterns": [r"\[far\] main at 0x1[0-9a-f]{7} on CPU 1\n",
                     r"\[near\] main at 0x4[0-9a-f]{5} on CPU 0\n"],
        "forbid": ["this machine has"],
    },
}

# Where the SDK each project uses comes from: the install, or the moved staged copy.
MOVED = ("mismatch", "hostile-log", "tutorial", "own-ld")
# The address the author's link script puts "far" at (the SDK's subject.ld: 4 MiB).
OWN_LD_BASE = 0x10000000


# A native parent project with Moat in subprojects/moat, building the template's
# subjects and image through the variables sdk/meson.build exports (docs/sdk.md).
SUBPROJECT_MESON = """project('uses-moat', 'c', default_options : ['c_std=c11'])
moat = subproject('moat', default_options : ['tests=disabled', 'integration=disabled'])
sdk_cc = moat.get_variable('moat_sdk_cc')
elfs = []
foreach s : [['app', ['main.c', 'handler.c']], ['feeder', ['feeder.c']]]
  elfs += custom_target(s[0] + '.elf',
    input : [sdk_cc.process(s[1])] + moat.get_variable('moat_sdk_link_libs'),
    output : s[0] + '.elf',
    command : moat.get_variable('moat_subject_link') + ['@INPUT@', '-o', '@OUTPUT@'])
endforeach
custom_target('system.elf', input : 'system.xml', output : 'system.elf',
  depends : elfs + [moat.get_variable('moat_log_server_elf')],
  command : [moat.get_variable('moat_polc'), 'build', '@INPUT@',
             '--kernel', moat.get_variable('moat_kernel_elf'),
             '-I', meson.current_build_dir(), '-I', moat.get_variable('moat_log_server_dir'),
             '-o', '@OUTPUT@'],
  build_by_default : true)
# The test kit through the dependency Moat overrides, no pkg-config involved.
test('handler', executable('test-handler', 'test_handler.c', 'handler.c',
  dependencies : [dependency('moat-sdk-testkit'), dependency('cmocka')]))
"""


# A subject whose sinfo page has another format version must stop with the documented
# exit status, not crash: "stale" points crt0's page pointer at a copy with a bumped
# version before its first lookup; "witness" powers the system off a little later.
MISMATCH_FILES = {
    "stale.c": """#include <string.h>

#include <moat/sinfo.h>
#include <moat/subject.h>

static struct moat_sinfo copy __attribute__((aligned(4096)));

int main(void)
{
    memcpy(&copy, moat_sinfo_page, sizeof(copy));
    copy.version++;
    moat_sinfo_page = &copy;
    /* The first lookup checks the page and stops this subject with status 90003. */
    return moat_subject_name()[0] == 0 ? 1 : 2;
}
""",
    "witness.c": """#include <moat/sinfo.h>
#include <moat/subject.h>

int main(void)
{
    for (unsigned i = 0; i < 50; i++) {
        moat_yield();
    }
    moat_event_send((unsigned)moat_event("off"));
    for (;;) {
        (void)moat_event_wait();
    }
}
""",
    "system.xml": """<?xml version="1.0"?>
<system name="mismatch">
  <platform cpus="1" memory="64M"/>
  <subjects>
    <subject name="stale" cpu="0" image="stale.elf"/>
    <subject name="witness" cpu="0" image="witness.elf"/>
    <subject name="log-server" cpu="0" image="log-server.elf">
      <ioport name="com1" base="0x3f8" count="8"/>
    </subject>
  </subjects>
  <channels>
    <kernel-log reader="log-server"/>
  </channels>
  <events>
    <event name="off" from="witness" action="poweroff"/>
  </events>
  <scheduling tick="1ms">
    <plan name="main">
      <cpu id="0">
        <frame subject="stale" ticks="1"/>
        <frame subject="witness" ticks="1"/>
        <frame subject="log-server" ticks="1"/>
      </cpu>
    </plan>
  </scheduling>
</system>
""",
    "meson.build": """project('mismatch', 'c', default_options : ['c_std=c11'])
moat = dependency('moat-sdk')
stale = executable('stale.elf', 'stale.c', dependencies : moat)
witness = executable('witness.elf', 'witness.c', dependencies : moat)
custom_target('image', input : 'system.xml', output : 'system.elf',
  depends : [stale, witness],
  command : [find_program('moat-polc'), 'build', '@INPUT@', '-I', meson.current_build_dir(),
             '-I', moat.get_variable(pkgconfig : 'subjectsdir'), '-o', '@OUTPUT@'],
  build_by_default : true)
""",
}


# A hostile log writer next to an honest one: "evil" fills its log channel with random
# records (escape sequences, bogus lengths, lines it never ends), reinitialises it all
# the time and corrupts its header; "good" logs 30 numbered lines and has the system
# powered off through the log server's flush. Every good line must come out whole.
HOSTILE_FILES = {
    "evil.c": """#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

int main(void)
{
    struct moat_channel_info info;
    if (moat_channel("evil.log", &info) != 0) {
        return 1;
    }
    volatile uint64_t *header = (volatile uint64_t *)(uintptr_t)info.address;
    uint32_t seed = 1;
    for (uint64_t epoch = 1;; epoch++) {
        struct channel_writer w;
        channel_writer_init(&w, (void *)(uintptr_t)info.address, info.size, MOAT_LOG_PROTOCOL,
                            sizeof(struct moat_log_record), epoch);
        for (unsigned i = 0; i < 300; i++) {
            struct moat_log_record rec;
            unsigned char *bytes = (unsigned char *)&rec;
            for (unsigned k = 0; k < sizeof(rec); k++) {
                seed = seed * 1664525u + 1013904223u;
                bytes[k] = (unsigned char)(seed >> 24);
            }
            rec.text[0] = 0x1b;
            if (i % 2 == 0) {
                rec.flags = MOAT_LOG_CONTINUED;
            }
            channel_write(&w, &rec);
        }
        moat_yield();
        header[3] = 7; /* an element size no reader accepts */
        header[1] = epoch * 1000;
        moat_yield();
    }
}
""",
    "good.c": """#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

int main(void)
{
    for (unsigned i = 0; i < 30; i++) {
        moat_log("good line %u", i);
        moat_yield();
    }
    moat_event_send((unsigned)moat_event("flush"));
    for (;;) {
        (void)moat_event_wait();
    }
}
""",
    "system.xml": """<?xml version="1.0"?>
<system name="hostile-log">
  <platform cpus="1" memory="64M"/>
  <subjects>
    <subject name="evil" cpu="0" image="evil.elf"/>
    <subject name="good" cpu="0" image="good.elf"/>
    <subject name="log-server" cpu="0" image="log-server.elf">
      <ioport name="com1" base="0x3f8" count="8"/>
    </subject>
  </subjects>
  <channels>
    <channel name="evil.log" size="8K" element-size="128" protocol="0x6d6c6f67">
      <writer subject="evil"/>
      <reader subject="log-server"/>
    </channel>
    <channel name="good.log" size="8K" element-size="128" protocol="0x6d6c6f67">
      <writer subject="good"/>
      <reader subject="log-server"/>
    </channel>
    <kernel-log reader="log-server"/>
  </channels>
  <events>
    <event name="flush" from="good" to="log-server"/>
    <event name="flushed" from="log-server" action="poweroff"/>
  </events>
  <scheduling tick="1ms">
    <plan name="main">
      <cpu id="0">
        <frame subject="evil" ticks="1"/>
        <frame subject="good" ticks="1"/>
        <frame subject="log-server" ticks="1"/>
      </cpu>
    </plan>
  </scheduling>
</system>
""",
    "meson.build": """project('hostile-log', 'c', default_options : ['c_std=c11'])
moat = dependency('moat-sdk')
elfs = [executable('evil.elf', 'evil.c', dependencies : moat),
        executable('good.elf', 'good.c', dependencies : moat)]
custom_target('image', input : 'system.xml', output : 'system.elf', depends : elfs,
  command : [find_program('moat-polc'), 'build', '@INPUT@', '-I', meson.current_build_dir(),
             '-I', moat.get_variable(pkgconfig : 'subjectsdir'), '-o', '@OUTPUT@'],
  build_by_default : true)
""",
}

# Two subjects on two CPUs: "far" (CPU 1), linked by the author's far.ld (the SDK's
# subject.ld with another base address, made by the test), says where its main() is and
# wakes "near" (CPU 0, the SDK's layout), which says the same and has the system
# powered off. The image is made by the test (no compiler on PATH), so no image target.
OWN_LD_FILES = {
    "far.c": """#include <stdint.h>

#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

int main(void)
{
    moat_log("main at %p on CPU %u", (void *)(uintptr_t)&main, moat_cpu());
    moat_event_send((unsigned)moat_event("far_ready"));
    for (;;) {
        (void)moat_event_wait();
    }
}
""",
    "near.c": """#include <stdint.h>

#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

int main(void)
{
    (void)moat_event_wait();
    moat_log("main at %p on CPU %u", (void *)(uintptr_t)&main, moat_cpu());
    moat_event_send((unsigned)moat_event("flush"));
    for (;;) {
        (void)moat_event_wait();
    }
}
""",
    "system.xml": """<?xml version="1.0"?>
<system name="own-ld">
  <platform cpus="2" memory="64M"/>
  <subjects>
    <subject name="near" cpu="0" image="near.elf"/>
    <subject name="far" cpu="1" image="far.elf"/>
    <subject name="log-server" cpu="0" image="log-server.elf">
      <ioport name="com1" base="0x3f8" count="8"/>
    </subject>
  </subjects>
  <channels>
    <channel name="near.log" size="8K" element-size="128" protocol="0x6d6c6f67">
      <writer subject="near"/>
      <reader subject="log-server"/>
    </channel>
    <channel name="far.log" size="8K" element-size="128" protocol="0x6d6c6f67">
      <writer subject="far"/>
      <reader subject="log-server"/>
    </channel>
    <kernel-log reader="log-server"/>
  </channels>
  <events>
    <event name="far_ready" from="far" to="near"/>
    <event name="flush" from="near" to="log-server"/>
    <event name="flushed" from="log-server" action="poweroff"/>
  </events>
  <scheduling tick="1ms">
    <plan name="main">
      <cpu id="0">
        <frame subject="near" ticks="1"/>
        <frame subject="log-server" ticks="1"/>
      </cpu>
      <cpu id="1">
        <frame subject="far" ticks="2"/>
      </cpu>
    </plan>
  </scheduling>
</system>
""",
    "meson.build": """project('own-ld', 'c', default_options : ['c_std=c11'])
near = executable('near.elf', 'near.c', dependencies : dependency('moat-sdk'))
far = executable('far.elf', 'far.c', dependencies : dependency('moat-sdk-custom-ld'),
  link_args : ['-Wl,-T,' + meson.current_source_dir() / 'far.ld'], link_depends : 'far.ld')
""",
}


class Failure(Exception):
    pass


def run(cmd, env=None, cwd=None, capture=False):
    print("+", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, env=env, cwd=cwd, text=True,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.STDOUT if capture else None)
    if capture:
        print(proc.stdout, flush=True)
    return proc


def check(proc, what):
    if proc.returncode != 0:
        raise Failure(f"{what} (status {proc.returncode})")


def extract_tutorial(source, dest):
    text = open(os.path.join(source, "docs", "tutorial.md")).read()
    files = re.findall(r"<!-- file: (\S+) -->\n.*?\n```\w*\n(.*?)```", text, re.S)
    if not files:
        raise Failure("docs/tutorial.md shows no files")
    os.makedirs(dest)
    for name, body in files:
        with open(os.path.join(dest, name), "w") as f:
            f.write(body)
        example = os.path.join(source, "examples", "pingpong", name)
        if name != "meson.build":
            if not os.path.isfile(example) or open(example).read() != body:
                raise Failure(f"docs/tutorial.md shows a {name} that differs from "
                              f"examples/pingpong/{name}")
    print("extracted from the tutorial:", ", ".join(n for n, _ in files))


def make_subproject_parent(source, project):
    os.makedirs(os.path.join(project, "subprojects"))
    os.symlink(source, os.path.join(project, "subprojects", "moat"))
    for name in ("main.c", "handler.c", "handler.h", "feeder.c", "system.xml",
                 "test_handler.c"):
        shutil.copy(os.path.join(source, "sdk", "template", name), project)
    with open(os.path.join(project, "meson.build"), "w") as f:
        f.write(SUBPROJECT_MESON)


def elf_load_range(path):
    """(entry, lowest PT_LOAD vaddr) of an ELF64 file."""
    with open(path, "rb") as f:
        data = f.read()
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    loads = [struct.unpack_from("<Q", data, phoff + i * phentsize + 16)[0]
             for i in range(phnum)
             if struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 1]
    return entry, min(loads)


def make_own_ld(project, sdk):
    """The author's link script: the SDK's subject.ld (found as docs/sdk.md says, through
    the linker_script variable) with another base address."""
    pcdir = sdk_pkgconfig_dir(sdk)
    env = dict(os.environ, PKG_CONFIG_LIBDIR=pcdir)
    pkg_config = lambda *args: subprocess.run(["pkg-config"] + list(args), env=env,
                                              capture_output=True, text=True,
                                              check=True).stdout.strip()
    # Two link scripts would both apply: only moat-sdk.pc may name one.
    for pc, want in (("moat-sdk", True), ("moat-sdk-custom-ld", False)):
        if ("-Wl,-T," in pkg_config("--libs", pc)) != want:
            raise Failure(f"pkg-config --libs {pc} {'lacks' if want else 'has'} a link script")
    script = pkg_config("--variable=linker_script", "moat-sdk")
    if not os.path.isfile(script):
        raise Failure(f"moat-sdk.pc in {pcdir} names {script}, which does not exist")
    with open(script) as f:
        text = f.read()
    if ". = 0x400000;" not in text:
        raise Failure(f"{script} has no '. = 0x400000;' to move")
    with open(os.path.join(project, "far.ld"), "w") as f:
        f.write(text.replace(". = 0x400000;", f". = {OWN_LD_BASE:#x};"))


def sdk_pkgconfig_dir(sdk):
    pcs = glob.glob(os.path.join(sdk, "**", "moat-sdk.pc"), recursive=True)
    if len(pcs) != 1:
        raise Failure(f"{sdk}: the install lacks moat-sdk.pc (or has two)")
    return os.path.dirname(pcs[0])


def no_compiler_path(tmp, sdk):
    """A PATH with only python3 and QEMU (in a folder of their own) and the SDK's bin/."""
    tools = os.path.join(tmp, "tools-bin")
    if not os.path.isdir(tools):
        os.makedirs(tools)
        for name, path in (("python3", sys.executable),
                           ("qemu-system-x86_64", shutil.which("qemu-system-x86_64"))):
            os.symlink(path, os.path.join(tools, name))
    path = os.pathsep.join([os.path.join(sdk, "bin"), tools])
    for tool in ("clang", "ld.lld", "lld", "cc", "gcc", "ld"):
        if shutil.which(tool, path=path):
            raise Failure(f"the compiler-free PATH has {tool}")
    return path


def build(name, project, sdk, env):
    """Configure, build and unit-test a project; the subject ELFs end up in build/."""
    if name == "subproject":
        check(run(["meson", "setup", "build"], env=env, cwd=project),
              f"{name}: configure a parent project with Moat as a subproject")
        check(run(["meson", "compile", "-C", "build"], env=env, cwd=project), f"{name}: build")
        check(run(["meson", "test", "-C", "build", "handler"], env=env, cwd=project),
              f"{name}: host unit test with the overridden moat-sdk-testkit")
        return
    cross = os.path.join(sdk, "share", "moat-sdk", "moat-x86_64.ini")
    if not os.path.isfile(cross):
        raise Failure("the install lacks the cross file")
    pcdir = sdk_pkgconfig_dir(sdk)
    # A moved install: its .pc folder before the one the cross file names (docs/sdk.md).
    moved = [f"-Dpkg_config_path={pcdir}"] if name in MOVED else []
    check(run(["meson", "setup", "build", "--cross-file", cross,
               f"-Dbuild.pkg_config_path={pcdir}"] + moved, env=env, cwd=project),
          f"{name}: configure against the installed SDK")
    check(run(["meson", "compile", "-C", "build"], env=env, cwd=project), f"{name}: build")
    if name not in ("mismatch", "hostile-log", "own-ld"):
        check(run(["meson", "test", "-C", "build"], env=env, cwd=project),
              f"{name}: host unit test")


def image_without_compiler(name, project, sdk, path):
    """moat-polc build from the policy and the subject ELFs, no compiler on PATH, into a
    folder that does not exist yet; equal to the image the project built, if it did."""
    env = dict(os.environ, PATH=path)
    out = os.path.join(project, "no-compiler", "out")
    image = os.path.join(out, "system.elf")
    check(run(["moat-polc", "build", os.path.join(project, "system.xml"),
               "-I", os.path.join(project, "build"),
               "-I", os.path.join(sdk, "share", "moat-sdk", "subjects"),
               "-o", image, "--layout", os.path.join(out, "layout.txt")], env=env),
          f"{name}: moat-polc build with no compiler on PATH")
    built = PROJECTS[name]["image"]
    if built:
        with open(os.path.join(project, "build", built), "rb") as a, open(image, "rb") as b:
            if a.read() != b.read():
                raise Failure(f"{name}: the image built again differs from build/{built}")
    return image


def boot(name, image, path):
    proc = run(["moat-run", image, "--timeout", "60"], env=dict(os.environ, PATH=path),
               capture=True)
    check(proc, f"{name}: moat-run must end in a poweroff")
    # In order per subject: the log server prints lines in the order they were stamped,
    # but a subject preempted between stamping and publishing a line can come later.
    positions = {}
    for line in PROJECTS[name]["expect"]:
        label = line.split("]")[0] if line.startswith("[") else ""
        found = proc.stdout.find(line, positions.get(label, 0))
        if found < 0:
            raise Failure(f"{name}: missing (in order for {label or 'the kernel'}): {line}")
        positions[label] = found + len(line)
    for pattern in PROJECTS[name].get("patterns", []):
        if not re.search(pattern, proc.stdout):
            raise Failure(f"{name}: no line matches {pattern}")
    forbidden = ["PANIC"] + ([] if PROJECTS[name].get("audits") else ["audit"])
    for bad in forbidden + PROJECTS[name].get("forbid", []):
        if bad in proc.stdout:
            raise Failure(f"{name}: the log contains {bad!r}")


def make_project(name, source, project, sdk):
    if name == "template":
        shutil.copytree(os.path.join(source, "sdk", "template"), project)
    elif name == "subproject":
        make_subproject_parent(source, project)
    elif name in ("mismatch", "hostile-log", "own-ld"):
        os.makedirs(project)
        files = {"mismatch": MISMATCH_FILES, "hostile-log": HOSTILE_FILES,
                 "own-ld": OWN_LD_FILES}[name]
        for file_name, body in files.items():
            with open(os.path.join(project, file_name), "w") as f:
                f.write(body)
        if name == "own-ld":
            make_own_ld(project, sdk)
    else:
        extract_tutorial(source, project)


def install(source, tmp):
    """The install (tmp/prefix) and a relocated copy: staged for another prefix with
    --destdir, then moved to tmp/moved. Returns both roots."""
    prefix = os.path.join(tmp, "prefix")
    build_dir = os.path.join(tmp, "moat-build")
    check(run(["meson", "setup", build_dir, source, f"--prefix={prefix}",
               "-Dtests=disabled", "-Dintegration=disabled"]), "configure Moat")
    check(run(["meson", "install", "-C", build_dir, "--quiet"]), "install Moat")
    stage = os.path.join(tmp, "stage")
    check(run(["meson", "install", "-C", build_dir, "--quiet", "--destdir", stage]),
          "install Moat staged")
    moved = os.path.join(tmp, "moved")
    shutil.move(stage + prefix, moved)
    return prefix, moved


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--only", choices=sorted(PROJECTS))
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    source = os.path.abspath(args.source)
    tmp = tempfile.mkdtemp(prefix="moat-oot-")
    try:
        prefix, moved = install(source, tmp)
        for name in PROJECTS:
            if args.only and name != args.only:
                continue
            sdk = moved if name in MOVED else prefix
            if name in MOVED and os.path.exists(prefix):
                # From here on only the moved copy exists.
                shutil.rmtree(prefix)
                shutil.rmtree(os.path.join(tmp, "moat-build"))
            env = dict(os.environ, PATH=os.path.join(sdk, "bin") + os.pathsep + os.environ["PATH"])
            project = os.path.join(tmp, name)
            make_project(name, source, project, sdk)
            build(name, project, sdk, env)
            if name == "own-ld":
                for elf, base in (("far.elf", OWN_LD_BASE), ("near.elf", 0x400000)):
                    entry, low = elf_load_range(os.path.join(project, "build", elf))
                    if low != base or entry < base:
                        raise Failure(f"own-ld: {elf} is linked at {low:#x} (entry "
                                      f"{entry:#x}), want {base:#x}")
            path = no_compiler_path(tmp, sdk)
            if name == "subproject":
                image = os.path.join(project, "build", PROJECTS[name]["image"])
            else:
                image = image_without_compiler(name, project, sdk, path)
            boot(name, image, path)
            print(f"{name}: PASS", flush=True)
        print("PASS")
        return 0
    except Failure as e:
        print("FAIL:", e)
        return 1
    finally:
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
