#!/usr/bin/env python3
"""Unit test of tests/vm/initramfs.py: the archive is what Linux's initramfs unpacker reads.

    test_initramfs.py INITRAMFS_PY

Builds an archive from stand-in files twice and checks, with a reader written here from
the "newc" format (Documentation/driver-api/early-userspace/buffer-format.rst), that:
both runs give the same bytes; every header has the magic and hex fields, names and data
start 4-byte aligned; /init is a 0755 file with the script's bytes; /bin/busybox holds the
busybox bytes and the applets are symlinks to it; /dev/console is the character device
5:1; regular files have nlink 1; every parent directory precedes its entries; the archive ends with TRAILER!!!; and
no timestamp, owner or device of the build machine leaks in.
"""
import gzip
import os
import stat
import subprocess
import sys
import tempfile

FIELDS = ['ino', 'mode', 'uid', 'gid', 'nlink', 'mtime', 'filesize', 'devmajor',
          'devminor', 'rdevmajor', 'rdevminor', 'namesize', 'check']


def read_newc(data):
    entries, pos = [], 0
    while True:
        if pos % 4:
            raise AssertionError(f'header at {pos} is not 4-byte aligned')
        head = data[pos:pos + 110]
        if head[:6] != b'070701':
            raise AssertionError(f'bad magic {head[:6]!r} at {pos}')
        try:
            f = dict(zip(FIELDS, (int(head[6 + 8 * i:14 + 8 * i], 16) for i in range(13))))
        except ValueError:
            raise AssertionError(f'non-hex header field at {pos}: {head!r}')
        name_end = pos + 110 + f['namesize']
        raw_name = data[pos + 110:name_end]
        if not raw_name.endswith(b'\0') or b'\0' in raw_name[:-1]:
            raise AssertionError(f'name at {pos} is not NUL-terminated exactly once')
        name = raw_name[:-1].decode()
        body = name_end + (-name_end % 4)
        if any(data[name_end:body]):
            raise AssertionError(f'non-zero name padding after {name}')
        f['data'] = data[body:body + f['filesize']]
        if len(f['data']) != f['filesize']:
            raise AssertionError(f'{name}: archive ends inside its data')
        pos = body + f['filesize']
        pos += -pos % 4
        if name == 'TRAILER!!!':
            if any(data[pos:]):
                raise AssertionError('bytes after the trailer')
            return entries
        entries.append((name, f))


def main():
    builder = sys.argv[1]
    errors = []

    def check(cond, what):
        if not cond:
            errors.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        busybox = os.path.join(tmp, 'busybox')
        init = os.path.join(tmp, 'init')
        extra = os.path.join(tmp, 'probe')
        with open(busybox, 'wb') as f:
            f.write(b'\x7fELF stand-in busybox' + bytes(range(256)) * 3)
        with open(init, 'wb') as f:
            f.write(b'#!/bin/sh\necho hello\n')  # 22 bytes: its padding is not zero-length
        with open(extra, 'wb') as f:
            f.write(b'probe')
        os.utime(busybox, (1, 1))
        outs = []
        for run in range(2):
            out = os.path.join(tmp, f'out{run}.cpio.gz')
            subprocess.run([sys.executable, builder, out, '--busybox', busybox, '--init', init,
                            '--add', 'usr/bin/moat-probe=' + extra, '--bin', extra],
                           check=True)
            os.utime(init, (run * 1000 + 5, run * 1000 + 5))  # must not change the output
            with open(out, 'rb') as f:
                outs.append(f.read())
        check(outs[0] == outs[1], 'two builds of the same inputs differ')
        check(outs[0][4:8] == b'\0\0\0\0', 'gzip header carries a timestamp')
        check(outs[0][3] & 0x08 == 0, 'gzip header carries a file name')
        try:
            entries = read_newc(gzip.decompress(outs[0]))
        except AssertionError as e:
            print(f'FAIL: {e}')
            return 1
        by_name = dict(entries)
        seen = set()
        for name, f in entries:
            parent = os.path.dirname(name)
            check(parent == '' or parent in seen, f'{name} precedes its directory {parent}')
            seen.add(name)
            check(f['mtime'] == 0 and f['uid'] == 0 and f['gid'] == 0,
                  f'{name}: mtime/uid/gid not 0')
            check(f['devmajor'] == 0 and f['devminor'] == 0 and f['check'] == 0,
                  f'{name}: dev or check field not 0')
            # The unpacker hard-links regular files of nlink >= 2 sharing dev and ino.
            check(not stat.S_ISREG(f['mode']) or f['nlink'] == 1, f'{name}: nlink {f["nlink"]}')
        inos = [f['ino'] for _, f in entries]
        check(len(set(inos)) == len(inos), 'inode numbers repeat (the unpacker would hard-link)')

        def is_file(name, mode, content):
            f = by_name.get(name)
            check(f is not None, f'{name} missing')
            if f:
                check(stat.S_ISREG(f['mode']) and stat.S_IMODE(f['mode']) == mode,
                      f'{name}: mode {f["mode"]:o}')
                with open(content, 'rb') as c:
                    check(f['data'] == c.read(), f'{name}: content differs')

        is_file('init', 0o755, init)
        is_file('bin/busybox', 0o755, busybox)
        is_file('usr/bin/moat-probe', 0o755, extra)
        is_file('bin/probe', 0o755, extra)
        for d in ['bin', 'dev', 'proc', 'sys', 'usr', 'usr/bin']:
            check(d in by_name and stat.S_ISDIR(by_name[d]['mode']), f'directory {d} missing')
        con = by_name.get('dev/console')
        check(con is not None and stat.S_ISCHR(con['mode'])
              and (con['rdevmajor'], con['rdevminor']) == (5, 1), '/dev/console is not 5:1')
        sh = by_name.get('bin/sh')
        check(sh is not None and stat.S_ISLNK(sh['mode']) and sh['data'] == b'busybox',
              '/bin/sh is not a symlink to busybox')
    for e in errors:
        print(f'FAIL: {e}')
    if not errors:
        print(f'ok: {len(entries)} entries, deterministic')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
