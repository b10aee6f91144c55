/* Work division: split, parallel_for schedules, reduce,
   progress, early exit, advisor. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "harness.h"

static void test_split(void)
{
    size_t b, e, i, parts, total;
    static const size_t ns[] = { 0, 1, 2, 3, 7, 10, 64, 1000003 };
    size_t k;
    parconc_split(10, 3, 0, &b, &e); PT_CHECK(b == 0 && e == 4);
    parconc_split(10, 3, 1, &b, &e); PT_CHECK(b == 4 && e == 7);
    parconc_split(10, 3, 2, &b, &e); PT_CHECK(b == 7 && e == 10);
    parconc_split(2, 5, 4, &b, &e);  PT_CHECK(b == 2 && e == 2); /* empty tail parts */
    parconc_split(2, 5, 1, &b, &e);  PT_CHECK(b == 1 && e == 2);
    /* contiguous, complete, sizes n/parts or n/parts + 1, first n%parts larger */
    for (k = 0; k < PT_COUNT(ns); k++)
        for (parts = 1; parts <= 9; parts++) {
            size_t prev = 0;
            total = 0;
            for (i = 0; i < parts; i++) {
                parconc_split(ns[k], parts, i, &b, &e);
                PT_CHECK_EQ(b, prev);
                PT_CHECK_EQ(e - b, ns[k] / parts + (i < ns[k] % parts ? 1 : 0));
                prev = e;
                total += e - b;
            }
            PT_CHECK_EQ(total, ns[k]);
        }
    /* overflow-safe near SIZE_MAX */
    {
        size_t n = SIZE_MAX, prev = 0;
        for (i = 0; i < 7; i++) {
            parconc_split(n, 7, i, &b, &e);
            PT_CHECK(b == prev && e >= b);
            prev = e;
        }
        PT_CHECK(prev == SIZE_MAX);
        parconc_split(SIZE_MAX, SIZE_MAX, SIZE_MAX - 1, &b, &e);
        PT_CHECK(b == SIZE_MAX - 1 && e == SIZE_MAX);
    }
    /* bad input */
    b = e = 99;
    parconc_split(10, 0, 0, &b, &e);
    PT_CHECK(b == 0 && e == 0);
    parconc_split(10, 3, 3, &b, &e);
    PT_CHECK(b == 0 && e == 0);
    PT_CHECK_EQ(parconc_split_checked(10, 0, 0, &b, &e), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_split_checked(10, 3, 3, &b, &e), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_split_checked(10, 3, 1, NULL, &e), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_split_checked(10, 3, 1, &b, &e), PARCONC_OK);
    PT_CHECK(b == 4 && e == 7);
}

