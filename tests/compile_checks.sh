#!/bin/sh
# Compile checks run by `make test`: the header as C99, C11 and C++ with gcc
# and clang, PARCONC_STATIC_API in two linked files, a declarations-only file,
# PARCONC_NO_STDIO / PARCONC_NO_MALLOC objects that reference no stdio or
# heap symbol, and the half-pair MALLOC/FREE #error.  Prints one line per
# check and "N passed, N failed" last.
cd "$(dirname "$0")/compile" || exit 1
out=${BUILD:-../../build}/compile
mkdir -p "$out"
W="-Wall -Wextra -Wpedantic -Werror"
pass=0; fail=0
check() { # name, command...
    name=$1; shift
    if "$@" >"$out/$name.log" 2>&1; then pass=$((pass+1)); printf '%-48s ok\n' "compile_$name"
    else fail=$((fail+1)); printf '%-48s FAILED\n' "compile_$name"; sed 's/^/    /' "$out/$name.log" | head -20; fi
}
have() { command -v "$1" >/dev/null 2>&1; }
run_bin() { "$@"; }

check gcc_c99    gcc   -std=c99 $W -pthread impl.c -o "$out/gcc_c99"
check gcc_c11    gcc   -std=c11 $W -pthread impl.c -o "$out/gcc_c11"
check gcc_gnu99  gcc   -std=gnu99 $W -O2 -pthread impl.c -o "$out/gcc_gnu99"
check gxx_cxx11  g++   -std=c++11 $W -pthread impl.cpp -o "$out/gxx_cxx11"
check gxx_cxx20  g++   -std=c++20 $W -pthread impl.cpp -o "$out/gxx_cxx20"
if have clang; then
check clang_c99  clang -std=c99 $W -pthread impl.c -o "$out/clang_c99"
check clang_c11  clang -std=c11 $W -pthread impl.c -o "$out/clang_c11"
check clangxx_cxx11 clang++ -std=c++11 $W -pthread impl.cpp -o "$out/clangxx_cxx11"
check clangxx_cxx17 clang++ -std=c++17 $W -pthread impl.cpp -o "$out/clangxx_cxx17"
# warnings users commonly add: the header must stay silent under them
check clang_extra_warnings clang -std=c99 $W -Wcast-align -Wstring-conversion -Wfloat-equal -Wshadow -pthread -c impl.c -o "$out/clang_extra.o"
fi
check gcc_extra_warnings gcc -std=c99 $W -Wfloat-equal -Wcast-align -Wshadow -pthread -c impl.c -o "$out/gcc_extra.o"
check run_c99    run_bin "$out/gcc_c99"
check run_cxx11  run_bin "$out/gxx_cxx11"
check static_two_units gcc -std=c99 $W -pthread static_a.c static_b.c -o "$out/static_two"
check run_static_two_units run_bin "$out/static_two"
check decl_only_plus_impl gcc -std=c99 $W -pthread decl_only.c impl_lib.c -o "$out/decl_only"
check run_decl_only run_bin "$out/decl_only"
nm_lacks() { # object, regex of forbidden undefined symbols
    obj=$1; re=$2
    if nm -u "$obj" | grep -E "$re"; then echo "forbidden symbols referenced"; return 1; fi
    return 0
}
STDIO_RE=' (printf|fprintf|vfprintf|snprintf|vsnprintf|sprintf|puts|fputs|fputc|putchar|fwrite|fflush|fopen|fclose|fread|fgets|stderr|stdout|stdin|__printf_chk|__fprintf_chk|__snprintf_chk|__vsnprintf_chk)$'
HEAP_RE=' (malloc|calloc|realloc|free|aligned_alloc|posix_memalign)$'
check no_stdio_build gcc -std=c99 $W -O2 -DPARCONC_NO_STDIO -DNDEBUG -c embedded.c -o "$out/no_stdio.o"
check no_stdio_symbols nm_lacks "$out/no_stdio.o" "$STDIO_RE"
check no_malloc_build gcc -std=c99 $W -O2 -DPARCONC_NO_MALLOC -DPARCONC_NO_STDIO -DNDEBUG -c embedded.c -o "$out/no_malloc.o"
check no_malloc_symbols nm_lacks "$out/no_malloc.o" "$HEAP_RE|$STDIO_RE"
check debug_locks_no_stdio_build gcc -std=c99 $W -O2 -DPARCONC_DEBUG_LOCKS -DPARCONC_NO_STDIO -c embedded.c -o "$out/dbg_no_stdio.o"
check debug_locks_no_stdio_symbols nm_lacks "$out/dbg_no_stdio.o" "$STDIO_RE"
check debug_locks_cxx g++ -std=c++11 $W -DPARCONC_DEBUG_LOCKS -pthread impl.cpp -o "$out/dbg_cxx"
must_fail() { # the compile must fail with the given message
    msg=$1; shift
    if "$@" 2>&1 | grep -q "$msg"; then return 0; fi
    echo "expected a compile error containing: $msg"; return 1
}
check half_malloc_pair_is_error must_fail "define both PARCONC_MALLOC and PARCONC_FREE" gcc -std=c99 -c half_malloc.c -o "$out/half.o"
tsan_reports_inversion() {
    TSAN_OPTIONS="detect_deadlocks=1 exitcode=0" "$out/tsan_sees_locks" 2>&1 | grep -q "lock-order-inversion" && return 0
    echo "TSan did not report the parconc_mutex lock-order inversion"; return 1
}
check tsan_annotations_build gcc -std=c99 $W -g -fsanitize=thread -pthread tsan_sees_locks.c -o "$out/tsan_sees_locks"
check tsan_sees_parconc_locks tsan_reports_inversion
# packaging: make install + find_package, add_subdirectory, pkg-config
if have cmake; then
    top=$(cd ../.. && pwd)
    pkg_install() { rm -rf "$out/pfx" && make -s -C "$top" install PREFIX="$out/pfx"; }
    consumer() { # build dir, extra cmake args...
        d=$1; shift
        rm -rf "$d" && cmake -S ../consumer -B "$d" "$@" >/dev/null && cmake --build "$d" >/dev/null && "$d/consumer"
    }
    check package_make_install pkg_install
    check package_find_package consumer "$out/cmake_find" -DCMAKE_PREFIX_PATH="$out/pfx"
    check package_add_subdirectory consumer "$out/cmake_sub" -DPARCONC_SOURCE_DIR="$top"
    # FetchContent from a release-style archive of the current tree
    archive() { tar -czf "$out/parconc-src.tar.gz" -C "$top" CMakeLists.txt parconc.h parconc_cuda.h; }
    check package_archive archive
    check package_fetchcontent consumer "$out/cmake_fetch" -DPARCONC_FETCH_URL="$out/parconc-src.tar.gz"
    if have pkg-config; then
        pc_build() { gcc -std=c99 $W ../consumer/main.c -o "$out/pc_consumer" $(PKG_CONFIG_PATH="$out/pfx/lib/pkgconfig" pkg-config --cflags --libs parconc) && "$out/pc_consumer"; }
        check package_pkg_config pc_build
    fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
