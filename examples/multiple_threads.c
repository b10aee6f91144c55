/* multiple_threads.c - one CPU-bound job (counting primes below N) split
   over threads that share memory: each thread writes its count into a
   shared array, no copying.  Prints wall and CPU time; compare with
   multiple_processes.c, the same job over processes and pipes. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>
#include <time.h>

enum { N = 2000000, PARTS = 4 };
static long counts[PARTS]; /* shared memory: every thread sees it */

static int is_prime(long n)
{
    long d;
    if (n < 2) return 0;
    for (d = 2; d * d <= n; d++) if (n % d == 0) return 0;
    return 1;
}

static void *count_part(void *arg)
{
    size_t part = (size_t)(uintptr_t)arg, b, e, i;
    parconc_split(N, PARTS, part, &b, &e);
    for (i = b; i < e; i++) counts[part] += is_prime((long)i);
    return NULL;
}

int main(void)
{
    parconc_thread t[PARTS];
    long total = 0;
    size_t i;
    uint64_t t0 = parconc_now_ns();
    clock_t c0 = clock();
    for (i = 0; i < PARTS; i++) parconc_thread_create(&t[i], count_part, (void *)(uintptr_t)i, NULL);
    for (i = 0; i < PARTS; i++) parconc_thread_join(t[i], NULL);
    for (i = 0; i < PARTS; i++) total += counts[i];
    printf("threads:   %ld primes below %d; wall %.0f ms, CPU %.0f ms\n", total, N,
           (double)(parconc_now_ns() - t0) / 1e6, (double)(clock() - c0) * 1000.0 / CLOCKS_PER_SEC);
    return total == 148933 ? 0 : 1;
}
