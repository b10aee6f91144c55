/* Fault injection: every allocation a scenario makes fails in turn (the k-th
   call, for every k the scenario reaches), and every thread creation fails
   in turn.  Each time the calls must answer PARCONC_ENOMEM / PARCONC_EAGAIN,
   the work that was accepted must run exactly once, nothing may leak (a
   live-allocation count here, LeakSanitizer in the asan build) and the
   objects must stay usable or cleanly destroyable.

   Built on the custom port (tests/port/port_posix.c, linked in by the
   Makefile), whose test hook fails the k-th thread creation; allocation
   goes through PARCONC_MALLOC and through the pool's allocator hook.  On
   Windows the native backend runs the allocation failures; it has no
   thread-failure hook, so those two tests are skipped there. */
#define PARCONC_IMPLEMENTATION
#if !defined(PARCONC_PORT_CUSTOM) && !defined(_WIN32)
#define PARCONC_PORT_CUSTOM
#endif
#define PARCONC_DEBUG_LOCKS
#include <stddef.h>
void *fault_malloc(size_t n);
void fault_free(void *p);
#define PARCONC_MALLOC(sz) fault_malloc(sz)
#define PARCONC_FREE(p) fault_free(p)
#include "../parconc.h"
#include "harness.h"

#ifdef PARCONC_PORT_CUSTOM
#define FAULTS_THREAD_HOOK 1
void port_posix_fail_thread(long kth);
long port_posix_threads_live(void);
#else
#define FAULTS_THREAD_HOOK 0
static void port_posix_fail_thread(long kth) { (void)kth; }
static long port_posix_threads_live(void) { return 0; }
#endif

/* ---- the failing allocator ------------------------------------------- */

static long fi_calls;    /* allocation calls since fi_arm() */
static long fi_fail_at;  /* the call that fails (0: none) */
static long fi_live;     /* allocations not yet freed */
static long fi_failures; /* calls that were made to fail */

static void fi_arm(long fail_at)
{
    __atomic_store_n(&fi_calls, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&fi_failures, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&fi_fail_at, fail_at, __ATOMIC_SEQ_CST);
}

void *fault_malloc(size_t n)
{
    long call = __atomic_add_fetch(&fi_calls, 1, __ATOMIC_SEQ_CST);
    void *p;
    if (call == __atomic_load_n(&fi_fail_at, __ATOMIC_SEQ_CST)) {
        __atomic_add_fetch(&fi_failures, 1, __ATOMIC_SEQ_CST);
        return NULL;
    }
    p = malloc(n);
    if (p) __atomic_add_fetch(&fi_live, 1, __ATOMIC_SEQ_CST);
    return p;
}

void fault_free(void *p)
{
    if (!p) return;
    __atomic_sub_fetch(&fi_live, 1, __ATOMIC_SEQ_CST);
    free(p);
}

/* the same allocator behind the pool's allocator hook */
static void *hook_alloc(size_t n, void *user) { (void)user; return fault_malloc(n); }
static void hook_free(void *p, void *user) { (void)user; fault_free(p); }

/* ---- task bodies ------------------------------------------------------- */

static long g_runs, g_callbacks;
static void *count_task(void *arg)
{
    __atomic_add_fetch(&g_runs, 1, __ATOMIC_SEQ_CST);
    return arg;
}
static void count_callback(parconc_future *f, void *user)
{
    (void)f; (void)user;
    __atomic_add_fetch(&g_callbacks, 1, __ATOMIC_SEQ_CST);
}

/* ---- scenarios: each returns normally whatever fails ------------------- */

/* Pool create, 40 submits (half with futures), on_done callbacks, waits,
   results, shutdown, destroy.  use_hook: allocate through desc.allocator. */
