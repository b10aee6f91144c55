/* io_vs_cpu.c - I/O-bound work (here: blocking sleeps, as a disk or
   network wait would be) keeps getting faster with more threads than
   cores; CPU-bound work stops at the core count.  Prints the table. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

enum { JOBS = 32 };
static volatile double sink;
static void *io_job(void *arg) { (void)arg; parconc_sleep_ns(10000000); return NULL; } /* waits 10 ms */
static void *cpu_job(void *arg)
{
    volatile double x = 1;
    long i;
    (void)arg;
    for (i = 0; i < 1000000; i++) x *= 1.0000001;
    sink = x;
    return NULL;
}

static double run(int threads, parconc_task_fn fn)
{
    parconc_pool *p;
    parconc_pool_desc d = { 0 };
    uint64_t t0;
    int i;
    d.threads = threads;
    parconc_pool_create(&p, &d);
    t0 = parconc_now_ns();
    for (i = 0; i < JOBS; i++) parconc_pool_submit(p, fn, NULL, NULL);
    parconc_pool_wait_idle(p, PARCONC_FOREVER);
    parconc_pool_destroy(p);
    return (double)(parconc_now_ns() - t0) / 1e6;
}

int main(void)
{
    int threads, cores = parconc_cpu_count();
    double io1 = 0, io16 = 0;
    printf("%d jobs, %d core(s)\n%8s %12s %12s\n", JOBS, cores, "threads", "I/O ms", "CPU ms");
    for (threads = 1; threads <= 16; threads *= 2) {
        double io = run(threads, io_job), cpu = run(threads, cpu_job);
        if (threads == 1) io1 = io;
        if (threads == 16) io16 = io;
        printf("%8d %12.1f %12.1f\n", threads, io, cpu);
    }
    /* 16 threads overlap the 10 ms waits: at least 4x faster than 1 */
    printf("I/O-bound speed-up with 16 threads: %.1fx\n%s\n", io1 / io16, io1 / io16 > 4 ? "OK" : "WRONG");
    return io1 / io16 > 4 ? 0 : 1;
}
