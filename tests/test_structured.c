/* Structured concurrency: cancellation tokens, task groups, continuations,
   combinators and tasks with inputs. */
#include <stddef.h> /* no system header that reads feature macros before parconc.h */
static long heap_allocs; /* the library's own heap use */
static void *counting_malloc(size_t n);
static void plain_free(void *p);
#define PARCONC_MALLOC(n) counting_malloc(n)
#define PARCONC_FREE(p) plain_free(p)
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "harness.h"
#include "misuse_log.h"
#if !defined(PARCONC_PORT_CUSTOM)
#include <unistd.h> /* getpid, for the trace file python3 checks */
#endif

static int allocs_left = -1; /* >= 0: that many more succeed, then NULL */
static void *counting_malloc(size_t n)
{
    __atomic_fetch_add(&heap_allocs, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&allocs_left, __ATOMIC_RELAXED) >= 0 && __atomic_fetch_sub(&allocs_left, 1, __ATOMIC_RELAXED) <= 0)
        return NULL;
    return malloc(n);
}
static void plain_free(void *p) { free(p); }

#define MS 1000000LL

static parconc_pool *make_pool(int threads)
{
    parconc_pool_desc d;
    parconc_pool *p = NULL;
    memset(&d, 0, sizeof d);
    d.threads = threads;
    d.name = "sc";
    return parconc_pool_create(&p, &d) == PARCONC_OK ? p : NULL;
}

static int counter_get(int *c) { return __atomic_load_n(c, __ATOMIC_SEQ_CST); }
static int counter_add(int *c, int v) { return __atomic_add_fetch(c, v, __ATOMIC_SEQ_CST); }

/* A gate tasks block on until the test opens it. */
typedef struct gate { parconc_future open; int inside; } gate;
static void gate_init(gate *g) { parconc_future_init(&g->open); g->inside = 0; }
static void *gate_task(void *arg)
{
    gate *g = (gate *)arg;
    counter_add(&g->inside, 1);
    parconc_future_wait(&g->open, PARCONC_FOREVER); /* a promise: the wait runs nothing */
    return NULL;
}
static void gate_wait_inside(gate *g, int n)
{
    while (counter_get(&g->inside) < n) parconc_sleep_ns(100000);
}

/* ===================== tokens ===================== */

static void test_token_basics(void)
{
    parconc_cancel c = PARCONC_CANCEL_INIT, z;
    int64_t t0;
    memset(&z, 0, sizeof z); /* all-zero: a live token */
    PT_CHECK_EQ(parconc_cancel_check(&z), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_check(&c), PARCONC_OK);
    t0 = parconc_now_ns();
    PT_CHECK_EQ(parconc_cancel_wait(&c, 10 * MS), PARCONC_ETIMEDOUT);
    PT_CHECK(parconc_now_ns() - t0 >= 10 * MS);
    PT_CHECK_EQ(parconc_cancel_wait(&c, 0), PARCONC_ETIMEDOUT);
    PT_CHECK_EQ(parconc_cancel_request(&c, PARCONC_ERANGE), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_check(&c), PARCONC_ERANGE);
    PT_CHECK_EQ(parconc_cancel_request(&c, PARCONC_ECANCELED), PARCONC_OK); /* the first reason stays */
    PT_CHECK_EQ(parconc_cancel_check(&c), PARCONC_ERANGE);
    PT_CHECK_EQ(parconc_cancel_wait(&c, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_wait(&c, 0), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_request(&z, 7), PARCONC_OK); /* not a negative code: ECANCELED */
    PT_CHECK_EQ(parconc_cancel_check(&z), PARCONC_ECANCELED);
    PT_CHECK_EQ(parconc_cancel_destroy(&c), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_destroy(&z), PARCONC_OK);
    /* bad input */
    PT_CHECK_EQ(parconc_cancel_init(NULL, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cancel_init(&c, &c), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cancel_request(NULL, PARCONC_ECANCELED), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cancel_after(NULL, MS), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cancel_check(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cancel_wait(NULL, 0), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cancel_destroy(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_task_canceled(), PARCONC_OK); /* outside a task */
}

typedef struct waiter_arg { parconc_cancel *c; int64_t woke_at; int rc; } waiter_arg;
static void *token_waiter(void *arg)
{
    waiter_arg *w = (waiter_arg *)arg;
    w->rc = parconc_cancel_wait(w->c, PARCONC_FOREVER);
    w->woke_at = parconc_now_ns();
    return NULL;
}

static void test_token_tree_reaches_grandchildren(void)
{
    parconc_cancel root, a, b, a1, a2, late;
    parconc_thread th;
    waiter_arg w;
    PT_CHECK_EQ(parconc_cancel_init(&root, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_init(&a, &root), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_init(&b, &root), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_init(&a1, &a), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_init(&a2, &a), PARCONC_OK);
    /* a child firing leaves its parent and siblings live */
    PT_CHECK_EQ(parconc_cancel_request(&a2, PARCONC_ERANGE), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_check(&a), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_check(&a1), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_check(&root), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_destroy(&root), PARCONC_EBUSY); /* children registered */
    /* a thread asleep on a grandchild wakes when the root fires */
    w.c = &a1;
    w.rc = -1;
    PT_CHECK_EQ(parconc_thread_create(&th, token_waiter, &w, NULL), PARCONC_OK);
    parconc_sleep_ns(5 * MS);
    PT_CHECK_EQ(parconc_cancel_request(&root, PARCONC_ECANCELED), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(th, NULL), PARCONC_OK);
    PT_CHECK_EQ(w.rc, PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_check(&a), PARCONC_ECANCELED);
    PT_CHECK_EQ(parconc_cancel_check(&b), PARCONC_ECANCELED);
    PT_CHECK_EQ(parconc_cancel_check(&a1), PARCONC_ECANCELED);
    PT_CHECK_EQ(parconc_cancel_check(&a2), PARCONC_ERANGE); /* fired before with its own reason */
    /* a child of a fired token is born fired */
    PT_CHECK_EQ(parconc_cancel_init(&late, &a1), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_check(&late), PARCONC_ECANCELED);
    PT_CHECK_EQ(parconc_cancel_destroy(&late), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_destroy(&a1), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_destroy(&a), PARCONC_EBUSY); /* a2 still there */
    PT_CHECK_EQ(parconc_cancel_destroy(&a2), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_destroy(&a), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_destroy(&b), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_destroy(&root), PARCONC_OK);
}

/* A chain 20 000 tokens deep fires without recursion. */
static void test_token_deep_chain_no_recursion(void)
{
    enum { N = 20000 };
    parconc_cancel *t = (parconc_cancel *)malloc(N * sizeof *t);
    int i;
    PT_CHECK(t != NULL);
    PT_CHECK_EQ(parconc_cancel_init(&t[0], NULL), PARCONC_OK);
    for (i = 1; i < N; i++) PT_CHECK_EQ(parconc_cancel_init(&t[i], &t[i - 1]), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_request(&t[0], PARCONC_ERANGE), PARCONC_OK);
    for (i = 0; i < N; i++) PT_CHECK_EQ(parconc_cancel_check(&t[i]), PARCONC_ERANGE);
    for (i = N - 1; i >= 0; i--) PT_CHECK_EQ(parconc_cancel_destroy(&t[i]), PARCONC_OK);
    free(t);
}

static void test_token_deadline_never_early(void)
{
    parconc_cancel d, child, grand;
    parconc_thread th;
    waiter_arg w;
    int64_t t0;
    int round;
    for (round = 0; round < 3; round++) {
        PT_CHECK_EQ(parconc_cancel_init(&d, NULL), PARCONC_OK);
        PT_CHECK_EQ(parconc_cancel_init(&child, &d), PARCONC_OK);
        PT_CHECK_EQ(parconc_cancel_init(&grand, &child), PARCONC_OK);
        t0 = parconc_now_ns();
        PT_CHECK_EQ(parconc_cancel_after(&d, 30 * MS), PARCONC_OK);
        PT_CHECK_EQ(parconc_cancel_after(&d, 500 * MS), PARCONC_OK); /* the earlier deadline stays */
        w.c = &grand; /* a grandchild's waiter wakes at the ancestor's deadline */
        w.rc = -1;
        PT_CHECK_EQ(parconc_thread_create(&th, token_waiter, &w, NULL), PARCONC_OK);
        while (parconc_now_ns() - t0 < 25 * MS) {
            int r = parconc_cancel_check(&grand);
            if (parconc_now_ns() - t0 < 30 * MS) PT_EXPECT_EQ(r, PARCONC_OK); /* never before */
            parconc_sleep_ns(MS);
        }
        PT_CHECK_EQ(parconc_thread_join(th, NULL), PARCONC_OK);
        PT_CHECK_EQ(w.rc, PARCONC_OK);
        PT_CHECK(w.woke_at - t0 >= 30 * MS);
        PT_CHECK(w.woke_at - t0 < 2000 * MS);
        PT_CHECK_EQ(parconc_cancel_check(&grand), PARCONC_ETIMEDOUT);
        PT_CHECK_EQ(parconc_cancel_check(&child), PARCONC_ETIMEDOUT);
        PT_CHECK_EQ(parconc_cancel_check(&d), PARCONC_ETIMEDOUT);
        PT_CHECK_EQ(parconc_cancel_destroy(&grand), PARCONC_OK);
        PT_CHECK_EQ(parconc_cancel_destroy(&child), PARCONC_OK);
        PT_CHECK_EQ(parconc_cancel_destroy(&d), PARCONC_OK);
    }
    /* 0 or negative: fires now */
    PT_CHECK_EQ(parconc_cancel_init(&d, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_after(&d, 0), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_check(&d), PARCONC_ETIMEDOUT);
}

/* Children created and destroyed on other threads while the root fires:
   every child that is registered when the walk passes, or created after,
   reads fired; nothing crashes or hangs. */
typedef struct churn_arg { parconc_cancel *root; int fired_seen; } churn_arg;
static void *token_churn(void *arg)
{
    churn_arg *a = (churn_arg *)arg;
    int i;
    for (i = 0; i < 2000; i++) {
        parconc_cancel c, g;
        parconc_cancel_init(&c, a->root);
        parconc_cancel_init(&g, &c);
        if (parconc_cancel_check(&g)) {
            PT_EXPECT(parconc_cancel_check(&c) != PARCONC_OK);
            a->fired_seen++;
        }
        PT_EXPECT_EQ(parconc_cancel_destroy(&g), PARCONC_OK);
        PT_EXPECT_EQ(parconc_cancel_destroy(&c), PARCONC_OK);
    }
    return NULL;
}

static void test_token_fire_races_children(void)
{
    int round;
    for (round = 0; round < 20; round++) {
        parconc_cancel root;
        parconc_thread th[3];
        churn_arg a[3];
        int i;
        parconc_cancel_init(&root, NULL);
        for (i = 0; i < 3; i++) {
            a[i].root = &root;
            a[i].fired_seen = 0;
            PT_CHECK_EQ(parconc_thread_create(&th[i], token_churn, &a[i], NULL), PARCONC_OK);
        }
        parconc_sleep_ns(round % 3 * 100000);
        parconc_cancel_request(&root, PARCONC_ECANCELED);
        for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_thread_join(th[i], NULL), PARCONC_OK);
        PT_CHECK_EQ(parconc_cancel_destroy(&root), PARCONC_OK); /* every child unregistered */
    }
}

/* ===================== tasks and loops with tokens ===================== */

static int ran_count;
static void *count_task(void *arg) { (void)arg; counter_add(&ran_count, 1); return arg; }

static void *report_canceled(void *arg)
{
    gate *g = (gate *)arg;
    gate_task(g);
    return (void *)(intptr_t)parconc_task_canceled();
}

static void test_token_cancels_queued_tasks(void)
{
    parconc_pool *p = make_pool(1);
    parconc_cancel c;
    parconc_task_desc t;
    parconc_future *running, *f[100];
    parconc_pool_stats st;
    gate g;
    void *r;
    int i;
    PT_CHECK(p != NULL);
    parconc_cancel_init(&c, NULL);
    gate_init(&g);
    ran_count = 0;
    memset(&t, 0, sizeof t);
    t.fn = report_canceled;
    t.arg = &g;
    t.cancel = &c;
    PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, &running), PARCONC_OK);
    gate_wait_inside(&g, 1); /* the one worker is inside it */
    t.fn = count_task;
    t.arg = NULL;
    for (i = 0; i < 100; i++) PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, &f[i]), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_request(&c, PARCONC_ERANGE), PARCONC_OK);
    parconc_future_complete(&g.open, NULL);
    PT_CHECK_EQ(parconc_future_get(running, &r, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ((intptr_t)r, PARCONC_ERANGE); /* the running task saw the reason */
    for (i = 0; i < 100; i++) {
        PT_CHECK_EQ(parconc_future_wait(f[i], PARCONC_FOREVER), PARCONC_ECANCELED);
        PT_CHECK_EQ(parconc_future_state(f[i]), PARCONC_CANCELED);
        parconc_future_release(f[i]);
    }
    PT_CHECK_EQ(ran_count, 0); /* none ran */
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_stats_get(p, &st), PARCONC_OK);
    PT_CHECK_EQ(st.canceled, 100);
    PT_CHECK_EQ(st.completed, 1);
    /* a token fired before submit: accepted, then CANCELED without running;
       fire-and-forget too (it gets a future of its own) */
    PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, &f[0]), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_wait(f[0], PARCONC_FOREVER), PARCONC_ECANCELED);
    parconc_future_release(f[0]);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(ran_count, 0);
    PT_CHECK_EQ(parconc_pool_stats_get(p, &st), PARCONC_OK);
    PT_CHECK_EQ(st.submitted, st.completed + st.canceled + st.failed);
    parconc_future_release(running);
    parconc_pool_destroy(p);
    PT_CHECK_EQ(parconc_cancel_destroy(&c), PARCONC_OK);
}