#define SUBMITS 40
static void scenario_pool(int use_hook)
{
    parconc_pool_desc d;
    parconc_pool *p = NULL;
    parconc_future *f[SUBMITS];
    long accepted = 0, registered = 0;
    int i, rc;
    memset(&d, 0, sizeof d);
    d.threads = 2;
    if (use_hook) { d.allocator.alloc_fn = hook_alloc; d.allocator.free_fn = hook_free; }
    g_runs = g_callbacks = 0;
    rc = parconc_pool_create(&p, &d);
    if (rc != PARCONC_OK) {
        PT_CHECK(rc == PARCONC_ENOMEM || rc == PARCONC_EAGAIN);
        PT_CHECK(p == NULL);
        return;
    }
    for (i = 0; i < SUBMITS; i++) {
        f[i] = NULL;
        rc = parconc_pool_submit(p, count_task, (void *)(intptr_t)(i + 1), (i & 1) ? &f[i] : NULL);
        if (rc == PARCONC_OK) accepted++;
        else { PT_CHECK_EQ(rc, PARCONC_ENOMEM); PT_CHECK(f[i] == NULL); }
    }
    for (i = 0; i < SUBMITS; i++) {
        void *r = NULL;
        if (!f[i]) continue;
        rc = parconc_future_on_done(f[i], count_callback, NULL);
        if (rc == PARCONC_OK) registered++;
        else PT_CHECK_EQ(rc, PARCONC_ENOMEM);
        PT_CHECK_EQ(parconc_future_get(f[i], &r, PARCONC_FOREVER), PARCONC_OK);
        PT_CHECK_EQ((intptr_t)r, i + 1);
        parconc_future_release(f[i]);
    }
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_shutdown(p, PARCONC_SHUTDOWN_DRAIN, PARCONC_FOREVER), PARCONC_OK);
    parconc_pool_destroy(p);
    /* every accepted task ran exactly once, every registered callback too */
    PT_CHECK_EQ(g_runs, accepted);
    PT_CHECK_EQ(g_callbacks, registered);
}
static void scenario_pool_malloc(void) { scenario_pool(0); }
static void scenario_pool_hook(void) { scenario_pool(1); }

/* Promises: create, callbacks before and after completion, complete, fail. */
static void scenario_promises(void)
{
    parconc_future *a = NULL, *b = NULL;
    long registered = 0;
    int rc;
    void *r = NULL;
    g_callbacks = 0;
    rc = parconc_future_create(&a);
    if (rc != PARCONC_OK) { PT_CHECK_EQ(rc, PARCONC_ENOMEM); PT_CHECK(a == NULL); return; }
    PT_CHECK_EQ(parconc_future_on_done(a, count_callback, NULL), PARCONC_OK); /* inline slot */
    registered++;
    rc = parconc_future_on_done(a, count_callback, NULL); /* a heap node */
    if (rc == PARCONC_OK) registered++; else PT_CHECK_EQ(rc, PARCONC_ENOMEM);
    PT_CHECK_EQ(parconc_future_complete(a, (void *)(intptr_t)7), PARCONC_OK);
    rc = parconc_future_on_done(a, count_callback, NULL); /* runs at once, no node */
    PT_CHECK_EQ(rc, PARCONC_OK);
    registered++;
    PT_CHECK_EQ(parconc_future_get(a, &r, 0), PARCONC_OK);
    PT_CHECK_EQ((intptr_t)r, 7);
    rc = parconc_future_create(&b);
    if (rc == PARCONC_OK) {
        PT_CHECK_EQ(parconc_future_fail(b, PARCONC_EPERM), PARCONC_OK);
        PT_CHECK_EQ(parconc_future_get(b, &r, 0), PARCONC_EPERM);
        parconc_future_release(b);
    } else {
        PT_CHECK_EQ(rc, PARCONC_ENOMEM);
    }
    parconc_future_release(a);
    PT_CHECK_EQ(g_callbacks, registered);
}

/* Deterministic reduction with 256-byte partials on 16 workers: the
   partials need the heap; a failure is ENOMEM with the result untouched,
   never a different answer. */
typedef struct { double v[32]; } wide;
static void wide_fold(size_t b, size_t e, void *partial, void *arg)
{
    wide *w = (wide *)partial;
    (void)arg;
    for (; b < e; b++) w->v[b % 32] += 1.0 / (double)(b + 1);
}
static void wide_combine(void *into, const void *from, void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < 32; i++) ((wide *)into)->v[i] += ((const wide *)from)->v[i];
}
static double g_reduce_expected[32];
static int g_reduce_have_expected;
static void scenario_reduce(void)
{
    parconc_pool_desc d;
    parconc_pool *p = NULL;
    wide w;
    int rc, i;
    memset(&d, 0, sizeof d);
    d.threads = 16;
    rc = parconc_pool_create(&p, &d);
    if (rc != PARCONC_OK) { PT_CHECK(rc == PARCONC_ENOMEM || rc == PARCONC_EAGAIN); return; }
    memset(&w, 0, sizeof w);
    rc = parconc_parallel_reduce(p, 100000, wide_fold, wide_combine, &w, sizeof w, NULL, NULL);
    parconc_pool_destroy(p);
    if (rc == PARCONC_ENOMEM) {
        for (i = 0; i < 32; i++) PT_CHECK(w.v[i] == 0.0); /* untouched */
        return;
    }
    PT_CHECK_EQ(rc, PARCONC_OK);
    if (!g_reduce_have_expected) {
        memcpy(g_reduce_expected, w.v, sizeof w.v);
        g_reduce_have_expected = 1;
    }
    PT_CHECK(memcmp(g_reduce_expected, w.v, sizeof w.v) == 0); /* bitwise the same */
}

