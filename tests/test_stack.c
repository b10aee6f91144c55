/* Stack use: each entry point runs on a thread whose stack was painted
   first; the deepest byte it changed gives the bytes it used.  Each must
   stay within a fixed budget (a function that grew a big local array
   fails here), and pool workers get the stack size asked for.  Measured
   in the plain builds only: sanitizers change every frame. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "harness.h"
#include <stdlib.h>
#ifndef _WIN32
#include <pthread.h>
#endif

/* painting needs a thread on a stack we own: pthread_attr_setstack */
#ifdef _WIN32
#define STACK_PAINTABLE 0
#else
#define STACK_PAINTABLE 1
#endif

#define PAINT 0xA5u
#define STACK_BYTES (256u * 1024u)

static parconc_pool *pool;
static parconc_mutex mtx = PARCONC_MUTEX_INIT;
static parconc_rwlock rw;
static parconc_sem sem;
static parconc_cond cond;
static unsigned char visits[4096];

static void *value(void *arg) { return arg; }
static void *then_fn(parconc_future *in, void *arg) { (void)in; return arg; }
static void visit(size_t b, size_t e, size_t worker, void *arg)
{
    (void)worker; (void)arg;
    for (; b < e; b++) visits[b]++;
}
static void sum_part(size_t b, size_t e, void *partial, void *arg)
{
    (void)arg;
    for (; b < e; b++) *(uint64_t *)partial += b;
}
static void sum_combine(void *into, const void *from, void *arg)
{
    (void)arg;
    *(uint64_t *)into += *(const uint64_t *)from;
}

static void run_mutex(void) { parconc_mutex_lock(&mtx); parconc_mutex_unlock(&mtx); }
static void run_timed(void)
{
    parconc_mutex_lock(&mtx);
    parconc_cond_timedwait(&cond, &mtx, 100000);
    parconc_mutex_unlock(&mtx);
    parconc_sem_timedwait(&sem, 100000);
}
static void run_rwlock(void)
{
    parconc_rwlock_wrlock(&rw);
    parconc_rwlock_wrunlock(&rw);
    parconc_rwlock_rdlock(&rw);
    parconc_rwlock_rdunlock(&rw);
}
static void run_submit_get(void)
{
    parconc_future *f = NULL;
    if (parconc_pool_submit(pool, value, NULL, &f) == PARCONC_OK) {
        parconc_future_get(f, NULL, PARCONC_FOREVER);
        parconc_future_release(f);
    }
}
static void run_wait_any(void)
{
    parconc_future *fs[20];
    size_t i, idx;
    for (i = 0; i < 20; i++) fs[i] = NULL;
    for (i = 0; i < 20; i++) parconc_pool_submit(pool, value, NULL, &fs[i]);
    parconc_wait_any(fs, 20, &idx, PARCONC_FOREVER);
    parconc_wait_all(fs, 20, PARCONC_FOREVER);
    for (i = 0; i < 20; i++) parconc_future_release(fs[i]);
}
static void run_for(int schedule)
{
    parconc_for_desc d;
    memset(&d, 0, sizeof d);
    d.schedule = schedule;
    parconc_parallel_for(pool, sizeof visits, visit, NULL, &d);
}
static void run_for_auto(void) { run_for(PARCONC_AUTO); }
static void run_for_static(void) { run_for(PARCONC_STATIC); }
static void run_for_dynamic(void) { run_for(PARCONC_DYNAMIC); }
static void run_for_guided(void) { run_for(PARCONC_GUIDED); }
static void run_for_respawn(void) { run_for(PARCONC_RESPAWN); }
static void run_reduce(void)
{
    uint64_t sum = 0;
    parconc_parallel_reduce(pool, sizeof visits, sum_part, sum_combine, &sum, sizeof sum, NULL, NULL);
}
static void run_pool_life(void)
{
    parconc_pool *p = NULL;
    parconc_pool_desc d;
    memset(&d, 0, sizeof d);
    d.threads = 2;
    if (parconc_pool_create(&p, &d) == PARCONC_OK) parconc_pool_destroy(p);
}
static void run_group(void)
{
    parconc_group g;
    parconc_group_desc d;
    int i;
    memset(&d, 0, sizeof d);
    d.pool = pool;
    if (parconc_group_init(&g, &d) != PARCONC_OK) return;
    for (i = 0; i < 8; i++) parconc_group_submit(&g, value, NULL, NULL);
    parconc_group_wait(&g, PARCONC_FOREVER);
    parconc_group_destroy(&g);
}
static void run_then_when_all(void)
{
    parconc_future *a = NULL, *b = NULL, *all = NULL, *fs[2];
    if (parconc_pool_submit(pool, value, NULL, &a) != PARCONC_OK) return;
    if (parconc_future_then(a, pool, then_fn, NULL, &b) == PARCONC_OK) {
        fs[0] = a;
        fs[1] = b;
        if (parconc_when_all(fs, 2, &all) == PARCONC_OK) {
            parconc_future_wait(all, PARCONC_FOREVER);
            parconc_future_release(all);
        }
        parconc_future_wait(b, PARCONC_FOREVER);
        parconc_future_release(b);
    }
    parconc_future_release(a);
}

