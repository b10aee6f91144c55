/* soak.c - a mixed workload for `make soak SECONDS=n` (built with TSan).

   Two submitter threads feed a 3-thread pool with tasks (with futures)
   that each pick a lock kind (mutex, reentrant mutex taken twice, rwlock
   read or write, semaphore, lock_many in a random order, condition
   variable hand-off) and update guarded state; some tasks fork children
   and wait on them inside the pool, some run a parallel_for, some are
   canceled or waited on with short timeouts.  A third submitter streams
   tasks without futures (the submission ring) and calls wait_idle with
   short timeouts.  A fourth thread runs task groups (with limits,
   failures, cancels and deadline tokens), graphs of tasks with inputs,
   continuations and when_all, and checks each outcome.  A checker thread verifies the invariants every few
   milliseconds while it runs (serial queues too); at the end every submitted task is accounted
   for exactly once.  Prints a summary and "1 passed, 0 failed" (or the
   first broken invariant and "0 passed, 1 failed"). */
#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_broken;
#define INVARIANT(c) do { if (!(c)) { if (!__atomic_exchange_n(&g_broken, 1, __ATOMIC_SEQ_CST)) \
    fprintf(stderr, "soak: invariant broken: %s (%s:%d)\n", #c, __FILE__, __LINE__); } } while (0)

static parconc_pool *g_pool;
static uint32_t g_stop;

/* guarded state: each pair must be equal whenever its lock is free */
static parconc_mutex g_mu;       static long g_mu_a, g_mu_b;
static parconc_rmutex g_rmu;     static long g_rmu_a, g_rmu_b;
static parconc_rwlock g_rw;      static long g_rw_a, g_rw_b;
static parconc_sem g_sem;        static long g_sem_inside; /* at most 2 inside */
static parconc_mutex g_many[3];  static long g_many_v[3];
static parconc_mutex g_cv_mu;    static parconc_cond g_cv; static long g_cv_tokens;

static long g_increments;         /* every guarded update done (atomic) */
static long g_children, g_loops;  /* atomic counters for the summary */

static uint32_t rng_next(uint32_t *s) { *s ^= *s << 13; *s ^= *s >> 17; *s ^= *s << 5; return *s; }

static void *child_task(void *arg) { return arg; }

static void loop_body(size_t b, size_t e, size_t w, void *arg)
{
    (void)w;
    for (; b < e; b++) __atomic_add_fetch(&((unsigned char *)arg)[b], 1, __ATOMIC_RELAXED);
}

static void *work_task(void *arg)
{
    uint32_t r = (uint32_t)(uintptr_t)arg | 1u;
    int updated = 0; /* this task did one guarded update */
    switch (rng_next(&r) % 9) {
    case 0:
        parconc_mutex_lock(&g_mu);
        INVARIANT(g_mu_a == g_mu_b);
        g_mu_a++; g_mu_b++;
        parconc_mutex_unlock(&g_mu);
        updated = 1;
        break;
    case 1: /* reentrant: taken twice */
        parconc_rmutex_lock(&g_rmu);
        parconc_rmutex_lock(&g_rmu);
        INVARIANT(g_rmu_a == g_rmu_b);
        g_rmu_a++;
        parconc_rmutex_unlock(&g_rmu);
        g_rmu_b++;
        parconc_rmutex_unlock(&g_rmu);
        updated = 1;
        break;
    case 2:
        if (rng_next(&r) & 1) {
            parconc_rwlock_rdlock(&g_rw);
            INVARIANT(g_rw_a == g_rw_b);
            parconc_rwlock_rdunlock(&g_rw);
        } else {
            parconc_rwlock_wrlock(&g_rw);
            INVARIANT(g_rw_a == g_rw_b);
            g_rw_a++; g_rw_b++;
            parconc_rwlock_wrunlock(&g_rw);
            updated = 1;
        }
        break;
    case 3:
        if (parconc_sem_timedwait(&g_sem, 2000000) == PARCONC_OK) {
            INVARIANT(__atomic_add_fetch(&g_sem_inside, 1, __ATOMIC_SEQ_CST) <= 2);
            __atomic_sub_fetch(&g_sem_inside, 1, __ATOMIC_SEQ_CST);
            parconc_sem_post(&g_sem);
        }
        break;
    case 4: { /* lock_many in a random order */
        parconc_mutex *order[3];
        int first = (int)(rng_next(&r) % 3), i;
        for (i = 0; i < 3; i++) order[i] = &g_many[(first + i) % 3];
        if (rng_next(&r) & 1) { parconc_mutex *t = order[1]; order[1] = order[2]; order[2] = t; }
        INVARIANT(parconc_lock_many(order, 3, PARCONC_FOREVER) == PARCONC_OK);
        INVARIANT(g_many_v[0] == g_many_v[1] && g_many_v[1] == g_many_v[2]);
        for (i = 0; i < 3; i++) g_many_v[i]++;
        parconc_unlock_many(order, 3);
        updated = 1;
        break;
    }
    case 5: /* condition variable: produce one token, or take one if any */
        parconc_mutex_lock(&g_cv_mu);
        if (g_cv_tokens > 0 && (rng_next(&r) & 1)) {
            g_cv_tokens--;
        } else {
            g_cv_tokens++;
            parconc_cond_signal(&g_cv);
        }
        INVARIANT(g_cv_tokens >= 0);
        parconc_mutex_unlock(&g_cv_mu);
        break;
    case 6: { /* fork-join inside the pool: the wait helps */
        parconc_future *kids[4];
        int i, n = 0;
        for (i = 0; i < 4; i++)
            if (parconc_pool_submit(g_pool, child_task, (void *)(uintptr_t)(i + 1), &kids[n]) == PARCONC_OK) n++;
        for (i = 0; i < n; i++) {
            void *res = NULL;
            INVARIANT(parconc_future_get(kids[i], &res, PARCONC_FOREVER) == PARCONC_OK);
            INVARIANT((uintptr_t)res == (uintptr_t)(i + 1));
            parconc_future_release(kids[i]);
        }
        __atomic_add_fetch(&g_children, n, __ATOMIC_RELAXED);
        break;
    }
    case 7: { /* a parallel loop from inside a task */
        unsigned char seen[200];
        size_t i, n = 1 + rng_next(&r) % 200;
        parconc_for_desc d;
        memset(seen, 0, sizeof seen);
        memset(&d, 0, sizeof d);
        d.schedule = (int)(rng_next(&r) % 5);
        INVARIANT(parconc_parallel_for(g_pool, n, loop_body, seen, &d) == PARCONC_OK);
        for (i = 0; i < n; i++) INVARIANT(seen[i] == 1);
        __atomic_add_fetch(&g_loops, 1, __ATOMIC_RELAXED);
        break;
    }
    default: /* a failing task */
        return parconc_task_fail(PARCONC_ERANGE);
    }
    if (updated) __atomic_add_fetch(&g_increments, 1, __ATOMIC_RELAXED);
    return arg;
}

/* fire-and-forget submitter: tasks without futures (the FIFO pool's
   submission ring), in bursts, with short wait_idle calls in between */
static long g_light_submitted, g_light_ran;
static void *light_task(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&g_light_ran, 1, __ATOMIC_RELAXED);
    return NULL;
}
static void *light_loop(void *arg)
{
    uint32_t seed = 0xC0FFEEu;
    (void)arg;
    while (!parconc__load(&g_stop, PARCONC__ACQUIRE)) {
        int i, n = 1 + (int)(rng_next(&seed) % 64);
        for (i = 0; i < n; i++)
            if (parconc_pool_submit(g_pool, light_task, NULL, NULL) == PARCONC_OK) g_light_submitted++;
        if (rng_next(&seed) % 4 == 0) {
            int rc = parconc_pool_wait_idle(g_pool, 100000);
            INVARIANT(rc == PARCONC_OK || rc == PARCONC_ETIMEDOUT);
        } else {
            parconc_sleep_ns(500000); /* leave the pool to the other submitters too */
        }
    }
    return NULL;
}

