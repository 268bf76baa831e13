#!/bin/bash
# Runs the linux-stream demo: one writer and two readers (one fast, one deliberately
# slow) on a temporary channel file, progress once a second, a summary at the end and
# channel-stat on the file. Exits 0 when every reader received data and saw nothing
# corrupt or miscounted. Used by scripts/demo and by the meson test linux-stream-demo.
#
# usage: run-demo.sh WRITER READER CHANNEL_STAT [SECONDS]
set -uo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
    echo "usage: $0 WRITER READER CHANNEL_STAT [SECONDS]" >&2
    exit 2
fi
writer="$1"
reader="$2"
channel_stat="$3"
seconds="${4:-3}"
rate=100000

tmp="$(mktemp -d "${TMPDIR:-/tmp}/moat-demo.XXXXXX")"
reader_pids=()
cleanup() {
    for pid in "${reader_pids[@]}"; do
        kill "$pid" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
chan="$tmp/stream.chan"

cat <<EOF
== linux-stream demo ==
One writer streams 64-byte, sequence-numbered, checksummed elements into the channel
file $chan
($rate elements/s for ${seconds}s). Two readers map it read-only: 'fast' keeps up,
'slow' pauses 2 ms after every 64 elements, so the writer laps it. The writer never
waits for a reader: the slow one loses elements, and counts exactly how many.

EOF

"$reader" --name fast "$chan" &
reader_pids+=($!)
"$reader" --name slow --delay-us 2000 "$chan" &
reader_pids+=($!)

status=0
if ! "$writer" --seconds "$seconds" --rate "$rate" "$chan"; then
    echo "demo: the writer failed" >&2
    status=1
fi
for pid in "${reader_pids[@]}"; do
    if ! wait "$pid"; then
        echo "demo: a reader reported a problem (see its lines above)" >&2
        status=1
    fi
done
reader_pids=()

echo
echo "== channel-stat $chan =="
"$channel_stat" "$chan" || status=1
echo
if [ "$status" -eq 0 ]; then
    echo "demo: ok: both readers received data, nothing corrupt, every loss counted"
else
    echo "demo: FAILED"
fi
exit "$status"
