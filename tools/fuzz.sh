#!/bin/sh
# Runs the libFuzzer API harness for $1 seconds (default 60) on the committed
# corpus plus what earlier runs found, and prints one summary line:
#   "fuzz: N executions in S s, K corpus inputs, no finding"
# Exit status 1 on a finding (crash, leak, sanitizer report, failed check);
# the reproducer is left in build/fuzz/ (crash-*, leak-*, timeout-*).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
bin="$top/build/fuzz/fuzz_api"
mkdir -p "$top/build/fuzz/corpus"
cd "$top/build/fuzz" || exit 1
"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
       "$top/build/fuzz/corpus" "$top/tests/fuzz/corpus" >"$top/build/fuzz/log" 2>&1
rc=$?
execs=$(grep -E '^stat::number_of_executed_units' "$top/build/fuzz/log" | awk '{print $2}')
inputs=$(ls "$top/tests/fuzz/corpus" "$top/build/fuzz/corpus" | wc -l)
if [ $rc -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|fuzz check failed|Test unit written' "$top/build/fuzz/log" | head -20
    echo "fuzz: FINDING after ${execs:-?} executions (log: build/fuzz/log)"
    exit 1
fi
echo "fuzz: ${execs:-0} executions in ${secs} s, ${inputs} corpus inputs, no finding"
