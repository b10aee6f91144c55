/* dividing_jobs.c - the ways to divide N items among K parallels (static
   K groups, dynamic one at a time, respawn, guided, auto) on three
   workloads (uniform, triangular, one long + many short).  Prints the time
   table and what the advisor recommends; checks every run visited every
   item exactly once. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>
#include <stdlib.h>

enum { N = 4000 };
static unsigned char visits[N];
static int load;
static volatile double sink;

static void work(size_t units) { volatile double x = 1; size_t i; for (i = 0; i < units * 20; i++) x *= 1.0000001; sink = x; }
static size_t cost(size_t i)
{
    if (load == 0) return 20;                 /* uniform */
    if (load == 1) return i / 50;             /* triangular */
    return i == N / 3 ? 20000 : 5;            /* one long + many short */
}
static void body(size_t b, size_t e, size_t w, void *a)
{
    (void)w; (void)a;
    for (; b < e; b++) { work(cost(b)); visits[b]++; }
}

int main(void)
{
    static const int schedules[5] = { PARCONC_STATIC, PARCONC_DYNAMIC, PARCONC_RESPAWN, PARCONC_GUIDED, PARCONC_AUTO };
    static const char *names[5] = { "static", "dynamic", "respawn", "guided", "auto" };
    static const char *loads[3] = { "uniform", "triangular", "one long" };
    parconc_pool *pool;
    parconc_for_advice a;
    int s, i, ok = 1;
    parconc_pool_create(&pool, NULL);
    printf("%d items, %d parallels (pool of %d + the caller); milliseconds\n%-12s", N, parconc_pool_threads(pool) + 1,
           parconc_pool_threads(pool), "schedule");
    for (load = 0; load < 3; load++) printf(" %11s", loads[load]);
    printf("\n");
    for (s = 0; s < 5; s++) {
        printf("%-12s", names[s]);
        for (load = 0; load < 3; load++) {
            parconc_for_desc d = { 0 };
            uint64_t t0;
            d.schedule = schedules[s];
            d.chunk = s == 1 ? 1 : 0;
            memset(visits, 0, sizeof visits);
            t0 = parconc_now_ns();
            parconc_parallel_for(pool, N, body, NULL, &d);
            printf(" %11.2f", (double)(parconc_now_ns() - t0) / 1e6);
            for (i = 0; i < N; i++) ok &= visits[i] == 1;
        }
        printf("\n");
    }
    /* how many parallels? for a cheap loop and an expensive one */
    parconc_for_advise(pool, 1000, 5.0, &a);
    printf("advisor, 1000 items x 5 ns: %d worker(s), chunk %zu: %s\n", a.workers, a.chunk, a.reason);
    parconc_for_advise(pool, 1000000, 400.0, &a);
    printf("advisor, 10^6 items x 400 ns: %d worker(s), chunk %zu, ~%.1fx: %s\n", a.workers, a.chunk, a.expected_speedup, a.reason);
    parconc_pool_destroy(pool);
    printf("%s\n", ok ? "every item exactly once: OK" : "WRONG");
    return ok ? 0 : 1;
}