/* Submitters race a token: each task ends DONE (it ran) or CANCELED (it
   did not), exactly once. */
typedef struct race_arg { parconc_pool *p; parconc_cancel *c; parconc_future *f[500]; } race_arg;
static void *race_submitter(void *arg)
{
    race_arg *a = (race_arg *)arg;
    parconc_task_desc t;
    int i;
    memset(&t, 0, sizeof t);
    t.fn = count_task;
    t.cancel = a->c;
    for (i = 0; i < 500; i++) PT_EXPECT_EQ(parconc_pool_submit_ex(a->p, &t, &a->f[i]), PARCONC_OK);
    return NULL;
}

static void test_token_fires_during_submit(void)
{
    int round;
    for (round = 0; round < 10; round++) {
        parconc_pool *p = make_pool(2);
        parconc_cancel c;
        parconc_thread th[2];
        race_arg *a = (race_arg *)calloc(2, sizeof *a);
        int i, k, done = 0, canceled = 0;
        PT_CHECK(p != NULL && a != NULL);
        parconc_cancel_init(&c, NULL);
        ran_count = 0;
        for (k = 0; k < 2; k++) {
            a[k].p = p;
            a[k].c = &c;
            PT_CHECK_EQ(parconc_thread_create(&th[k], race_submitter, &a[k], NULL), PARCONC_OK);
        }
        parconc_sleep_ns(round * 50000);
        parconc_cancel_request(&c, PARCONC_ECANCELED);
        for (k = 0; k < 2; k++) PT_CHECK_EQ(parconc_thread_join(th[k], NULL), PARCONC_OK);
        for (k = 0; k < 2; k++)
            for (i = 0; i < 500; i++) {
                int rc = parconc_future_wait(a[k].f[i], PARCONC_FOREVER);
                if (rc == PARCONC_OK) done++;
                else if (rc == PARCONC_ECANCELED) canceled++;
                parconc_future_release(a[k].f[i]);
            }
        PT_CHECK_EQ(done + canceled, 1000);
        PT_CHECK_EQ(done, ran_count);
        parconc_pool_destroy(p);
        free(a);
    }
}

static void loop_fires_at(size_t b, size_t e, size_t worker, void *arg)
{
    parconc_cancel *c = (parconc_cancel *)arg;
    size_t i;
    (void)worker;
    for (i = b; i < e; i++) {
        if (i == 1000) parconc_cancel_request(c, PARCONC_ERANGE);
        counter_add(&ran_count, 1);
    }
}

static void loop_slow(size_t b, size_t e, size_t worker, void *arg)
{
    (void)worker;
    (void)arg;
    counter_add(&ran_count, (int)(e - b));
    parconc_sleep_ns(MS);
}

static void reduce_sum(size_t b, size_t e, void *partial, void *arg)
{
    (void)arg;
    for (; b < e; b++) *(long *)partial += (long)b;
}
static void combine_sum(void *into, const void *from, void *arg)
{
    (void)arg;
    *(long *)into += *(const long *)from;
}

static void test_loop_token_stops_it(void)
{
    parconc_pool *p = make_pool(2);
    parconc_cancel c;
    parconc_for_desc d;
    int sched;
    static const int schedules[] = {PARCONC_AUTO, PARCONC_STATIC, PARCONC_DYNAMIC, PARCONC_GUIDED, PARCONC_RESPAWN};
    PT_CHECK(p != NULL);
    for (sched = 0; sched < 5; sched++) {
        memset(&d, 0, sizeof d);
        d.schedule = schedules[sched];
        d.chunk = 16;
        d.cancel = &c;
        /* fired before: no item runs, the loop returns the reason */
        parconc_cancel_init(&c, NULL);
        parconc_cancel_request(&c, PARCONC_EPERM);
        ran_count = 0;
        PT_CHECK_EQ(parconc_parallel_for(p, 100000, loop_fires_at, &c, &d), PARCONC_EPERM);
        PT_CHECK_EQ(ran_count, 0);
        /* fired from a body: the loop stops early with the reason */
        if (d.schedule != PARCONC_STATIC) {
            parconc_cancel_init(&c, NULL);
            ran_count = 0;
            PT_CHECK_EQ(parconc_parallel_for(p, 10000000, loop_fires_at, &c, &d), PARCONC_ERANGE);
            PT_CHECK(ran_count < 10000000);
        }
        /* a live token changes nothing */
        parconc_cancel_init(&c, NULL);
        ran_count = 0;
        PT_CHECK_EQ(parconc_parallel_for(p, 999, loop_fires_at, &c, &d), PARCONC_OK);
        PT_CHECK_EQ(ran_count, 999);
    }
    /* a deadline: a loop of 1 ms chunks stops after ~30 ms with ETIMEDOUT */
    {
        int64_t t0 = parconc_now_ns();
        parconc_cancel_init(&c, NULL);
        parconc_cancel_after(&c, 30 * MS);
        memset(&d, 0, sizeof d);
        d.schedule = PARCONC_DYNAMIC;
        d.chunk = 1;
        d.cancel = &c;
        ran_count = 0;
        PT_CHECK_EQ(parconc_parallel_for(p, 100000, loop_slow, NULL, &d), PARCONC_ETIMEDOUT);
        PT_CHECK(parconc_now_ns() - t0 >= 30 * MS);
        PT_CHECK(ran_count < 100000);
    }
    /* parallel_reduce honours it too: the reason, and the result untouched */
    {
        long sum = 5;
        parconc_cancel_init(&c, NULL);
        parconc_cancel_request(&c, PARCONC_EPERM);
        memset(&d, 0, sizeof d);
        d.cancel = &c;
        PT_CHECK_EQ(parconc_parallel_reduce(p, 100000, reduce_sum, combine_sum, &sum, sizeof sum, NULL, &d), PARCONC_EPERM);
        PT_CHECK_EQ(sum, 5);
        parconc_cancel_init(&c, NULL);
        sum = 0;
        PT_CHECK_EQ(parconc_parallel_reduce(p, 1000, reduce_sum, combine_sum, &sum, sizeof sum, NULL, &d), PARCONC_OK);
        PT_CHECK_EQ(sum, 1000 * 999 / 2);
    }
    parconc_pool_destroy(p);
}

/* ===================== groups ===================== */

static void *fail_if_odd(void *arg)
{
    intptr_t i = (intptr_t)arg;
    counter_add(&ran_count, 1);
    if (i % 2) return parconc_task_fail(1000 + (int)i);
    return arg;
}