/* ---- every index exactly once, for every schedule ---- */
typedef struct visit { uint32_t *count; size_t n, max_worker; int bad_range; } visit;
/* A fresh visit record over count[0..n). */
static visit visit_of(uint32_t *count, size_t n)
{
    visit v;
    v.count = count;
    v.n = n;
    v.max_worker = 0;
    v.bad_range = 0;
    return v;
}
static void count_visits(size_t b, size_t e, size_t worker, void *arg)
{
    visit *v = (visit *)arg;
    size_t w = __atomic_load_n(&v->max_worker, __ATOMIC_RELAXED);
    if (b >= e || e > v->n) __atomic_store_n(&v->bad_range, 1, __ATOMIC_RELAXED);
    while (worker > w && !__atomic_compare_exchange_n(&v->max_worker, &w, worker, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
    for (; b < e && b < v->n; b++) __atomic_fetch_add(&v->count[b], 1u, __ATOMIC_RELAXED);
}

static void test_every_index_once_all_schedules(void)
{
    static const size_t ns[] = { 0, 1, 2, 3, 7, 64, 1000003 };
    static const int schedules[] = { PARCONC_AUTO, PARCONC_STATIC, PARCONC_DYNAMIC, PARCONC_GUIDED, PARCONC_RESPAWN };
    parconc_pool *p;
    parconc_pool_desc pd;
    uint32_t *count = (uint32_t *)malloc(sizeof(uint32_t) * 1000003);
    size_t si, ni, ci, i;
    memset(&pd, 0, sizeof pd);
    pd.threads = 3;
    PT_CHECK_EQ(parconc_pool_create(&p, &pd), PARCONC_OK);
    for (si = 0; si < PT_COUNT(schedules); si++)
        for (ni = 0; ni < PT_COUNT(ns); ni++) {
            size_t chunks[4];
            chunks[0] = 0; chunks[1] = 1; chunks[2] = 7; chunks[3] = ns[ni];
            for (ci = 0; ci < 4; ci++) {
                parconc_for_desc d;
                visit v;
                memset(&d, 0, sizeof d);
                d.schedule = schedules[si];
                d.chunk = chunks[ci];
                memset(count, 0, sizeof(uint32_t) * 1000003);
                v = visit_of(count, ns[ni]);
                PT_CHECK_EQ(parconc_parallel_for(p, ns[ni], count_visits, &v, &d), PARCONC_OK);
                PT_CHECK_EQ(v.bad_range, 0);
                PT_CHECK(v.max_worker < 4); /* < pool threads + 1 */
                for (i = 0; i < ns[ni]; i++)
                    if (count[i] != 1) {
                        printf("schedule %d n %zu chunk %zu: index %zu visited %u times\n", schedules[si], ns[ni], chunks[ci], i, count[i]);
                        PT_CHECK_EQ(count[i], 1);
                    }
                if (ns[ni] > 0) PT_CHECK_EQ(count[ns[ni] - 1], 1);
            }
        }
    parconc_pool_destroy(p);
    free(count);
}

static void test_null_pool_runs_serially(void)
{
    uint32_t count[100];
    visit v;
    memset(count, 0, sizeof count);
    v = visit_of(count, 100);
    PT_CHECK_EQ(parconc_parallel_for(NULL, 100, count_visits, &v, NULL), PARCONC_OK);
    PT_CHECK_EQ(v.max_worker, 0);
    {
        size_t i;
        for (i = 0; i < 100; i++) PT_CHECK_EQ(count[i], 1);
    }
}

/* ---- reduce ---- */
static void sum_u64(size_t b, size_t e, void *partial, void *arg)
{
    uint64_t *acc = (uint64_t *)partial;
    (void)arg;
    for (; b < e; b++) *acc += b;
}
static void add_u64(void *into, const void *from, void *arg) { (void)arg; *(uint64_t *)into += *(const uint64_t *)from; }
static void sum_dbl(size_t b, size_t e, void *partial, void *arg)
{
    double *acc = (double *)partial;
    (void)arg;
    for (; b < e; b++) *acc += 1.0 / ((double)b + 1.0);
}
static void add_dbl(void *into, const void *from, void *arg) { (void)arg; *(double *)into += *(const double *)from; }
/* string concatenation: associative, not commutative */
typedef struct digits { char s[64]; } digits;
static void cat_digits(size_t b, size_t e, void *partial, void *arg)
{
    digits *d = (digits *)partial;
    size_t len = strlen(d->s);
    (void)arg;
    for (; b < e && len < 63; b++) d->s[len++] = (char)('0' + b % 10);
    d->s[len] = '\0';
}
static void join_digits(void *into, const void *from, void *arg)
{
    digits *a = (digits *)into;
    const digits *b = (const digits *)from;
    size_t la = strlen(a->s), lb = strlen(b->s);
    (void)arg;
    if (la + lb > 63) lb = 63 - la;
    memcpy(a->s + la, b->s, lb);
    a->s[la + lb] = '\0';
}

static void test_reduce(void)
{
    parconc_pool *p;
    parconc_pool_desc pd;
    static const int schedules[] = { PARCONC_AUTO, PARCONC_STATIC, PARCONC_DYNAMIC, PARCONC_GUIDED, PARCONC_RESPAWN };
    size_t i;
    double first = 0;
    memset(&pd, 0, sizeof pd);
    pd.threads = 3;
    PT_CHECK_EQ(parconc_pool_create(&p, &pd), PARCONC_OK);
    for (i = 0; i < PT_COUNT(schedules); i++) {
        parconc_for_desc d;
        uint64_t total = 0;
        memset(&d, 0, sizeof d);
        d.schedule = schedules[i];
        PT_CHECK_EQ(parconc_parallel_reduce(p, 1000003, sum_u64, add_u64, &total, sizeof total, NULL, &d), PARCONC_OK);
        PT_CHECK_EQ(total, (uint64_t)1000003 * 1000002 / 2);
    }
    /* floating point: bitwise the same every run */
    for (i = 0; i < 8; i++) {
        double h = 0;
        PT_CHECK_EQ(parconc_parallel_reduce(p, 100000, sum_dbl, add_dbl, &h, sizeof h, NULL, NULL), PARCONC_OK);
        if (i == 0) first = h;
        PT_CHECK(memcmp(&h, &first, sizeof h) == 0);
    }
    PT_CHECK(first > 12.0 && first < 12.2); /* H(100000) = 12.0901... */
    /* associative but not commutative: order kept */
    {
        digits d;
        d.s[0] = '\0';
        PT_CHECK_EQ(parconc_parallel_reduce(p, 30, cat_digits, join_digits, &d, sizeof d, NULL, NULL), PARCONC_OK);
        PT_CHECK(strcmp(d.s, "012345678901234567890123456789") == 0);
    }
    /* n == 0 leaves the identity; NULL pool works */
    {
        uint64_t t = 5;
        PT_CHECK_EQ(parconc_parallel_reduce(p, 0, sum_u64, add_u64, &t, sizeof t, NULL, NULL), PARCONC_OK);
        PT_CHECK_EQ(t, 5);
        t = 0;
        PT_CHECK_EQ(parconc_parallel_reduce(NULL, 1000, sum_u64, add_u64, &t, sizeof t, NULL, NULL), PARCONC_OK);
        PT_CHECK_EQ(t, 499500);
        PT_CHECK_EQ(parconc_parallel_reduce(p, 10, NULL, add_u64, &t, sizeof t, NULL, NULL), PARCONC_EINVAL);
        PT_CHECK_EQ(parconc_parallel_reduce(p, 10, sum_u64, NULL, &t, sizeof t, NULL, NULL), PARCONC_EINVAL);
        PT_CHECK_EQ(parconc_parallel_reduce(p, 10, sum_u64, add_u64, NULL, sizeof t, NULL, NULL), PARCONC_EINVAL);
        PT_CHECK_EQ(parconc_parallel_reduce(p, 10, sum_u64, add_u64, &t, 0, NULL, NULL), PARCONC_EINVAL);
        PT_CHECK_EQ(parconc_parallel_reduce(p, 10, sum_u64, add_u64, &t, 1000, NULL, NULL), PARCONC_EINVAL);
    }
    parconc_pool_destroy(p);
}

/* ---- nested loops inside tasks ---- */
static uint32_t nested_count[4][10000];
static void *task_with_loop(void *arg)
{
    visit v;
    int rc;
    v = visit_of(nested_count[(intptr_t)arg], 10000);
    rc = parconc_parallel_for(parconc_pool_current(), 10000, count_visits, &v, NULL);
    return rc == PARCONC_OK ? NULL : parconc_task_fail(rc);
}

static void test_nested_loops_in_tasks(void)
{
    int threads;
    for (threads = 1; threads <= 2; threads++) {
        parconc_pool *p;
        parconc_pool_desc pd;
        parconc_future *f[4];
        intptr_t t;
        size_t i;
        memset(&pd, 0, sizeof pd);
        pd.threads = threads;
        memset(nested_count, 0, sizeof nested_count);
        PT_CHECK_EQ(parconc_pool_create(&p, &pd), PARCONC_OK);
        for (t = 0; t < 4; t++) PT_CHECK_EQ(parconc_pool_submit(p, task_with_loop, (void *)t, &f[t]), PARCONC_OK);
        for (t = 0; t < 4; t++) {
            PT_CHECK_EQ(parconc_future_get(f[t], NULL, PARCONC_FOREVER), PARCONC_OK);
            parconc_future_release(f[t]);
            for (i = 0; i < 10000; i++) PT_CHECK_EQ(nested_count[t][i], 1);
        }
        parconc_pool_destroy(p);
    }
}

/* ---- early exit ---- */
static int stop_seen;
static size_t after_stop_entries, items_done;
static void search(size_t b, size_t e, size_t worker, void *arg)
{
    size_t target = *(size_t *)arg;
    (void)worker;
    if (__atomic_load_n(&stop_seen, __ATOMIC_ACQUIRE)) __atomic_fetch_add(&after_stop_entries, 1, __ATOMIC_RELAXED);
    for (; b < e; b++) {
        __atomic_fetch_add(&items_done, 1, __ATOMIC_RELAXED);
        if (b == target) {
            PT_EXPECT(parconc_for_stop() == PARCONC_OK);
            __atomic_store_n(&stop_seen, 1, __ATOMIC_RELEASE);
        }
        parconc_sleep_ns(20000);
    }
}

static void test_early_exit_stops_new_chunks(void)
{
    parconc_pool *p;
    parconc_pool_desc pd;
    parconc_for_desc d;
    size_t target = 50;
    memset(&pd, 0, sizeof pd);
    pd.threads = 3;
    PT_CHECK_EQ(parconc_pool_create(&p, &pd), PARCONC_OK);
    memset(&d, 0, sizeof d);
    d.schedule = PARCONC_DYNAMIC;
    d.chunk = 1;
    stop_seen = 0;
    after_stop_entries = items_done = 0;
    PT_CHECK_EQ(parconc_parallel_for(p, 100000, search, &target, &d), PARCONC_ECANCELED);
    /* at most the chunks other participants had already claimed (3) */
    PT_CHECK(after_stop_entries <= 3);
    PT_CHECK(items_done < 1000);
    PT_CHECK_EQ(parconc_for_stop(), PARCONC_EINVAL); /* outside a loop */
    parconc_pool_destroy(p);
}

/* ---- progress ---- */
typedef struct prog { size_t calls, finals, last, total, nonmono; int busy, overlap; } prog;
static void on_progress(size_t done, size_t total, void *user)
{
    prog *g = (prog *)user;
    if (__atomic_exchange_n(&g->busy, 1, __ATOMIC_ACQUIRE)) g->overlap = 1;
    g->calls++;
    if (done < g->last) g->nonmono++;
    g->last = done;
    g->total = total;
    if (done == total) g->finals++;
    __atomic_store_n(&g->busy, 0, __ATOMIC_RELEASE);
}
static void slow_items(size_t b, size_t e, size_t worker, void *arg)
{
    (void)worker; (void)arg;
    for (; b < e; b++) parconc_sleep_ns(100000);
}

static void test_progress_reports(void)
{
    static const int schedules[] = { PARCONC_AUTO, PARCONC_STATIC, PARCONC_DYNAMIC, PARCONC_GUIDED, PARCONC_RESPAWN };
    parconc_pool *p;
    parconc_pool_desc pd;
    size_t i;
    memset(&pd, 0, sizeof pd);
    pd.threads = 2;
    PT_CHECK_EQ(parconc_pool_create(&p, &pd), PARCONC_OK);
    for (i = 0; i < PT_COUNT(schedules); i++) {
        parconc_for_desc d;
        prog g;
        memset(&d, 0, sizeof d);
        memset(&g, 0, sizeof g);
        d.schedule = schedules[i];
        d.chunk = 4;
        d.progress = on_progress;
        d.progress_user = &g;
        d.progress_interval_ns = 5000000; /* 5 ms */
        PT_CHECK_EQ(parconc_parallel_for(p, 600, slow_items, NULL, &d), PARCONC_OK); /* ~30 ms of work */
        PT_CHECK_EQ(g.finals, 1);
        PT_CHECK_EQ(g.last, 600); /* the final report comes last */
        PT_CHECK_EQ(g.total, 600);
        PT_CHECK_EQ(g.nonmono, 0);
        PT_CHECK_EQ(g.overlap, 0);
        PT_CHECK(g.calls >= 1);
        PT_CHECK(g.calls < 600 / 4); /* bounded rate, not per chunk */
    }
    parconc_pool_destroy(p);
}

static void test_bad_input(void)
{
    parconc_for_desc d;
    parconc_for_advice a;
    uint32_t c[4];
    visit v;
    v = visit_of(c, 4);
    memset(&d, 0, sizeof d);
    PT_CHECK_EQ(parconc_parallel_for(NULL, 4, NULL, NULL, NULL), PARCONC_EINVAL);
    d.schedule = 99;
    PT_CHECK_EQ(parconc_parallel_for(NULL, 4, count_visits, &v, &d), PARCONC_EINVAL);
    d.schedule = -1;
    PT_CHECK_EQ(parconc_parallel_for(NULL, 4, count_visits, &v, &d), PARCONC_EINVAL);
    d.schedule = PARCONC_STATIC;
    d.max_workers = -2;
    PT_CHECK_EQ(parconc_parallel_for(NULL, 4, count_visits, &v, &d), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_parallel_for(NULL, 0, count_visits, &v, NULL), PARCONC_OK); /* n == 0: at once */
    PT_CHECK_EQ(parconc_for_advise(NULL, 10, 1.0, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_for_advise(NULL, 10, -1.0, &a), PARCONC_EINVAL);
}

static void test_advisor(void)
{
    parconc_pool *p;
    parconc_pool_desc pd;
    parconc_for_advice a;
    memset(&pd, 0, sizeof pd);
    pd.threads = 7;
    PT_CHECK_EQ(parconc_pool_create(&p, &pd), PARCONC_OK);
    /* 100 items of 10 ns: 1 us in all, not worth a helper */
    PT_CHECK_EQ(parconc_for_advise(p, 100, 10.0, &a), PARCONC_OK);
    PT_CHECK_EQ(a.workers, 1);
    PT_CHECK(a.reason != NULL && strstr(a.reason, "inline") != NULL);
    /* 10^7 items of 10 ns: 100 ms, every thread, chunks of ~50 us */
    PT_CHECK_EQ(parconc_for_advise(p, 10000000, 10.0, &a), PARCONC_OK);
    PT_CHECK_EQ(a.workers, 8);
    PT_CHECK_EQ(a.chunk, 5000);
    PT_CHECK(a.expected_speedup > 7.0 && a.expected_speedup <= 8.0);
    /* 10 items of 1 ms: expensive items, one at a time */
    PT_CHECK_EQ(parconc_for_advise(p, 10, 1e6, &a), PARCONC_OK);
    PT_CHECK_EQ(a.chunk, 1);
    PT_CHECK_EQ(a.workers, 8);
    /* 40 us of work: only a couple of helpers pay for themselves */
    PT_CHECK_EQ(parconc_for_advise(p, 4000, 10.0, &a), PARCONC_OK);
    PT_CHECK_EQ(a.workers, 2);
    PT_CHECK_EQ(parconc_for_advise(NULL, 10000000, 10.0, &a), PARCONC_OK);
    PT_CHECK_EQ(a.workers, 1);
    parconc_pool_destroy(p);
}

/* parallel_for's helper tasks never show in the pool's task counters:
   two threads run loops at once (one takes the loop slot, the other falls
   back to helper tasks, some canceled unstarted), and afterwards the
   counters hold just the user's one task. */
static parconc_pool *g_stats_pool;
static void *loops_from_thread(void *arg)
{
    visit v;
    static uint32_t counts[2][5000];
    int round, k = (int)(intptr_t)arg;
    size_t i;
    for (round = 0; round < 200; round++) {
        memset(counts[k], 0, sizeof counts[k]);
        v = visit_of(counts[k], 5000);
        PT_EXPECT(parconc_parallel_for(g_stats_pool, 5000, count_visits, &v, NULL) == PARCONC_OK);
        for (i = 0; i < 5000; i++) PT_EXPECT(counts[k][i] == 1);
    }
    return NULL;
}
static void *one_user_task(void *arg) { return arg; }
/* The advisor near the limits of size_t and double: no undefined
   conversion (UBSan in the sanitizer build), a chunk within [1, n], a
   finite expected speed-up; infinite and NaN costs are EINVAL. */
static void test_advisor_extremes(void)
{
    static const double costs[] = { 0.0, 1e-300, 1e-9, 1.0, 1e300 };
    const size_t ns[] = { 2, 1000, SIZE_MAX / 3, SIZE_MAX };
    parconc_pool *p;
    parconc_pool_desc pd;
    parconc_for_advice a;
    size_t i, j;
    memset(&pd, 0, sizeof pd);
    pd.threads = 3;
    PT_CHECK_EQ(parconc_pool_create(&p, &pd), PARCONC_OK);
    for (i = 0; i < PT_COUNT(ns); i++)
        for (j = 0; j < PT_COUNT(costs); j++) {
            PT_CHECK_EQ(parconc_for_advise(p, ns[i], costs[j], &a), PARCONC_OK);
            PT_EXPECT(a.workers >= 1 && a.workers <= 4);
            PT_EXPECT(a.chunk >= 1 && a.chunk <= ns[i]);
            PT_EXPECT(a.expected_speedup >= 1.0 && a.expected_speedup <= 4.0);
        }
    PT_EXPECT_EQ(parconc_for_advise(p, 10, 1.0 / 0.0, &a), PARCONC_EINVAL);
    PT_EXPECT_EQ(parconc_for_advise(p, 10, -1.0 / 0.0, &a), PARCONC_EINVAL);
    PT_EXPECT_EQ(parconc_for_advise(p, 10, 0.0 / 0.0, &a), PARCONC_EINVAL);
    parconc_pool_destroy(p);
}

static void test_helpers_not_in_task_counters(void)
{
    parconc_pool_desc pd;
    parconc_pool_stats st;
    parconc_thread t[2];
    int i;
    memset(&pd, 0, sizeof pd);
    pd.threads = 3;
    PT_CHECK_EQ(parconc_pool_create(&g_stats_pool, &pd), PARCONC_OK);
    for (i = 0; i < 2; i++) PT_CHECK_EQ(parconc_thread_create(&t[i], loops_from_thread, (void *)(intptr_t)i, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_submit(g_stats_pool, one_user_task, NULL, NULL), PARCONC_OK);
    for (i = 0; i < 2; i++) PT_CHECK_EQ(parconc_thread_join(t[i], NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_wait_idle(g_stats_pool, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_stats_get(g_stats_pool, &st), PARCONC_OK);
    PT_CHECK_EQ(st.submitted, 1);
    PT_CHECK_EQ(st.completed, 1);
    PT_CHECK_EQ(st.canceled, 0);
    PT_CHECK_EQ(st.failed, 0);
    PT_CHECK_EQ(st.queued, 0);
    parconc_pool_destroy(g_stats_pool);
}

/* Ranges near SIZE_MAX: every schedule's chunk arithmetic must neither
   wrap (items run twice, or a loop that never ends) nor lose items. */
typedef struct huge_tally { size_t n, items, calls, bad; } huge_tally;
static void huge_body(size_t b, size_t e, size_t worker, void *arg)
{
    huge_tally *t = (huge_tally *)arg;
    (void)worker;
    if (!(b < e && e <= t->n)) __atomic_fetch_add(&t->bad, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&t->items, e - b, __ATOMIC_RELAXED);
    __atomic_fetch_add(&t->calls, 1, __ATOMIC_RELAXED);
}

static void test_huge_ranges_no_wrap(void)
{
    const size_t half = SIZE_MAX / 2 + 1;
    const size_t cases[][2] = { { half + 2, half + 1 }, { SIZE_MAX, half }, { SIZE_MAX, SIZE_MAX },
                                { SIZE_MAX, half + 1 }, { SIZE_MAX - 1, SIZE_MAX / 3 } };
    const int schedules[] = { PARCONC_STATIC, PARCONC_DYNAMIC, PARCONC_GUIDED, PARCONC_RESPAWN };
    parconc_pool *p;
    parconc_pool_desc pd;
    size_t c, s;
    int use_pool;
    memset(&pd, 0, sizeof pd);
    pd.threads = 3;
    PT_CHECK_EQ(parconc_pool_create(&p, &pd), PARCONC_OK);
    for (use_pool = 0; use_pool < 2; use_pool++)
        for (c = 0; c < PT_COUNT(cases); c++)
            for (s = 0; s < PT_COUNT(schedules); s++) {
                parconc_for_desc d;
                huge_tally t;
                memset(&d, 0, sizeof d);
                memset(&t, 0, sizeof t);
                d.schedule = schedules[s];
                d.chunk = cases[c][1];
                t.n = cases[c][0];
                PT_EXPECT_EQ(parconc_parallel_for(use_pool ? p : NULL, t.n, huge_body, &t, &d), PARCONC_OK);
                PT_EXPECT_EQ(t.bad, 0);
                PT_EXPECT(t.items == t.n); /* every item exactly once: sizes sum to n, no range overlaps */
                PT_EXPECT(t.calls >= 1 && t.calls <= 512);
                if (!PT_OK()) {
                    fprintf(stderr, "  case %u schedule %d pool %d: items %zu of %zu in %zu calls\n", (unsigned)c,
                            schedules[s], use_pool, t.items, t.n, t.calls);
                    parconc_pool_destroy(p);
                    return;
                }
            }
    parconc_pool_destroy(p);
}

/* parallel_reduce and parallel_for (also nested, where the helpers are
   queued as tasks) on a thread with the smallest stack parconc allows:
   their frames fit (they once needed 17 and 9 KiB). */
/* A loop inside a loop's body, on the same pool, started by a worker just
   after the outer loop's caller ran out of work and took the loop off the
   pool's slot (it then waits for the workers still inside it).  The inner
   loop must not take the freed slot: its caller would wait for the
   workers inside the outer loop, itself among them. */
#define MS 1000000ull
static parconc_pool *race_pool;
static int race_worker_in, race_inner_rc = -1;
static unsigned char race_inner_visits[64];
static void race_inner(size_t b, size_t e, size_t worker, void *arg)
{
    (void)worker; (void)arg;
    for (; b < e; b++) __atomic_fetch_add(&race_inner_visits[b], 1, __ATOMIC_RELAXED);
}
static void race_outer(size_t b, size_t e, size_t worker, void *arg)
{
    uint64_t until = parconc_now_ns() + 2000 * MS;
    (void)b; (void)e; (void)arg;
    if (worker == 0) { /* the caller: hold its item until a worker is inside */
        while (!__atomic_load_n(&race_worker_in, __ATOMIC_ACQUIRE) && parconc_now_ns() < until) parconc_sleep_ns(100000);
        return;
    }
    __atomic_store_n(&race_worker_in, 1, __ATOMIC_RELEASE);
    /* wait for the caller to run out of work and free the slot */
    while (parconc__load(&race_pool->loop_slot, PARCONC__SEQ_CST) != NULL && parconc_now_ns() < until) parconc_sleep_ns(100000);
    race_inner_rc = parconc_parallel_for(race_pool, sizeof race_inner_visits, race_inner, NULL, NULL);
}
static int race_done;
static void *race_main(void *arg)
{
    parconc_for_desc d;
    (void)arg;
    memset(&d, 0, sizeof d);
    d.schedule = PARCONC_DYNAMIC;
    d.chunk = 1;
    parconc_parallel_for(race_pool, 2, race_outer, NULL, &d);
    __atomic_store_n(&race_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_inner_loop_after_outer_unpublished(void)
{
    parconc_pool_desc pd;
    parconc_thread t;
    uint64_t until;
    size_t i;
    memset(&pd, 0, sizeof pd);
    pd.threads = 1;
    PT_CHECK_EQ(parconc_pool_create(&race_pool, &pd), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_create(&t, race_main, NULL, NULL), PARCONC_OK);
    until = parconc_now_ns() + 10000 * MS;
    while (!__atomic_load_n(&race_done, __ATOMIC_ACQUIRE) && parconc_now_ns() < until) parconc_sleep_ns(MS);
    if (!__atomic_load_n(&race_done, __ATOMIC_ACQUIRE)) {
        printf("\n    the outer loop never returned (the inner one waits for itself)\n");
        fflush(stdout);
        abort(); /* a hang cannot be cleaned up */
    }
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
    PT_EXPECT_EQ(__atomic_load_n(&race_worker_in, __ATOMIC_ACQUIRE), 1); /* the scenario happened */
    PT_EXPECT_EQ(race_inner_rc, PARCONC_OK);
    for (i = 0; i < sizeof race_inner_visits; i++) PT_EXPECT_EQ(race_inner_visits[i], 1);
    parconc_pool_destroy(race_pool);
}

typedef struct small_stack_job { parconc_pool *pool; int rc_reduce, rc_for; double sum; size_t visited; } small_stack_job;
static void reduce_sum64(size_t b, size_t e, void *partial, void *arg)
{
    double *acc = (double *)partial; /* 8 doubles: a 64-byte partial */
    (void)arg;
    for (; b < e; b++) acc[b % 8] += (double)b;
}
static void combine_sum64(void *into, const void *from, void *arg)
{
    double *a = (double *)into;
    const double *f = (const double *)from;
    int i;
    (void)arg;
    for (i = 0; i < 8; i++) a[i] += f[i];
}
static void count_inner(size_t b, size_t e, size_t worker, void *arg)
{
    (void)worker;
    __atomic_fetch_add((size_t *)arg, e - b, __ATOMIC_RELAXED);
}
static size_t small_inner_visits;
static void nested_outer(size_t b, size_t e, size_t worker, void *arg)
{
    parconc_for_desc d;
    (void)worker;
    memset(&d, 0, sizeof d);
    d.schedule = PARCONC_DYNAMIC;
    for (; b < e; b++) parconc_parallel_for((parconc_pool *)arg, 100, count_inner, &small_inner_visits, &d);
}
static void *small_stack_main(void *arg)
{
    small_stack_job *j = (small_stack_job *)arg;
    double acc[8] = { 0 };
    int i;
    j->rc_reduce = parconc_parallel_reduce(j->pool, 10000, reduce_sum64, combine_sum64, acc, sizeof acc, NULL, NULL);
    for (i = 0; i < 8; i++) j->sum += acc[i];
    j->rc_for = parconc_parallel_for(j->pool, 8, nested_outer, j->pool, NULL);
    return NULL;
}

static void test_small_stack_thread(void)
{
    parconc_pool *p;
    parconc_pool_desc pd;
    parconc_thread t;
    parconc_thread_opts o;
    small_stack_job j;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    PT_SKIP("sanitizers multiply stack frames");
#endif
    memset(&pd, 0, sizeof pd);
    pd.threads = 16; /* many participants: the largest frames */
    PT_CHECK_EQ(parconc_pool_create(&p, &pd), PARCONC_OK);
    memset(&j, 0, sizeof j);
    j.pool = p;
    small_inner_visits = 0;
    memset(&o, 0, sizeof o);
    o.stack_size = PARCONC_THREAD_STACK_MIN;
    PT_CHECK_EQ(parconc_thread_create(&t, small_stack_main, &j, &o), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
    PT_EXPECT_EQ(j.rc_reduce, PARCONC_OK);
    PT_EXPECT(j.sum == 49995000.0); /* 0 + 1 + ... + 9999, exact in a double */
    PT_EXPECT_EQ(j.rc_for, PARCONC_OK);
    PT_EXPECT_EQ(small_inner_visits, 800);
    parconc_pool_destroy(p);
}

int main(int argc, char **argv)
{
    static const pt_test tests[] = {
        PT_TEST(test_split),
        PT_TEST(test_every_index_once_all_schedules),
        PT_TEST(test_null_pool_runs_serially),
        PT_TEST(test_reduce),
        PT_TEST(test_nested_loops_in_tasks),
        PT_TEST(test_early_exit_stops_new_chunks),
        PT_TEST(test_progress_reports),
        PT_TEST(test_bad_input),
        PT_TEST(test_huge_ranges_no_wrap),
        PT_TEST(test_small_stack_thread),
        PT_TEST(test_inner_loop_after_outer_unpublished),
        PT_TEST(test_advisor),
        PT_TEST(test_advisor_extremes),
        PT_TEST(test_helpers_not_in_task_counters),
    };
    return pt_main(tests, PT_COUNT(tests), argc, argv);
}
