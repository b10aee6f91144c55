/* hello_threads.c - start a few threads, join them, collect their results.
   Checks its own result: exits 1 if any thread returned the wrong value. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

static void *square(void *arg)
{
    uintptr_t x = (uintptr_t)arg;
    return (void *)(x * x);
}

int main(void)
{
    enum { N = 4 };
    parconc_thread threads[N];
    uintptr_t i, sum = 0;
    printf("parconc %s: %d CPU(s) usable\n", PARCONC_VERSION_STRING, parconc_cpu_count());
    for (i = 0; i < N; i++) {
        int rc = parconc_thread_create(&threads[i], square, (void *)(i + 1), NULL);
        if (rc != PARCONC_OK) { printf("create: %s\n", parconc_strerror(rc)); return 1; }
    }
    for (i = 0; i < N; i++) {
        void *r = NULL;
        if (parconc_thread_join(threads[i], &r) != PARCONC_OK) return 1;
        sum += (uintptr_t)r;
    }
    printf("sum of squares 1..%d = %lu\n", N, (unsigned long)sum);
    return sum == 1 + 4 + 9 + 16 ? 0 : 1;
}
