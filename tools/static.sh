#!/bin/sh
# Static analysis of parconc.h: cppcheck and clang-tidy on the
# implementation in each build configuration (default, no futex, custom
# port, lock validator, Helgrind annotations, and as C++).  No finding is
# allowed; the one cppcheck suppression is inline in parconc.h with its
# reason.  Prints "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
work="$top/build/static"
mkdir -p "$work"
printf '#define PARCONC_IMPLEMENTATION\n#include "../../parconc.h"\n' >"$work/impl.c"
cp "$work/impl.c" "$work/impl.cpp"
# clang-analyzer (path-sensitive bugs), bugprone, performance, portability,
# cert-err33-c (unchecked results).  Left out: easily-swappable-parameters
# (every (ptr, size) pair), reserved-identifier (parconc__* is the
# documented private prefix of an stb-style header).
checks='-*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,cert-err33-c,performance-*,portability-*'
pass=0; fail=0
for cfg in "" "-DPARCONC_NO_FUTEX" "-DPARCONC_PORT_CUSTOM" "-DPARCONC_DEBUG_LOCKS" "-DPARCONC_VALGRIND"; do
    if command -v cppcheck >/dev/null 2>&1; then
        if cppcheck --enable=warning,portability --inline-suppr --error-exitcode=1 -q --std=c99 \
                -D__linux__ -D__GNUC__ -D__x86_64__ $cfg "$work/impl.c" >"$work/cppcheck.log" 2>&1; then
            pass=$((pass+1))
        else
            fail=$((fail+1)); echo "  cppcheck ${cfg:-(default)}:"; cat "$work/cppcheck.log"
        fi
    fi
    if command -v clang-tidy >/dev/null 2>&1; then
        if clang-tidy "$work/impl.c" -header-filter='.*parconc\.h' -checks="$checks" -warnings-as-errors='*' --quiet \
                -- -std=c99 -pthread $cfg >"$work/tidy.log" 2>&1; then
            pass=$((pass+1))
        else
            fail=$((fail+1)); echo "  clang-tidy ${cfg:-(default)}:"; grep -E 'warning|error' "$work/tidy.log" | head -20
        fi
    fi
done
if command -v clang-tidy >/dev/null 2>&1; then
    if clang-tidy "$work/impl.cpp" -header-filter='.*parconc\.h' -checks="$checks" -warnings-as-errors='*' --quiet \
            -- -std=c++11 -pthread >"$work/tidy.log" 2>&1; then
        pass=$((pass+1))
    else
        fail=$((fail+1)); echo "  clang-tidy (C++):"; grep -E 'warning|error' "$work/tidy.log" | head -20
    fi
fi
echo "static analysis: cppcheck and clang-tidy, $pass configurations clean"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
