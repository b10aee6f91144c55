/* futures_tour.c - Python's concurrent.futures, in C: submit, wait_any,
   as-completed, cancel, on_done callbacks, timeouts, task failure and a
   promise completed by another thread.  Exits 1 on any wrong answer. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

#define MS 1000000LL
static void *sleep_then_square(void *arg)
{
    uintptr_t x = (uintptr_t)arg;
    parconc_sleep_ns((int64_t)(x * 40) * MS); /* bigger inputs finish later (40 ms apart: robust to a busy machine and to coarse Windows timers) */
    return (void *)(x * x);
}
static void *refuse(void *arg) { (void)arg; return parconc_task_fail(PARCONC_EINVAL); }
static int callbacks;
static void on_done(parconc_future *f, void *user)
{
    (void)user;
    __atomic_fetch_add(&callbacks, 1, __ATOMIC_RELAXED);
    (void)f;
}
static void *fulfil(void *arg)
{
    parconc_sleep_ns(20 * MS);
    parconc_future_complete((parconc_future *)arg, (void *)"hello from another thread");
    return NULL;
}

int main(void)
{
    parconc_pool *pool;
    parconc_pool_desc d = { 0 };
    parconc_future *f[4], *order[4], *got, *bad, *promise, *blocker, *victim;
    parconc_as_completed it;
    parconc_thread t;
    size_t first;
    void *r;
    int ok = 1, i;
    d.threads = 4;
    parconc_pool_create(&pool, &d);
    /* submit: four tasks that finish in the order 1, 2, 3, 4 */
    for (i = 0; i < 4; i++) {
        parconc_pool_submit(pool, sleep_then_square, (void *)(uintptr_t)(4 - i), &f[i]); /* inputs 4,3,2,1 */
        parconc_future_on_done(f[i], on_done, NULL);
        order[i] = f[i];
    }
    /* a timeout that expires: nothing is finished after 1 ms */
    ok &= parconc_wait_any(f, 4, &first, 1 * MS) == PARCONC_ETIMEDOUT;
    /* wait_any: the input 1 task (index 3) finishes first */
    ok &= parconc_wait_any(f, 4, &first, PARCONC_FOREVER) == PARCONC_OK && first == 3;
    printf("wait_any: index %zu finished first\n", first);
    /* as completed: 1, 4, 9, 16 */
    parconc_as_completed_init(&it, order, 4);
    printf("as completed:");
    for (i = 0; parconc_as_completed_next(&it, &got, PARCONC_FOREVER) == PARCONC_OK; i++) {
        parconc_future_get(got, &r, 0);
        printf(" %lu", (unsigned long)(uintptr_t)r);
        ok &= (uintptr_t)r == (uintptr_t)((i + 1) * (i + 1));
    }
    printf("\n");
    /* cancel: only before it runs */
    d.threads = 1;
    {
        parconc_pool *one;
        parconc_pool_create(&one, &d);
        parconc_pool_submit(one, sleep_then_square, (void *)(uintptr_t)3, &blocker);
        parconc_pool_submit(one, sleep_then_square, (void *)(uintptr_t)1, &victim);
        parconc_sleep_ns(5 * MS);
        ok &= parconc_future_cancel(blocker) == PARCONC_EBUSY;   /* running */
        ok &= parconc_future_cancel(victim) == PARCONC_OK;       /* queued: never runs */
        ok &= parconc_future_get(victim, &r, PARCONC_FOREVER) == PARCONC_ECANCELED;
        printf("cancel: running one refused, queued one canceled\n");
        parconc_future_release(blocker);
        parconc_future_release(victim);
        parconc_pool_destroy(one);
    }
    /* a task that fails: get returns its error */
    parconc_pool_submit(pool, refuse, NULL, &bad);
    ok &= parconc_future_get(bad, &r, PARCONC_FOREVER) == PARCONC_EINVAL;
    ok &= parconc_future_state(bad) == PARCONC_FAILED;
    printf("failed task: %s\n", parconc_strerror(parconc_future_get(bad, &r, 0)));
    /* a promise completed by another thread */
    parconc_future_create(&promise);
    parconc_thread_create(&t, fulfil, promise, NULL);
    ok &= parconc_future_get(promise, &r, PARCONC_FOREVER) == PARCONC_OK;
    printf("promise: \"%s\"\n", (const char *)r);
    parconc_thread_join(t, NULL);
    ok &= callbacks == 4; /* each on_done ran exactly once */
    for (i = 0; i < 4; i++) parconc_future_release(f[i]);
    parconc_future_release(bad);
    parconc_future_release(promise);
    parconc_pool_destroy(pool);
    printf("callbacks run: %d\n%s\n", callbacks, ok ? "OK" : "WRONG");
    return ok ? 0 : 1;
}