/* submitters: tasks with futures, a random share canceled or waited with
   a short timeout; each records how its futures ended */
typedef struct submitter { uint32_t seed; long submitted, done, failed, canceled; } submitter;

static void *submit_loop(void *arg)
{
    submitter *s = (submitter *)arg;
    parconc_future *batch[32];
    while (!parconc__load(&g_stop, PARCONC__ACQUIRE)) {
        int i, n = 0;
        for (i = 0; i < 32; i++)
            if (parconc_pool_submit(g_pool, work_task, (void *)(uintptr_t)rng_next(&s->seed), &batch[n]) == PARCONC_OK) n++;
        s->submitted += n;
        for (i = 0; i < n; i++) {
            uint32_t pick = rng_next(&s->seed) % 8;
            int rc;
            if (pick == 0) parconc_future_cancel(batch[i]);
            if (pick == 1) {
                rc = parconc_future_wait(batch[i], 1000);
                INVARIANT(rc == PARCONC_OK || rc == PARCONC_ETIMEDOUT || rc == PARCONC_ECANCELED);
            }
        }
        for (i = 0; i < n; i++) {
            int rc = parconc_future_wait(batch[i], PARCONC_FOREVER), st = parconc_future_state(batch[i]);
            if (st == PARCONC_DONE) { s->done++; INVARIANT(rc == PARCONC_OK); }
            else if (st == PARCONC_FAILED) { s->failed++; INVARIANT(rc == PARCONC_OK && parconc_future_get(batch[i], NULL, 0) == PARCONC_ERANGE); }
            else if (st == PARCONC_CANCELED) { s->canceled++; INVARIANT(rc == PARCONC_ECANCELED); }
            else INVARIANT(!"a waited future is not terminal");
            parconc_future_release(batch[i]);
        }
    }
    return NULL;
}

