/* monitor.c - a long parallel job with a live one-line progress bar and
   per-worker utilisation from the pool's statistics, like htop for the
   pool.  On a terminal the line redraws in place; otherwise (CI, pipes) it
   prints plain lines.  Checks the job's result. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>
#include <unistd.h>

enum { ITEMS = 3000 };
static parconc_pool *pool;
static int tty;
static uint64_t start;
static double results[ITEMS];

static void body(size_t b, size_t e, size_t w, void *a)
{
    (void)w; (void)a;
    for (; b < e; b++) {
        volatile double x = 0;
        int i;
        for (i = 0; i < 20000; i++) x += 1.0;
        results[b] = x;
    }
}

static void show(size_t done, size_t total, void *user)
{
    int i, bars = (int)(30 * done / total), n = parconc_pool_threads(pool);
    double elapsed = (double)(parconc_now_ns() - start);
    (void)user;
    printf("%s[", tty ? "\r" : "");
    for (i = 0; i < 30; i++) putchar(i < bars ? '#' : '.');
    printf("] %3d%%  workers:", (int)(100 * done / total));
    for (i = 0; i < n; i++) {
        parconc_worker_stats ws;
        parconc_pool_worker_stats(pool, i, &ws);
        printf(" %3.0f%%", elapsed > 0 ? 100.0 * (double)ws.busy_ns / elapsed : 0.0);
    }
    printf("%s", tty ? "" : "\n");
    fflush(stdout);
}

int main(void)
{
    parconc_for_desc d = { 0 };
    parconc_pool_stats st;
    int i, ok = 1;
    tty = isatty(1);
    parconc_pool_create(&pool, NULL);
    d.progress = show;
    d.progress_interval_ns = 50000000; /* 20 updates per second at most */
    d.schedule = PARCONC_DYNAMIC;
    d.chunk = 10;
    start = parconc_now_ns();
    parconc_parallel_for(pool, ITEMS, body, NULL, &d);
    if (tty) printf("\n");
    parconc_pool_stats_get(pool, &st);
    printf("done in %.0f ms; pool: %llu tasks completed, %llu steals\n", (double)(parconc_now_ns() - start) / 1e6,
           (unsigned long long)st.completed, (unsigned long long)st.steals);
    for (i = 0; i < ITEMS; i++) ok &= results[i] == 20000.0;
    parconc_pool_destroy(pool);
    printf("%s\n", ok ? "OK" : "WRONG");
    return ok ? 0 : 1;
}
