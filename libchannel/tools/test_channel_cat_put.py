#!/usr/bin/env python3
"""Tests of channel-put and channel-cat: round trips as text and hex, what channel-stat
sees after a put, follow mode across an overrun (the lost count) and a writer restart,
and bad input: missing file, directory, corrupt header, another protocol or element
size, lines longer than an element, bad hex, usage errors; channels by name through the
Linux SDK's environment (MOAT_CHANNEL_DIR, MOAT_CHANNELS, whose shared files are never
created), a malformed MOAT_CHANNELS, and a name the environment does not know (a file
in the current folder). Overruns are made by
writing the wire format directly (docs/channel-protocol.md), so they are deterministic.

usage: test_channel_cat_put.py CHANNEL-CAT CHANNEL-PUT CHANNEL-STAT
"""
import os
import struct
import subprocess
import sys
import tempfile
import time

MARKER = 0x487312B6B79A9B6D
TEXT = "0x74657874"

failures = []


def run(args, stdin="", env=None, cwd=None):
    proc = subprocess.run(args, input=stdin.encode() if isinstance(stdin, str) else stdin,
                          capture_output=True, timeout=20, env=env, cwd=cwd)
    return proc.returncode, proc.stdout.decode(errors="replace"), \
        proc.stderr.decode(errors="replace")


def expect(name, got, want_code, want_out=None, want_err=()):
    code, out, err = got
    problems = []
    if code != want_code:
        problems.append(f"exit {code}, wanted {want_code}")
    if want_out is not None and out != want_out:
        problems.append(f"stdout {out!r}, wanted {want_out!r}")
    for text in want_err:
        if text not in err:
            problems.append(f"stderr lacks {text!r}")
    if problems:
        failures.append(f"{name}: " + "; ".join(problems) + f"\n--- stdout ---\n{out}"
                        f"--- stderr ---\n{err}")
    else:
        print(f"ok   {name}")


