#!/bin/sh
# The freestanding archive must stand alone in a subject: no undefined symbols (no
# memcpy or memset a compiler slipped in, no libc), and every API function defined.
# Usage: check_freestanding.sh LLVM_NM ARCHIVE
set -eu
nm="$1"
archive="$2"

undefined=$("$nm" --undefined-only "$archive" | grep -v -e '^$' -e ':$' || true)
if [ -n "$undefined" ]; then
    echo "undefined symbols in $archive:"
    echo "$undefined"
    exit 1
fi

defined=$("$nm" --defined-only --extern-only --format=just-symbols "$archive")
status=0
for fn in channel_writer_init channel_write channel_write_batch channel_deactivate \
          channel_reader_init channel_read channel_read_batch channel_drain \
          channel_has_data channel_lost; do
    if ! echo "$defined" | grep -qx "$fn"; then
        echo "missing from $archive: $fn"
        status=1
    fi
done
for fn in channel_map_file channel_unmap; do
    if echo "$defined" | grep -qx "$fn"; then
        echo "hosted-only $fn is in the freestanding $archive"
        status=1
    fi
done
[ $status -eq 0 ] && echo "$archive: no undefined symbols, API complete"
exit $status
