/* bounded_jobs.c - 50 partitions of CPU work on pools of 1, 2, 3 and 4
   threads, on a machine with parconc_cpu_count() cores: past the core
   count, more parallels stop helping (the seed's "how many parallels"). */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

enum { PARTS = 50 };
static volatile double sink;
static long done;
static void *partition(void *arg)
{
    volatile double x = 1;
    long i;
    (void)arg;
    for (i = 0; i < 400000; i++) x *= 1.0000001;
    sink = x;
    __atomic_fetch_add(&done, 1, __ATOMIC_RELAXED);
    return NULL;
}

int main(void)
{
    int threads, i, ok = 1;
    double base = 0;
    printf("%d partitions, %d core(s)\n%8s %10s %8s\n", PARTS, parconc_cpu_count(), "threads", "ms", "speed-up");
    for (threads = 1; threads <= 4; threads++) {
        parconc_pool *pool;
        parconc_pool_desc d = { 0 };
        uint64_t t0;
        double ms;
        d.threads = threads;
        parconc_pool_create(&pool, &d);
        done = 0;
        t0 = parconc_now_ns();
        for (i = 0; i < PARTS; i++) parconc_pool_submit(pool, partition, NULL, NULL);
        parconc_pool_wait_idle(pool, PARCONC_FOREVER);
        ms = (double)(parconc_now_ns() - t0) / 1e6;
        if (threads == 1) base = ms;
        printf("%8d %10.1f %8.2f%s\n", threads, ms, base / ms, threads > parconc_cpu_count() ? "  (more threads than cores)" : "");
        ok &= done == PARTS;
        parconc_pool_destroy(pool);
    }
    printf("%s\n", ok ? "all partitions ran: OK" : "WRONG");
    return ok ? 0 : 1;
}
