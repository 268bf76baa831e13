#!/usr/bin/env python3
"""Tests of channel-stat: a good channel file in each state, one bad file per kind of
defect, and usage/I/O errors. Channel files are built here from the wire format
(docs/channel-protocol.md), independently of libchannel.

usage: test_channel_stat.py PATH-TO-channel-stat
"""
import os
import struct
import subprocess
import sys
import tempfile

MARKER = 0x487312B6B79A9B6D
HEADER = 64

failures = []


def channel_bytes(transport=MARKER, epoch=0x1234, protocol=0x77, size=64, elements=16,
                  reserved=0, wsc=0, wc=0, file_size=None, slot_fill=b"\xab"):
    """A channel file: header then elements*size bytes of slots (or file_size bytes)."""
    header = struct.pack("<8Q", transport, epoch, protocol, size, elements, reserved, wsc, wc)
    if file_size is None:
        file_size = HEADER + size * elements
    body = slot_fill * (file_size - HEADER)
    return header + body


def run(tool, args):
    proc = subprocess.run([tool] + args, capture_output=True, text=True, timeout=10)
    return proc.returncode, proc.stdout + proc.stderr


def check(name, tool, path_or_args, want_code, want_texts, data=None):
    """Run channel-stat on data written to a file (or on explicit args)."""
    with tempfile.TemporaryDirectory() as tmp:
        if data is not None:
            path = os.path.join(tmp, "chan")
            with open(path, "wb") as f:
                f.write(data)
            before = os.stat(path)
            code, out = run(tool, [path])
            after = os.stat(path)
            with open(path, "rb") as f:
                if f.read() != data or before.st_mtime_ns != after.st_mtime_ns:
                    failures.append(f"{name}: channel-stat modified the file")
        else:
            code, out = run(tool, [a.replace("@TMP@", tmp) for a in path_or_args])
    problems = []
    if code != want_code:
        problems.append(f"exit {code}, wanted {want_code}")
    for text in want_texts:
        if text not in out:
            problems.append(f"output lacks {text!r}")
    if problems:
        failures.append(f"{name}: " + "; ".join(problems) + "\n--- output ---\n" + out)
    else:
        print(f"ok   {name}")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    tool = sys.argv[1]

    # Well-formed channels.
    check("good_active_channel_reports_ok", tool, None, 0,
          ["status: ok, active", "epoch 0x0000000000001234", "64 bytes x 16 elements",
           "no write in progress", "5 of 16 slots hold data", "elements 0 to 4"],
          channel_bytes(wsc=5, wc=5))
    check("good_inactive_channel_reports_inactive", tool, None, 0,
          ["status: ok, inactive", "state      inactive"],
          channel_bytes(epoch=0))
    check("fresh_channel_has_nothing_readable", tool, None, 0,
          ["0 of 16 slots hold data", "nothing readable"],
          channel_bytes())
    check("write_in_progress_is_reported", tool, None, 0,
          ["a write of 1 element(s) is in progress"],
          channel_bytes(wsc=8, wc=7))
    check("lapped_ring_shows_laps_and_readable_window", tool, None, 0,
          ["next slot 4, 2 full lap(s)", "16 of 16 slots hold data",
           "elements 21 to 35"],
          channel_bytes(wsc=37, wc=36))
    check("counters_near_2_64_are_fine", tool, None, 0,
          ["status: ok"],
          channel_bytes(wsc=2**64 - 2, wc=2**64 - 2))
    check("spare_bytes_after_last_slot_are_a_note", tool, None, 0,
          ["200 bytes after the last slot are unused", "status: ok"],
          channel_bytes(size=100, elements=3, file_size=HEADER + 500))

    # One bad file per defect.
    check("empty_file_is_too_small", tool, None, 1,
          ["too small for the 64-byte header", "status: bad channel"], b"")
    check("short_file_is_too_small", tool, None, 1,
          ["(63 bytes) is too small"], channel_bytes()[:63])
    check("all_zero_file_is_uninitialised", tool, None, 1,
          ["all zero: no writer has initialised"], bytes(4096))
    check("bad_marker", tool, None, 1,
          ["bad marker: 0x0123456789abcdef is not the SHMStream v2 marker"],
          channel_bytes(transport=0x0123456789ABCDEF))
    swapped = int.from_bytes(MARKER.to_bytes(8, "little"), "big")
    check("byte_swapped_marker", tool, None, 1,
          ["byte-swapped"], channel_bytes(transport=swapped))
    check("protocol_zero", tool, None, 1,
          ["protocol is 0"], channel_bytes(protocol=0))
    check("element_size_zero", tool, None, 1,
          ["element size is 0"], channel_bytes(size=0, elements=16, file_size=4096))
    check("element_count_zero", tool, None, 1,
          ["element count is 0"], channel_bytes(elements=0, file_size=4096))
    check("elements_times_size_overflows", tool, None, 1,
          ["overflows 64 bits"],
          channel_bytes(size=2**33, elements=2**31, file_size=4096))
    check("header_plus_slots_overflows", tool, None, 1,
          ["overflows 64 bits"],
          channel_bytes(size=1, elements=2**64 - 8, file_size=4096))
    check("slots_do_not_fit_file", tool, None, 1,
          ["do not fit the file: the header says 1088 bytes (64 + 16 x 64) but the file "
           "has 1087"],
          channel_bytes(file_size=HEADER + 16 * 64 - 1))
    check("reserved_nonzero", tool, None, 1,
          ["reserved field is 0x5"], channel_bytes(reserved=5))
    check("wsc_behind_wc", tool, None, 1,
          ["wsc < wc"], channel_bytes(wsc=3, wc=4))
    check("every_problem_is_counted", tool, None, 1,
          ["protocol is 0", "reserved field", "wsc < wc", "status: bad channel (3 problems)"],
          channel_bytes(protocol=0, reserved=1, wsc=0, wc=1))

    # Usage and I/O errors.
    check("no_argument_is_usage_error", tool, [], 2, ["usage: channel-stat FILE"])
    check("two_arguments_is_usage_error", tool, ["a", "b"], 2, ["usage:"])
    check("help_exits_zero", tool, ["--help"], 0, ["usage:"])
    check("missing_file_is_io_error", tool, ["@TMP@/nope"], 2, ["No such file"])
    check("directory_is_io_error", tool, ["@TMP@"], 2, ["not a regular file"])

    for f in failures:
        print(f"FAIL {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
