#!/usr/bin/env python3
"""moat-polc's drawings in a real browser: Debian's headless Chromium renders each SVG
to a PNG screenshot of the SVG's own size, and the PNG must be that size, show the
drawing's colours over a large enough area, and leave a white margin on every edge
(nothing cut off) with the content reaching near the right and bottom ones (no
oversized canvas). Skips (status 77) when Chromium is not installed.

usage: browser_check.py MOAT_POLC SOURCE_ROOT OUTDIR
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

SKIP = 77


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace != 0:
                raise ValueError(f"{path}: depth {depth} colour type {ctype} not handled")
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def near(c, want, tol=24):
    return all(abs(a - b) <= tol for a, b in zip(c, want))


def screenshot(chromium, svg, png, width, height):
    with tempfile.TemporaryDirectory() as profile:
        r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", "--no-first-run", f"--user-data-dir={profile}",
                            f"--window-size={width},{height}", f"--screenshot={png}",
                            "file://" + os.path.abspath(svg)],
                           capture_output=True, text=True, timeout=120)
    if r.returncode != 0 or not os.path.exists(png):
        raise AssertionError(f"chromium failed ({r.returncode}):\n{r.stderr[-2000:]}")


def check(png, width, height, colour, colour_name):
    w, h, rows = read_png(png)
    problems = []
    if (w, h) != (width, height):
        problems.append(f"screenshot is {w}x{h}, the SVG says {width}x{height}")
        return problems
    white = (255, 255, 255)
    inked = [(x, y) for y in range(h) for x in range(w) if not near(rows[y][x], white, 8)]
    share = len(inked) / (w * h)
    if share < 0.03:
        problems.append(f"almost blank: {share:.1%} of the pixels are not white")
    coloured = sum(1 for y in range(h) for x in range(w) if near(rows[y][x], colour))
    if coloured < 0.002 * w * h:
        problems.append(f"too little {colour_name} ({coloured} pixels): not our drawing")
    edge = 3
    if any(x < edge or y < edge or x >= w - edge or y >= h - edge for x, y in inked):
        problems.append("content touches an edge: the canvas is too small")
    right = max(x for x, _ in inked) if inked else 0
    bottom = max(y for _, y in inked) if inked else 0
    if w - right > 60 or h - bottom > 60:
        problems.append(f"content ends at ({right}, {bottom}) of {w}x{h}: canvas too large")
    return problems


def main():
    polc, root, outdir = sys.argv[1:4]
    chromium = find_chromium()
    if chromium is None:
        print("chromium not installed (Debian package 'chromium'): browser check skipped")
        return SKIP
    os.makedirs(outdir, exist_ok=True)
    failures = 0
    for policy in ("policy/tests/good/pipeline.xml", "examples/pipeline/system.xml"):
        stem = policy.split("/")[-2] if policy.endswith("system.xml") else "good-pipeline"
        for kind, colour, colour_name in (("schedule", (0xcf, 0xe0, 0xf5), "frame blue"),
                                          ("flows", (0x1f, 0x4e, 0x96), "channel blue")):
            svg = os.path.join(outdir, f"{stem}-{kind}.svg")
            png = os.path.join(outdir, f"{stem}-{kind}.png")
            subprocess.run([polc, "draw", os.path.join(root, policy), f"--{kind}", svg],
                           check=True)
            doc = ET.parse(svg).getroot()
            width, height = int(doc.get("width")), int(doc.get("height"))
            if os.path.exists(png):
                os.remove(png)
            screenshot(chromium, svg, png, width, height)
            problems = check(png, width, height, colour, colour_name)
            print(f"{png}: {width}x{height} " + ("ok" if not problems else "; ".join(problems)))
            failures += bool(problems)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