typedef struct probe { const char *name; void (*fn)(void); size_t budget; } probe;

static void run_nothing(void) {}

#if STACK_PAINTABLE
static void *probe_main(void *arg)
{
    ((const probe *)arg)->fn();
    return NULL;
}

/* Bytes of `stack` (STACK_BYTES, growing down) that running p changed. */
static size_t measure(const probe *p, unsigned char *stack)
{
    pthread_attr_t attr;
    pthread_t t;
    size_t i;
    memset(stack, PAINT, STACK_BYTES);
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, STACK_BYTES);
    if (pthread_create(&t, &attr, probe_main, (void *)p) != 0) return (size_t)-1;
    pthread_attr_destroy(&attr);
    pthread_join(t, NULL);
    for (i = 0; i < STACK_BYTES && stack[i] == PAINT; i++) {}
    return STACK_BYTES - i;
}

#endif

static void test_entry_point_stack_budgets(void)
{
    /* budgets: bytes beyond what a thread doing nothing uses; a 64-bit -O2
       build measures a quarter to a half of these (the numbers print).
       Each function's own frame is held to 1 KB by `make cross`. */
    static const probe nothing = { "nothing", run_nothing, 0 };
    static const probe probes[] = {
        { "mutex", run_mutex, 512 },
        { "cond+sem timed", run_timed, 1024 },
        { "rwlock", run_rwlock, 512 },
        { "submit+get", run_submit_get, 2048 },
        { "wait_any+all(20)", run_wait_any, 2048 },
        { "for AUTO", run_for_auto, 2048 },
        { "for STATIC", run_for_static, 2048 },
        { "for DYNAMIC", run_for_dynamic, 2048 },
        { "for GUIDED", run_for_guided, 2048 },
        { "for RESPAWN", run_for_respawn, 4096 }, /* pthread_create's own frames too */
        { "reduce", run_reduce, 2048 },
        { "pool life", run_pool_life, 4096 },     /* likewise */
        { "group", run_group, 2048 },
        { "then+when_all", run_then_when_all, 2048 },
    };
#if STACK_PAINTABLE
    unsigned char *stack;
    size_t base, i;
    parconc_pool_desc d;
    if (PT_SANITIZED) PT_SKIP("sanitizers change every frame");
    stack = (unsigned char *)aligned_alloc(4096, STACK_BYTES);
    PT_CHECK(stack != NULL);
    memset(&d, 0, sizeof d);
    d.threads = 3;
    PT_CHECK_EQ(parconc_pool_create(&pool, &d), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_init(&rw, PARCONC_RW_FAIR), PARCONC_OK);
    PT_CHECK_EQ(parconc_sem_init(&sem, 0), PARCONC_OK);
    PT_CHECK_EQ(parconc_cond_init(&cond), PARCONC_OK);
    base = measure(&nothing, stack);
    PT_EXPECT(base != (size_t)-1 && base < 8192);
    printf("\n    bytes:");
    for (i = 0; i < PT_COUNT(probes); i++) {
        size_t used = (size_t)-1, k;
        /* the least of four runs: the dynamic linker binds a symbol the
           first time a rare path calls it, on that call's stack */
        for (k = 0; k < 4; k++) {
            size_t u = measure(&probes[i], stack);
            if (u < used) used = u;
        }
        PT_EXPECT(used != (size_t)-1 && used >= base);
        used -= base;
        printf(" %s %zu%s", probes[i].name, used, i + 1 < PT_COUNT(probes) ? "," : " ");
        if (used > probes[i].budget) {
            printf("(over budget %zu) ", probes[i].budget);
            PT_EXPECT(used <= probes[i].budget);
        }
    }
    parconc_pool_destroy(pool);
    free(stack);
#else
    (void)probes;
    (void)nothing;
    PT_SKIP("no thread on a caller-owned stack here");
#endif
}

