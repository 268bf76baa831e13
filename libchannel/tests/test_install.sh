#!/bin/sh
# An outside program builds against the installed library: install the build into a
# temporary DESTDIR, find libchannel.pc there, and compile and run a small program with
# nothing but `pkg-config --cflags --libs libchannel`, linked shared and static. The
# shared one runs without LD_LIBRARY_PATH (the rpath in the .pc's Libs).
# Usage: test_install.sh MESON PKG_CONFIG BUILD_DIR CC [CC_ARGS...]
set -eu
meson="$1"
pkg_config="$2"
build="$3"
shift 3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"

"$meson" install -C "$build" --no-rebuild --skip-subprojects --quiet --destdir "$root" >"$tmp/install.log" 2>&1 || {
    cat "$tmp/install.log"
    echo "meson install failed"
    exit 1
}
pc=$(find "$root" -name libchannel.pc | head -n 1)
if [ -z "$pc" ]; then
    echo "libchannel.pc was not installed"
    exit 1
fi
# Only the installed tree, with its paths re-rooted under DESTDIR.
export PKG_CONFIG_LIBDIR="$(dirname "$pc")"
export PKG_CONFIG_PATH=""
export PKG_CONFIG_SYSROOT_DIR="$root"
cflags=$("$pkg_config" --cflags libchannel)
libs=$("$pkg_config" --libs libchannel)
# From -L, which every pkg-config re-roots (not all of them re-root --variable).
libdir=$("$pkg_config" --libs-only-L libchannel | sed 's/^ *-L//; s/ .*//')
echo "cflags: $cflags"
echo "libs:   $libs"

cat >"$tmp/prog.c" <<'PROG'
#include <libchannel.h>
#include <stdio.h>

static _Alignas(8) unsigned char mem[64 + 4 * 16];

int main(void)
{
    struct channel_writer w;
    struct channel_reader r;
    char out[16] = {0};

    if (channel_writer_init(&w, mem, sizeof(mem), 7, 16, 1) != 0 ||
        channel_reader_init(&r, mem, sizeof(mem), 7, 16) != 0 ||
        channel_read(&r, out) != CHANNEL_EPOCH_CHANGED) {
        return 1;
    }
    channel_write(&w, "hello, channel!");
    if (channel_read(&r, out) != CHANNEL_SUCCESS) {
        return 1;
    }
    puts(out);
    return 0;
}
PROG

# Shared, as after `meson setup --prefix P && meson install`: its -L and its rpath must
# name the installed lib directory. A relocatable .pc (prefix=${pcfiledir}/..., the
# default since the top meson.build sets pkgconfig.relocatable) does so where it lies;
# one from a build folder configured before has its absolute prefix moved under DESTDIR.
# The program must run with no LD_LIBRARY_PATH: the rpath in Libs is what finds
# libchannel.so.4.
prefix=$(PKG_CONFIG_SYSROOT_DIR= "$pkg_config" --variable=prefix libchannel)
case "$prefix" in
"$root"/*) moved_prefix="$prefix" ;;
*) moved_prefix="$root$prefix" ;;
esac
moved_libs=$(PKG_CONFIG_SYSROOT_DIR= "$pkg_config" --define-variable=prefix="$moved_prefix" \
    --libs libchannel)
moved_cflags=$(PKG_CONFIG_SYSROOT_DIR= "$pkg_config" --define-variable=prefix="$moved_prefix" \
    --cflags libchannel)
echo "libs (prefix $moved_prefix): $moved_libs"
case "$moved_libs" in
*"-Wl,-rpath,$libdir"*) ;;
*) echo "shared: Libs has no -Wl,-rpath,$libdir"; exit 1 ;;
esac
# shellcheck disable=SC2086 # cflags and libs are word lists
"$@" -o "$tmp/prog-shared" "$tmp/prog.c" $moved_cflags $moved_libs
out=$(env -u LD_LIBRARY_PATH "$tmp/prog-shared") || {
    echo "shared: the program does not run without LD_LIBRARY_PATH (rpath missing?)"
    exit 1
}
[ "$out" = "hello, channel!" ] || { echo "shared: unexpected output '$out'"; exit 1; }
if ! env -u LD_LIBRARY_PATH ldd "$tmp/prog-shared" | grep -q "$libdir/libchannel.so"; then
    echo "shared: did not load the installed libchannel.so"
    exit 1
fi

# shellcheck disable=SC2086
"$@" -o "$tmp/prog-static" "$tmp/prog.c" $cflags "$libdir/libchannel.a"
out=$("$tmp/prog-static")
[ "$out" = "hello, channel!" ] || { echo "static: unexpected output '$out'"; exit 1; }
echo "installed libchannel works from pkg-config, shared (by its rpath) and static"