/* structured concurrency: groups, graphs of tasks with inputs,
   continuations and combinators, each outcome checked */
static long g_sc_submitted, g_sc_done, g_sc_failed, g_sc_canceled, g_sc_rounds;

static void *sc_member(void *arg)
{
    uint32_t r = (uint32_t)(uintptr_t)arg | 1u;
    switch (rng_next(&r) % 8) {
    case 0: return parconc_task_fail(PARCONC_ERANGE);
    case 1: { /* runs until its group is canceled, or ~200 us */
        uint64_t t0 = parconc_now_ns();
        while (!parconc_task_canceled() && parconc_now_ns() - t0 < 200000) parconc_thread_yield();
        return arg;
    }
    default: return arg;
    }
}

static void *sc_then(parconc_future *done, void *arg)
{
    INVARIANT(parconc_future_wait(done, 0) != PARCONC_ETIMEDOUT); /* settled before we run */
    return arg;
}

/* tallies a settled future of ours, then releases it */
static void sc_tally(parconc_future *f, long *failed, long *canceled)
{
    int st = parconc_future_state(f);
    INVARIANT(parconc_future_wait(f, 0) != PARCONC_ETIMEDOUT);
    if (st == PARCONC_DONE) g_sc_done++;
    else if (st == PARCONC_FAILED) { g_sc_failed++; (*failed)++; }
    else if (st == PARCONC_CANCELED) { g_sc_canceled++; (*canceled)++; }
    else INVARIANT(!"a settled future is not terminal");
    parconc_future_release(f);
}

