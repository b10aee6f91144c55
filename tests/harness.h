/* tests/harness.h - a tiny test harness with explicit registration.

   Each test file defines its tests as `static void test_x(void)`, lists them
   in a table, and calls pt_main():

       static const pt_test tests[] = { PT_TEST(test_x), PT_TEST(test_y) };
       int main(int argc, char **argv) { return pt_main(tests, PT_COUNT(tests), argc, argv); }

   argv[1], if given, is a filter: only tests whose name contains it run.
   The last line printed is "N passed, N failed"; the exit code is 1 if any
   test failed.  PT_CHECK* stop the current test at the first failure and
   print file:line; PT_EXPECT* record the failure and go on (usable from
   helper threads). */
#ifndef PT_HARNESS_H
#define PT_HARNESS_H

#include <stdio.h>
#include <string.h>
#include <stdlib.h>

typedef struct pt_test {
    const char *name;
    void (*fn)(void);
} pt_test;

#define PT_TEST(f) { #f, f }
#define PT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* 1 in an AddressSanitizer or ThreadSanitizer build (gcc or clang):
   they change every stack frame and the cost of every call */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PT_SANITIZED 1
#endif
#endif
#ifndef PT_SANITIZED
#define PT_SANITIZED 0
#endif

static int pt__failures; /* failures in the current test; atomic access */
static int pt__skipped;  /* the current test called PT_SKIP */

static void pt__fail(const char *file, int line, const char *what)
{
    __atomic_fetch_add(&pt__failures, 1, __ATOMIC_RELAXED);
    fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what);
    fflush(stderr);
}

static void pt__fail_eq(const char *file, int line, const char *what, long long a, long long b)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s (%lld vs %lld)", what, a, b);
    pt__fail(file, line, buf);
}

#define PT_EXPECT(c) do { if (!(c)) pt__fail(__FILE__, __LINE__, #c); } while (0)
#define PT_CHECK(c) do { if (!(c)) { pt__fail(__FILE__, __LINE__, #c); return; } } while (0)
#define PT_EXPECT_EQ(a, b) do { long long pt_a_ = (long long)(a), pt_b_ = (long long)(b); \
    if (pt_a_ != pt_b_) pt__fail_eq(__FILE__, __LINE__, #a " == " #b, pt_a_, pt_b_); } while (0)
#define PT_CHECK_EQ(a, b) do { long long pt_a_ = (long long)(a), pt_b_ = (long long)(b); \
    if (pt_a_ != pt_b_) { pt__fail_eq(__FILE__, __LINE__, #a " == " #b, pt_a_, pt_b_); return; } } while (0)
/* Ends the current test as skipped (say why): e.g. no GPU on this machine. */
#define PT_SKIP(why) do { pt__skipped = 1; printf("skipped (%s) ", (why)); return; } while (0)
/* For use in helper threads: true while the current test has no failure. */
#define PT_OK() (__atomic_load_n(&pt__failures, __ATOMIC_RELAXED) == 0)

static int pt_main(const pt_test *tests, size_t n, int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0, skipped = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (filter && !strstr(tests[i].name, filter)) continue;
        __atomic_store_n(&pt__failures, 0, __ATOMIC_RELAXED);
        pt__skipped = 0;
        printf("%-48s ", tests[i].name);
        fflush(stdout);
        tests[i].fn();
        if (pt__skipped && __atomic_load_n(&pt__failures, __ATOMIC_RELAXED) == 0) {
            skipped++;
            printf("\n");
        } else if (__atomic_load_n(&pt__failures, __ATOMIC_RELAXED) == 0) {
            passed++;
            printf("ok\n");
        } else {
            failed++;
            printf("FAILED\n");
        }
        fflush(stdout);
    }
    if (skipped) printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
