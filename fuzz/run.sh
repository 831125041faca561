#!/bin/sh
# fuzz/run.sh TARGET SECONDS: fuzz the reader for SECONDS, starting
# from fuzz/corpus plus every tests/data/*.pcg, into build/fuzz/corpus.
# Exits non-zero when libFuzzer found a crash, leak, timeout or sanitizer
# report; the input is in build/fuzz/ (crash-*, leak-*, timeout-*, oom-*).
set -eu
target=$1
secs=${2:-60}
dir=build/fuzz
mkdir -p "$dir/corpus"
cp fuzz/corpus/* "$dir/corpus/"
for f in tests/data/*.pcg; do
	[ -f "$f" ] && cp "$f" "$dir/corpus/"
done
# -max_len: lines of megabytes are the bats tests' job; 64 KiB keeps the
# fuzzer fast.  -timeout: any input taking 10 s is a hang.
exec "$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-max_len=65536 -dict=fuzz/pcg.dict -artifact_prefix="$dir/" \
	-print_final_stats=1 "$dir/corpus"