static void sc_group_round(uint32_t *seed)
{
    parconc_group g;
    parconc_group_desc gd;
    parconc_cancel parent;
    parconc_future *f[16];
    long failed = 0, canceled = 0;
    int i, n = 0, rc, did_cancel = 0, deadline = (int)(rng_next(seed) % 3 == 0);
    parconc_cancel_init(&parent, NULL);
    if (deadline) parconc_cancel_after(&parent, (int64_t)(rng_next(seed) % 2000000));
    memset(&gd, 0, sizeof gd);
    gd.pool = g_pool;
    gd.parent = &parent;
    gd.limit = rng_next(seed) % 4;
    gd.keep_going = (int)(rng_next(seed) % 2);
    INVARIANT(parconc_group_init(&g, &gd) == PARCONC_OK);
    for (i = 0; i < 16; i++) {
        rc = parconc_group_submit(&g, sc_member, (void *)(uintptr_t)rng_next(seed), &f[n]);
        if (rc == PARCONC_OK) n++;
        else INVARIANT(rc == PARCONC_ECANCELED);
        if (rng_next(seed) % 40 == 0) { parconc_group_cancel(&g); did_cancel = 1; }
    }
    rc = parconc_group_wait(&g, PARCONC_FOREVER);
    g_sc_submitted += n;
    for (i = 0; i < n; i++) sc_tally(f[i], &failed, &canceled);
    if (failed) INVARIANT(rc == PARCONC_ERANGE);
    else if (canceled || did_cancel) INVARIANT(rc == PARCONC_ECANCELED);
    else INVARIANT(rc == PARCONC_OK || (deadline && rc == PARCONC_ECANCELED));
    INVARIANT(parconc_group_destroy(&g) == PARCONC_OK);
    INVARIANT(parconc_cancel_destroy(&parent) == PARCONC_OK);
}

static void sc_graph_round(uint32_t *seed)
{
    parconc_future *t[8], *then_f, *all;
    long failed = 0, canceled = 0;
    int i, k;
    for (i = 0; i < 8; i++) {
        parconc_future *ins[3];
        parconc_task_desc d;
        int nin = i ? (int)(rng_next(seed) % 4) : 0;
        if (nin > i) nin = i;
        for (k = 0; k < nin; k++) ins[k] = t[rng_next(seed) % (uint32_t)i];
        memset(&d, 0, sizeof d);
        d.fn = child_task;
        d.arg = (void *)(uintptr_t)(i + 1);
        d.after = ins;
        d.after_count = (size_t)nin;
        INVARIANT(parconc_pool_submit_ex(g_pool, &d, &t[i]) == PARCONC_OK);
    }
    INVARIANT(parconc_future_then(t[7], g_pool, sc_then, (void *)(uintptr_t)99, &then_f) == PARCONC_OK);
    INVARIANT(parconc_when_all(t, 8, &all) == PARCONC_OK);
    INVARIANT(parconc_future_wait(all, PARCONC_FOREVER) == PARCONC_OK);
    INVARIANT(parconc_future_state(all) == PARCONC_DONE);
    INVARIANT(parconc_future_wait(then_f, PARCONC_FOREVER) == PARCONC_OK);
    g_sc_submitted += 9;
    for (i = 0; i < 8; i++) sc_tally(t[i], &failed, &canceled);
    sc_tally(then_f, &failed, &canceled);
    INVARIANT(failed == 0 && canceled == 0);
    parconc_future_release(all);
}

/* a serial queue: the tasks that run do so one at a time, in order,
   whatever was canceled in between */
static int g_serial_inside, g_serial_last;
static void *sc_serial_task(void *arg)
{
    int me = (int)(intptr_t)arg;
    INVARIANT(__atomic_add_fetch(&g_serial_inside, 1, __ATOMIC_SEQ_CST) == 1);
    INVARIANT(me > g_serial_last);
    g_serial_last = me;
    __atomic_sub_fetch(&g_serial_inside, 1, __ATOMIC_SEQ_CST);
    return arg;
}