/* Workers get the stack size and priority the pool's description asks
   for; the POSIX backend has no portable priority and says so. */
static size_t worker_stack_seen;
static void *read_stack_size(void *arg)
{
    (void)arg;
#if defined(__GLIBC__)
    {
        pthread_attr_t a;
        if (pthread_getattr_np(pthread_self(), &a) == 0) {
            pthread_attr_getstacksize(&a, &worker_stack_seen);
            pthread_attr_destroy(&a);
        }
    }
#elif defined(_WIN32)
    {   /* the reserved stack */
        ULONG_PTR low = 0, high = 0;
        GetCurrentThreadStackLimits(&low, &high);
        worker_stack_seen = (size_t)(high - low);
    }
#endif
    return NULL;
}

static void test_pool_stack_size_and_priority(void)
{
    parconc_pool_desc d;
    parconc_pool *p = NULL;
    parconc_future *f = NULL;
    parconc_thread t;
    parconc_thread_opts o;
    memset(&d, 0, sizeof d);
    d.threads = 1;
    d.stack_size = 16u << 20; /* above glibc's default: its cache of used stacks cannot serve it */
    PT_CHECK_EQ(parconc_pool_create(&p, &d), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_submit(p, read_stack_size, NULL, &f), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_wait(f, PARCONC_FOREVER), PARCONC_OK);
    parconc_future_release(f);
    parconc_pool_destroy(p);
#if defined(__GLIBC__) && !defined(PARCONC_PORT_CUSTOM)
    PT_EXPECT(worker_stack_seen >= (16u << 20) && worker_stack_seen < (16u << 20) + 65536u);
#elif defined(_WIN32)
    PT_EXPECT(worker_stack_seen >= (16u << 20)); /* a reservation (Wine rounds small ones up to 1 MB) */
#endif
    d.stack_size = 16; /* below PARCONC_THREAD_STACK_MIN */
    p = NULL;
    PT_CHECK_EQ(parconc_pool_create(&p, &d), PARCONC_EINVAL);
    PT_CHECK(p == NULL);
    d.stack_size = 0;
    d.priority = 3;
    PT_CHECK(parconc_pool_create(&p, &d) != PARCONC_OK); /* ENOTSUP (POSIX) or EINVAL (the test port) */
    PT_CHECK(p == NULL);
    memset(&o, 0, sizeof o);
    o.priority = 1;
    PT_CHECK(parconc_thread_create(&t, read_stack_size, NULL, &o) != PARCONC_OK);
#ifndef PARCONC_PORT_CUSTOM
    PT_CHECK_EQ(parconc_thread_create(&t, read_stack_size, NULL, &o), PARCONC_ENOTSUP);
#endif
}

int main(int argc, char **argv)
{
    static const pt_test tests[] = {
        PT_TEST(test_entry_point_stack_budgets),
        PT_TEST(test_pool_stack_size_and_priority),
    };
    return pt_main(tests, PT_COUNT(tests), argc, argv);
}
