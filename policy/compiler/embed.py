#!/usr/bin/env python3
"""Embeds a file into a C source as a byte array (used for the policy schema, so
moat-polc validates without finding moat.xsd on disk)."""
import sys

src, dst, symbol = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
with open(dst, "w") as out:
    out.write("/* Generated from %s by embed.py; do not edit. */\n" % src.split("/")[-1])
    out.write("#include <stddef.h>\n\n")
    out.write("extern const unsigned char %s[];\n" % symbol)
    out.write("extern const size_t %s_size;\n\n" % symbol)
    out.write("const unsigned char %s[] = {\n" % symbol)
    for i in range(0, len(data), 16):
        out.write("    " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
    out.write("    0x00,\n};\n")
    out.write("const size_t %s_size = %d;\n" % (symbol, len(data)))
