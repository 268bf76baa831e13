#!/usr/bin/env python3
"""Writes the policy of tests/systems/many: COUNT subjects of one image (chain.elf) on one
CPU, each waiting for an event from the one before and sending one to the one after, the
last reporting through the log server and powering off.

Usage: gen_many.py OUT.xml COUNT
"""
import sys


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    last = count - 1
    lines = ['<?xml version="1.0"?>', '<system name="many">',
             '  <platform cpus="1" memory="256M"/>', "  <subjects>"]
    lines += [f'    <subject name="c{i}" cpu="0" image="chain.elf" stack-size="16K"/>'
              for i in range(count)]
    lines += ['    <subject name="log-server" cpu="0" image="log-server.elf">',
              '      <ioport name="com1" base="0x3f8" count="8"/>', "    </subject>",
              "  </subjects>", "  <channels>",
              f'    <channel name="c{last}.log" size="8K" element-size="128" protocol="0x6d6c6f67">',
              f'      <writer subject="c{last}"/>', '      <reader subject="log-server"/>',
              "    </channel>", '    <kernel-log reader="log-server" size="16K"/>',
              "  </channels>", "  <events>"]
    lines += [f'    <event name="e{i}" from="c{i}" to="c{i + 1}"/>' for i in range(last)]
    lines += [f'    <event name="done" from="c{last}" action="poweroff"/>', "  </events>",
              '  <scheduling tick="100us">', '    <plan name="chain">', '      <cpu id="0">']
    lines += [f'        <frame subject="c{i}" ticks="1"/>' for i in range(count)]
    lines += ['        <frame subject="log-server" ticks="10"/>', "      </cpu>", "    </plan>",
              "  </scheduling>", "</system>"]
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
