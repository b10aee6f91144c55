/* execution_scheduling.c - the same six tasks under FIFO, LIFO and
   PRIORITY pools of one worker; prints the order they ran in.  The worker
   is held at a gate while the tasks are queued, so the order is exact. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

static int gate, ran[6], nran;
static void *hold(void *arg) { while (!__atomic_load_n(&gate, __ATOMIC_ACQUIRE)) parconc_sleep_ns(100000); return arg; }
static void *record(void *arg) { ran[nran++] = (int)(intptr_t)arg; return NULL; }

static int run(int schedule, const char *name, const int *expect)
{
    static const int prio[6] = { 1, 7, 3, 7, 0, 3 };
    parconc_pool *pool;
    parconc_pool_desc d = { 0 };
    parconc_task_desc t;
    int i, ok = 1;
    d.threads = 1;
    d.schedule = schedule;
    parconc_pool_create(&pool, &d);
    gate = 0;
    nran = 0;
    parconc_pool_submit(pool, hold, NULL, NULL);
    parconc_sleep_ns(5000000);
    for (i = 0; i < 6; i++) {
        memset(&t, 0, sizeof t);
        t.fn = record;
        t.arg = (void *)(intptr_t)i;
        t.priority = prio[i];
        parconc_pool_submit_ex(pool, &t, NULL);
    }
    __atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
    parconc_pool_wait_idle(pool, PARCONC_FOREVER);
    printf("%-9s ran:", name);
    for (i = 0; i < 6; i++) {
        printf(" t%d", ran[i]);
        ok &= ran[i] == expect[i];
    }
    printf("\n");
    parconc_pool_destroy(pool);
    return ok;
}

int main(void)
{
    static const int fifo[6] = { 0, 1, 2, 3, 4, 5 }, lifo[6] = { 5, 4, 3, 2, 1, 0 }, prio[6] = { 1, 3, 2, 5, 0, 4 };
    int ok = 1;
    printf("tasks t0..t5 queued in order; priorities 1 7 3 7 0 3\n");
    ok &= run(PARCONC_FIFO, "FIFO", fifo);
    ok &= run(PARCONC_LIFO, "LIFO", lifo);
    ok &= run(PARCONC_PRIORITY, "PRIORITY", prio);
    printf("%s\n", ok ? "OK" : "WRONG");
    return ok ? 0 : 1;
}
