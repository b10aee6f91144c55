#!/bin/sh
# make test-windows: parconc's Win32 backend, tested under Wine.
#  1. every test and example built with mingw-w64 gcc and with clang
#     --target=x86_64-w64-mingw32 (-Werror, linked with -lsynchronization);
#     every test of both and every example of gcc's run under Wine: a test
#     passes by its own "N passed, N failed" line, an example by exiting 0;
#  2. an MSVC compile check: clang for the x86_64-pc-windows-msvc target
#     with -fms-compatibility (no __GNUC__, so the header takes its MSVC
#     branches: interlocked atomics, __declspec(thread), _BitScanReverse)
#     parses and type-checks the implementation as C11 and C++17 against
#     mingw-w64's headers (tests/msvc/ smooths the two over).
# Prints "N passed, N failed[, N skipped]" last.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=${BUILD:-$top/build}/windows
mkdir -p "$out"
gcc_w=x86_64-w64-mingw32-gcc-win32
command -v $gcc_w >/dev/null 2>&1 || gcc_w=x86_64-w64-mingw32-gcc
flags="-std=c99 -Wall -Wextra -Wpedantic -Werror -O2"
libs=-lsynchronization
export WINEPREFIX="$out/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
pass=0; fail=0; skip=0

# examples that need what Windows lacks (fork and pipes) or a GPU
skip_example() {
    case $1 in cuda_*|multiple_processes) return 0 ;; esac
    return 1
}

compilers="gcc"
libgcc_dir=$(dirname "$($gcc_w -print-libgcc-file-name)")
if command -v clang >/dev/null 2>&1 &&
   echo 'int main(void){return 0;}' | clang --target=x86_64-w64-mingw32 -x c - -o "$out/probe.exe" -L"$libgcc_dir" >/dev/null 2>&1; then
    compilers="gcc clang"
else
    echo "windows: clang cannot link for x86_64-w64-mingw32 here: gcc only"; skip=$((skip+1))
fi

wineboot -i >/dev/null 2>&1 # make the prefix once, before the timed runs
wineserver -p 60 >/dev/null 2>&1 # one server for all the runs (it stays 60 s after the last)

build_cmd() { # compiler -> the command that builds for Windows
    if [ $1 = gcc ]; then echo "$gcc_w $flags"; else echo "clang --target=x86_64-w64-mingw32 $flags -L$libgcc_dir"; fi
}
sources() {
    for src in "$top"/tests/test_*.c "$top"/examples/*.c; do
        case $src in */examples/*) if skip_example "$(basename "$src" .c)"; then continue; fi ;; esac
        echo "$src"
    done
}

# builds first, two at a time (the compiles are most of the time)
jobs=${WINDOWS_JOBS:-2}
n=0
for cc in $compilers; do
    mkdir -p "$out/$cc"
    for src in $(sources); do
        name=$(basename "$src" .c)
        ( $(build_cmd $cc) "$src" -o "$out/$cc/$name.exe" $libs >"$out/$cc/$name.build.log" 2>&1
          echo $? >"$out/$cc/$name.build.rc" ) &
        n=$((n+1))
        [ $((n % jobs)) -eq 0 ] && wait
    done
done
wait

# then the runs, one at a time
for cc in $compilers; do
    dir=$out/$cc
    for src in $(sources); do
        name=$(basename "$src" .c)
        case $src in */examples/*) kind=example ;; *) kind=test ;; esac
        exe=$dir/$name.exe
        # clang's examples are built (a compile and link check) but not run:
        # gcc's run them, and the time goes to the tests
        [ $kind = example ] && [ $cc = clang ] && run=0 || run=1
        if [ "$(cat "$dir/$name.build.rc")" != 0 ]; then
            echo "windows: $cc $name: build FAILED"; sed 's/^/    /' "$dir/$name.build.log" | head -15; fail=$((fail+1)); continue
        fi
        if [ $run -eq 0 ]; then pass=$((pass+1)); continue; fi
        limit=600; [ $kind = example ] && limit=120
        (cd "$dir" && timeout $limit wine "$exe") >"$dir/$name.log" 2>&1
        rc=$?
        if [ $kind = test ]; then
            line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$dir/$name.log" | tail -n 1)
            case "$line" in
                *" 0 failed"*) [ $rc -eq 0 ] && ok=1 || ok=0 ;;
                *) ok=0 ;;
            esac
            [ -n "$line" ] && echo "windows: $cc $name: $line" || echo "windows: $cc $name: no summary (exit status $rc)"
        else
            [ $rc -eq 0 ] && ok=1 || ok=0
        fi
        if [ $ok -eq 1 ]; then pass=$((pass+1))
        else fail=$((fail+1)); echo "windows: $cc $name: FAILED (exit status $rc)"; grep -E 'FAIL|Assertion' "$dir/$name.log" | head -10 | sed 's/^/    /'; fi
    done
done

# MSVC: the implementation as C11 and C++17: plain, with the lock validator,
# with static linkage, and as a custom port (no windows.h: the atomics stand alone)
if command -v clang >/dev/null 2>&1; then
    res=$(clang -print-resource-dir)/include
    printf '#define PARCONC_IMPLEMENTATION\n#include "%s/parconc.h"\n' "$top" >"$out/msvc_check.c"
    for std in "-x c -std=c11" "-x c++ -std=c++17"; do
        for opt in "" "-DPARCONC_DEBUG_LOCKS" "-DPARCONC_STATIC_API" "-DPARCONC_PORT_CUSTOM -DPARCONC_NO_STDIO"; do
            if clang --target=x86_64-pc-windows-msvc -fms-compatibility -fms-extensions -ffreestanding -fsyntax-only \
                   $std -Wall -Wextra -Werror $opt -nostdinc -I"$top/tests/msvc" -isystem "$res" \
                   -isystem /usr/share/mingw-w64/include "$out/msvc_check.c" >"$out/msvc.log" 2>&1; then
                pass=$((pass+1))
            else
                fail=$((fail+1)); echo "windows: MSVC check ($std $opt) FAILED"; head -15 "$out/msvc.log" | sed 's/^/    /'
            fi
        done
    done
    echo "windows: MSVC compile check (clang -fms-compatibility, C11 and C++17): done"
else
    skip=$((skip+1))
fi
wineserver -k >/dev/null 2>&1
if [ $skip -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"; else echo "$pass passed, $fail failed"; fi
[ $fail -eq 0 ]