def header(path):
    with open(path, "rb") as f:
        return struct.unpack("<8Q", f.read(64))


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    cat, put, stat = sys.argv[1:]
    tmp = tempfile.mkdtemp()
    chan = os.path.join(tmp, "chan")

    # Create and round-trip text.
    expect("put_creates_channel_of_exact_size",
           run([put, "-p", TEXT, "-s", "16", "-n", "4", chan], "hello\nworld\n"), 0, "")
    if os.path.getsize(chan) != 64 + 16 * 4:
        failures.append(f"put_creates_channel_of_exact_size: size {os.path.getsize(chan)}")
    h = header(chan)
    if h[0] != MARKER or h[2] != 0x74657874 or h[3] != 16 or h[4] != 4 or h[7] != 2:
        failures.append(f"put_creates_channel_of_exact_size: header {h}")
    expect("cat_text_prints_lines", run([cat, "-t", chan]), 0, "hello\nworld\n")
    expect("cat_hex_is_default", run([cat, chan]), 0,
           "68656c6c6f" + "00" * 11 + "\n" + "776f726c64" + "00" * 11 + "\n")
    expect("stat_agrees_with_put", run([stat, chan]), 0, None)
    if "2 elements written" not in run([stat, chan])[1]:
        failures.append("stat_agrees_with_put: wc is not 2")

    # An existing channel keeps its geometry; a ring of 4 keeps the last 4 of 6.
    expect("put_reuses_header_and_cat_shows_the_ring",
           run([put, chan], "a\nb\nc\nd\ne\nf\n"), 0, "")
    expect("cat_after_lap_shows_oldest_still_in_ring", run([cat, "-t", chan]), 0,
           "c\nd\ne\nf\n")
    expect("cat_count_limits", run([cat, "-t", "-n", "2", chan]), 0, "c\nd\n")
    expect("cat_new_skips_the_ring", run([cat, "--new", chan]), 0, "")

    # Hex round trip of bytes text cannot carry (NUL, newline), and escaping in -t.
    expect("put_hex", run([put, "-x", chan], "00 0a ff 41\n5c01\n"), 0, "")
    expect("cat_hex_roundtrip", run([cat, "-x", chan]), 0,
           "000aff41" + "00" * 12 + "\n" + "5c01" + "00" * 14 + "\n")
    expect("cat_text_escapes_control_and_backslash", run([cat, "-t", chan]), 0, "\n\\\\\\x01\n")

    # Element too long, bad hex: stop at that line, earlier lines written.
    expect("text_line_longer_than_element",
           run([put, chan], "ok\n0123456789abcdefX\nnever\n"), 1, "",
           ["line 2: longer than an element (17 bytes, the element has 16)",
            "nothing of it written"])
    expect("only_lines_before_the_bad_one_are_written", run([cat, "-t", chan]), 0, "ok\n")
    expect("hex_line_longer_than_element", run([put, "-x", chan], "00" * 17 + "\n"), 1, "",
           ["line 1: longer than an element"])
    expect("exactly_an_element_fits", run([put, "-x", chan], "ab" * 16 + "\n"), 0, "")
    expect("bad_hex_digit", run([put, "-x", chan], "0g\n"), 1, "", ["line 1: not hex"])
    expect("odd_hex_digits", run([put, "-x", chan], "abc\n"), 1, "", ["line 1: not hex"])

    # Deactivated: cat says so.
    expect("put_deactivate", run([put, "--deactivate", chan], "x\n"), 0, "")
    expect("cat_inactive_channel", run([cat, chan]), 1, "", ["inactive"])

    # Wrong files.
    missing = os.path.join(tmp, "missing")
    expect("cat_missing_file", run([cat, missing]), 2, "", ["No such file"])
    expect("put_missing_without_geometry", run([put, missing], "x\n"), 2, "",
           ["-p PROTOCOL, -s SIZE and -n ELEMENTS are needed"])
    expect("put_missing_without_count", run([put, "-p", "1", "-s", "8", missing], "x\n"), 2, "",
           ["creating it needs"])
    if os.path.exists(missing):
        failures.append("put_missing_without_count: left a file behind")
    expect("cat_directory", run([cat, tmp]), 2, "", ["not a regular file"])
    expect("put_directory", run([put, "-p", "1", "-s", "8", "-n", "2", tmp], ""), 2, "",
           ["not a regular file"])

    corrupt = os.path.join(tmp, "corrupt")
    data = struct.pack("<8Q", 0x0123456789ABCDEF, 1, 1, 16, 4, 0, 0, 0) + b"\0" * 64
    with open(corrupt, "wb") as f:
        f.write(data)
    expect("cat_corrupt_header", run([cat, corrupt]), 2, "", ["is not a channel"])
    expect("put_refuses_corrupt_header", run([put, "-p", "1", "-s", "16", corrupt], "x\n"), 2,
           "", ["is not a channel"])
    with open(corrupt, "rb") as f:
        if f.read() != data:
            failures.append("put_refuses_corrupt_header: the file was modified")
    expect("cat_blank_header_needs_geometry", run([cat, os.devnull]), 2, "",
           ["not a regular file"])
    blank = os.path.join(tmp, "blank")
    with open(blank, "wb") as f:
        f.write(b"\0" * 128)
    expect("cat_blank_file", run([cat, blank]), 2, "", ["not initialised"])

    expect("put_other_protocol", run([put, "-p", "5", chan], "x\n"), 2, "",
           ["header says 0x74657874, asked for 0x5"])
    expect("cat_other_element_size", run([cat, "-s", "8", chan]), 2, "",
           ["header says 16 bytes, asked for 8"])
    expect("put_other_element_count", run([put, "-n", "5", chan], "x\n"), 2, "",
           ["the file has 128 bytes, but a channel of 5 x 16-byte elements is 64 + 5 x 16 = 144"])
    # A header claiming more elements than the file holds: the reader refuses it.
    big = os.path.join(tmp, "big")
    with open(big, "wb") as f:
        f.write(struct.pack("<8Q", MARKER, 1, 1, 16, 100, 0, 1, 1) + b"\0" * 64)
    expect("cat_header_beyond_file", run([cat, big]), 1, "", ["does not match"])

    # Usage.
    expect("cat_no_file", run([cat]), 2, "", ["usage: channel-cat"])
    expect("put_two_files", run([put, chan, chan]), 2, "", ["usage: channel-put"])
    expect("cat_bad_count", run([cat, "-n", "x", chan]), 2, "", ["wants a nonzero number"])
    expect("put_zero_size", run([put, "-s", "0", chan]), 2, "", ["wants a nonzero number"])
    expect("cat_help", run([cat, "--help"]), 0, None)

    follow_overrun(cat, put, tmp)
    follow_restart(cat, put, tmp)
    by_name(cat, put, stat, tmp)

    for f in failures:
        print(f"FAIL {f}")
    return 1 if failures else 0