/* Loops, lock_many and the lock-order validator use no heap at all. */
static void mark_range(size_t b, size_t e, size_t worker, void *arg)
{
    (void)worker;
    for (; b < e; b++) __atomic_add_fetch(&((int *)arg)[b], 1, __ATOMIC_RELAXED);
}
static void scenario_no_heap(void)
{
    static int seen[1000];
    parconc_pool *p = NULL;
    parconc_pool_desc d;
    parconc_mutex m[3];
    parconc_mutex *const order_a[3] = { &m[2], &m[0], &m[1] };
    int i, rc;
    memset(&d, 0, sizeof d);
    d.threads = 2;
    rc = parconc_pool_create(&p, &d);
    if (rc != PARCONC_OK) { PT_CHECK(rc == PARCONC_ENOMEM || rc == PARCONC_EAGAIN); return; }
    fi_arm(1); /* from here on, the very first allocation would fail */
    memset(seen, 0, sizeof seen);
    PT_CHECK_EQ(parconc_parallel_for(p, 1000, mark_range, seen, NULL), PARCONC_OK);
    for (i = 0; i < 1000; i++) PT_CHECK_EQ(seen[i], 1);
    for (i = 0; i < 3; i++) parconc_mutex_init(&m[i]);
    PT_CHECK_EQ(parconc_lock_many(order_a, 3, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_unlock_many(order_a, 3), PARCONC_OK);
    parconc_debug_reset();
    PT_CHECK_EQ(parconc_mutex_lock(&m[0]), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&m[1]), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_unlock(&m[1]), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_unlock(&m[0]), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&m[1]), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&m[0]), PARCONC_EDEADLK); /* the inversion, found */
    PT_CHECK_EQ(parconc_mutex_unlock(&m[1]), PARCONC_OK);
    parconc_debug_reset();
    PT_CHECK_EQ(__atomic_load_n(&fi_calls, __ATOMIC_SEQ_CST), 0);
    fi_arm(0);
    parconc_pool_destroy(p);
}

/* ---- the driver -------------------------------------------------------- */

/* Runs the scenario once to count its allocations, then once more for each
   k with the k-th failing.  Returns the number of failure points tried. */
/* Runs the scenario with allocation k failing for k = 1, 2, ... until a
   run makes fewer than k allocations.  (Pools recycle futures, so how many
   allocations a run makes varies a little with timing; every k below the
   end is still tried.)  Returns the number of failure points tried. */
static long g_points_total;
static long sweep_allocations(void (*scenario)(void), const char *name)
{
    long k, tried = 0;
    fi_arm(0);
    scenario();
    if (!PT_OK()) return 0;
    if (fi_live != 0) { PT_EXPECT_EQ(fi_live, 0); return 0; }
    for (k = 1; k < 100000 && PT_OK(); k++) {
        fi_arm(k);
        scenario();
        if (!PT_OK()) { fprintf(stderr, "  (%s: allocation %ld failing)\n", name, k); break; }
        PT_EXPECT_EQ(fi_live, 0); /* nothing leaked */
        PT_EXPECT_EQ(port_posix_threads_live(), 0);
        if (__atomic_load_n(&fi_failures, __ATOMIC_SEQ_CST) == 0) break; /* past the last one */
        tried++;
    }
    fi_arm(0);
    g_points_total += tried;
    return tried;
}

static void test_alloc_failures_pool(void)
{
    long n = sweep_allocations(scenario_pool_malloc, "pool");
    PT_CHECK(n >= 1 + SUBMITS / 2); /* the pool block and at least each future */
}

