#!/usr/bin/env python3
"""Out-of-tree test: what a new user does with the installed SDK, end to end.

Installs Moat from SOURCE into a temporary prefix once, then for each project:
  template  copies sdk/template to a temporary folder outside the source tree;
  subproject  makes a native parent project with SOURCE as subprojects/moat, building
            the template's subjects and image through Moat's exported variables;
  mismatch  a subject that sees a sinfo page of another format version: it must stop
            with exit status 90003 (MOAT_SDK_EXIT_SINFO_VERSION), audited, not crash;
  hostile-log  a subject writing garbage into its log channel next to an honest one:
            every honest line whole, no escape character reaches the console;
  tutorial  extracts every file docs/tutorial.md shows (<!-- file: NAME --> before a
            fenced block) into an empty folder, and checks that each one is identical
            to examples/pingpong/NAME where that exists (meson.build excepted);
then (except for subproject) configures it with the installed cross file, builds it,
runs its host unit test, and boots the image it built with moat-run: a clean poweroff
with the expected lines.

Usage: out_of_tree.py --source SOURCE_DIR [--only NAME] [--keep]
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

PROJECTS = {
    "template": {
        "image": "system.elf",
        "expect": ["[app] app ready on CPU 0", "[app] answered 1, total 285",
                   "[feeder] all 10 replies correct, total 285"],
    },
    "subproject": {
        "image": "system.elf",
        "expect": ["[app] app ready on CPU 0", "[app] answered 1, total 285",
                   "[feeder] all 10 replies correct, total 285"],
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
                   "[ping] game over after 10 rounds", "poweroff: requested by log-server"],
    },
}


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
image_cmd = moat.get_variable('moat_image_base') + [
  '--kernel-archive', moat.get_variable('moat_kernel_archive'),
  '--kernel-ld', moat.get_variable('moat_kernel_ld')]
custom_target('system.elf', input : 'system.xml', output : 'system.elf',
  depends : elfs + [moat.get_variable('moat_log_server_elf')],
  command : image_cmd + ['@INPUT@', '-I', meson.current_build_dir(),
                         '-I', moat.get_variable('moat_log_server_dir'), '-o', '@OUTPUT@'],
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
  command : [find_program('moat-image'), '@INPUT@', '-I', meson.current_build_dir(),
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
  command : [find_program('moat-image'), '@INPUT@', '-I', meson.current_build_dir(),
             '-I', moat.get_variable(pkgconfig : 'subjectsdir'), '-o', '@OUTPUT@'],
  build_by_default : true)
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


def build_and_boot(name, project, prefix, env):
    if name == "subproject":
        check(run(["meson", "setup", "build"], env=env, cwd=project),
              f"{name}: configure a parent project with Moat as a subproject")
        check(run(["meson", "compile", "-C", "build"], env=env, cwd=project), f"{name}: build")
        check(run(["meson", "test", "-C", "build", "handler"], env=env, cwd=project),
              f"{name}: host unit test with the overridden moat-sdk-testkit")
    else:
        cross = os.path.join(prefix, "share", "moat-sdk", "moat-x86_64.ini")
        pcs = glob.glob(os.path.join(prefix, "**", "moat-sdk.pc"), recursive=True)
        if not os.path.isfile(cross) or len(pcs) != 1:
            raise Failure("the install lacks the cross file or moat-sdk.pc")
        check(run(["meson", "setup", "build", "--cross-file", cross,
                   f"-Dbuild.pkg_config_path={os.path.dirname(pcs[0])}"], env=env, cwd=project),
              f"{name}: configure against the installed SDK")
        check(run(["meson", "compile", "-C", "build"], env=env, cwd=project), f"{name}: build")
        if name not in ("mismatch", "hostile-log"):
            check(run(["meson", "test", "-C", "build"], env=env, cwd=project),
                  f"{name}: host unit test")
    image = os.path.join(project, "build", PROJECTS[name]["image"])
    if not os.path.isfile(image):
        raise Failure(f"{name}: no {image}")
    proc = run(["moat-run", image, "--timeout", "60"], env=env, capture=True)
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
    forbidden = ["PANIC"] + ([] if PROJECTS[name].get("audits") else ["audit"])
    for bad in forbidden + PROJECTS[name].get("forbid", []):
        if bad in proc.stdout:
            raise Failure(f"{name}: the log contains {bad!r}")
    print(f"{name}: PASS", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--only", choices=sorted(PROJECTS))
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    source = os.path.abspath(args.source)
    tmp = tempfile.mkdtemp(prefix="moat-oot-")
    try:
        prefix = os.path.join(tmp, "prefix")
        build = os.path.join(tmp, "moat-build")
        check(run(["meson", "setup", build, source, f"--prefix={prefix}",
                   "-Dtests=disabled", "-Dintegration=disabled"]), "configure Moat")
        check(run(["meson", "install", "-C", build, "--quiet"]), "install Moat")
        env = dict(os.environ,
                   PATH=os.path.join(prefix, "bin") + os.pathsep + os.environ["PATH"])
        for name in PROJECTS:
            if args.only and name != args.only:
                continue
            project = os.path.join(tmp, name)
            if name == "template":
                shutil.copytree(os.path.join(source, "sdk", "template"), project)
            elif name == "subproject":
                make_subproject_parent(source, project)
            elif name in ("mismatch", "hostile-log"):
                os.makedirs(project)
                files = MISMATCH_FILES if name == "mismatch" else HOSTILE_FILES
                for file_name, body in files.items():
                    with open(os.path.join(project, file_name), "w") as f:
                        f.write(body)
            else:
                extract_tutorial(source, project)
            build_and_boot(name, project, prefix, env)
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