def start_follow(cat, args):
    return subprocess.Popen([cat] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def follow_overrun(cat, put, tmp):
    """cat -f has read element 0; the writer then writes 10 more into a ring of 4."""
    chan = os.path.join(tmp, "lap")
    run([put, "-p", TEXT, "-s", "8", "-n", "4", chan], "first\n")
    proc = start_follow(cat, ["-f", "-t", "-n", "3", chan])
    first = proc.stdout.readline()
    # Elements 1..10 as a writer leaves them: 7..10 in slots 3, 0, 1, 2; wsc = wc = 11.
    with open(chan, "r+b") as f:
        for n in range(7, 11):
            f.seek(64 + (n % 4) * 8)
            f.write(f"x{n}".encode().ljust(8, b"\0"))
        f.seek(48)
        f.write(struct.pack("<2Q", 11, 11))
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    expect("follow_reports_lost_elements",
           (proc.returncode, first.decode() + out.decode(), err.decode()), 0,
           "first\nx7\nx8\n",
           ["lost 6 element(s) (overrun)", "3 element(s) printed, 6 lost in 1 overrun(s)"])


def by_name(cat, put, stat, tmp):
    """The tools find a channel by name where MOAT_CHANNELS or MOAT_CHANNEL_DIR name it."""
    folder = os.path.join(tmp, "named")
    os.mkdir(folder)
    base = {k: v for k, v in os.environ.items() if not k.startswith("MOAT_CHANNEL")}
    env = dict(base, MOAT_CHANNEL_DIR=folder)
    expect("put_by_name_in_channel_dir",
           run([put, "-p", TEXT, "-s", "16", "-n", "4", "sensor.up"], "hi\n", env=env), 0, "")
    if os.path.getsize(os.path.join(folder, "sensor.up")) != 64 + 4 * 16:
        failures.append("put_by_name_in_channel_dir: not DIR/NAME of the ring's size")
    expect("cat_by_name_in_channel_dir", run([cat, "-t", "sensor.up"], env=env), 0, "hi\n")
    code, out, err = run([stat, "sensor.up"], env=env)
    expect("stat_by_name_in_channel_dir", (code, "", err), 0)
    if f"channel {folder}/sensor.up (" not in out:
        failures.append(f"stat_by_name_in_channel_dir: {out!r}")
    # MOAT_CHANNELS wins, and its file is never created.
    shared = os.path.join(tmp, "shared.chan")
    env = dict(base, MOAT_CHANNEL_DIR=folder, MOAT_CHANNELS=f"x=/nowhere,sensor.up={shared}")
    expect("put_never_creates_a_shared_file",
           run([put, "-p", TEXT, "-s", "16", "-n", "4", "sensor.up"], "hi\n", env=env), 2, "",
           ["moat-run --share sensor.up=" + shared])
    if os.path.exists(shared):
        failures.append("put_never_creates_a_shared_file: it made the file")
    os.rename(os.path.join(folder, "sensor.up"), shared)
    expect("put_by_name_on_a_shared_file", run([put, "sensor.up"], "again\n", env=env), 0, "")
    expect("cat_by_name_on_a_shared_file", run([cat, "-t", "sensor.up"], env=env), 0, "again\n")
    expect("stat_by_name_on_a_shared_file", run([stat, "sensor.up"], env=env)[:1] + ("", ""), 0)
    env = dict(base, MOAT_CHANNELS="sensor.up")
    for tool in (cat, put, stat):
        expect(f"{os.path.basename(tool)}_malformed_channel_list",
               run([tool, "sensor.up"], env=env), 2, "", ["MOAT_CHANNELS is not NAME=FILE"])
    # Not named by the environment: a file in the current folder.
    expect("cat_unknown_name_is_a_file_here",
           run([os.path.abspath(cat), "-t", "shared.chan"], env=base, cwd=tmp),
           0, "again\n")


def follow_restart(cat, put, tmp):
    """cat -f follows a new writer (new epoch) on the same file."""
    chan = os.path.join(tmp, "restart")
    run([put, "-p", TEXT, "-s", "8", "-n", "4", chan], "one\n")
    proc = start_follow(cat, ["-f", "-t", "-n", "2", chan])
    first = proc.stdout.readline()
    time.sleep(0.05)
    run([put, chan], "two\n")
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    expect("follow_sees_writer_restart",
           (proc.returncode, first.decode() + out.decode(), err.decode()), 0,
           "one\ntwo\n", ["the writer restarted the channel"])


if __name__ == "__main__":
    sys.exit(main())
