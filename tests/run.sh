#!/bin/sh
# Runs every test binary of each build variant given on the command line
# (directories under build/), then the compile checks, and prints the sum as
# "N passed, N failed" on the last line.  Exit status 1 on any failure.
# TEST_FILTER selects tests by name inside each binary.
top=$(cd "$(dirname "$0")/.." && pwd)
total_pass=0; total_fail=0; total_skip=0
tally() { # reads a log, adds its closing "N passed, N failed[, N skipped]" line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$1" | tail -n 1)
    if [ -z "$line" ]; then total_fail=$((total_fail+1)); echo "  (no result line: crashed or timed out)"; return; fi
    p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
    case "$line" in *skipped) s=${line##*failed, }; s=${s%% skipped}; total_skip=$((total_skip+s)) ;; esac
    total_pass=$((total_pass+p)); total_fail=$((total_fail+f))
}
for dir in "$@"; do
    variant=$(basename "$dir")
    for bin in "$dir"/test_*; do
        [ -x "$bin" ] || continue
        echo "== $variant/$(basename "$bin")"
        log="$bin.log"
        timeout "${TEST_TIMEOUT:-600}" "$bin" $TEST_FILTER >"$log" 2>&1
        rc=$?
        grep -v -E '^[0-9]+ passed, [0-9]+ failed' "$log" | grep -E 'FAIL|WARNING|ERROR|runtime error|Sanitizer' | head -40
        tail -n 1 "$log"
        tally "$log"
        if [ $rc -ne 0 ] && ! grep -q 'FAILED' "$log"; then
            echo "  exit status $rc without a failed test (sanitizer report or crash):"; tail -n 30 "$log"
            total_fail=$((total_fail+1))
        fi
    done
done
if [ -n "${VALGRIND_BINS:-}" ] && command -v valgrind >/dev/null 2>&1; then
    # memcheck with every leak kind an error: "no leak and no possibly lost"
    for bin in $VALGRIND_BINS; do
        echo "== valgrind/$(basename "$bin")"
        if PT_UNDER_VALGRIND=1 valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=9 \
                "$bin" >"$bin.valgrind.log" 2>&1; then
            total_pass=$((total_pass+1)); echo "1 passed, 0 failed"
        else
            total_fail=$((total_fail+1)); echo "  FAILED under valgrind:"; tail -n 30 "$bin.valgrind.log"
        fi
    done
fi
if [ -n "${EXAMPLE_BINS:-}" ]; then
    echo "== examples"
    ep=0; ef=0
    for e in $EXAMPLE_BINS; do
        if timeout 120 "$e" >"$e.log" 2>&1; then ep=$((ep+1)); else ef=$((ef+1)); echo "  FAILED: $e"; tail -n 10 "$e.log"; fi
    done
    echo "$ep passed, $ef failed"
    total_pass=$((total_pass+ep)); total_fail=$((total_fail+ef))
fi
if [ -z "${SKIP_COMPILE_CHECKS:-}" ] && command -v mpicc >/dev/null 2>&1 && command -v mpirun >/dev/null 2>&1; then
    # hybrid MPI ranks x pool example: 2 ranks must agree with the closed form
    echo "== mpi (mpirun -np 2)"
    root=""; [ "$(id -u)" = 0 ] && root="--allow-run-as-root"
    mkdir -p "$top/build/mpi"
    if mpicc -std=c99 -O2 -Wall -Wextra -Werror "$top/examples/mpi/mpi_hybrid.c" -o "$top/build/mpi/mpi_hybrid" -pthread \
         >"$top/build/mpi/log" 2>&1 &&
       timeout 120 mpirun $root --oversubscribe -np 2 "$top/build/mpi/mpi_hybrid" >>"$top/build/mpi/log" 2>&1 &&
       grep -q ": OK" "$top/build/mpi/log"; then
        total_pass=$((total_pass+1)); echo "1 passed, 0 failed"
    else
        total_fail=$((total_fail+1)); echo "  FAILED:"; tail -n 15 "$top/build/mpi/log"
    fi
fi
# Reliability checks.  Each prints a summary line; a missing tool
# is reported as skipped (.ci/run installs them all).
# section NAME TOOL COMMAND...: runs COMMAND if TOOL exists, tallies its
# "N passed, N failed" line (or its exit status when it has none).
section() {
    name=$1; tool=$2; shift 2
    echo "== $name"
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "  skipped ($tool not installed)"; total_skip=$((total_skip+1)); return
    fi
    log="$top/build/$name.log"
    "$@" >"$log" 2>&1
    rc=$?
    grep -E '^(fuzz|soak|model|helgrind|static analysis|cross|rtos):|FAILED|FINDING|BROKEN|violated' "$log" | head -20
    if grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log"; then
        tail -n 1 "$log"; tally "$log"
        if [ $rc -ne 0 ] && ! grep -qE '^[0-9]+ passed, [1-9][0-9]* failed' "$log"; then total_fail=$((total_fail+1)); fi
    elif [ $rc -eq 0 ]; then
        echo "1 passed, 0 failed"; total_pass=$((total_pass+1))
    else
        echo "  FAILED (exit status $rc):"; tail -n 15 "$log"; total_fail=$((total_fail+1))
    fi
}
if [ -z "${SKIP_COMPILE_CHECKS:-}" ]; then
    mk="make -s -C $top"
    section fuzz clang $mk fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
    section soak gcc $mk soak SECONDS="${SOAK_SECONDS:-20}"
    section model spin sh "$top/tools/model.sh" quick
    section cross arm-none-eabi-gcc $mk cross
    if [ -n "${FREERTOS_KERNEL:-}" ] && [ -d "${FREERTOS_KERNEL}/include" ] && command -v arm-none-eabi-gcc >/dev/null 2>&1; then
        section rtos qemu-system-arm $mk rtos FREERTOS_KERNEL="$(cd "$FREERTOS_KERNEL" && pwd)"
    else
        echo "== rtos"; echo "  skipped (FREERTOS_KERNEL, a FreeRTOS-Kernel tree, not given)"; total_skip=$((total_skip+1))
    fi
    if command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
        section windows wine $mk test-windows
    else
        echo "== windows"; echo "  skipped (x86_64-w64-mingw32-gcc not installed)"; total_skip=$((total_skip+1))
    fi
    section static clang-tidy sh "$top/tools/static.sh"
    section helgrind valgrind sh "$top/tools/helgrind.sh"
fi
if [ -z "${SKIP_COMPILE_CHECKS:-}" ]; then
    echo "== compile checks"
    BUILD="$top/build" sh "$top/tests/compile_checks.sh" >"$top/build/compile_checks.log" 2>&1
    grep -E 'FAILED|^    ' "$top/build/compile_checks.log"
    tail -n 1 "$top/build/compile_checks.log"
    tally "$top/build/compile_checks.log"
fi
if [ "$total_skip" -gt 0 ]; then echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else echo "$total_pass passed, $total_fail failed"; fi
[ "$total_fail" -eq 0 ]
