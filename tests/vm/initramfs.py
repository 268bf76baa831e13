#!/usr/bin/env python3
"""Builds a guest initramfs: a gzip-compressed cpio archive in the "newc" format.

    initramfs.py OUT.cpio.gz --busybox BUSYBOX --init INIT [--bin FILE]... [--add DEST=SRC]...

The archive holds /bin/busybox (with a symlink per applet /init uses, so no
`--install` is needed at run time), /init (the script, mode 0755), each --bin FILE as
/bin/<its name> and each --add SRC at DEST (mode 0755), the directories they need, /dev/console and the mount points /proc,
/sys and /dev. It is deterministic: entries are sorted, every timestamp, owner and inode
number is fixed, and the gzip header carries no time or name, so the same inputs give
the same bytes (tests/vm/test_initramfs.py checks it).
"""
import argparse
import gzip
import io
import os
import stat
import sys

# Applets /init scripts may call by name; each is a symlink to /bin/busybox.
APPLETS = ['sh', 'mount', 'umount', 'echo', 'cat', 'dd', 'ls', 'mkdir', 'mknod', 'sleep',
           'poweroff', 'reboot', 'halt', 'uname', 'dmesg', 'hexdump', 'od', 'true', 'false',
           'test', '[', 'printf', 'grep', 'head', 'tail', 'sync', 'seq', 'wc', 'rm', 'ln',
           'tr', 'devmem', 'cut', 'expr']

NEWC_MAGIC = b'070701'
TRAILER = 'TRAILER!!!'


def newc_entry(name, mode, data=b'', ino=0, rdev=(0, 0), nlink=1):
    """One newc record: 110-byte ASCII header, NUL-terminated name padded to 4, data padded to 4."""
    namez = name.encode() + b'\0'
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(namez), 0]
    header = NEWC_MAGIC + b''.join(b'%08X' % f for f in fields)
    out = header + namez
    out += b'\0' * (-len(out) % 4)
    out += data
    out += b'\0' * (-len(out) % 4)
    return out


def build(entries):
    """entries: {path without leading '/': (mode, data, rdev)} -> cpio bytes."""
    buf = io.BytesIO()
    for ino, name in enumerate(sorted(entries), start=1):
        mode, data, rdev = entries[name]
        buf.write(newc_entry(name, mode, data, ino=ino, rdev=rdev,
                             nlink=2 if stat.S_ISDIR(mode) else 1))
    buf.write(newc_entry(TRAILER, 0))
    return buf.getvalue()


def add_dirs(entries, path):
    parts = path.split('/')[:-1]
    for i in range(1, len(parts) + 1):
        entries.setdefault('/'.join(parts[:i]), (stat.S_IFDIR | 0o755, b'', (0, 0)))


def gzip_bytes(data):
    out = io.BytesIO()
    # mtime=0 and no file name: the gzip header is the same on every run.
    with gzip.GzipFile(filename='', mode='wb', fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return out.getvalue()


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as e:
        sys.exit(f'initramfs.py: cannot read {path}: {e.strerror}'
                 ' (the guest assets come from scripts/install-deps)')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('out')
    ap.add_argument('--busybox', required=True)
    ap.add_argument('--init', required=True)
    ap.add_argument('--bin', action='append', default=[], metavar='FILE')
    ap.add_argument('--add', action='append', default=[], metavar='DEST=SRC')
    args = ap.parse_args()
    args.add += ['bin/' + os.path.basename(f) + '=' + f for f in args.bin]

    entries = {}
    for d in ['bin', 'dev', 'proc', 'sys', 'tmp']:
        entries[d] = (stat.S_IFDIR | 0o755, b'', (0, 0))
    entries['dev/console'] = (stat.S_IFCHR | 0o600, b'', (5, 1))
    entries['bin/busybox'] = (stat.S_IFREG | 0o755, read(args.busybox), (0, 0))
    for applet in APPLETS:
        entries['bin/' + applet] = (stat.S_IFLNK | 0o777, b'busybox', (0, 0))
    entries['init'] = (stat.S_IFREG | 0o755, read(args.init), (0, 0))
    for spec in args.add:
        dest, sep, src = spec.partition('=')
        dest = dest.strip('/')
        if not sep or not dest or not src:
            sys.exit(f'initramfs.py: --add wants DEST=SRC, not {spec!r}')
        add_dirs(entries, dest)
        entries[dest] = (stat.S_IFREG | 0o755, read(src), (0, 0))

    data = gzip_bytes(build(entries))
    tmp = args.out + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, args.out)


if __name__ == '__main__':
    main()