static void sc_serial_round(uint32_t *seed)
{
    parconc_serial q;
    parconc_future *f[20];
    long failed = 0, canceled = 0;
    int i;
    INVARIANT(parconc_serial_init(&q, g_pool) == PARCONC_OK);
    g_serial_last = 0;
    for (i = 0; i < 20; i++) INVARIANT(parconc_serial_submit(&q, sc_serial_task, (void *)(intptr_t)(i + 1), &f[i]) == PARCONC_OK);
    for (i = 0; i < 20; i++) if (rng_next(seed) % 4 == 0) (void)parconc_future_cancel(f[i]);
    INVARIANT(parconc_serial_wait(&q, PARCONC_FOREVER) == PARCONC_OK);
    g_sc_submitted += 20;
    for (i = 0; i < 20; i++) sc_tally(f[i], &failed, &canceled);
    INVARIANT(failed == 0);
    INVARIANT(parconc_serial_destroy(&q) == PARCONC_OK);
}

/* delayed tasks (one canceled) and a periodic timer started and stopped */
static int g_tick_inside, g_ticks, g_ticks_counted;
static void *sc_tick(void *arg)
{
    INVARIANT(__atomic_add_fetch(&g_tick_inside, 1, __ATOMIC_SEQ_CST) == 1); /* runs never overlap */
    __atomic_add_fetch(&g_ticks, 1, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&g_tick_inside, 1, __ATOMIC_SEQ_CST);
    return arg;
}
static void *sc_due(void *arg)
{
    INVARIANT(parconc_now_ns() >= *(uint64_t *)arg); /* never early */
    return arg;
}

static void sc_timer_round(uint32_t *seed)
{
    parconc_future *f[5];
    uint64_t due[5];
    parconc_timer tm;
    long failed = 0, canceled = 0;
    int i, rc, before;
    for (i = 0; i < 5; i++) {
        int64_t delay = 1 + (int64_t)(rng_next(seed) % 300000);
        due[i] = parconc_now_ns() + (uint64_t)delay;
        INVARIANT(parconc_pool_submit_after(g_pool, delay, sc_due, &due[i], &f[i]) == PARCONC_OK);
    }
    (void)parconc_future_cancel(f[rng_next(seed) % 5]);
    rc = parconc_timer_start(&tm, g_pool, 0, 100000, (int)(rng_next(seed) % 2), sc_tick, NULL);
    INVARIANT(rc == PARCONC_OK);
    parconc_sleep_ns((int64_t)(rng_next(seed) % 500000));
    INVARIANT(parconc_timer_stop(&tm) == PARCONC_OK);
    INVARIANT(__atomic_load_n(&g_tick_inside, __ATOMIC_SEQ_CST) == 0);
    before = __atomic_load_n(&g_ticks, __ATOMIC_SEQ_CST);
    /* the timer's runs are pool tasks too: the ones that ran, and the one
       stop canceled (left CANCELED in one of the timer's two futures) */
    for (i = 0; i < 2; i++)
        if (parconc_future_state(&tm.runs_[i]) == PARCONC_CANCELED) { g_sc_submitted++; g_sc_canceled++; }
    g_sc_submitted += before - g_ticks_counted;
    g_sc_done += before - g_ticks_counted;
    g_ticks_counted = before;
    for (i = 0; i < 5; i++) INVARIANT(parconc_future_wait(f[i], PARCONC_FOREVER) != PARCONC_ETIMEDOUT);
    g_sc_submitted += 5;
    for (i = 0; i < 5; i++) sc_tally(f[i], &failed, &canceled);
    INVARIANT(failed == 0);
    INVARIANT(__atomic_load_n(&g_ticks, __ATOMIC_SEQ_CST) == before); /* none after stop */
}

static void *structured_loop(void *arg)
{
    uint32_t seed = 0xC0FFEEu;
    (void)arg;
    while (!parconc__load(&g_stop, PARCONC__ACQUIRE)) {
        uint32_t pick = rng_next(&seed) % 4;
        if (pick == 0) sc_group_round(&seed);
        else if (pick == 1) sc_graph_round(&seed);
        else if (pick == 2) sc_serial_round(&seed);
        else sc_timer_round(&seed);
        g_sc_rounds++;
    }
    return NULL;
}

