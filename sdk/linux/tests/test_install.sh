#!/bin/sh
# A Linux program builds against the installed Linux SDK with nothing but
# `pkg-config --cflags --libs moat-linux`: install the build into a temporary DESTDIR,
# compile a program that writes and reads a channel by name (MOAT_CHANNEL_DIR), and run
# it with no LD_LIBRARY_PATH (the rpath in the .pc's Libs finds libmoat-linux.so.1 and
# libchannel.so.4 where they were installed), then linked statically.
# Usage: test_install.sh MESON PKG_CONFIG BUILD_DIR CC [CC_ARGS...]
set -eu
meson="$1"
pkg_config="$2"
build="$3"
shift 3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
"$meson" install -C "$build" --no-rebuild --skip-subprojects --quiet --destdir "$root" \
    >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; echo "meson install failed"; exit 1; }
pc=$(find "$root" -name moat-linux.pc | head -n 1)
[ -n "$pc" ] || { echo "moat-linux.pc was not installed"; exit 1; }
export PKG_CONFIG_LIBDIR="$(dirname "$pc")"
export PKG_CONFIG_PATH=""
cflags=$("$pkg_config" --cflags moat-linux)
libs=$("$pkg_config" --libs moat-linux)
echo "cflags: $cflags"
echo "libs:   $libs"

cat >"$tmp/prog.c" <<'PROG'
#include <moat-linux.h>
#include <stdio.h>

int main(void)
{
    struct moat_linux_channel wc, rc;
    struct channel_writer w;
    struct channel_reader r;
    char out[16] = {0};
    char msg[512];
    int err = moat_linux_writer(&wc, &w, "hello", 7, 16, 4, moat_linux_epoch());

    if (err != 0 || (err = moat_linux_reader(&rc, &r, "hello", 7, 16)) != 0) {
        fprintf(stderr, "%s\n", moat_linux_message(&wc, err, msg, sizeof(msg)));
        return 1;
    }
    channel_write(&w, "hello, by name!");
    if (channel_read(&r, out) != CHANNEL_EPOCH_CHANGED || channel_read(&r, out) != CHANNEL_SUCCESS) {
        return 1;
    }
    puts(out);
    return 0;
}
PROG
unset LD_LIBRARY_PATH
export MOAT_CHANNEL_DIR="$tmp"
# shellcheck disable=SC2086
"$@" -o "$tmp/prog" "$tmp/prog.c" $cflags $libs
out=$("$tmp/prog") || { echo "the shared build did not run without LD_LIBRARY_PATH"; exit 1; }
[ "$out" = "hello, by name!" ] || { echo "shared build printed '$out'"; exit 1; }
libdir=$("$pkg_config" --variable=libdir moat-linux)
ldd "$tmp/prog" | grep -q "libmoat-linux.so.1 => $libdir" ||
    { ldd "$tmp/prog"; echo "libmoat-linux.so.1 not found in the install's $libdir"; exit 1; }
rm -f "$tmp/hello"
# shellcheck disable=SC2086
"$@" -o "$tmp/prog-static" "$tmp/prog.c" $cflags \
    "$libdir/libmoat-linux.a" "$libdir/libchannel.a"
out=$("$tmp/prog-static")
[ "$out" = "hello, by name!" ] || { echo "static build printed '$out'"; exit 1; }
echo "ok: shared (rpath) and static builds run"