static void test_alloc_failures_pool_allocator_hook(void)
{
    long n = sweep_allocations(scenario_pool_hook, "pool hook");
    PT_CHECK(n >= 1 + SUBMITS / 2);
}

static void test_alloc_failures_promises(void)
{
    PT_CHECK_EQ(sweep_allocations(scenario_promises, "promises"), 3); /* a, its callback node, b */
}

static void test_alloc_failure_reduce_never_changes_result(void)
{
    g_reduce_have_expected = 0;
    PT_CHECK_EQ(sweep_allocations(scenario_reduce, "reduce"), 2); /* the pool, the partials */
    PT_CHECK(g_reduce_have_expected);
}

static void test_loops_locks_validator_need_no_heap(void)
{
    fi_arm(0);
    scenario_no_heap();
    PT_CHECK_EQ(fi_live, 0);
}

/* Thread creation failing at the k-th thread. */
static void test_thread_create_failures(void)
{
    parconc_thread t;
    parconc_pool_desc d;
    parconc_pool *p;
    long k;
    if (!FAULTS_THREAD_HOOK) PT_SKIP("no thread-failure hook on this backend");
    port_posix_fail_thread(1);
    PT_CHECK_EQ(parconc_thread_create(&t, count_task, NULL, NULL), PARCONC_EAGAIN);
    PT_CHECK_EQ(t.flags_, 0u);                                 /* zeroed */
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_EINVAL); /* and inert */
    memset(&d, 0, sizeof d);
    d.threads = 4;
    for (k = 1; k <= 4; k++) {
        port_posix_fail_thread(k);
        p = (parconc_pool *)&d; /* must be reset to NULL */
        PT_CHECK_EQ(parconc_pool_create(&p, &d), PARCONC_EAGAIN);
        PT_CHECK(p == NULL);
        PT_CHECK_EQ(port_posix_threads_live(), 0); /* the k-1 started ones were joined */
        PT_CHECK_EQ(fi_live, 0);                   /* and the pool memory freed */
        g_points_total++;
    }
    port_posix_fail_thread(0);
    /* the failures left nothing behind: a pool works afterwards */
    g_runs = 0;
    PT_CHECK_EQ(parconc_pool_create(&p, &d), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_submit(p, count_task, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    parconc_pool_destroy(p);
    PT_CHECK_EQ(g_runs, 1);
    PT_CHECK_EQ(port_posix_threads_live(), 0);
}

/* RESPAWN loops start a thread per chunk: when the k-th cannot start, its
   chunk runs on the caller; every index still runs exactly once. */
static void test_respawn_loop_thread_failures(void)
{
    static int seen[4096];
    parconc_for_desc fd;
    long k;
    int i;
    if (!FAULTS_THREAD_HOOK) PT_SKIP("no thread-failure hook on this backend");
    memset(&fd, 0, sizeof fd);
    fd.schedule = PARCONC_RESPAWN;
    fd.chunk = 256; /* 16 chunks: 16 thread starts */
    for (k = 1; k <= 16; k++) {
        memset(seen, 0, sizeof seen);
        port_posix_fail_thread(k);
        PT_CHECK_EQ(parconc_parallel_for(NULL, 4096, mark_range, seen, &fd), PARCONC_OK);
        for (i = 0; i < 4096; i++) PT_CHECK_EQ(seen[i], 1);
        PT_CHECK_EQ(port_posix_threads_live(), 0);
        g_points_total++;
    }
    port_posix_fail_thread(0);
}

static void test_report_points(void)
{
    /* one line for the README's Reliability table */
    printf("[%ld failure points] ", g_points_total);
    PT_CHECK(g_points_total > 0);
}

int main(int argc, char **argv)
{
    static const pt_test tests[] = {
        PT_TEST(test_alloc_failures_pool),
        PT_TEST(test_alloc_failures_pool_allocator_hook),
        PT_TEST(test_alloc_failures_promises),
        PT_TEST(test_alloc_failure_reduce_never_changes_result),
        PT_TEST(test_loops_locks_validator_need_no_heap),
        PT_TEST(test_thread_create_failures),
        PT_TEST(test_respawn_loop_thread_failures),
        PT_TEST(test_report_points),
    };
    return pt_main(tests, PT_COUNT(tests), argc, argv);
}
