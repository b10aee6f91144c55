#!/bin/sh
# Runs the functional lock tests under Valgrind's Helgrind with parconc's
# Helgrind annotations (-DPARCONC_VALGRIND) and tests/valgrind/helgrind.supp.
# The timing tests (starvation, lateness, phase-fairness rates) are left to
# the native runs: Helgrind serialises threads.  Prints "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/helgrind/test_locks"
mkdir -p "$top/build/helgrind"
gcc -std=c99 -Wall -Wextra -Werror -O0 -g -DPARCONC_VALGRIND "$top/tests/test_locks.c" -o "$bin" -pthread -lm || exit 1
pass=0; fail=0
# self-test: silent on the guarded counter, a report when a thread skips the lock
gcc -std=c99 -O0 -g -DPARCONC_VALGRIND "$top/tests/valgrind/hg_selftest.c" -o "$top/build/helgrind/hg_selftest" -pthread || exit 1
if valgrind --tool=helgrind -q --error-exitcode=9 --suppressions="$top/tests/valgrind/helgrind.supp" \
        "$top/build/helgrind/hg_selftest" >"$top/build/helgrind/selftest.log" 2>&1 &&
   ! valgrind --tool=helgrind -q --error-exitcode=9 --suppressions="$top/tests/valgrind/helgrind.supp" \
        "$top/build/helgrind/hg_selftest" racy >>"$top/build/helgrind/selftest.log" 2>&1 &&
   grep -q 'Possible data race' "$top/build/helgrind/selftest.log"; then
    pass=$((pass+1))
else
    fail=$((fail+1)); echo "  helgrind self-test FAILED"; tail -20 "$top/build/helgrind/selftest.log"
fi
for t in mutex_mutual mutex_try_and_timed mutex_bad rmutex robust_owner robust_not robust_several \
         rwlock_exclusion rwlock_readers_overlap rwlock_downgrade rwlock_bad sem_producer sem_try \
         cond_producer once waitgroup lock_many_any guard; do
    log="$top/build/helgrind/$t.log"
    if valgrind --tool=helgrind -q --error-exitcode=9 --suppressions="$top/tests/valgrind/helgrind.supp" \
            "$bin" "$t" >"$log" 2>&1 && grep -qE '^[1-9][0-9]* passed, 0 failed' "$log"; then
        pass=$((pass+1))
    else
        fail=$((fail+1)); echo "  helgrind FAILED: $t"; grep -E 'FAIL|Possible data race|order|   at|   by' "$log" | head -20
    fi
done
echo "helgrind: self-test and $((pass-1)) lock test groups clean"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