static void test_group_all_succeed(void)
{
    parconc_pool *p = make_pool(3);
    parconc_group g;
    parconc_group_desc gd;
    parconc_future *f;
    void *r;
    int i;
    PT_CHECK(p != NULL);
    memset(&gd, 0, sizeof gd);
    gd.pool = p;
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
    ran_count = 0;
    for (i = 0; i < 1000; i++) PT_CHECK_EQ(parconc_group_submit(&g, count_task, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_submit(&g, count_task, (void *)(intptr_t)7, &f), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_wait(&g, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(ran_count, 1001);
    PT_CHECK_EQ(parconc_future_get(f, &r, 0), PARCONC_OK); /* settled once the group wait returned */
    PT_CHECK_EQ((intptr_t)r, 7);
    parconc_future_release(f);
    /* reusable: more members, a second wait */
    PT_CHECK_EQ(parconc_group_submit(&g, count_task, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_wait(&g, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(ran_count, 1002);
    PT_CHECK_EQ(parconc_group_wait(&g, 0), PARCONC_OK); /* empty */
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_EINVAL); /* destroyed */
    PT_CHECK_EQ(parconc_group_submit(&g, count_task, NULL, NULL), PARCONC_EINVAL);
    parconc_pool_destroy(p);
}

static void *fail_after_gate(void *arg)
{
    (void)gate_task((gate *)arg);
    return parconc_task_fail(PARCONC_ERANGE);
}

static void *loop_until_canceled(void *arg)
{
    int64_t t0 = parconc_now_ns();
    (void)arg;
    counter_add(&ran_count, 1);
    while (!parconc_task_canceled())
        if (parconc_now_ns() - t0 > 10000 * MS) return parconc_task_fail(PARCONC_ETIMEDOUT);
    return (void *)(intptr_t)parconc_task_canceled();
}

static void test_group_first_failure_cancels_rest(void)
{
    parconc_pool *p = make_pool(2);
    parconc_group g;
    parconc_group_desc gd;
    parconc_future *spinner, *failer, *f[50];
    gate gt;
    void *r;
    int i;
    PT_CHECK(p != NULL);
    memset(&gd, 0, sizeof gd);
    gd.pool = p;
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
    gate_init(&gt);
    ran_count = 0;
    PT_CHECK_EQ(parconc_group_submit(&g, loop_until_canceled, NULL, &spinner), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_submit(&g, fail_after_gate, &gt, &failer), PARCONC_OK);
    gate_wait_inside(&gt, 1); /* both workers busy: the rest stays queued */
    while (counter_get(&ran_count) < 1) parconc_sleep_ns(100000);
    for (i = 0; i < 50; i++) PT_CHECK_EQ(parconc_group_submit(&g, count_task, NULL, &f[i]), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_EBUSY); /* members pending */
    PT_CHECK_EQ(parconc_group_wait(&g, 10 * MS), PARCONC_ETIMEDOUT);
    parconc_future_complete(&gt.open, NULL);
    PT_CHECK_EQ(parconc_group_wait(&g, PARCONC_FOREVER), PARCONC_ERANGE); /* the failure's error */
    PT_CHECK_EQ(parconc_future_get(failer, &r, 0), PARCONC_ERANGE);
    PT_CHECK_EQ(parconc_future_get(spinner, &r, 0), PARCONC_OK);
    PT_CHECK_EQ((intptr_t)r, PARCONC_ECANCELED); /* it saw the group's cancellation */
    for (i = 0; i < 50; i++) {
        PT_CHECK_EQ(parconc_future_state(f[i]), PARCONC_CANCELED);
        parconc_future_release(f[i]);
    }
    PT_CHECK_EQ(ran_count, 1); /* only the spinner */
    /* a canceled group takes nothing more */
    PT_CHECK_EQ(parconc_group_submit(&g, count_task, NULL, NULL), PARCONC_ECANCELED);
    PT_CHECK_EQ(parconc_group_try_submit(&g, count_task, NULL, NULL), PARCONC_ECANCELED);
    parconc_future_release(spinner);
    parconc_future_release(failer);
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    parconc_pool_destroy(p);
}

static void test_group_keep_going(void)
{
    parconc_pool *p = make_pool(2);
    parconc_group g;
    parconc_group_desc gd;
    int i, rc;
    PT_CHECK(p != NULL);
    memset(&gd, 0, sizeof gd);
    gd.pool = p;
    gd.keep_going = 1;
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
    ran_count = 0;
    for (i = 0; i < 200; i++) PT_CHECK_EQ(parconc_group_submit(&g, fail_if_odd, (void *)(intptr_t)i, NULL), PARCONC_OK);
    rc = parconc_group_wait(&g, PARCONC_FOREVER);
    PT_CHECK(rc > 1000 && rc < 1200 && rc % 2 == 1); /* one of the failures' errors */
    PT_CHECK_EQ(ran_count, 200); /* all ran */
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    parconc_pool_destroy(p);
}

static int active_now, active_max;
static void *limited_task(void *arg)
{
    int a = counter_add(&active_now, 1), m;
    (void)arg;
    while ((m = counter_get(&active_max)) < a && !__atomic_compare_exchange_n(&active_max, &m, a, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    parconc_sleep_ns(200000);
    counter_add(&ran_count, 1);
    counter_add(&active_now, -1);
    return NULL;
}

typedef struct limit_waiter { parconc_group *g; int rc; } limit_waiter;
static void *limit_submit_waits(void *arg)
{
    limit_waiter *w = (limit_waiter *)arg;
    w->rc = parconc_group_submit(w->g, count_task, NULL, NULL);
    return NULL;
}

static void test_group_limit_holds(void)
{
    parconc_pool *p = make_pool(4);
    parconc_group g;
    parconc_group_desc gd;
    parconc_task_desc t;
    gate gt;
    int i;
    int64_t t0;
    PT_CHECK(p != NULL);
    memset(&gd, 0, sizeof gd);
    gd.pool = p;
    gd.limit = 3;
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
    active_now = active_max = 0;
    ran_count = 0;
    for (i = 0; i < 100; i++) PT_CHECK_EQ(parconc_group_submit(&g, limited_task, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_wait(&g, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(ran_count, 100);
    PT_CHECK(active_max >= 1 && active_max <= 3);
    /* at the limit: try answers EAGAIN, a timed submit ETIMEDOUT after its
       timeout, a waiting submit ECANCELED when the group is canceled */
    gate_init(&gt);
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_group_submit(&g, gate_task, &gt, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_try_submit(&g, count_task, NULL, NULL), PARCONC_EAGAIN);
    memset(&t, 0, sizeof t);
    t.fn = count_task;
    t.timeout_ns = 20 * MS;
    t0 = parconc_now_ns();
    PT_CHECK_EQ(parconc_group_submit_ex(&g, &t, NULL), PARCONC_ETIMEDOUT);
    PT_CHECK(parconc_now_ns() - t0 >= 20 * MS);
    {
        parconc_thread th;
        limit_waiter w;
        w.g = &g;
        w.rc = 1;
        PT_CHECK_EQ(parconc_thread_create(&th, limit_submit_waits, &w, NULL), PARCONC_OK);
        parconc_sleep_ns(5 * MS);
        PT_CHECK_EQ(parconc_group_cancel(&g), PARCONC_OK);
        PT_CHECK_EQ(parconc_thread_join(th, NULL), PARCONC_OK);
        PT_CHECK_EQ(w.rc, PARCONC_ECANCELED);
    }
    parconc_future_complete(&gt.open, NULL);
    PT_CHECK_EQ(parconc_group_wait(&g, PARCONC_FOREVER), PARCONC_ECANCELED);
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    /* a room-waiting submit goes on once a slot frees */
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
    ran_count = 0;
    for (i = 0; i < 20; i++) PT_CHECK_EQ(parconc_group_submit(&g, count_task, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_wait(&g, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(ran_count, 20);
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    parconc_pool_destroy(p);
}

/* A task of a one-thread pool runs a group on that pool and waits for it:
   the wait runs the members (no deadlock).  A member waiting for its own
   group gets EDEADLK. */
static parconc_group *own_group;
static void *wait_own_group(void *arg) { (void)arg; return (void *)(intptr_t)parconc_group_wait(own_group, PARCONC_FOREVER); }
static void *group_inside_task(void *arg)
{
    parconc_group g;
    parconc_group_desc gd;
    parconc_future *f;
    void *r = NULL;
    int i, rc;
    memset(&gd, 0, sizeof gd);
    gd.pool = (parconc_pool *)arg;
    gd.limit = (size_t)(intptr_t)4;
    if (parconc_group_init(&g, &gd) != PARCONC_OK) return parconc_task_fail(PARCONC_EINVAL);
    for (i = 0; i < 40; i++)
        if (parconc_group_submit(&g, count_task, NULL, NULL) != PARCONC_OK) return parconc_task_fail(PARCONC_EINVAL);
    own_group = &g;
    if (parconc_group_submit(&g, wait_own_group, NULL, &f) != PARCONC_OK) return parconc_task_fail(PARCONC_EINVAL);
    rc = parconc_group_wait(&g, PARCONC_FOREVER);
    parconc_future_get(f, &r, 0);
    parconc_future_release(f);
    parconc_group_destroy(&g);
    if ((intptr_t)r != PARCONC_EDEADLK) return parconc_task_fail(PARCONC_EPERM);
    return (void *)(intptr_t)rc;
}

static void test_group_wait_inside_task_helps(void)
{
    parconc_pool *p = make_pool(1);
    parconc_future *f;
    void *r;
    PT_CHECK(p != NULL);
    ran_count = 0;
    PT_CHECK_EQ(parconc_pool_submit(p, group_inside_task, p, &f), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_get(f, &r, 20000 * MS), PARCONC_OK);
    PT_CHECK_EQ((intptr_t)r, PARCONC_OK);
    PT_CHECK_EQ(ran_count, 40);
    parconc_future_release(f);
    parconc_pool_destroy(p);
}

static void test_group_parent_token(void)
{
    parconc_pool *p = make_pool(1);
    parconc_cancel root, mid;
    parconc_group g;
    parconc_group_desc gd;
    parconc_future *spinner, *f[20];
    void *r;
    int i;
    PT_CHECK(p != NULL);
    parconc_cancel_init(&root, NULL);
    parconc_cancel_init(&mid, &root);
    memset(&gd, 0, sizeof gd);
    gd.pool = p;
    gd.parent = &mid;
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
    ran_count = 0;
    PT_CHECK_EQ(parconc_group_submit(&g, loop_until_canceled, NULL, &spinner), PARCONC_OK);
    while (counter_get(&ran_count) < 1) parconc_sleep_ns(100000);
    for (i = 0; i < 20; i++) PT_CHECK_EQ(parconc_group_submit(&g, count_task, NULL, &f[i]), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_destroy(&mid), PARCONC_EBUSY); /* the group's token is its child */
    PT_CHECK_EQ(parconc_cancel_request(&root, PARCONC_EPERM), PARCONC_OK); /* the grandparent */
    PT_CHECK_EQ(parconc_group_wait(&g, PARCONC_FOREVER), PARCONC_ECANCELED);
    PT_CHECK_EQ(parconc_future_get(spinner, &r, 0), PARCONC_OK);
    PT_CHECK_EQ((intptr_t)r, PARCONC_EPERM);
    for (i = 0; i < 20; i++) {
        PT_CHECK_EQ(parconc_future_state(f[i]), PARCONC_CANCELED);
        parconc_future_release(f[i]);
    }
    PT_CHECK_EQ(ran_count, 1);
    parconc_future_release(spinner);
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_destroy(&mid), PARCONC_OK);
    PT_CHECK_EQ(parconc_cancel_destroy(&root), PARCONC_OK);
    /* a group under a fired parent is canceled from the start */
    parconc_cancel_init(&root, NULL);
    parconc_cancel_request(&root, PARCONC_ECANCELED);
    gd.parent = &root;
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_submit(&g, count_task, NULL, NULL), PARCONC_ECANCELED);
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    parconc_pool_destroy(p);
}

/* cancel() racing members' completion: each member ends once, the group
   counts every one out, the pool's accounting stays exact. */
static void test_group_cancel_races_completion(void)
{
    parconc_pool *p = make_pool(2);
    parconc_group g;
    parconc_group_desc gd;
    parconc_future *f[300];
    parconc_pool_stats st;
    int round, i, done, canceled;
    PT_CHECK(p != NULL);
    memset(&gd, 0, sizeof gd);
    gd.pool = p;
    gd.keep_going = 1;
    for (round = 0; round < 10; round++) {
        PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
        ran_count = 0;
        for (i = 0; i < 300; i++) PT_CHECK_EQ(parconc_group_submit(&g, count_task, NULL, &f[i]), PARCONC_OK);
        for (i = 299; i >= 0; i -= 2) (void)parconc_future_cancel(f[i]);
        PT_CHECK(parconc_group_wait(&g, PARCONC_FOREVER) == PARCONC_OK ||
                 parconc_group_wait(&g, 0) == PARCONC_ECANCELED);
        done = canceled = 0;
        for (i = 0; i < 300; i++) {
            int s = parconc_future_state(f[i]);
            done += s == PARCONC_DONE;
            canceled += s == PARCONC_CANCELED;
            parconc_future_release(f[i]);
        }
        PT_CHECK_EQ(done + canceled, 300);
        PT_CHECK_EQ(done, ran_count);
        PT_CHECK_EQ(parconc_group_wait(&g, 0), canceled ? PARCONC_ECANCELED : PARCONC_OK);
        PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    }
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_stats_get(p, &st), PARCONC_OK);
    PT_CHECK_EQ(st.submitted, st.completed + st.canceled + st.failed);
    PT_CHECK_EQ(st.submitted, 3000);
    parconc_pool_destroy(p);
}

static void test_group_bad_input(void)
{
    parconc_group g;
    parconc_group_desc gd;
    parconc_pool *p = make_pool(1);
    PT_CHECK(p != NULL);
    memset(&gd, 0, sizeof gd);
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_EINVAL); /* no pool */
    PT_CHECK_EQ(parconc_group_init(NULL, &gd), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_group_init(&g, NULL), PARCONC_EINVAL);
    gd.pool = p;
    gd.limit = (size_t)1 << 31;
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_EINVAL);
    gd.limit = 0;
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_submit(&g, NULL, NULL, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_group_submit_ex(&g, NULL, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_group_submit(NULL, count_task, NULL, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_group_wait(NULL, 0), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_group_cancel(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_group_destroy(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    parconc_pool_shutdown(p, PARCONC_SHUTDOWN_DRAIN, PARCONC_FOREVER);
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_submit(&g, count_task, NULL, NULL), PARCONC_ESHUTDOWN);
    PT_CHECK_EQ(parconc_group_wait(&g, 0), PARCONC_OK); /* the slot was given back */
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    parconc_pool_destroy(p);
}

/* ===================== continuations ===================== */

static void *then_add_one(parconc_future *done, void *arg)
{
    void *r = NULL;
    (void)arg;
    if (parconc_future_get(done, &r, 0) != PARCONC_OK) return parconc_task_fail(PARCONC_ERANGE);
    return (void *)((uintptr_t)r + 1);
}

static void *then_report_state(parconc_future *done, void *arg)
{
    (void)arg;
    return (void *)(intptr_t)parconc_future_state(done);
}

static int callback_runs;
static void count_callback(parconc_future *f, void *user) { (void)f; (void)user; counter_add(&callback_runs, 1); }

static void test_then_runs_after_whatever_state(void)
{
    parconc_pool *p = make_pool(2);
    parconc_future *src, *out;
    void *r;
    PT_CHECK(p != NULL);
    /* DONE; a callback on the same future still runs, once */
    PT_CHECK_EQ(parconc_future_create(&src), PARCONC_OK);
    callback_runs = 0;
    PT_CHECK_EQ(parconc_future_on_done(src, count_callback, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_then(src, p, then_add_one, NULL, &out), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_on_done(src, count_callback, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_wait(out, 20 * MS), PARCONC_ETIMEDOUT); /* not before src */
    PT_CHECK_EQ(parconc_future_state(out), PARCONC_PENDING);
    PT_CHECK_EQ(parconc_future_complete(src, (void *)(uintptr_t)41), PARCONC_OK);
    parconc_future_release(src); /* the continuation keeps it alive */
    PT_CHECK_EQ(parconc_future_get(out, &r, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ((uintptr_t)r, 42);
    PT_CHECK_EQ(callback_runs, 2);
    parconc_future_release(out);
    /* FAILED input: fn still runs, and its own failure fails out */
    PT_CHECK_EQ(parconc_future_create(&src), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_fail(src, PARCONC_EPERM), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_then(src, p, then_add_one, NULL, &out), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_get(out, &r, PARCONC_FOREVER), PARCONC_ERANGE);
    parconc_future_release(out);
    PT_CHECK_EQ(parconc_future_then(src, p, then_report_state, NULL, &out), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_get(out, &r, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ((intptr_t)r, PARCONC_FAILED);
    parconc_future_release(out);
    parconc_future_release(src);
    /* CANCELED input */
    PT_CHECK_EQ(parconc_future_create(&src), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_then(src, p, then_report_state, NULL, &out), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_cancel(src), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_get(out, &r, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ((intptr_t)r, PARCONC_CANCELED);
    parconc_future_release(out);
    parconc_future_release(src);
    /* the continuation itself canceled before its input finished: fn never runs */
    PT_CHECK_EQ(parconc_future_create(&src), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_then(src, p, then_add_one, NULL, &out), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_cancel(out), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_complete(src, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_wait(out, PARCONC_FOREVER), PARCONC_ECANCELED);
    parconc_future_release(out);
    parconc_future_release(src);
    /* bad input */
    PT_CHECK_EQ(parconc_future_then(NULL, p, then_add_one, NULL, &out), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_future_create(&src), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_then(src, NULL, then_add_one, NULL, &out), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_future_then(src, p, NULL, NULL, &out), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_future_then(src, p, then_add_one, NULL, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    parconc_pool_shutdown(p, PARCONC_SHUTDOWN_DRAIN, PARCONC_FOREVER);
    PT_CHECK_EQ(parconc_future_then(src, p, then_add_one, NULL, &out), PARCONC_ESHUTDOWN);
    parconc_future_release(src);
    parconc_pool_destroy(p);
}

/* 100 000 links: no stack growth per link (each is queued as a task), and
   while the chain waits for its first input no worker is blocked. */
static void test_then_chain_100k(void)
{
    enum { N = 100000 };
    parconc_pool *p = make_pool(2);
    parconc_future *head, *cur, *next;
    void *r;
    int i;
    PT_CHECK(p != NULL);
    PT_CHECK_EQ(parconc_future_create(&head), PARCONC_OK);
    cur = head;
    parconc_future_retain(head);
    for (i = 0; i < N; i++) {
        PT_CHECK_EQ(parconc_future_then(cur, p, then_add_one, NULL, &next), PARCONC_OK);
        parconc_future_release(cur);
        cur = next;
    }
    /* the workers are free: an unrelated task runs now */
    ran_count = 0;
    {
        parconc_future *f;
        PT_CHECK_EQ(parconc_pool_submit(p, count_task, NULL, &f), PARCONC_OK);
        PT_CHECK_EQ(parconc_future_wait(f, 5000 * MS), PARCONC_OK);
        parconc_future_release(f);
    }
    PT_CHECK_EQ(parconc_future_state(cur), PARCONC_PENDING);
    PT_CHECK_EQ(parconc_future_complete(head, NULL), PARCONC_OK);
    parconc_future_release(head);
    PT_CHECK_EQ(parconc_future_get(cur, &r, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ((uintptr_t)r, N);
    parconc_future_release(cur);
    parconc_pool_destroy(p);
}

/* ===================== combinators ===================== */

static void test_when_all(void)
{
    parconc_future *in[3], *out;
    void *r;
    int i;
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_future_create(&in[i]), PARCONC_OK);
    PT_CHECK_EQ(parconc_when_all(in, 3, &out), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_complete(in[1], NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_complete(in[0], NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_state(out), PARCONC_PENDING);
    PT_CHECK_EQ(parconc_future_complete(in[2], NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_get(out, &r, 0), PARCONC_OK);
    parconc_future_release(out);
    for (i = 0; i < 3; i++) parconc_future_release(in[i]);
    /* the first failure in time wins; cancellations alone give CANCELED */
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_future_create(&in[i]), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_cancel(in[0]), PARCONC_OK); /* already terminal before */
    PT_CHECK_EQ(parconc_when_all(in, 3, &out), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_fail(in[2], PARCONC_EPERM), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_fail(in[1], PARCONC_ERANGE), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_get(out, &r, 0), PARCONC_EPERM);
    parconc_future_release(out);
    PT_CHECK_EQ(parconc_when_all(in, 1, &out), PARCONC_OK); /* only the canceled one */
    PT_CHECK_EQ(parconc_future_wait(out, 0), PARCONC_ECANCELED);
    parconc_future_release(out);
    for (i = 0; i < 3; i++) parconc_future_release(in[i]);
    PT_CHECK_EQ(parconc_when_all(NULL, 0, &out), PARCONC_OK); /* nothing to wait for */
    PT_CHECK_EQ(parconc_future_wait(out, 0), PARCONC_OK);
    parconc_future_release(out);
    PT_CHECK_EQ(parconc_when_all(NULL, 2, &out), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_when_all(in, 2, NULL), PARCONC_EINVAL);
    {
        parconc_future *holes[2] = {NULL, NULL};
        PT_CHECK_EQ(parconc_when_all(holes, 2, &out), PARCONC_EINVAL);
    }
}

static void test_when_any(void)
{
    parconc_future *in[4], *out;
    void *r;
    int i;
    for (i = 0; i < 4; i++) PT_CHECK_EQ(parconc_future_create(&in[i]), PARCONC_OK);
    PT_CHECK_EQ(parconc_when_any(in, 4, &out), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_state(out), PARCONC_PENDING);
    PT_CHECK_EQ(parconc_future_fail(in[2], PARCONC_ERANGE), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_get(out, &r, 0), PARCONC_OK);
    PT_CHECK_EQ((uintptr_t)r, 2);
    parconc_future_release(out); /* the other registrations keep it alive */
    PT_CHECK_EQ(parconc_future_complete(in[0], NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_cancel(in[3]), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_complete(in[1], NULL), PARCONC_OK);
    /* an input terminal before: that one, at once */
    PT_CHECK_EQ(parconc_when_any(in + 1, 3, &out), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_get(out, &r, 0), PARCONC_OK);
    PT_CHECK_EQ((uintptr_t)r, 0);
    parconc_future_release(out);
    for (i = 0; i < 4; i++) parconc_future_release(in[i]);
    PT_CHECK_EQ(parconc_when_any(in, 0, &out), PARCONC_EINVAL);
}

/* ===================== tasks with inputs ===================== */

typedef struct dag_node {
    int ran, done;
    int nin, in[4];
} dag_node;
static dag_node *dag;
static int dag_bad;
static void *dag_task(void *arg)
{
    dag_node *n = &dag[(intptr_t)arg];
    int i;
    counter_add(&n->ran, 1);
    for (i = 0; i < n->nin; i++)
        if (!__atomic_load_n(&dag[n->in[i]].done, __ATOMIC_ACQUIRE)) counter_add(&dag_bad, 1);
    __atomic_store_n(&n->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_dag_10000_random_edges(void)
{
    enum { N = 10000 };
    parconc_pool *p = make_pool(3);
    parconc_future **f = (parconc_future **)calloc(N, sizeof *f);
    unsigned seed = 12345;
    int i, k;
    PT_CHECK(p != NULL && f != NULL);
    dag = (dag_node *)calloc(N, sizeof *dag);
    PT_CHECK(dag != NULL);
    dag_bad = 0;
    for (i = 0; i < N; i++) {
        parconc_task_desc t;
        parconc_future *ins[4];
        memset(&t, 0, sizeof t);
        dag[i].nin = i ? (int)((seed = seed * 1103515245u + 12345u) >> 16) % 5 : 0;
        if (dag[i].nin > 4) dag[i].nin = 4;
        for (k = 0; k < dag[i].nin; k++) {
            /* mostly near edges, sometimes far ones */
            unsigned x = (seed = seed * 1103515245u + 12345u) >> 16;
            int back = (x & 7) ? 1 + (int)(x % 16) : 1 + (int)(x % (unsigned)i);
            dag[i].in[k] = i - back < 0 ? 0 : i - back;
            ins[k] = f[dag[i].in[k]];
        }
        t.fn = dag_task;
        t.arg = (void *)(intptr_t)i;
        t.after = ins;
        t.after_count = (size_t)dag[i].nin;
        PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, &f[i]), PARCONC_OK);
    }
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    for (i = 0; i < N; i++) {
        PT_CHECK_EQ(dag[i].ran, 1);
        PT_CHECK_EQ(parconc_future_state(f[i]), PARCONC_DONE);
        parconc_future_release(f[i]);
    }
    PT_CHECK_EQ(dag_bad, 0);
    free(dag);
    free(f);
    parconc_pool_destroy(p);
}

static void test_after_cancel_shutdown_and_group(void)
{
    parconc_pool *p = make_pool(2);
    parconc_future *gatef, *t1, *t2, *all[2];
    parconc_task_desc t;
    parconc_group g;
    parconc_group_desc gd;
    parconc_pool_stats st;
    PT_CHECK(p != NULL);
    PT_CHECK_EQ(parconc_future_create(&gatef), PARCONC_OK);
    memset(&t, 0, sizeof t);
    t.fn = count_task;
    t.after = &gatef;
    t.after_count = 1;
    ran_count = 0;
    /* waiting for a promise: counted in flight, canceled by cancel() */
    PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, &t1), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, 10 * MS), PARCONC_ETIMEDOUT);
    PT_CHECK_EQ(parconc_future_wait(t1, 10 * MS), PARCONC_ETIMEDOUT);
    PT_CHECK_EQ(parconc_future_cancel(t1), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    /* a group member waiting for its input: the group cannot be destroyed */
    memset(&gd, 0, sizeof gd);
    gd.pool = p;
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_submit_ex(&g, &t, &t2), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_EBUSY);
    PT_CHECK_EQ(parconc_group_wait(&g, 10 * MS), PARCONC_ETIMEDOUT);
    /* inputs can be any futures: the canceled task and the promise */
    all[0] = t1;
    all[1] = gatef;
    t.after = all;
    t.after_count = 2;
    PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_complete(gatef, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_wait(&g, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(ran_count, 2); /* t2 and the fire-and-forget one; never t1 */
    PT_CHECK_EQ(parconc_future_state(t1), PARCONC_CANCELED);
    PT_CHECK_EQ(parconc_future_state(t2), PARCONC_DONE);
    parconc_future_release(t1);
    parconc_future_release(t2);
    parconc_future_release(gatef);
    /* shutdown(CANCEL) cancels tasks still waiting for inputs */
    PT_CHECK_EQ(parconc_future_create(&gatef), PARCONC_OK);
    t.after = &gatef;
    t.after_count = 1;
    PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, &t1), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_shutdown(p, PARCONC_SHUTDOWN_CANCEL, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_state(t1), PARCONC_CANCELED);
    PT_CHECK_EQ(parconc_future_complete(gatef, NULL), PARCONC_OK); /* nothing runs now */
    PT_CHECK_EQ(ran_count, 2);
    PT_CHECK_EQ(parconc_pool_stats_get(p, &st), PARCONC_OK);
    PT_CHECK_EQ(st.submitted, st.completed + st.canceled + st.failed);
    parconc_future_release(t1);
    parconc_future_release(gatef);
    /* bad input */
    {
        parconc_future *hole = NULL;
        t.after = &hole;
        PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, &t1), PARCONC_EINVAL);
        t.after = NULL;
        PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, &t1), PARCONC_EINVAL);
    }
    parconc_pool_destroy(p);
}

/* ===================== serial queues ===================== */

static void *complete_later(void *arg);

/* 8 submitters, each submit numbered under a lock of the test's own, so
   the queue's order is known: the tasks run exactly in that order, one
   at a time. */
#define SERIAL_PER 300
static parconc_serial serial_q;
static parconc_mutex ticket_lock;
static int next_ticket, run_log[8 * SERIAL_PER], run_len, serial_inside, serial_overlap;
static void *serial_task(void *arg)
{
    if (__atomic_add_fetch(&serial_inside, 1, __ATOMIC_SEQ_CST) != 1) __atomic_store_n(&serial_overlap, 1, __ATOMIC_SEQ_CST);
    run_log[run_len++] = (int)(intptr_t)arg; /* plain: the queue gives mutual exclusion and order */
    if (run_len % 64 == 0) parconc_thread_yield();
    __atomic_sub_fetch(&serial_inside, 1, __ATOMIC_SEQ_CST);
    return arg;
}
static void *serial_submitter(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < SERIAL_PER; i++) {
        parconc_mutex_lock(&ticket_lock);
        PT_EXPECT_EQ(parconc_serial_submit(&serial_q, serial_task, (void *)(intptr_t)next_ticket, NULL), PARCONC_OK);
        next_ticket++;
        parconc_mutex_unlock(&ticket_lock);
    }
    return NULL;
}

static void test_serial_order_and_exclusion(void)
{
    parconc_pool *p = make_pool(4);
    parconc_thread th[8];
    int i;
    PT_CHECK(p != NULL);
    PT_CHECK_EQ(parconc_serial_init(&serial_q, p), PARCONC_OK);
    parconc_mutex_init(&ticket_lock);
    next_ticket = run_len = serial_inside = serial_overlap = 0;
    for (i = 0; i < 8; i++) PT_CHECK_EQ(parconc_thread_create(&th[i], serial_submitter, NULL, NULL), PARCONC_OK);
    for (i = 0; i < 8; i++) PT_CHECK_EQ(parconc_thread_join(th[i], NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_serial_wait(&serial_q, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(run_len, 8 * SERIAL_PER);
    PT_CHECK_EQ(serial_overlap, 0);
    for (i = 0; i < 8 * SERIAL_PER; i++) PT_CHECK_EQ(run_log[i], i);
    PT_CHECK_EQ(parconc_serial_destroy(&serial_q), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    parconc_pool_destroy(p);
}

/* A failed or canceled task does not stop the queue; caller storage
   handed back for the next task; bad input. */
static void test_serial_failures_cancel_storage(void)
{
    parconc_pool *p = make_pool(2);
    parconc_serial q;
    parconc_future *f[4], slot;
    parconc_task_desc t;
    gate g;
    int i;
    PT_CHECK(p != NULL);
    PT_CHECK_EQ(parconc_serial_init(&q, p), PARCONC_OK);
    gate_init(&g);
    ran_count = 0;
    PT_CHECK_EQ(parconc_serial_submit(&q, gate_task, &g, &f[0]), PARCONC_OK);
    PT_CHECK_EQ(parconc_serial_submit(&q, fail_if_odd, (void *)(intptr_t)1, &f[1]), PARCONC_OK);
    PT_CHECK_EQ(parconc_serial_submit(&q, count_task, NULL, &f[2]), PARCONC_OK);
    PT_CHECK_EQ(parconc_serial_submit(&q, count_task, NULL, &f[3]), PARCONC_OK);
    gate_wait_inside(&g, 1);
    PT_CHECK_EQ(parconc_future_state(f[1]), PARCONC_PENDING); /* waiting its turn */
    PT_CHECK_EQ(parconc_future_cancel(f[2]), PARCONC_OK);
    PT_CHECK_EQ(parconc_serial_wait(&q, 10 * MS), PARCONC_ETIMEDOUT);
    parconc_future_complete(&g.open, NULL);
    PT_CHECK_EQ(parconc_serial_wait(&q, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_get(f[1], NULL, 0), 1001);
    PT_CHECK_EQ(parconc_future_state(f[2]), PARCONC_CANCELED);
    PT_CHECK_EQ(parconc_future_state(f[3]), PARCONC_DONE);
    PT_CHECK_EQ(ran_count, 2); /* fail_if_odd and the last one */
    for (i = 0; i < 4; i++) parconc_future_release(f[i]);
    /* one caller future, handed back for each next task */
    memset(&t, 0, sizeof t);
    t.fn = count_task;
    t.storage = &slot;
    for (i = 0; i < 50; i++) {
        PT_CHECK_EQ(parconc_serial_submit_ex(&q, &t, NULL), PARCONC_OK);
        PT_CHECK_EQ(parconc_future_wait(&slot, PARCONC_FOREVER), PARCONC_OK);
    }
    PT_CHECK_EQ(ran_count, 52);
    /* bad input */
    PT_CHECK_EQ(parconc_serial_init(NULL, p), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_serial_init(&q, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_serial_submit(NULL, count_task, NULL, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_serial_submit(&q, NULL, NULL, NULL), PARCONC_EINVAL);
    t.storage = NULL;
    t.after = f;
    t.after_count = 1;
    PT_CHECK_EQ(parconc_serial_submit_ex(&q, &t, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_serial_wait(NULL, 0), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_serial_destroy(&q), PARCONC_OK);
    PT_CHECK_EQ(parconc_serial_destroy(&q), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_serial_init(&q, p), PARCONC_OK);
    parconc_pool_shutdown(p, PARCONC_SHUTDOWN_DRAIN, PARCONC_FOREVER);
    PT_CHECK_EQ(parconc_serial_submit(&q, count_task, NULL, NULL), PARCONC_ESHUTDOWN);
    PT_CHECK_EQ(parconc_serial_wait(&q, 0), PARCONC_OK); /* nothing was queued */
    PT_CHECK_EQ(parconc_serial_destroy(&q), PARCONC_OK);
    parconc_pool_destroy(p);
}

/* Tasks canceled before their turn do not let the ones after them start
   early: the next task still waits for the one that runs; serial_wait
   too.  A shutdown(CANCEL) with a long queue cancels all of it. */
static void test_serial_cancels_keep_the_order(void)
{
    enum { N = 40 };
    parconc_pool *p = make_pool(3);
    parconc_serial q;
    parconc_future *f[N];
    gate g;
    unsigned seed = 7;
    int i, k;
    PT_CHECK(p != NULL);
    PT_CHECK_EQ(parconc_serial_init(&q, p), PARCONC_OK);
    gate_init(&g);
    ran_count = 0;
    PT_CHECK_EQ(parconc_serial_submit(&q, gate_task, &g, &f[0]), PARCONC_OK);
    for (i = 1; i < N; i++) PT_CHECK_EQ(parconc_serial_submit(&q, count_task, NULL, &f[i]), PARCONC_OK);
    gate_wait_inside(&g, 1);
    /* cancel every task but one in the middle, in a scrambled order, the last included */
    for (k = 0; k < 3 * N; k++) {
        i = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % (N - 1);
        if (i != N / 2) (void)parconc_future_cancel(f[i]);
    }
    for (i = 1; i < N; i++) if (i != N / 2) PT_CHECK_EQ(parconc_future_cancel(f[i]), PARCONC_OK);
    parconc_sleep_ns(20 * MS);
    PT_CHECK_EQ(parconc_future_state(f[N / 2]), PARCONC_PENDING); /* task 0 still runs */
    PT_CHECK_EQ(ran_count, 0);
    PT_CHECK_EQ(parconc_serial_wait(&q, 10 * MS), PARCONC_ETIMEDOUT); /* the last was canceled: still waits */
    parconc_future_complete(&g.open, NULL);
    PT_CHECK_EQ(parconc_serial_wait(&q, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_state(f[0]), PARCONC_DONE);
    PT_CHECK_EQ(parconc_future_wait(f[N / 2], PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(ran_count, 1);
    for (i = 0; i < N; i++) parconc_future_release(f[i]);
    /* a long queue canceled by shutdown */
    gate_init(&g);
    PT_CHECK_EQ(parconc_serial_submit(&q, gate_task, &g, NULL), PARCONC_OK);
    for (i = 0; i < 1000; i++) PT_CHECK_EQ(parconc_serial_submit(&q, count_task, NULL, NULL), PARCONC_OK);
    gate_wait_inside(&g, 1);
    {
        parconc_thread th;
        PT_CHECK_EQ(parconc_thread_create(&th, complete_later, &g.open, NULL), PARCONC_OK);
        PT_CHECK_EQ(parconc_pool_shutdown(p, PARCONC_SHUTDOWN_CANCEL, PARCONC_FOREVER), PARCONC_OK);
        PT_CHECK_EQ(parconc_thread_join(th, NULL), PARCONC_OK);
    }
    PT_CHECK_EQ(ran_count, 1); /* none of the 1000 ran */
    PT_CHECK_EQ(parconc_serial_wait(&q, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_serial_destroy(&q), PARCONC_OK);
    parconc_pool_destroy(p);
}

/* ===================== delayed tasks and timers ===================== */

typedef struct delayed { int64_t due, ran_at; int runs; } delayed;
static void *delayed_task(void *arg)
{
    delayed *d = (delayed *)arg;
    d->ran_at = parconc_now_ns();
    __atomic_add_fetch(&d->runs, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Never early, each once, cancellable before it runs; 10 000 of them with
   random delays; the pool's accounting exact. */
static void test_delayed_tasks_never_early(void)
{
    enum { N = 10000 };
    parconc_pool *p = make_pool(2);
    delayed *d = (delayed *)calloc(N, sizeof *d);
    parconc_future *f, *c;
    parconc_pool_stats st;
    unsigned seed = 99;
    int64_t t0;
    int i, early = 0;
    PT_CHECK(p != NULL && d != NULL);
    for (i = 0; i < N; i++) {
        int64_t delay = 1 + (int64_t)((seed = seed * 1103515245u + 12345u) >> 8) % (20 * MS);
        d[i].due = parconc_now_ns() + delay;
        PT_CHECK_EQ(parconc_pool_submit_after(p, delay, delayed_task, &d[i], NULL), PARCONC_OK);
    }
    /* one canceled before it runs */
    t0 = parconc_now_ns();
    PT_CHECK_EQ(parconc_pool_submit_after(p, 200 * MS, count_task, NULL, &c), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, 10 * MS), PARCONC_ETIMEDOUT); /* it counts as queued */
    PT_CHECK_EQ(parconc_future_cancel(c), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK(parconc_now_ns() - t0 < 150 * MS); /* did not wait for the canceled one */
    for (i = 0; i < N; i++) {
        PT_CHECK_EQ(d[i].runs, 1);
        early += d[i].ran_at < d[i].due;
    }
    PT_CHECK_EQ(early, 0);
    parconc_future_release(c);
    /* one with a future, among plain tasks */
    ran_count = 0;
    memset(&d[0], 0, sizeof d[0]);
    d[0].due = parconc_now_ns() + 15 * MS;
    PT_CHECK_EQ(parconc_pool_submit_after(p, 15 * MS, delayed_task, &d[0], &f), PARCONC_OK);
    for (i = 0; i < 100; i++) PT_CHECK_EQ(parconc_pool_submit(p, count_task, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_wait(f, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK(d[0].ran_at >= d[0].due);
    parconc_future_release(f);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_stats_get(p, &st), PARCONC_OK);
    PT_CHECK_EQ(st.submitted, (uint64_t)N + 2 + 100);
    PT_CHECK_EQ(st.completed, (uint64_t)N + 1 + 100);
    PT_CHECK_EQ(st.canceled, 1);
    /* bad input; shutdown(CANCEL) reaches delayed tasks */
    PT_CHECK_EQ(parconc_pool_submit_after(p, 0, count_task, NULL, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_pool_submit_after(p, -5, count_task, NULL, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_pool_submit_after(NULL, MS, count_task, NULL, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_pool_submit_after(p, 10000 * MS, count_task, NULL, &c), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_shutdown(p, PARCONC_SHUTDOWN_CANCEL, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_state(c), PARCONC_CANCELED);
    parconc_future_release(c);
    PT_CHECK_EQ(parconc_pool_submit_after(p, MS, count_task, NULL, NULL), PARCONC_ESHUTDOWN);
    parconc_pool_destroy(p);
    free(d);
}

typedef struct tick { int64_t start[64], end[64]; int n, inside, overlap; int64_t busy_ns; } tick;
static void *tick_task(void *arg)
{
    tick *t = (tick *)arg;
    int k = __atomic_load_n(&t->n, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&t->inside, 1, __ATOMIC_SEQ_CST) != 1) t->overlap = 1;
    if (k < 64) t->start[k] = parconc_now_ns();
    if (t->busy_ns) parconc_sleep_ns(t->busy_ns);
    if (k < 64) t->end[k] = parconc_now_ns();
    __atomic_sub_fetch(&t->inside, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&t->n, k + 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_periodic_timers(void)
{
    parconc_pool *p = make_pool(2);
    parconc_timer tm;
    tick *t = (tick *)calloc(1, sizeof *t);
    int64_t t0;
    int i, n;
    PT_CHECK(p != NULL && t != NULL);
    /* fixed rate: run k is due at first + k * period, never earlier */
    t0 = parconc_now_ns();
    PT_CHECK_EQ(parconc_timer_start(&tm, p, 5 * MS, 5 * MS, PARCONC_TIMER_FIXED_RATE, tick_task, t), PARCONC_OK);
    while (__atomic_load_n(&t->n, __ATOMIC_ACQUIRE) < 8) parconc_sleep_ns(MS);
    PT_CHECK_EQ(parconc_timer_stop(&tm), PARCONC_OK);
    n = __atomic_load_n(&t->n, __ATOMIC_ACQUIRE);
    for (i = 0; i < n && i < 64; i++) PT_CHECK(t->start[i] >= t0 + (int64_t)(i + 1) * 5 * MS);
    parconc_sleep_ns(20 * MS);
    PT_CHECK_EQ(__atomic_load_n(&t->n, __ATOMIC_ACQUIRE), n); /* no run after stop */
    PT_CHECK_EQ(t->overlap, 0);
    /* fixed delay: each run starts at least a period after the previous ended */
    memset(t, 0, sizeof *t);
    t->busy_ns = 2 * MS;
    PT_CHECK_EQ(parconc_timer_start(&tm, p, 0, 3 * MS, PARCONC_TIMER_FIXED_DELAY, tick_task, t), PARCONC_OK);
    while (__atomic_load_n(&t->n, __ATOMIC_ACQUIRE) < 6) parconc_sleep_ns(MS);
    PT_CHECK_EQ(parconc_timer_stop(&tm), PARCONC_OK);
    PT_CHECK_EQ(__atomic_load_n(&t->inside, __ATOMIC_ACQUIRE), 0); /* stop returned after the run ended */
    n = __atomic_load_n(&t->n, __ATOMIC_ACQUIRE);
    for (i = 1; i < n && i < 64; i++) PT_CHECK(t->start[i] >= t->end[i - 1] + 3 * MS);
    PT_CHECK_EQ(t->overlap, 0);
    /* bad input */
    PT_CHECK_EQ(parconc_timer_start(&tm, p, 0, 0, PARCONC_TIMER_FIXED_RATE, tick_task, t), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_timer_start(&tm, p, -1, MS, PARCONC_TIMER_FIXED_RATE, tick_task, t), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_timer_start(&tm, p, 0, MS, 7, tick_task, t), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_timer_start(&tm, NULL, 0, MS, PARCONC_TIMER_FIXED_RATE, tick_task, t), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_timer_stop(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    parconc_pool_destroy(p);
    free(t);
}

/* stop racing runs, at every phase of a run; and stop from the timer's own run */
static parconc_timer self_stop_timer;
static int self_stop_runs;
static void *stop_self(void *arg)
{
    (void)arg;
    if (__atomic_add_fetch(&self_stop_runs, 1, __ATOMIC_SEQ_CST) == 3)
        PT_EXPECT_EQ(parconc_timer_stop(&self_stop_timer), PARCONC_OK);
    return NULL;
}

static void test_timer_stop_races_a_run(void)
{
    parconc_pool *p = make_pool(2);
    parconc_timer tm;
    tick *t = (tick *)calloc(1, sizeof *t);
    int round, n;
    PT_CHECK(p != NULL && t != NULL);
    for (round = 0; round < 200; round++) {
        memset(t, 0, sizeof *t);
        t->busy_ns = 30000;
        PT_CHECK_EQ(parconc_timer_start(&tm, p, 0, 50000, round % 2, tick_task, t), PARCONC_OK);
        parconc_sleep_ns((round * 7919) % 400000);
        PT_CHECK_EQ(parconc_timer_stop(&tm), PARCONC_OK);
        PT_CHECK_EQ(__atomic_load_n(&t->inside, __ATOMIC_ACQUIRE), 0);
        n = __atomic_load_n(&t->n, __ATOMIC_ACQUIRE);
        parconc_sleep_ns(200000);
        PT_CHECK_EQ(__atomic_load_n(&t->n, __ATOMIC_ACQUIRE), n);
        PT_CHECK_EQ(t->overlap, 0);
    }
    self_stop_runs = 0;
    PT_CHECK_EQ(parconc_timer_start(&self_stop_timer, p, 0, MS, PARCONC_TIMER_FIXED_RATE, stop_self, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK); /* ends: the third run stopped it */
    PT_CHECK_EQ(self_stop_runs, 3);
    PT_CHECK_EQ(parconc_timer_stop(&self_stop_timer), PARCONC_OK);
    parconc_pool_destroy(p);
    free(t);
}

/* ===================== hooks and traces ===================== */

static int hook_worker_start, hook_worker_stop, hook_begin, hook_end, hook_named, hook_idle_begin, hook_idle_end,
    hook_bad_worker;
static void h_start(int w, void *u) { (void)u; if (w < 0 || w > 1) counter_add(&hook_bad_worker, 1); counter_add(&hook_worker_start, 1); }
static void h_stop(int w, void *u) { (void)w; (void)u; counter_add(&hook_worker_stop, 1); }
static void h_begin(int w, const char *name, void *u)
{
    (void)u;
    if (w < -1 || w > 1) counter_add(&hook_bad_worker, 1);
    if (name && strcmp(name, "named") == 0) counter_add(&hook_named, 1);
    counter_add(&hook_begin, 1);
}
static void h_end(int w, const char *name, void *u) { (void)w; (void)name; (void)u; counter_add(&hook_end, 1); }
static void h_idle_begin(int w, void *u) { (void)w; (void)u; counter_add(&hook_idle_begin, 1); }
static void h_idle_end(int w, void *u) { (void)w; (void)u; counter_add(&hook_idle_end, 1); }

static void test_pool_hooks(void)
{
    parconc_pool_hooks hk;
    parconc_pool_desc d;
    parconc_pool *p;
    parconc_task_desc t;
    int i;
    memset(&hk, 0, sizeof hk);
    hk.worker_start = h_start;
    hk.worker_stop = h_stop;
    hk.task_begin = h_begin;
    hk.task_end = h_end;
    hk.idle_begin = h_idle_begin;
    hk.idle_end = h_idle_end;
    memset(&d, 0, sizeof d);
    d.threads = 2;
    d.hooks = &hk;
    hook_worker_start = hook_worker_stop = hook_begin = hook_end = hook_named = hook_idle_begin = hook_idle_end = 0;
    hook_bad_worker = 0;
    PT_CHECK_EQ(parconc_pool_create(&p, &d), PARCONC_OK);
    memset(&hk, 0, sizeof hk); /* copied at create */
    for (i = 0; i < 100; i++) PT_CHECK_EQ(parconc_pool_submit(p, count_task, NULL, NULL), PARCONC_OK);
    memset(&t, 0, sizeof t);
    t.fn = count_task;
    t.name = "named";
    for (i = 0; i < 10; i++) PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    parconc_pool_destroy(p);
    PT_CHECK_EQ(hook_worker_start, 2);
    PT_CHECK_EQ(hook_worker_stop, 2);
    PT_CHECK_EQ(hook_begin, 110);
    PT_CHECK_EQ(hook_end, 110);
    PT_CHECK_EQ(hook_named, 10);
    PT_CHECK(hook_idle_begin >= 2); /* each worker went idle at least once */
    PT_CHECK(hook_idle_end <= hook_idle_begin);
    PT_CHECK_EQ(hook_bad_worker, 0);
}

/* The trace as text in memory, then checked: valid JSON (a small checker
   here; python3 -m json.tool too where Python is), one event per task and
   per chunk, named tasks named. */
typedef struct text_buf { char *s; size_t len, cap; } text_buf;
static int to_buf(const char *data, size_t len, void *user)
{
    text_buf *b = (text_buf *)user;
    if (b->len + len + 1 > b->cap) {
        size_t cap = (b->len + len + 1) * 2;
        char *n = (char *)realloc(b->s, cap);
        if (!n) return PARCONC_ENOMEM;
        b->s = n;
        b->cap = cap;
    }
    memcpy(b->s + b->len, data, len);
    b->len += len;
    b->s[b->len] = 0;
    return 0;
}

/* a minimal JSON validator: 1 if s is one JSON value (then whitespace) */
static const char *json_value(const char *s);
static const char *json_ws(const char *s) { while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') s++; return s; }
static const char *json_string(const char *s)
{
    if (*s++ != '"') return NULL;
    while (*s && *s != '"') {
        if ((unsigned char)*s < 0x20) return NULL;
        if (*s == '\\') { s++; if (!*s) return NULL; }
        s++;
    }
    return *s == '"' ? s + 1 : NULL;
}
static const char *json_value(const char *s)
{
    s = json_ws(s);
    if (*s == '"') return json_string(s);
    if (*s == '{' || *s == '[') {
        char close = *s == '{' ? '}' : ']';
        int obj = *s == '{';
        s = json_ws(s + 1);
        if (*s == close) return s + 1;
        for (;;) {
            if (obj) {
                s = json_string(json_ws(s));
                if (!s) return NULL;
                s = json_ws(s);
                if (*s++ != ':') return NULL;
            }
            s = json_value(s);
            if (!s) return NULL;
            s = json_ws(s);
            if (*s == ',') { s++; continue; }
            return *s == close ? s + 1 : NULL;
        }
    }
    if (*s == '-' || (*s >= '0' && *s <= '9')) {
        if (*s == '-') s++;
        while ((*s >= '0' && *s <= '9') || *s == '.') s++;
        return s;
    }
    return NULL;
}
static size_t count_of(const char *s, const char *what)
{
    size_t n = 0, k = strlen(what);
    for (s = strstr(s, what); s; s = strstr(s + k, what)) n++;
    return n;
}

static void fib_chunk(size_t b, size_t e, size_t w, void *arg) { (void)w; counter_add((int *)arg, (int)(e - b)); }
static void *sleep_2ms(void *arg) { parconc_sleep_ns(2 * MS); return arg; }

static void test_trace_chrome_json(void)
{
    static uint64_t buffer[(1 << 20) / sizeof(uint64_t)];
    parconc_pool *p = make_pool(2);
    parconc_task_desc t;
    parconc_for_desc fd;
    text_buf out;
    size_t size = parconc_trace_memory_size(5000);
    int i, items = 0;
    PT_CHECK(p != NULL);
    PT_CHECK(size > 0 && size <= sizeof buffer);
    PT_CHECK_EQ(parconc_trace_memory_size(0), 0);
    PT_CHECK_EQ(parconc_trace_start(p, buffer, 8), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_trace_start(p, (char *)buffer + 1, size), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_trace_write_chrome(p, to_buf, &out), PARCONC_EINVAL); /* no trace yet */
    PT_CHECK_EQ(parconc_trace_start(p, buffer, size), PARCONC_OK);
    PT_CHECK_EQ(parconc_trace_start(p, buffer, size), PARCONC_EBUSY);
    memset(&out, 0, sizeof out);
    PT_CHECK_EQ(parconc_trace_write_chrome(p, to_buf, &out), PARCONC_EBUSY); /* still tracing */
    memset(&t, 0, sizeof t);
    t.fn = count_task;
    t.name = "say \"hi\"\n";
    for (i = 0; i < 300; i++) PT_CHECK_EQ(parconc_pool_submit(p, count_task, NULL, NULL), PARCONC_OK);
    for (i = 0; i < 20; i++) PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, NULL), PARCONC_OK);
    t.fn = sleep_2ms;
    t.name = "sleeper";
    PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    memset(&fd, 0, sizeof fd);
    fd.schedule = PARCONC_DYNAMIC;
    fd.chunk = 100;
    PT_CHECK_EQ(parconc_parallel_for(p, 1000, fib_chunk, &items, &fd), PARCONC_OK);
    PT_CHECK_EQ(items, 1000);
    PT_CHECK_EQ(parconc_trace_stop(p), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_submit(p, count_task, NULL, NULL), PARCONC_OK); /* after stop: not traced */
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_trace_write_chrome(p, to_buf, &out), PARCONC_OK);
    PT_CHECK(out.s != NULL);
    {
        const char *end = json_value(out.s);
        PT_CHECK(end != NULL);
        PT_CHECK_EQ(*json_ws(end), 0);
    }
    PT_CHECK_EQ(count_of(out.s, "\"cat\":\"task\""), 321);      /* one per task */
    {   /* times in microseconds: the 2 ms task lasted 2 ms */
        const char *e = strstr(out.s, "\"name\":\"sleeper\"");
        double dur;
        PT_CHECK(e != NULL);
        e = strstr(e, "\"dur\":");
        PT_CHECK(e != NULL);
        dur = strtod(e + 6, NULL);
        PT_CHECK(dur >= 1900.0 && dur < 2000000.0);
    }
    PT_CHECK_EQ(count_of(out.s, "\"cat\":\"loop\""), 10);       /* one per chunk */
    PT_CHECK_EQ(count_of(out.s, "\"name\":\"say \\\"hi\\\"\\u000a\""), 20); /* escaped */
    PT_CHECK_EQ(count_of(out.s, "\"ph\":\"M\""), 3);            /* tracks: 2 workers + others */
#if !defined(PARCONC_PORT_CUSTOM) && !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
    if (system("python3 -c pass > /dev/null 2>&1") == 0) {
        char path[64], cmd[128];
        FILE *f;
        snprintf(path, sizeof path, "/tmp/parconc_trace_%ld.json", (long)getpid());
        f = fopen(path, "w");
        PT_CHECK(f != NULL);
        fwrite(out.s, 1, out.len, f);
        fclose(f);
        snprintf(cmd, sizeof cmd, "python3 -m json.tool %s > /dev/null", path);
        PT_EXPECT_EQ(system(cmd), 0);
        remove(path);
    }
#endif
    free(out.s);
    parconc_pool_destroy(p);
}

/* A waiting task canceled, its pool destroyed, then its inputs complete:
   the late callbacks find the task gone without touching freed memory
   (heap pool: the block outlives them; caller memory: destroy waits). */
static void *complete_later(void *arg)
{
    parconc_sleep_ns(20 * MS);
    parconc_future_complete((parconc_future *)arg, NULL);
    return NULL;
}

static void test_pool_destroyed_before_inputs_complete(void)
{
    static unsigned char memory[1 << 20];
    int round;
    for (round = 0; round < 2; round++) {
        parconc_pool_desc d;
        parconc_pool *p;
        parconc_future *in[3], *t1, *t2;
        parconc_task_desc t;
        parconc_thread th;
        int i;
        memset(&d, 0, sizeof d);
        d.threads = 2;
        if (round == 1) {
            d.queue_capacity = 8;
            d.memory = memory;
            d.memory_size = parconc_pool_memory_size(&d);
            PT_CHECK(d.memory_size <= sizeof memory);
        }
        PT_CHECK_EQ(parconc_pool_create(&p, &d), PARCONC_OK);
        for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_future_create(&in[i]), PARCONC_OK);
        memset(&t, 0, sizeof t);
        t.fn = count_task;
        t.after = in;
        t.after_count = 3;
        ran_count = 0;
        PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, &t1), PARCONC_OK);
        PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, &t2), PARCONC_OK);
        PT_CHECK_EQ(parconc_future_complete(in[0], NULL), PARCONC_OK); /* one input in */
        PT_CHECK_EQ(parconc_future_cancel(t1), PARCONC_OK);
        parconc_future_release(t1); /* the registrations still hold it */
        PT_CHECK_EQ(parconc_pool_shutdown(p, PARCONC_SHUTDOWN_CANCEL, PARCONC_FOREVER), PARCONC_OK);
        PT_CHECK_EQ(parconc_future_state(t2), PARCONC_CANCELED);
        parconc_future_release(t2);
        if (round == 1) { /* destroy waits for the last input */
            PT_CHECK_EQ(parconc_thread_create(&th, complete_later, in[1], NULL), PARCONC_OK);
            PT_CHECK_EQ(parconc_future_complete(in[2], NULL), PARCONC_OK);
            parconc_pool_destroy(p);
            PT_CHECK_EQ(parconc_future_state(in[1]), PARCONC_DONE);
            PT_CHECK_EQ(parconc_thread_join(th, NULL), PARCONC_OK);
            memset(memory, 0xAB, sizeof memory); /* the caller reuses its memory */
        } else {
            parconc_pool_destroy(p);
            PT_CHECK_EQ(parconc_future_complete(in[1], NULL), PARCONC_OK);
            PT_CHECK_EQ(parconc_future_complete(in[2], NULL), PARCONC_OK); /* the block goes now */
        }
        PT_CHECK_EQ(ran_count, 0);
        for (i = 0; i < 3; i++) parconc_future_release(in[i]);
    }
}

/* Out of memory while registering: ENOMEM and nothing left behind (no
   task accepted, no registration on any input, the pool idle). */
static void test_out_of_memory_leaves_nothing(void)
{
    parconc_pool *p = make_pool(2);
    parconc_future *in[3], *out;
    parconc_task_desc t;
    int i, k;
    PT_CHECK(p != NULL);
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_future_create(&in[i]), PARCONC_OK);
    memset(&t, 0, sizeof t);
    t.fn = count_task;
    t.after = in;
    t.after_count = 3;
    ran_count = 0;
    for (k = 0; k < 3; k++) { /* the future, then each of the two allocated links */
        allocs_left = k;
        PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, &out), PARCONC_ENOMEM);
        PT_CHECK(out == NULL);
        allocs_left = k;
        PT_CHECK_EQ(parconc_when_all(in, 3, &out), PARCONC_ENOMEM);
        allocs_left = -1;
    }
    PT_CHECK_EQ(parconc_pool_wait_idle(p, 0), PARCONC_OK);
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_future_complete(in[i], NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(ran_count, 0);
    for (i = 0; i < 3; i++) parconc_future_release(in[i]);
    parconc_pool_destroy(p);
}

/* A pool with its own allocator: its futures (and their callback nodes)
   go back to that allocator, also when they outlive the pool. */
static long user_allocs, user_frees;
static void *user_alloc(size_t n, void *u) { (void)u; __atomic_fetch_add(&user_allocs, 1, __ATOMIC_RELAXED); return malloc(n); }
static void user_free(void *q, void *u) { (void)u; __atomic_fetch_add(&user_frees, 1, __ATOMIC_RELAXED); free(q); }
static void nothing_cb(parconc_future *f, void *user) { (void)f; (void)user; }

static void test_futures_outlive_pool_with_allocator(void)
{
    parconc_pool_desc d;
    parconc_pool *p;
    parconc_future *f[10], *c;
    int i;
    memset(&d, 0, sizeof d);
    d.threads = 2;
    d.allocator.alloc_fn = user_alloc;
    d.allocator.free_fn = user_free;
    user_allocs = user_frees = 0;
    PT_CHECK_EQ(parconc_pool_create(&p, &d), PARCONC_OK);
    for (i = 0; i < 10; i++) {
        PT_CHECK_EQ(parconc_pool_submit(p, count_task, NULL, &f[i]), PARCONC_OK);
        PT_CHECK_EQ(parconc_future_on_done(f[i], nothing_cb, NULL), PARCONC_OK);
        PT_CHECK_EQ(parconc_future_on_done(f[i], nothing_cb, NULL), PARCONC_OK); /* a node */
    }
    PT_CHECK_EQ(parconc_future_then(f[0], p, then_add_one, NULL, &c), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_wait(c, PARCONC_FOREVER), PARCONC_OK);
    parconc_pool_destroy(p);
    for (i = 0; i < 10; i++) {
        PT_CHECK_EQ(parconc_future_wait(f[i], 0), PARCONC_OK);
        PT_CHECK_EQ(parconc_future_on_done(f[i], nothing_cb, NULL), PARCONC_OK); /* runs at once */
        parconc_future_release(f[i]);
    }
    parconc_future_release(c);
    PT_CHECK(user_allocs > 10);
    PT_CHECK_EQ(user_frees, user_allocs); /* everything went back to the pool's allocator */
}

/* Everything in caller memory: not one heap allocation. */
static void *then_double(parconc_future *done, void *arg)
{
    void *r = NULL;
    (void)arg;
    parconc_future_get(done, &r, 0);
    return (void *)((uintptr_t)r * 2);
}

static void test_caller_memory_no_allocation(void)
{
    static unsigned char memory[1 << 20];
    static parconc_future slots[8], thens[4], combined, members[16];
    static parconc_future_link links[16];
    parconc_pool_desc d;
    parconc_pool *p;
    parconc_group g;
    parconc_group_desc gd;
    parconc_task_desc t;
    parconc_combine_desc cd;
    parconc_future *out, *ins[4], *ins2[3];
    parconc_cancel c = PARCONC_CANCEL_INIT;
    long before;
    void *r;
    int i;
    memset(&d, 0, sizeof d);
    d.threads = 2;
    d.queue_capacity = 16;
    d.memory = memory;
    d.memory_size = parconc_pool_memory_size(&d);
    PT_CHECK(d.memory_size <= sizeof memory);
    PT_CHECK_EQ(parconc_pool_create(&p, &d), PARCONC_OK);
    before = __atomic_load_n(&heap_allocs, __ATOMIC_RELAXED);
    memset(&gd, 0, sizeof gd);
    gd.pool = p;
    gd.parent = &c;
    gd.limit = 4;
    PT_CHECK_EQ(parconc_group_init(&g, &gd), PARCONC_OK);
    ran_count = 0;
    for (i = 0; i < 4; i++) {
        memset(&t, 0, sizeof t);
        t.fn = count_task;
        t.arg = (void *)(uintptr_t)(i + 1);
        t.storage = &slots[i];
        t.timeout_ns = PARCONC_FOREVER;
        PT_CHECK_EQ(parconc_group_submit_ex(&g, &t, NULL), PARCONC_OK);
        ins[i] = &slots[i];
    }
    /* a task with four inputs, its registrations in caller links */
    memset(&t, 0, sizeof t);
    t.fn = count_task;
    t.storage = &slots[4];
    t.after = ins;
    t.after_count = 4;
    t.after_links = links;
    t.cancel = &c;
    PT_CHECK_EQ(parconc_pool_submit_ex(p, &t, NULL), PARCONC_OK);
    /* continuations in caller storage */
    for (i = 0; i < 4; i++)
        PT_CHECK_EQ(parconc_future_then_ex(&slots[i], p, then_double, NULL, &thens[i], &out), PARCONC_OK);
    /* a combinator in caller storage */
    cd.storage = &combined;
    cd.links = links + 4;
    ins2[0] = &thens[0];
    ins2[1] = &thens[3];
    ins2[2] = &slots[4];
    PT_CHECK_EQ(parconc_when_all_ex(ins2, 3, &cd, &out), PARCONC_OK);
    PT_CHECK(out == &combined);
    PT_CHECK_EQ(parconc_future_wait(&combined, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_group_wait(&g, PARCONC_FOREVER), PARCONC_OK);
    for (i = 0; i < 4; i++) {
        PT_CHECK_EQ(parconc_future_get(&thens[i], &r, PARCONC_FOREVER), PARCONC_OK);
        PT_CHECK_EQ((uintptr_t)r, 2 * (i + 1));
    }
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(ran_count, 5);
    PT_CHECK_EQ(parconc_group_destroy(&g), PARCONC_OK);
    (void)members;
    PT_CHECK_EQ(__atomic_load_n(&heap_allocs, __ATOMIC_RELAXED) - before, 0);
    parconc_pool_destroy(p);
}

int main(int argc, char **argv)
{
    static const pt_test tests[] = {
        PT_TEST(test_token_basics),
        PT_TEST(test_token_tree_reaches_grandchildren),
        PT_TEST(test_token_deep_chain_no_recursion),
        PT_TEST(test_token_deadline_never_early),
        PT_TEST(test_token_fire_races_children),
        PT_TEST(test_token_cancels_queued_tasks),
        PT_TEST(test_token_fires_during_submit),
        PT_TEST(test_loop_token_stops_it),
        PT_TEST(test_group_all_succeed),
        PT_TEST(test_group_first_failure_cancels_rest),
        PT_TEST(test_group_keep_going),
        PT_TEST(test_group_limit_holds),
        PT_TEST(test_group_wait_inside_task_helps),
        PT_TEST(test_group_parent_token),
        PT_TEST(test_group_cancel_races_completion),
        PT_TEST(test_group_bad_input),
        PT_TEST(test_then_runs_after_whatever_state),
        PT_TEST(test_then_chain_100k),
        PT_TEST(test_when_all),
        PT_TEST(test_when_any),
        PT_TEST(test_dag_10000_random_edges),
        PT_TEST(test_after_cancel_shutdown_and_group),
        PT_TEST(test_serial_order_and_exclusion),
        PT_TEST(test_serial_failures_cancel_storage),
        PT_TEST(test_serial_cancels_keep_the_order),
        PT_TEST(test_delayed_tasks_never_early),
        PT_TEST(test_periodic_timers),
        PT_TEST(test_timer_stop_races_a_run),
        PT_TEST(test_pool_hooks),
        PT_TEST(test_trace_chrome_json),
        PT_TEST(test_pool_destroyed_before_inputs_complete),
        PT_TEST(test_out_of_memory_leaves_nothing),
        PT_TEST(test_futures_outlive_pool_with_allocator),
        PT_TEST(test_caller_memory_no_allocation),
    };
    parconc_set_logger(&misuse_logger);
    return pt_main(tests, PT_COUNT(tests), argc, argv);
}
