#!/bin/sh
# Runs a libFuzzer target for a bounded time as a meson test. New corpus entries and
# crash artifacts go to WORK_DIR (in the build tree); the committed seeds are only read.
# Usage: run_fuzz.sh FUZZER SECONDS SEED_DIR WORK_DIR
set -eu
fuzzer="$1"
seconds="$2"
seeds="$3"
work="$4"

if [ "$seconds" -eq 0 ]; then
    echo "fuzz_seconds is 0: skipped"
    exit 77
fi
mkdir -p "$work/corpus" "$work/artifacts"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds"
