#!/usr/bin/env python3
"""Writes the bad policies that cross the ABI's size limits (too big to keep in bad/).

Each states on its first line the message moat-polc must give, as the files in bad/ do
("expect: LINE: MESSAGE"); test_checks reads them from OUTDIR. The limits are read from
the ABI header (kernel/include/moat/abi/tables.h).
Usage: gen_limits.py OUTDIR TABLES_H
"""
import re
import sys


def limit(header, name):
    return int(re.search(rf"#define {name}\s+(\d+)", header).group(1))


def write(path, comment, expect_line, message, lines):
    with open(path, "w") as f:
        f.write(f"<!-- {comment}  expect: {expect_line}: {message} -->\n")
        f.write("\n".join(lines) + "\n")


def too_many_subjects(out, max_subjects):
    # One more subject than the limit, spread over two CPUs so no CPU has too many frames.
    count = max_subjects + 1
    lines = ['<system name="t">', '  <platform cpus="2" memory="4G"/>', "  <subjects>"]
    first = len(lines) + 2  # line of subject 0 (the comment is line 1)
    for i in range(count):
        lines.append(f'    <subject name="s{i}" cpu="{i % 2}" image="good.elf" stack-size="4K"/>')
    lines += ["  </subjects>", '  <scheduling tick="100us">', '    <plan name="p">']
    for cpu in range(2):
        lines.append(f'      <cpu id="{cpu}">')
        lines += [f'        <frame subject="s{i}" ticks="1"/>' for i in range(cpu, count, 2)]
        if count % 2 == 1 and cpu == 1:
            lines.append('        <idle ticks="1"/>')
        lines.append("      </cpu>")
    lines += ["    </plan>", "  </scheduling>", "</system>"]
    write(f"{out}/too_many_subjects.xml", f"{count} subjects, the ABI's limit is {max_subjects}.",
          first + max_subjects, f"too many subjects: {count} (at most {max_subjects})", lines)


def two_subjects(memory):
    """The start of a policy with subjects 'a' and 'b' on CPU 0."""
    return ['<system name="t">', f'  <platform cpus="1" memory="{memory}"/>', "  <subjects>",
            '    <subject name="a" cpu="0" image="good.elf"/>',
            '    <subject name="b" cpu="0" image="good.elf"/>', "  </subjects>"]


def too_many_frames(out, max_frames):
    count = max_frames + 2
    lines = two_subjects("64M") + ['  <scheduling tick="100us">', '    <plan name="p">',
                                   '      <cpu id="0">']
    first = len(lines) + 2
    lines += [f'        <frame subject="{"ab"[i % 2]}" ticks="1"/>' for i in range(count)]
    lines += ["      </cpu>", "    </plan>", "  </scheduling>", "</system>"]
    write(f"{out}/too_many_frames.xml", "more minor frames than the ABI allows per CPU.",
          first + max_frames, f"plan 'p': cpu 0 has {count} frames (at most {max_frames})", lines)


def too_many_channels(out, max_channels):
    count = max_channels + 1
    lines = two_subjects("1G") + ["  <channels>"]
    first = len(lines) + 2
    lines += [f'    <channel name="c{i}" size="4K" element-size="64"><writer subject="a"/>'
              f'<reader subject="b"/></channel>' for i in range(count)]
    lines += ["  </channels>", '  <scheduling tick="100us">', '    <plan name="p">',
              '      <cpu id="0"><frame subject="a" ticks="1"/><frame subject="b" ticks="1"/>'
              "</cpu>", "    </plan>", "  </scheduling>", "</system>"]
    write(f"{out}/too_many_channels.xml", "more channels than the ABI allows.",
          first + max_channels, f"too many channels: {count} (at most {max_channels})", lines)


def too_many_physical_ranges(out, max_regions):
    # Pinned 4K memories with a page between them, 30 per subject (its writable image
    # segment, its stack and 30 memories are the 32 reset steps a subject may have), far
    # above the allocated regions, which form one more range.
    pinned = max_regions
    per_subject = 30
    subjects = (pinned + per_subject - 1) // per_subject
    base = 0x40000000
    lines = ['<system name="t">', '  <platform cpus="1" memory="2G"/>', "  <subjects>"]
    m = 0
    for s in range(subjects):
        mems = "".join(f'<memory name="m{j}" size="4K" paddr="{base + (m + j) * 0x2000:#x}"/>'
                       for j in range(min(per_subject, pinned - m)))
        m += min(per_subject, pinned - m)
        lines.append(f'    <subject name="s{s}" cpu="0" image="good.elf" stack-size="4K">'
                     f"{mems}</subject>")
    lines += ["  </subjects>", '  <scheduling tick="100us">', '    <plan name="p">',
              '      <cpu id="0">']
    lines += [f'        <frame subject="s{s}" ticks="1"/>' for s in range(subjects)]
    lines += ["      </cpu>", "    </plan>", "  </scheduling>", "</system>"]
    write(f"{out}/too_many_physical_ranges.xml",
          "more separate physical ranges than the kernel's memory-map check takes.", 3,
          f"the policy's regions form {pinned + 1} separate physical ranges; the kernel checks "
          f"at most {max_regions}", lines)


def main():
    out = sys.argv[1]
    with open(sys.argv[2]) as f:
        header = f.read()
    too_many_subjects(out, limit(header, "MOAT_MAX_SUBJECTS"))
    too_many_frames(out, limit(header, "MOAT_MAX_FRAMES_PER_CPU"))
    too_many_channels(out, limit(header, "MOAT_MAX_CHANNELS"))
    too_many_physical_ranges(out, limit(header, "MOAT_MAX_REGIONS"))


if __name__ == "__main__":
    main()