/* a consumer of condition-variable tokens with timed waits */
static void *cond_consumer(void *arg)
{
    long *taken = (long *)arg;
    while (!parconc__load(&g_stop, PARCONC__ACQUIRE)) {
        parconc_mutex_lock(&g_cv_mu);
        while (g_cv_tokens == 0 && !parconc__load(&g_stop, PARCONC__ACQUIRE))
            if (parconc_cond_timedwait(&g_cv, &g_cv_mu, 5000000) == PARCONC_ETIMEDOUT) break;
        if (g_cv_tokens > 0) { g_cv_tokens--; (*taken)++; }
        parconc_mutex_unlock(&g_cv_mu);
    }
    return NULL;
}

/* the pauser: pauses the pool now and then; once a pause returned OK no
   worker runs a task until it resumes */
static void *pauser(void *arg)
{
    long *pauses = (long *)arg;
    uint32_t seed = 0xBADC0DEu;
    while (!parconc__load(&g_stop, PARCONC__ACQUIRE)) {
        parconc_pool_stats st;
        int rc;
        parconc_sleep_ns(1000000 + (int64_t)(rng_next(&seed) % 20) * 1000000);
        rc = parconc_pool_pause(g_pool, rng_next(&seed) % 2 ? 200000 : 20000000);
        INVARIANT(rc == PARCONC_OK || rc == PARCONC_ETIMEDOUT);
        if (rc == PARCONC_OK) {
            INVARIANT(parconc_pool_stats_get(g_pool, &st) == PARCONC_OK);
            INVARIANT(st.running == 0);
            parconc_sleep_ns((int64_t)(rng_next(&seed) % 1000) * 1000);
            INVARIANT(parconc_pool_stats_get(g_pool, &st) == PARCONC_OK);
            INVARIANT(st.running == 0);
            (*pauses)++;
        }
        INVARIANT(parconc_pool_resume(g_pool) == PARCONC_OK);
    }
    return NULL;
}

/* the checker: the guarded pairs are equal whenever it holds the lock */
static void *checker(void *arg)
{
    long *checks = (long *)arg;
    while (!parconc__load(&g_stop, PARCONC__ACQUIRE)) {
        parconc_pool_stats st;
        parconc_mutex_lock(&g_mu); INVARIANT(g_mu_a == g_mu_b); parconc_mutex_unlock(&g_mu);
        parconc_rwlock_rdlock(&g_rw); INVARIANT(g_rw_a == g_rw_b); parconc_rwlock_rdunlock(&g_rw);
        parconc_rmutex_lock(&g_rmu); INVARIANT(g_rmu_a == g_rmu_b); parconc_rmutex_unlock(&g_rmu);
        INVARIANT(parconc_pool_stats_get(g_pool, &st) == PARCONC_OK);
        INVARIANT(st.completed + st.failed + st.canceled <= st.submitted);
        (*checks)++;
        parconc_sleep_ns(3000000);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 10;
    parconc_pool_desc d;
    parconc_thread sub[2], chk, cons, light, pause_thread, sc;
    submitter s[2];
    long checks = 0, taken = 0, pauses = 0, submitted, done, failed, canceled;
    int caller_runs = argc > 2 && strcmp(argv[2], "caller-runs") == 0;
    parconc_pool_stats st;
    uint64_t start = parconc_now_ns();
    int i;

    memset(&d, 0, sizeof d);
    d.threads = 3;
    d.caller_runs_when_full = caller_runs; /* a full ring: submitters run tasks themselves */
    if (parconc_pool_create(&g_pool, &d) != PARCONC_OK) return 1;
    parconc_rwlock_init(&g_rw, PARCONC_RW_FAIR);
    parconc_sem_init(&g_sem, 2);
    memset(s, 0, sizeof s);
    for (i = 0; i < 2; i++) {
        s[i].seed = 0x9E3779B9u * (uint32_t)(i + 1);
        parconc_thread_create(&sub[i], submit_loop, &s[i], NULL);
    }
    parconc_thread_create(&light, light_loop, NULL, NULL);
    parconc_thread_create(&sc, structured_loop, NULL, NULL);
    parconc_thread_create(&chk, checker, &checks, NULL);
    parconc_thread_create(&cons, cond_consumer, &taken, NULL);
    parconc_thread_create(&pause_thread, pauser, &pauses, NULL);
    while ((double)(parconc_now_ns() - start) < seconds * 1e9 && !__atomic_load_n(&g_broken, __ATOMIC_SEQ_CST))
        parconc_sleep_ns(50000000);
    parconc__store(&g_stop, 1u, PARCONC__RELEASE);
    for (i = 0; i < 2; i++) parconc_thread_join(sub[i], NULL);
    parconc_thread_join(light, NULL);
    parconc_thread_join(sc, NULL);
    parconc_thread_join(chk, NULL);
    parconc_thread_join(pause_thread, NULL);
    parconc_cond_broadcast(&g_cv);
    parconc_thread_join(cons, NULL);
    INVARIANT(parconc_pool_shutdown(g_pool, PARCONC_SHUTDOWN_DRAIN, PARCONC_FOREVER) == PARCONC_OK);
    INVARIANT(parconc_pool_stats_get(g_pool, &st) == PARCONC_OK);
    parconc_pool_destroy(g_pool);

    submitted = s[0].submitted + s[1].submitted;
    done = s[0].done + s[1].done;
    failed = s[0].failed + s[1].failed;
    canceled = s[0].canceled + s[1].canceled;
    /* every submitted task ended exactly once, as its future and the pool say */
    INVARIANT(done + failed + canceled == submitted);
    INVARIANT(g_light_ran == g_light_submitted); /* DRAIN ran every accepted one */
    INVARIANT(st.submitted == (uint64_t)(submitted + __atomic_load_n(&g_children, __ATOMIC_RELAXED) + g_light_submitted +
                                         g_sc_submitted));
    INVARIANT(st.completed + st.failed + st.canceled == st.submitted);
    INVARIANT(st.failed == (uint64_t)(failed + g_sc_failed));
    INVARIANT(st.canceled == (uint64_t)(canceled + g_sc_canceled));
    INVARIANT(g_sc_done + g_sc_failed + g_sc_canceled == g_sc_submitted);
    /* the guarded updates add up */
    INVARIANT(g_mu_a == g_mu_b && g_rmu_a == g_rmu_b && g_rw_a == g_rw_b);
    INVARIANT(g_many_v[0] == g_many_v[1] && g_many_v[1] == g_many_v[2]);
    INVARIANT(g_mu_a + g_rmu_a + g_rw_a + g_many_v[0] == __atomic_load_n(&g_increments, __ATOMIC_RELAXED));
    INVARIANT(parconc_sem_value(&g_sem) == 2);
    printf("soak: %.0f s%s, %ld tasks (%ld done, %ld failed, %ld canceled) + %ld children + %ld without "
           "future, %ld loops, %ld pauses, %ld structured rounds (%ld tasks: %ld failed, %ld canceled), "
           "%ld checks, invariants %s\n", seconds, caller_runs ? " (caller-runs pool)" : "",
           submitted, done, failed, canceled, __atomic_load_n(&g_children, __ATOMIC_RELAXED), g_light_submitted,
           __atomic_load_n(&g_loops, __ATOMIC_RELAXED), pauses, g_sc_rounds, g_sc_submitted, g_sc_failed, g_sc_canceled,
           checks, g_broken ? "BROKEN" : "held");
    (void)taken;
    printf(g_broken ? "0 passed, 1 failed\n" : "1 passed, 0 failed\n");
    return g_broken ? 1 : 0;
}
