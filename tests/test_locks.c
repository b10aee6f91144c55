/* Locks: mutex, rmutex, robust mutex, rwlock (3 policies), sem, cond, once,
   waitgroup, lock_many, guard.  Run under gcc, TSan, ASan+UBSan and the
   no-futex platform layer by `make test`. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "harness.h"
#include "misuse_log.h"

#if defined(PARCONC_VALGRIND)
#define SCALE 50 /* Helgrind is ~100x slower */
#elif defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SCALE 5 /* sanitizers are ~10x slower: fewer iterations */
#else
#define SCALE 1
#endif

#define MS 1000000LL

static int run_threads(int n, void *(*fn)(void *), void *arg)
{
    parconc_thread t[16];
    int i, ok = 1;
    for (i = 0; i < n; i++)
        if (parconc_thread_create(&t[i], fn, arg, NULL) != PARCONC_OK) return 0;
    for (i = 0; i < n; i++) ok &= parconc_thread_join(t[i], NULL) == PARCONC_OK;
    return ok;
}

/* Spins until *flag reaches value or 10 s pass; returns whether it did. */
static int wait_for(int *flag, int value)
{
    uint64_t deadline = parconc_now_ns() + 10000000000ull;
    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) < value)
        if (parconc_now_ns() > deadline) return 0; else parconc_sleep_ns(50000);
    return 1;
}

/* ====================== mutex ====================== */

static parconc_mutex g_mutex = PARCONC_MUTEX_INIT;
static long g_counter;

static void *mutex_incrementer(void *arg)
{
    long i, n = (long)(intptr_t)arg;
    for (i = 0; i < n; i++) {
        PT_EXPECT(parconc_mutex_lock(&g_mutex) == PARCONC_OK);
        g_counter++;
        PT_EXPECT(parconc_mutex_unlock(&g_mutex) == PARCONC_OK);
    }
    return NULL;
}

static void test_mutex_mutual_exclusion(void)
{
    long per = 200000 / SCALE;
    g_counter = 0;
    PT_CHECK(run_threads(4, mutex_incrementer, (void *)(intptr_t)per));
    PT_CHECK_EQ(g_counter, 4 * per);
    PT_CHECK_EQ(g_mutex.state_, 0);
}

static void *mutex_try_mixer(void *arg)
{
    long i, n = (long)(intptr_t)arg, done = 0;
    for (i = 0; done < n; i++) {
        int rc = (i & 1) ? parconc_mutex_trylock(&g_mutex)
                         : (i & 2) ? parconc_mutex_timedlock(&g_mutex, 1 * MS) : parconc_mutex_lock(&g_mutex);
        PT_EXPECT(rc == PARCONC_OK || rc == PARCONC_EBUSY || rc == PARCONC_ETIMEDOUT);
        if (rc != PARCONC_OK) continue;
        g_counter++;
        done++;
        PT_EXPECT(parconc_mutex_unlock(&g_mutex) == PARCONC_OK);
    }
    return NULL;
}

static void test_mutex_try_and_timed_mix(void)
{
    long per = 100000 / SCALE;
    g_counter = 0;
    PT_CHECK(run_threads(4, mutex_try_mixer, (void *)(intptr_t)per));
    PT_CHECK_EQ(g_counter, 4 * per);
    PT_CHECK_EQ(g_mutex.state_, 0);
}

static int holder_locked;
static void *hold_mutex_for_a_while(void *arg)
{
    int64_t hold = (int64_t)(intptr_t)arg;
    PT_EXPECT(parconc_mutex_lock(&g_mutex) == PARCONC_OK);
    __atomic_store_n(&holder_locked, 1, __ATOMIC_RELEASE);
    parconc_sleep_ns(hold);
    PT_EXPECT(parconc_mutex_unlock(&g_mutex) == PARCONC_OK);
    return NULL;
}

static void test_mutex_timeouts(void)
{
    parconc_thread t;
    uint64_t t0, dt;
    int rc;
    holder_locked = 0;
    PT_CHECK_EQ(parconc_thread_create(&t, hold_mutex_for_a_while, (void *)(intptr_t)(300 * MS), NULL), PARCONC_OK);
    PT_CHECK(wait_for(&holder_locked, 1));
    /* held: timed lock expires, never early */
    t0 = parconc_now_ns();
    rc = parconc_mutex_timedlock(&g_mutex, 20 * MS);
    dt = parconc_now_ns() - t0;
    PT_EXPECT_EQ(rc, PARCONC_ETIMEDOUT);
    PT_EXPECT(dt >= 20 * MS);
    /* 0 and negative: try once, return at once */
    t0 = parconc_now_ns();
    PT_EXPECT_EQ(parconc_mutex_timedlock(&g_mutex, 0), PARCONC_ETIMEDOUT);
    PT_EXPECT_EQ(parconc_mutex_timedlock(&g_mutex, -1), PARCONC_ETIMEDOUT);
    PT_EXPECT_EQ(parconc_mutex_timedlock(&g_mutex, INT64_MIN), PARCONC_ETIMEDOUT);
    PT_EXPECT_EQ(parconc_mutex_trylock(&g_mutex), PARCONC_EBUSY);
    PT_EXPECT(parconc_now_ns() - t0 < 100 * MS);
    /* released during the wait: taken */
    t0 = parconc_now_ns();
    rc = parconc_mutex_timedlock(&g_mutex, 10000 * MS);
    PT_EXPECT_EQ(rc, PARCONC_OK);
    PT_EXPECT(parconc_now_ns() - t0 < 5000 * MS);
    if (rc == PARCONC_OK) PT_EXPECT_EQ(parconc_mutex_unlock(&g_mutex), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
    /* free: timeout 0 takes it (it tries once) */
    PT_CHECK_EQ(parconc_mutex_timedlock(&g_mutex, 0), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_unlock(&g_mutex), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_timedlock(&g_mutex, -5), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_unlock(&g_mutex), PARCONC_OK);
}

static void test_mutex_bad_input(void)
{
    parconc_mutex m;
    int before = misuse_reports;
    PT_CHECK_EQ(parconc_mutex_init(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_mutex_lock(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_mutex_trylock(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_mutex_timedlock(NULL, 1), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_mutex_unlock(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_mutex_destroy(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_mutex_init(&m), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_unlock(&m), PARCONC_EPERM); /* unheld */
    PT_CHECK_EQ(misuse_reports, before + 1);               /* and reported */
    PT_CHECK_EQ(parconc_mutex_lock(&m), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_destroy(&m), PARCONC_EBUSY); /* held */
    PT_CHECK_EQ(parconc_mutex_unlock(&m), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_destroy(&m), PARCONC_OK);
}

/* A thread that re-locks in a tight loop must not starve a waiter: after
   ~1 ms the waiter is handed the lock. */
static int hog_stop, hog_started;
static void *lock_hog(void *arg)
{
    long rounds = 0;
    (void)arg;
    __atomic_store_n(&hog_started, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&hog_stop, __ATOMIC_ACQUIRE)) {
        volatile int spin;
        parconc_mutex_lock(&g_mutex);
        for (spin = 0; spin < 200; spin++) {}
        parconc_mutex_unlock(&g_mutex);
        rounds++;
    }
    return (void *)(intptr_t)rounds;
}

static void test_mutex_no_starvation(void)
{
    parconc_thread t;
    int i, got = 0;
    uint64_t worst = 0;
    hog_stop = 0;
    hog_started = 0;
    PT_CHECK_EQ(parconc_thread_create(&t, lock_hog, NULL, NULL), PARCONC_OK);
    PT_CHECK(wait_for(&hog_started, 1));
    for (i = 0; i < 100; i++) {
        uint64_t t0 = parconc_now_ns(), dt;
        if (parconc_mutex_timedlock(&g_mutex, 2000 * MS) != PARCONC_OK) continue;
        dt = parconc_now_ns() - t0;
        if (dt > worst) worst = dt;
        got++;
        parconc_mutex_unlock(&g_mutex);
        parconc_sleep_ns(100000);
    }
    __atomic_store_n(&hog_stop, 1, __ATOMIC_RELEASE);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
    PT_CHECK_EQ(got, 100); /* every attempt got in within 2 s */
    printf("(worst wait %.2f ms) ", (double)worst / 1e6);
}

/* A crowd: 64 threads on one mutex, a third of them retrying
   timedlock(100 ms) while the rest call lock().  Every timed waiter gets
   the lock, and none times out more than a few times in a row: a timed
   waiter claims the hand-off like any other. */
#define CROWD 64
static int crowd_stop;
static long crowd_got[CROWD], crowd_worst_run[CROWD];
static volatile long crowd_shared;
static void *crowd_member(void *arg)
{
    int id = (int)(intptr_t)arg, timed = id % 3 == 0, k;
    long run = 0;
    while (!__atomic_load_n(&crowd_stop, __ATOMIC_ACQUIRE)) {
        int rc = timed ? parconc_mutex_timedlock(&g_mutex, 100 * MS) : parconc_mutex_lock(&g_mutex);
        if (rc != PARCONC_OK) {
            PT_EXPECT_EQ(rc, PARCONC_ETIMEDOUT);
            if (++run > crowd_worst_run[id]) crowd_worst_run[id] = run;
            continue;
        }
        run = 0;
        crowd_got[id]++;
        for (k = 0; k < 200; k++) crowd_shared++;
        parconc_mutex_unlock(&g_mutex);
    }
    return NULL;
}

static void crowd_run(void)
{
    parconc_thread t[CROWD];
    int i;
    crowd_stop = 0;
    memset(crowd_got, 0, sizeof crowd_got);
    memset(crowd_worst_run, 0, sizeof crowd_worst_run);
    for (i = 0; i < CROWD; i++) PT_CHECK_EQ(parconc_thread_create(&t[i], crowd_member, (void *)(intptr_t)i, NULL), PARCONC_OK);
    parconc_sleep_ns(1000 * MS);
    __atomic_store_n(&crowd_stop, 1, __ATOMIC_RELEASE);
    for (i = 0; i < CROWD; i++) PT_CHECK_EQ(parconc_thread_join(t[i], NULL), PARCONC_OK);
    for (i = 0; i < CROWD; i += 3) {
        PT_EXPECT(crowd_got[i] > 0);
        PT_EXPECT(crowd_worst_run[i] <= 5);
    }
}

#if defined(__linux__) && !defined(PARCONC_PORT_CUSTOM)
#include <sys/syscall.h>
#define CROWD_MASK_WORDS 16
/* Runs the crowd with the process on one CPU (threads inherit the mask),
   where a time slice per owner makes waiting longest; 0 if it cannot. */
static int crowd_run_on_one_cpu(void)
{
    unsigned long saved[CROWD_MASK_WORDS], one[CROWD_MASK_WORDS];
    const int bits = (int)(8 * sizeof saved[0]);
    int c;
    memset(saved, 0, sizeof saved);
    if (syscall(SYS_sched_getaffinity, 0, sizeof saved, saved) <= 0) return 0;
    for (c = 0; c < CROWD_MASK_WORDS * bits && !(saved[c / bits] & (1ul << (c % bits))); c++) {}
    if (c == CROWD_MASK_WORDS * bits) return 0;
    memset(one, 0, sizeof one);
    one[c / bits] = 1ul << (c % bits);
    if (syscall(SYS_sched_setaffinity, 0, sizeof one, one) != 0) return 0;
    crowd_run();
    PT_EXPECT(syscall(SYS_sched_setaffinity, 0, sizeof saved, saved) == 0);
    return 1;
}
#else
static int crowd_run_on_one_cpu(void) { return 0; }
#endif

static void test_mutex_crowd_timed_waiters_served(void)
{
    crowd_run();
    if (PT_OK() && !crowd_run_on_one_cpu()) printf("(not pinned to one CPU here) ");
}

/* ====================== reentrant mutex ====================== */

static parconc_rmutex g_rmutex = PARCONC_RMUTEX_INIT;

static int recurse(int depth)
{
    int r;
    if (parconc_rmutex_lock(&g_rmutex) != PARCONC_OK) return -1000;
    g_counter++;
    r = depth > 0 ? recurse(depth - 1) + 1 : 0;
    if (parconc_rmutex_unlock(&g_rmutex) != PARCONC_OK) return -1000;
    return r;
}

static void *rmutex_worker(void *arg)
{
    long i, n = (long)(intptr_t)arg;
    for (i = 0; i < n; i++) PT_EXPECT(recurse(3) == 3);
    return NULL;
}

static int rmutex_unlock_rc;
static void *rmutex_foreign_unlock(void *arg)
{
    (void)arg;
    rmutex_unlock_rc = parconc_rmutex_unlock(&g_rmutex);
    return NULL;
}

static void test_rmutex(void)
{
    long per = 50000 / SCALE;
    int before;
    g_counter = 0;
    PT_CHECK(run_threads(4, rmutex_worker, (void *)(intptr_t)per));
    PT_CHECK_EQ(g_counter, 4 * per * 4);
    PT_CHECK_EQ(g_rmutex.depth_, 0);
    PT_CHECK_EQ(g_rmutex.owner_, 0);
    /* re-lock by the owner, try variants */
    PT_CHECK_EQ(parconc_rmutex_lock(&g_rmutex), PARCONC_OK);
    PT_CHECK_EQ(parconc_rmutex_trylock(&g_rmutex), PARCONC_OK);
    PT_CHECK_EQ(parconc_rmutex_timedlock(&g_rmutex, 0), PARCONC_OK);
    PT_CHECK_EQ(g_rmutex.depth_, 3);
    /* unlock by another thread: EPERM, still held */
    before = misuse_reports;
    PT_CHECK(run_threads(1, rmutex_foreign_unlock, NULL));
    PT_CHECK_EQ(rmutex_unlock_rc, PARCONC_EPERM);
    PT_CHECK_EQ(misuse_reports, before + 1);
    PT_CHECK_EQ(parconc_rmutex_destroy(&g_rmutex), PARCONC_EBUSY);
    PT_CHECK_EQ(parconc_rmutex_unlock(&g_rmutex), PARCONC_OK);
    PT_CHECK_EQ(parconc_rmutex_unlock(&g_rmutex), PARCONC_OK);
    PT_CHECK_EQ(parconc_rmutex_unlock(&g_rmutex), PARCONC_OK);
    PT_CHECK_EQ(parconc_rmutex_unlock(&g_rmutex), PARCONC_EPERM); /* no longer owned */
    PT_CHECK_EQ(parconc_rmutex_destroy(&g_rmutex), PARCONC_OK);
    /* recursion count overflow is an error, not a wrap-around */
    PT_CHECK_EQ(parconc_rmutex_lock(&g_rmutex), PARCONC_OK);
    g_rmutex.depth_ = UINT32_MAX - 2; /* the most holds are UINT32_MAX-1 */
    PT_CHECK_EQ(parconc_rmutex_lock(&g_rmutex), PARCONC_OK);
    PT_CHECK_EQ(g_rmutex.depth_, UINT32_MAX - 1);
    PT_CHECK_EQ(parconc_rmutex_lock(&g_rmutex), PARCONC_EAGAIN);
    PT_CHECK_EQ(parconc_rmutex_trylock(&g_rmutex), PARCONC_EAGAIN);
    PT_CHECK_EQ(g_rmutex.depth_, UINT32_MAX - 1);
    g_rmutex.depth_ = 1;
    PT_CHECK_EQ(parconc_rmutex_unlock(&g_rmutex), PARCONC_OK);
    PT_CHECK_EQ(g_rmutex.mutex_.state_, 0);
    PT_CHECK_EQ(parconc_rmutex_lock(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_rmutex_unlock(NULL), PARCONC_EINVAL);
}

/* ====================== robust mutex ====================== */

static parconc_robust_mutex g_robust = PARCONC_ROBUST_MUTEX_INIT;
static int robust_shared_value;

static void *die_holding_robust(void *arg)
{
    (void)arg;
    PT_EXPECT(parconc_robust_mutex_lock(&g_robust) == PARCONC_OK);
    robust_shared_value = -1; /* half-done update, then the thread exits */
    return NULL;
}

static int robust_waiter_rc;
static void *robust_waiter(void *arg)
{
    (void)arg;
    robust_waiter_rc = parconc_robust_mutex_lock(&g_robust);
    if (robust_waiter_rc == PARCONC_OK || robust_waiter_rc == PARCONC_EOWNERDEAD) parconc_robust_mutex_unlock(&g_robust);
    return NULL;
}

static void test_robust_owner_dies_then_repaired(void)
{
#ifdef PARCONC_PORT_CUSTOM
    PT_CHECK_EQ(parconc_robust_mutex_init(&g_robust), PARCONC_ENOTSUP);
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust), PARCONC_ENOTSUP);
    PT_SKIP("robust mutexes need a thread-exit hook; a custom port answers ENOTSUP");
#endif
    PT_CHECK_EQ(parconc_robust_mutex_init(&g_robust), PARCONC_OK);
    robust_shared_value = 5;
    PT_CHECK(run_threads(1, die_holding_robust, NULL));
    /* the next locker holds the lock and is told to repair */
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust), PARCONC_EOWNERDEAD);
    PT_CHECK_EQ(robust_shared_value, -1);
    robust_shared_value = 5;
    PT_CHECK_EQ(parconc_mutex_consistent(&g_robust), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_consistent(&g_robust), PARCONC_EINVAL); /* already consistent */
    PT_CHECK_EQ(parconc_robust_mutex_unlock(&g_robust), PARCONC_OK);
    /* back to normal */
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust), PARCONC_OK);
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust), PARCONC_EDEADLK); /* self re-lock refused */
    PT_CHECK_EQ(parconc_robust_mutex_unlock(&g_robust), PARCONC_OK);
    PT_CHECK_EQ(parconc_robust_mutex_trylock(&g_robust), PARCONC_OK);
    PT_CHECK_EQ(parconc_robust_mutex_unlock(&g_robust), PARCONC_OK);
    PT_CHECK_EQ(parconc_robust_mutex_destroy(&g_robust), PARCONC_OK);
}

static void test_robust_not_repaired_becomes_unrecoverable(void)
{
    parconc_thread w;
#ifdef PARCONC_PORT_CUSTOM
    PT_CHECK_EQ(parconc_robust_mutex_init(&g_robust), PARCONC_ENOTSUP);
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust), PARCONC_ENOTSUP);
    PT_SKIP("robust mutexes need a thread-exit hook; a custom port answers ENOTSUP");
#endif
    PT_CHECK_EQ(parconc_robust_mutex_init(&g_robust), PARCONC_OK);
    PT_CHECK(run_threads(1, die_holding_robust, NULL));
    PT_CHECK_EQ(parconc_robust_mutex_timedlock(&g_robust, 1000 * MS), PARCONC_EOWNERDEAD);
    /* a second thread blocks on it meanwhile */
    robust_waiter_rc = 1;
    PT_CHECK_EQ(parconc_thread_create(&w, robust_waiter, NULL, NULL), PARCONC_OK);
    parconc_sleep_ns(20 * MS);
    PT_CHECK_EQ(parconc_robust_mutex_unlock(&g_robust), PARCONC_OK); /* no consistent() */
    PT_CHECK_EQ(parconc_thread_join(w, NULL), PARCONC_OK);
    PT_CHECK_EQ(robust_waiter_rc, PARCONC_ENOTRECOVERABLE);
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust), PARCONC_ENOTRECOVERABLE);
    PT_CHECK_EQ(parconc_robust_mutex_trylock(&g_robust), PARCONC_ENOTRECOVERABLE);
    PT_CHECK_EQ(parconc_robust_mutex_init(&g_robust), PARCONC_OK); /* re-init recovers */
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust), PARCONC_OK);
    PT_CHECK_EQ(parconc_robust_mutex_unlock(&g_robust), PARCONC_OK);
}

static int consistent_rc, unlock_rc;
static void *foreign_consistent(void *arg)
{
    (void)arg;
    consistent_rc = parconc_mutex_consistent(&g_robust);
    unlock_rc = parconc_robust_mutex_unlock(&g_robust);
    return NULL;
}

static void test_robust_bad_input(void)
{
    int before;
#ifdef PARCONC_PORT_CUSTOM
    PT_CHECK_EQ(parconc_robust_mutex_init(&g_robust), PARCONC_ENOTSUP);
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust), PARCONC_ENOTSUP);
    PT_SKIP("robust mutexes need a thread-exit hook; a custom port answers ENOTSUP");
#endif
    PT_CHECK_EQ(parconc_robust_mutex_init(&g_robust), PARCONC_OK);
    PT_CHECK_EQ(parconc_robust_mutex_lock(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_robust_mutex_unlock(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_mutex_consistent(NULL), PARCONC_EINVAL);
    before = misuse_reports;
    PT_CHECK_EQ(parconc_robust_mutex_unlock(&g_robust), PARCONC_EPERM); /* not locked */
    PT_CHECK_EQ(misuse_reports, before + 1);                            /* and reported */
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust), PARCONC_OK);
    PT_CHECK(run_threads(1, foreign_consistent, NULL));
    PT_CHECK_EQ(consistent_rc, PARCONC_EPERM);
    PT_CHECK_EQ(unlock_rc, PARCONC_EPERM); /* another thread's: reported too */
    PT_CHECK_EQ(misuse_reports, before + 2);
    PT_CHECK_EQ(parconc_robust_mutex_destroy(&g_robust), PARCONC_EBUSY);
    PT_CHECK_EQ(parconc_robust_mutex_unlock(&g_robust), PARCONC_OK);
}

/* Several robust locks abandoned at once, then repaired, under contention. */
static parconc_robust_mutex g_robust_many[3];
static void *die_holding_three(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < 3; i++) PT_EXPECT(parconc_robust_mutex_lock(&g_robust_many[i]) == PARCONC_OK);
    PT_EXPECT(parconc_robust_mutex_unlock(&g_robust_many[1]) == PARCONC_OK); /* released properly */
    return NULL;
}

static void test_robust_several_held(void)
{
    int i;
#ifdef PARCONC_PORT_CUSTOM
    PT_CHECK_EQ(parconc_robust_mutex_init(&g_robust), PARCONC_ENOTSUP);
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust), PARCONC_ENOTSUP);
    PT_SKIP("robust mutexes need a thread-exit hook; a custom port answers ENOTSUP");
#endif
    for (i = 0; i < 3; i++) parconc_robust_mutex_init(&g_robust_many[i]);
    PT_CHECK(run_threads(1, die_holding_three, NULL));
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust_many[0]), PARCONC_EOWNERDEAD);
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust_many[1]), PARCONC_OK);
    PT_CHECK_EQ(parconc_robust_mutex_lock(&g_robust_many[2]), PARCONC_EOWNERDEAD);
    for (i = 0; i < 3; i += 2) PT_CHECK_EQ(parconc_mutex_consistent(&g_robust_many[i]), PARCONC_OK);
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_robust_mutex_unlock(&g_robust_many[i]), PARCONC_OK);
}

/* The most recent lock (the head of the thread's held list) released
   before the thread ends, the older two abandoned: the exit hook must see
   the list as it is at the end, not as it was at the last lock. */
static void *die_after_releasing_newest(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < 3; i++) PT_EXPECT(parconc_robust_mutex_lock(&g_robust_many[i]) == PARCONC_OK);
    PT_EXPECT(parconc_robust_mutex_unlock(&g_robust_many[2]) == PARCONC_OK);
    return NULL;
}

static void *release_all_then_end(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < 3; i++) PT_EXPECT(parconc_robust_mutex_lock(&g_robust_many[i]) == PARCONC_OK);
    for (i = 2; i >= 0; i--) PT_EXPECT(parconc_robust_mutex_unlock(&g_robust_many[i]) == PARCONC_OK);
    return NULL;
}

static void test_robust_newest_released_before_exit(void)
{
    int i;
#ifdef PARCONC_PORT_CUSTOM
    PT_CHECK_EQ(parconc_robust_mutex_init(&g_robust), PARCONC_ENOTSUP);
    PT_SKIP("robust mutexes need a thread-exit hook; a custom port answers ENOTSUP");
#endif
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_robust_mutex_init(&g_robust_many[i]), PARCONC_OK);
    PT_CHECK(run_threads(1, die_after_releasing_newest, NULL));
    PT_CHECK_EQ(parconc_robust_mutex_trylock(&g_robust_many[2]), PARCONC_OK);
    PT_CHECK_EQ(parconc_robust_mutex_trylock(&g_robust_many[1]), PARCONC_EOWNERDEAD);
    PT_CHECK_EQ(parconc_robust_mutex_trylock(&g_robust_many[0]), PARCONC_EOWNERDEAD);
    for (i = 0; i < 2; i++) PT_CHECK_EQ(parconc_mutex_consistent(&g_robust_many[i]), PARCONC_OK);
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_robust_mutex_unlock(&g_robust_many[i]), PARCONC_OK);
    /* everything released before the end: nothing is marked */
    PT_CHECK(run_threads(1, release_all_then_end, NULL));
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_robust_mutex_trylock(&g_robust_many[i]), PARCONC_OK);
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_robust_mutex_unlock(&g_robust_many[i]), PARCONC_OK);
}

/* ====================== rwlock ====================== */

static parconc_rwlock g_rw;
static int rw_readers_in, rw_writers_in, rw_max_readers, rw_violations;
static long rw_data[4];

static void *rw_mixed_worker(void *arg)
{
    long i, n = (long)(intptr_t)arg;
    unsigned seed = (unsigned)(uintptr_t)&i;
    for (i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 8 == 0) {
            int rc = (seed >> 20) & 1 ? parconc_rwlock_wrlock(&g_rw) : parconc_rwlock_timedwrlock(&g_rw, 50 * MS);
            if (rc != PARCONC_OK) continue;
            if (__atomic_fetch_add(&rw_writers_in, 1, __ATOMIC_RELAXED) != 0 ||
                __atomic_load_n(&rw_readers_in, __ATOMIC_RELAXED) != 0)
                __atomic_fetch_add(&rw_violations, 1, __ATOMIC_RELAXED);
            rw_data[0]++; rw_data[1]++; rw_data[2]++; rw_data[3]++;
            __atomic_fetch_sub(&rw_writers_in, 1, __ATOMIC_RELAXED);
            if ((seed >> 22) & 1) {
                PT_EXPECT(parconc_rwlock_downgrade(&g_rw) == PARCONC_OK);
                PT_EXPECT(rw_data[0] == rw_data[3]);
                PT_EXPECT(parconc_rwlock_rdunlock(&g_rw) == PARCONC_OK);
            } else {
                PT_EXPECT(parconc_rwlock_wrunlock(&g_rw) == PARCONC_OK);
            }
        } else {
            int rc = (seed >> 20) & 1 ? parconc_rwlock_rdlock(&g_rw) : parconc_rwlock_tryrdlock(&g_rw), r;
            if (rc != PARCONC_OK) continue;
            r = __atomic_add_fetch(&rw_readers_in, 1, __ATOMIC_RELAXED);
            if (__atomic_load_n(&rw_writers_in, __ATOMIC_RELAXED) != 0) __atomic_fetch_add(&rw_violations, 1, __ATOMIC_RELAXED);
            if (r > __atomic_load_n(&rw_max_readers, __ATOMIC_RELAXED)) __atomic_store_n(&rw_max_readers, r, __ATOMIC_RELAXED);
            if (rw_data[0] != rw_data[3]) __atomic_fetch_add(&rw_violations, 1, __ATOMIC_RELAXED);
            __atomic_fetch_sub(&rw_readers_in, 1, __ATOMIC_RELAXED);
            PT_EXPECT(parconc_rwlock_rdunlock(&g_rw) == PARCONC_OK);
        }
    }
    return NULL;
}

/* Read holds of a rwlock: readers counted in the lock plus reader-table
   slots that name it (only meaningful while nobody waits). */
static uint32_t rw_read_holds(parconc_rwlock *rw)
{
    uint32_t n = PARCONC__RW_COUNT(parconc__load(&rw->rin_, PARCONC__ACQUIRE) - parconc__load(&rw->rout_, PARCONC__ACQUIRE)) & 0xFFFFFFu;
#if PARCONC_RW_BIAS_SLOTS > 0
    size_t i;
    for (i = 0; i < PARCONC_RW_BIAS_SLOTS; i++)
        if (parconc__load(&parconc__rw_table[i], PARCONC__ACQUIRE) == (void *)rw) n++;
#endif
    return n;
}
/* Nobody holds it, nobody waits, no writer phase, no sleeper bit left (the
   last phase bit stays). */
static int rw_quiet(parconc_rwlock *rw)
{
    return parconc__rw_idle(rw) && (parconc__load(&rw->rin_, PARCONC__ACQUIRE) & 0xFDu) == 0 &&
           (parconc__load(&rw->rout_, PARCONC__ACQUIRE) & 0xFFu) == 0 && parconc__load(&rw->rwaiting_, PARCONC__ACQUIRE) == 0 &&
           parconc__load(&rw->wwaiting_, PARCONC__ACQUIRE) == 0 && parconc__load(&rw->writer_, PARCONC__ACQUIRE) == 0;
}

static void test_rwlock_exclusion_all_policies(void)
{
    int policy;
    for (policy = PARCONC_RW_FAIR; policy <= PARCONC_RW_PREFER_WRITERS; policy++) {
        PT_CHECK_EQ(parconc_rwlock_init(&g_rw, policy), PARCONC_OK);
        rw_violations = 0;
        memset(rw_data, 0, sizeof rw_data);
        PT_CHECK(run_threads(4, rw_mixed_worker, (void *)(intptr_t)(100000 / SCALE)));
        PT_CHECK_EQ(rw_violations, 0);
        PT_CHECK_EQ(rw_data[0], rw_data[3]);
        PT_CHECK(rw_data[0] > 0);
        PT_CHECK(rw_quiet(&g_rw));
        PT_CHECK_EQ(parconc_rwlock_destroy(&g_rw), PARCONC_OK);
    }
}

/* Two readers are inside at the same time. */
static int overlap_inside;
static void *reader_waits_for_company(void *arg)
{
    (void)arg;
    PT_EXPECT(parconc_rwlock_rdlock(&g_rw) == PARCONC_OK);
    __atomic_fetch_add(&overlap_inside, 1, __ATOMIC_RELEASE);
    PT_EXPECT(wait_for(&overlap_inside, 2)); /* both inside at once */
    PT_EXPECT(parconc_rwlock_rdunlock(&g_rw) == PARCONC_OK);
    return NULL;
}

static void test_rwlock_readers_overlap(void)
{
    int policy;
    for (policy = PARCONC_RW_FAIR; policy <= PARCONC_RW_PREFER_WRITERS; policy++) {
        parconc_rwlock_init(&g_rw, policy);
        overlap_inside = 0;
        PT_CHECK(run_threads(2, reader_waits_for_company, NULL));
        PT_CHECK_EQ(overlap_inside, 2);
    }
}

static void test_rwlock_try_and_timeouts(void)
{
    uint64_t t0;
    parconc_rwlock rw = PARCONC_RWLOCK_INIT;
    PT_CHECK_EQ(parconc_rwlock_rdlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_tryrdlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_trywrlock(&rw), PARCONC_EBUSY);
    t0 = parconc_now_ns();
    PT_CHECK_EQ(parconc_rwlock_timedwrlock(&rw, 20 * MS), PARCONC_ETIMEDOUT);
    PT_CHECK(parconc_now_ns() - t0 >= 20 * MS);
    PT_CHECK_EQ(parconc_rwlock_timedwrlock(&rw, 0), PARCONC_ETIMEDOUT);
    PT_CHECK_EQ(parconc_rwlock_timedwrlock(&rw, -1), PARCONC_ETIMEDOUT);
    PT_CHECK_EQ(rw.wwaiting_, 0); /* the timed-out writer left */
    PT_CHECK_EQ(rw.writer_, 0);
    PT_CHECK_EQ(rw.rin_ & 1u, 0);  /* its phase ended */
    PT_CHECK_EQ(rw_read_holds(&rw), 2);
    PT_CHECK_EQ(parconc_rwlock_rdunlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_rdunlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_wrlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_tryrdlock(&rw), PARCONC_EBUSY);
    PT_CHECK_EQ(parconc_rwlock_trywrlock(&rw), PARCONC_EBUSY);
    t0 = parconc_now_ns();
    PT_CHECK_EQ(parconc_rwlock_timedrdlock(&rw, 20 * MS), PARCONC_ETIMEDOUT);
    PT_CHECK(parconc_now_ns() - t0 >= 20 * MS);
    PT_CHECK_EQ(parconc_rwlock_timedrdlock(&rw, 0), PARCONC_ETIMEDOUT);
    PT_CHECK_EQ(parconc_rwlock_wrunlock(&rw), PARCONC_OK);
    PT_CHECK(rw_quiet(&rw));
    PT_CHECK_EQ(parconc_rwlock_timedrdlock(&rw, 0), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_rdunlock(&rw), PARCONC_OK);
}

static void test_rwlock_bad_input(void)
{
    parconc_rwlock rw = PARCONC_RWLOCK_INIT;
    int before = misuse_reports;
    PT_CHECK_EQ(parconc_rwlock_init(NULL, PARCONC_RW_FAIR), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_rwlock_init(&rw, 3), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_rwlock_init(&rw, -1), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_rwlock_rdlock(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_rwlock_wrlock(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_rwlock_rdunlock(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_rwlock_wrunlock(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_rwlock_downgrade(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_rwlock_destroy(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_rwlock_rdunlock(&rw), PARCONC_EPERM);
    PT_CHECK_EQ(parconc_rwlock_wrunlock(&rw), PARCONC_EPERM);
    PT_CHECK_EQ(parconc_rwlock_downgrade(&rw), PARCONC_EPERM);
    PT_CHECK_EQ(misuse_reports, before + 2);
    PT_CHECK_EQ(parconc_rwlock_rdlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_wrunlock(&rw), PARCONC_EPERM); /* read-held, not write-held */
    PT_CHECK_EQ(parconc_rwlock_downgrade(&rw), PARCONC_EPERM);
    PT_CHECK_EQ(parconc_rwlock_destroy(&rw), PARCONC_EBUSY);
    PT_CHECK_EQ(parconc_rwlock_rdunlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_destroy(&rw), PARCONC_OK);
}

/* Policy behaviour, made deterministic: a reader holds the lock, a writer
   queues behind it, then a newcomer reader tries. */
static int writer_done;
static void *blocking_writer(void *arg)
{
    (void)arg;
    PT_EXPECT(parconc_rwlock_wrlock(&g_rw) == PARCONC_OK);
    __atomic_store_n(&writer_done, 1, __ATOMIC_RELEASE);
    PT_EXPECT(parconc_rwlock_wrunlock(&g_rw) == PARCONC_OK);
    return NULL;
}

/* The helpers below peek at the rwlock's queue, which the waiting threads
   wrote inside the lock's TSan annotations (where TSan ignores accesses and
   synchronisation by design), so TSan cannot see the guard ordering them:
   exempt just these peeks. */
#if defined(__SANITIZE_THREAD__)
#define PEEK_INTERNALS __attribute__((no_sanitize_thread, noinline))
#else
#define PEEK_INTERNALS
#endif

PEEK_INTERNALS static int wait_writer_queued(parconc_rwlock *rw, uint32_t n)
{
    uint64_t deadline = parconc_now_ns() + 10000000000ull;
    for (;;) {
        if (parconc__load(&rw->wwaiting_, PARCONC__ACQUIRE) >= n) return 1;
        if (parconc_now_ns() > deadline) return 0;
        parconc_sleep_ns(100000);
    }
}

static void test_rwlock_policies_newcomer_reader(void)
{
    static const int expect[3] = { PARCONC_EBUSY, PARCONC_OK, PARCONC_EBUSY }; /* FAIR, PREFER_READERS, PREFER_WRITERS */
    int policy;
    for (policy = PARCONC_RW_FAIR; policy <= PARCONC_RW_PREFER_WRITERS; policy++) {
        parconc_thread w;
        int rc;
        parconc_rwlock_init(&g_rw, policy);
        writer_done = 0;
        PT_CHECK_EQ(parconc_rwlock_rdlock(&g_rw), PARCONC_OK);
        PT_CHECK_EQ(parconc_thread_create(&w, blocking_writer, NULL, NULL), PARCONC_OK);
        PT_CHECK(wait_writer_queued(&g_rw, 1));
        rc = parconc_rwlock_tryrdlock(&g_rw);
        PT_EXPECT_EQ(rc, expect[policy]);
        if (rc == PARCONC_OK) PT_CHECK_EQ(parconc_rwlock_rdunlock(&g_rw), PARCONC_OK);
        PT_CHECK_EQ(writer_done, 0);
        PT_CHECK_EQ(parconc_rwlock_rdunlock(&g_rw), PARCONC_OK);
        PT_CHECK_EQ(parconc_thread_join(w, NULL), PARCONC_OK);
        PT_CHECK_EQ(writer_done, 1);
        PT_CHECK(rw_quiet(&g_rw));
    }
}

/* FAIR: readers that queued behind writer W1 enter before writer W2 that
   queued after them (one writer phase at most). */
static int order_log[8], order_len;
static void log_order(int who) { order_log[__atomic_fetch_add(&order_len, 1, __ATOMIC_RELAXED)] = who; }
static void *fair_reader(void *arg)
{
    PT_EXPECT(parconc_rwlock_rdlock(&g_rw) == PARCONC_OK);
    log_order((int)(intptr_t)arg);
    PT_EXPECT(parconc_rwlock_rdunlock(&g_rw) == PARCONC_OK);
    return NULL;
}
static void *fair_writer(void *arg)
{
    PT_EXPECT(parconc_rwlock_wrlock(&g_rw) == PARCONC_OK);
    log_order((int)(intptr_t)arg);
    parconc_sleep_ns(2 * MS);
    PT_EXPECT(parconc_rwlock_wrunlock(&g_rw) == PARCONC_OK);
    return NULL;
}

PEEK_INTERNALS static int queue_length(parconc_rwlock *rw)
{
    return (int)(parconc__load(&rw->rwaiting_, PARCONC__ACQUIRE) + parconc__load(&rw->wwaiting_, PARCONC__ACQUIRE));
}

static int wait_queue_length(parconc_rwlock *rw, int n)
{
    uint64_t deadline = parconc_now_ns() + 10000000000ull;
    while (queue_length(rw) < n)
        if (parconc_now_ns() > deadline) return 0; else parconc_sleep_ns(100000);
    return 1;
}

static void test_rwlock_fair_phases(void)
{
    parconc_thread t[5];
    int i;
    parconc_rwlock_init(&g_rw, PARCONC_RW_FAIR);
    order_len = 0;
    PT_CHECK_EQ(parconc_rwlock_wrlock(&g_rw), PARCONC_OK); /* "W0" holds */
    PT_CHECK_EQ(parconc_thread_create(&t[0], fair_writer, (void *)(intptr_t)10, NULL), PARCONC_OK);   /* W1 */
    PT_CHECK(wait_queue_length(&g_rw, 1));
    PT_CHECK_EQ(parconc_thread_create(&t[1], fair_reader, (void *)(intptr_t)1, NULL), PARCONC_OK);    /* R1 */
    PT_CHECK(wait_queue_length(&g_rw, 2));
    PT_CHECK_EQ(parconc_thread_create(&t[2], fair_writer, (void *)(intptr_t)20, NULL), PARCONC_OK);   /* W2 */
    PT_CHECK(wait_queue_length(&g_rw, 3));
    PT_CHECK_EQ(parconc_thread_create(&t[3], fair_reader, (void *)(intptr_t)2, NULL), PARCONC_OK);    /* R2 */
    PT_CHECK(wait_queue_length(&g_rw, 4));
    PT_CHECK_EQ(parconc_rwlock_wrunlock(&g_rw), PARCONC_OK);
    for (i = 0; i < 4; i++) PT_CHECK_EQ(parconc_thread_join(t[i], NULL), PARCONC_OK);
    PT_CHECK_EQ(order_len, 4);
    /* W0 leaves -> readers R1, R2 (one read phase: R2 queued behind W2 and
       still goes before it) -> the writers.  R1/R2 in either order; the
       writers take turns through the lock's mutex (barging, with its 1 ms
       hand-off), so either may go first. */
    PT_CHECK((order_log[0] == 1 && order_log[1] == 2) || (order_log[0] == 2 && order_log[1] == 1));
    PT_CHECK((order_log[2] == 10 && order_log[3] == 20) || (order_log[2] == 20 && order_log[3] == 10));
}

static void test_rwlock_downgrade(void)
{
    parconc_thread w, r;
    parconc_rwlock_init(&g_rw, PARCONC_RW_FAIR);
    order_len = 0;
    writer_done = 0;
    PT_CHECK_EQ(parconc_rwlock_wrlock(&g_rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_create(&w, fair_writer, (void *)(intptr_t)10, NULL), PARCONC_OK);
    PT_CHECK(wait_queue_length(&g_rw, 1));
    PT_CHECK_EQ(parconc_thread_create(&r, fair_reader, (void *)(intptr_t)1, NULL), PARCONC_OK);
    PT_CHECK(wait_queue_length(&g_rw, 2));
    PT_CHECK_EQ(parconc_rwlock_downgrade(&g_rw), PARCONC_OK);
    /* we are a reader now; the queued reader joins us, the writer cannot */
    PT_CHECK_EQ(parconc_thread_join(r, NULL), PARCONC_OK);
    PT_CHECK_EQ(order_len, 1);
    PT_CHECK_EQ(order_log[0], 1);
    PT_CHECK_EQ(parconc_rwlock_trywrlock(&g_rw), PARCONC_EBUSY);
    PT_CHECK_EQ(parconc_rwlock_rdunlock(&g_rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(w, NULL), PARCONC_OK);
    PT_CHECK_EQ(order_len, 2);
    PT_CHECK_EQ(order_log[1], 10);
    /* uncontended downgrade */
    PT_CHECK_EQ(parconc_rwlock_wrlock(&g_rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_downgrade(&g_rw), PARCONC_OK);
    PT_CHECK_EQ(rw_read_holds(&g_rw), 1);
    PT_CHECK_EQ(g_rw.rin_ & 1u, 0);
    PT_CHECK_EQ(parconc_rwlock_tryrdlock(&g_rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_rdunlock(&g_rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_rdunlock(&g_rw), PARCONC_OK);
    PT_CHECK(rw_quiet(&g_rw));
}

/* Fairness under a reader flood: 3 readers re-lock in a loop; count how
   often a writer gets in during 500 ms. */
static int flood_stop;
static void *flood_reader(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&flood_stop, __ATOMIC_ACQUIRE)) {
        volatile int spin;
        parconc_rwlock_rdlock(&g_rw);
        for (spin = 0; spin < 500; spin++) {}
        parconc_rwlock_rdunlock(&g_rw);
    }
    return NULL;
}

static long writer_entries_under_flood(int policy, int64_t duration)
{
    parconc_thread r[3];
    long writes = 0;
    int i;
    uint64_t end;
    parconc_rwlock_init(&g_rw, policy);
    flood_stop = 0;
    for (i = 0; i < 3; i++) parconc_thread_create(&r[i], flood_reader, NULL, NULL);
    parconc_sleep_ns(10 * MS);
    end = parconc_now_ns() + (uint64_t)duration;
    while (parconc_now_ns() < end) {
        if (parconc_rwlock_timedwrlock(&g_rw, duration) != PARCONC_OK) break;
        writes++;
        parconc_rwlock_wrunlock(&g_rw);
    }
    __atomic_store_n(&flood_stop, 1, __ATOMIC_RELEASE);
    for (i = 0; i < 3; i++) parconc_thread_join(r[i], NULL);
    return writes;
}

static void test_rwlock_fair_writer_not_starved(void)
{
    long fair = writer_entries_under_flood(PARCONC_RW_FAIR, 500 * MS);
    long pw = writer_entries_under_flood(PARCONC_RW_PREFER_WRITERS, 500 * MS);
    printf("(writer entries in 0.5 s: fair %ld, prefer-writers %ld) ", fair, pw);
    PT_CHECK(fair >= 50); /* many per second; glibc's default: about one per 2 s */
    PT_CHECK(pw >= 50);
}

/* Under PREFER_READERS readers keep arriving and leaving while a writer
   waits, so departures pass the count it waited for; once the readers
   pause, the writer must notice the lock is free (it must not wait for an
   exact count that has gone by). */
static int burst_stop;
static void *burst_reader(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&burst_stop, __ATOMIC_ACQUIRE)) {
        volatile int spin;
        PT_EXPECT(parconc_rwlock_rdlock(&g_rw) == PARCONC_OK);
        for (spin = 0; spin < 200; spin++) {}
        PT_EXPECT(parconc_rwlock_rdunlock(&g_rw) == PARCONC_OK);
        parconc_sleep_ns(200000);
    }
    return NULL;
}

static void test_rwlock_prefer_readers_writer_enters_between_bursts(void)
{
    parconc_thread r[3];
    int i, round, ok = 0;
    parconc_rwlock_init(&g_rw, PARCONC_RW_PREFER_READERS);
    burst_stop = 0;
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_thread_create(&r[i], burst_reader, NULL, NULL), PARCONC_OK);
    for (round = 0; round < 200; round++) {
        int rc = parconc_rwlock_timedwrlock(&g_rw, 5000 * MS);
        PT_EXPECT_EQ(rc, PARCONC_OK);
        if (rc != PARCONC_OK) break;
        ok++;
        PT_EXPECT(parconc_rwlock_wrunlock(&g_rw) == PARCONC_OK);
    }
    __atomic_store_n(&burst_stop, 1, __ATOMIC_RELEASE);
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_thread_join(r[i], NULL), PARCONC_OK);
    PT_CHECK_EQ(ok, 200);
    PT_CHECK(rw_quiet(&g_rw));
}

/* A read hold through the reader table (the lock turns reader-biased after
   a read) keeps writers out like any other: trywrlock EBUSY, a timed
   write lock times out, and the readers it held up get in when it gives
   up.  The writer switches the bias off. */
static int biased_reader_in;
static void *timed_out_newcomer(void *arg)
{
    (void)arg;
    PT_EXPECT(parconc_rwlock_rdlock(&g_rw) == PARCONC_OK); /* held up by the timed writer, let in when it gives up */
    __atomic_store_n(&biased_reader_in, 1, __ATOMIC_RELEASE);
    PT_EXPECT(parconc_rwlock_rdunlock(&g_rw) == PARCONC_OK);
    return NULL;
}
static void *timed_writer_20ms(void *arg)
{
    (void)arg;
    PT_EXPECT_EQ(parconc_rwlock_timedwrlock(&g_rw, 200 * MS), PARCONC_ETIMEDOUT);
    return NULL;
}
static void test_rwlock_table_reader_excludes_writers(void)
{
    parconc_thread w, r;
    int i;
    parconc_rwlock_init(&g_rw, PARCONC_RW_FAIR);
    for (i = 0; i < 40; i++) { /* a read phase: the lock turns reader-biased */
        PT_CHECK_EQ(parconc_rwlock_rdlock(&g_rw), PARCONC_OK);
        PT_CHECK_EQ(parconc_rwlock_rdunlock(&g_rw), PARCONC_OK);
    }
#if PARCONC_RW_BIAS_SLOTS > 0
    PT_CHECK(parconc__load(&g_rw.bias_, PARCONC__ACQUIRE) != NULL);
#endif
    PT_CHECK_EQ(parconc_rwlock_rdlock(&g_rw), PARCONC_OK);
    PT_CHECK_EQ(rw_read_holds(&g_rw), 1);
    PT_CHECK_EQ(parconc_rwlock_trywrlock(&g_rw), PARCONC_EBUSY);
    PT_CHECK_EQ(parconc_rwlock_destroy(&g_rw), PARCONC_EBUSY);
    biased_reader_in = 0;
    PT_CHECK_EQ(parconc_thread_create(&w, timed_writer_20ms, NULL, NULL), PARCONC_OK);
    PT_CHECK(wait_writer_queued(&g_rw, 1));
    PT_CHECK_EQ(parconc_thread_create(&r, timed_out_newcomer, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(w, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(r, NULL), PARCONC_OK);
    PT_CHECK_EQ(biased_reader_in, 1);
    PT_CHECK_EQ(parconc_rwlock_rdunlock(&g_rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_wrlock(&g_rw), PARCONC_OK);
    PT_CHECK(parconc__load(&g_rw.bias_, PARCONC__ACQUIRE) == NULL);
    PT_CHECK_EQ(parconc_rwlock_tryrdlock(&g_rw), PARCONC_EBUSY);
    PT_CHECK_EQ(parconc_rwlock_wrunlock(&g_rw), PARCONC_OK);
    PT_CHECK(rw_quiet(&g_rw));
    PT_CHECK_EQ(parconc_rwlock_destroy(&g_rw), PARCONC_OK);
}

/* Read holds are counted in 24 bits: the lock refuses the hold that would
   reach the limit with EAGAIN instead of wrapping (PREFER_READERS allows
   one thread to nest read locks). */
static void test_rwlock_read_hold_limit(void)
{
    parconc_rwlock rw;
    long i, n = 0;
    int rc = PARCONC_OK;
#if defined(__SANITIZE_THREAD__)
    PT_SKIP("ThreadSanitizer follows at most 64 nested holds of one lock");
#endif
    parconc_rwlock_init(&rw, PARCONC_RW_PREFER_READERS);
    for (i = 0; i < 0x800000L && rc == PARCONC_OK; i++)
        if ((rc = parconc_rwlock_rdlock(&rw)) == PARCONC_OK) n++;
    PT_CHECK_EQ(rc, PARCONC_EAGAIN);
    PT_CHECK(n >= 0x7FFFF0L && n <= 0x7FFFF1L); /* + one hold in the reader table, if any */
    PT_CHECK_EQ(parconc_rwlock_trywrlock(&rw), PARCONC_EBUSY);
    for (i = 0; i < n; i++) PT_CHECK_EQ(parconc_rwlock_rdunlock(&rw), PARCONC_OK);
    PT_CHECK(rw_quiet(&rw));
    PT_CHECK_EQ(parconc_rwlock_wrlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_wrunlock(&rw), PARCONC_OK);
}

/* ====================== semaphore ====================== */

static parconc_sem g_sem, g_sem_space;
static long sem_items;
static void *sem_producer(void *arg)
{
    long i, n = (long)(intptr_t)arg;
    for (i = 0; i < n; i++) {
        PT_EXPECT(parconc_sem_wait(&g_sem_space) == PARCONC_OK);
        PT_EXPECT(parconc_sem_post(&g_sem) == PARCONC_OK);
    }
    return NULL;
}
static void *sem_consumer(void *arg)
{
    long i, n = (long)(intptr_t)arg;
    for (i = 0; i < n; i++) {
        int rc = i & 1 ? parconc_sem_wait(&g_sem) : parconc_sem_timedwait(&g_sem, PARCONC_FOREVER);
        PT_EXPECT(rc == PARCONC_OK);
        __atomic_fetch_add(&sem_items, 1, __ATOMIC_RELAXED);
        PT_EXPECT(parconc_sem_post(&g_sem_space) == PARCONC_OK);
    }
    return NULL;
}

static void test_sem_producer_consumer(void)
{
    parconc_thread p[2], c[2];
    long per = 50000 / SCALE;
    int i;
    PT_CHECK_EQ(parconc_sem_init(&g_sem, 0), PARCONC_OK);
    PT_CHECK_EQ(parconc_sem_init(&g_sem_space, 4), PARCONC_OK);
    sem_items = 0;
    for (i = 0; i < 2; i++) {
        PT_CHECK_EQ(parconc_thread_create(&p[i], sem_producer, (void *)(intptr_t)per, NULL), PARCONC_OK);
        PT_CHECK_EQ(parconc_thread_create(&c[i], sem_consumer, (void *)(intptr_t)per, NULL), PARCONC_OK);
    }
    for (i = 0; i < 2; i++) {
        PT_CHECK_EQ(parconc_thread_join(p[i], NULL), PARCONC_OK);
        PT_CHECK_EQ(parconc_thread_join(c[i], NULL), PARCONC_OK);
    }
    PT_CHECK_EQ(sem_items, 2 * per);
    PT_CHECK_EQ(parconc_sem_value(&g_sem), 0);
    PT_CHECK_EQ(parconc_sem_value(&g_sem_space), 4);
}

static void test_sem_try_timed_bad(void)
{
    parconc_sem s = PARCONC_SEM_INIT(1);
    uint64_t t0;
    PT_CHECK_EQ(parconc_sem_trywait(&s), PARCONC_OK);
    PT_CHECK_EQ(parconc_sem_trywait(&s), PARCONC_EBUSY);
    PT_CHECK_EQ(parconc_sem_timedwait(&s, 0), PARCONC_ETIMEDOUT);
    PT_CHECK_EQ(parconc_sem_timedwait(&s, -7), PARCONC_ETIMEDOUT);
    t0 = parconc_now_ns();
    PT_CHECK_EQ(parconc_sem_timedwait(&s, 20 * MS), PARCONC_ETIMEDOUT);
    PT_CHECK(parconc_now_ns() - t0 >= 20 * MS);
    PT_CHECK_EQ(parconc_sem_post(&s), PARCONC_OK);
    PT_CHECK_EQ(parconc_sem_timedwait(&s, 0), PARCONC_OK);
    s.count_ = UINT32_MAX;
    PT_CHECK_EQ(parconc_sem_post(&s), PARCONC_ERANGE);
    PT_CHECK_EQ(parconc_sem_value(&s), UINT32_MAX);
    PT_CHECK_EQ(parconc_sem_init(NULL, 0), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_sem_post(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_sem_wait(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_sem_trywait(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_sem_destroy(&s), PARCONC_OK);
}

/* ====================== condition variable ====================== */

static parconc_cond g_cond = PARCONC_COND_INIT, g_cond_space = PARCONC_COND_INIT;
static int queue_items[8], queue_count, queue_head;
static long cond_sum;

static void *cond_producer(void *arg)
{
    long i, n = (long)(intptr_t)arg;
    for (i = 1; i <= n; i++) {
        parconc_mutex_lock(&g_mutex);
        while (queue_count == 8) PT_EXPECT(parconc_cond_wait(&g_cond_space, &g_mutex) == PARCONC_OK);
        queue_items[(queue_head + queue_count) % 8] = (int)i;
        queue_count++;
        parconc_cond_signal(&g_cond);
        parconc_mutex_unlock(&g_mutex);
    }
    return NULL;
}
static void *cond_consumer(void *arg)
{
    long i, n = (long)(intptr_t)arg;
    for (i = 0; i < n; i++) {
        int rc;
        parconc_mutex_lock(&g_mutex);
        while (queue_count == 0) {
            rc = parconc_cond_timedwait(&g_cond, &g_mutex, 5 * MS);
            PT_EXPECT(rc == PARCONC_OK || rc == PARCONC_ETIMEDOUT);
        }
        cond_sum += queue_items[queue_head];
        queue_head = (queue_head + 1) % 8;
        queue_count--;
        parconc_cond_broadcast(&g_cond_space);
        parconc_mutex_unlock(&g_mutex);
    }
    return NULL;
}

static void test_cond_producer_consumer(void)
{
    parconc_thread p[2], c[2];
    long per = 20000 / SCALE;
    int i;
    queue_count = queue_head = 0;
    cond_sum = 0;
    for (i = 0; i < 2; i++) {
        PT_CHECK_EQ(parconc_thread_create(&p[i], cond_producer, (void *)(intptr_t)per, NULL), PARCONC_OK);
        PT_CHECK_EQ(parconc_thread_create(&c[i], cond_consumer, (void *)(intptr_t)per, NULL), PARCONC_OK);
    }
    for (i = 0; i < 2; i++) {
        PT_CHECK_EQ(parconc_thread_join(p[i], NULL), PARCONC_OK);
        PT_CHECK_EQ(parconc_thread_join(c[i], NULL), PARCONC_OK);
    }
    PT_CHECK_EQ(cond_sum, 2 * (per * (per + 1) / 2));
    PT_CHECK_EQ(queue_count, 0);
}

static void test_cond_timeouts_and_bad_input(void)
{
    parconc_cond c = PARCONC_COND_INIT;
    parconc_mutex m = PARCONC_MUTEX_INIT;
    uint64_t t0;
    PT_CHECK_EQ(parconc_mutex_lock(&m), PARCONC_OK);
    t0 = parconc_now_ns();
    PT_CHECK_EQ(parconc_cond_timedwait(&c, &m, 20 * MS), PARCONC_ETIMEDOUT);
    PT_CHECK(parconc_now_ns() - t0 >= 20 * MS);
    PT_CHECK_EQ(parconc_mutex_trylock(&m), PARCONC_EBUSY); /* re-locked on return */
    PT_CHECK_EQ(parconc_cond_timedwait(&c, &m, 0), PARCONC_ETIMEDOUT);
    PT_CHECK_EQ(parconc_cond_timedwait(&c, &m, -1), PARCONC_ETIMEDOUT);
    PT_CHECK_EQ(parconc_mutex_unlock(&m), PARCONC_OK);
    PT_CHECK_EQ(parconc_cond_wait(NULL, &m), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cond_wait(&c, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cond_signal(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cond_broadcast(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cond_init(NULL), PARCONC_EINVAL);
    {
        int before = misuse_reports;
        PT_CHECK_EQ(parconc_cond_wait(&c, &m), PARCONC_EPERM); /* m not held */
        PT_CHECK_EQ(misuse_reports, before + 1);
        PT_CHECK_EQ(c.waiters_, 0);
    }
    PT_CHECK_EQ(parconc_cond_destroy(&c), PARCONC_OK);
}

/* ====================== once ====================== */

static parconc_once g_once = PARCONC_ONCE_INIT;
static int once_runs, once_value;
static void once_init(void *arg)
{
    __atomic_fetch_add(&once_runs, 1, __ATOMIC_RELAXED);
    parconc_sleep_ns(5 * MS); /* others must wait for it */
    once_value = (int)(intptr_t)arg;
}
static void *once_caller(void *arg)
{
    (void)arg;
    PT_EXPECT(parconc_once_call(&g_once, once_init, (void *)(intptr_t)42) == PARCONC_OK);
    PT_EXPECT(once_value == 42);
    return NULL;
}

static void test_once(void)
{
    once_runs = 0;
    once_value = 0;
    PT_CHECK(run_threads(8, once_caller, NULL));
    PT_CHECK_EQ(once_runs, 1);
    PT_CHECK_EQ(once_value, 42);
    PT_CHECK_EQ(parconc_once_call(&g_once, once_init, NULL), PARCONC_OK);
    PT_CHECK_EQ(once_runs, 1);
    PT_CHECK_EQ(parconc_once_call(NULL, once_init, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_once_call(&g_once, NULL, NULL), PARCONC_EINVAL);
}

/* ====================== wait group ====================== */

static parconc_waitgroup g_wg = PARCONC_WAITGROUP_INIT;
static int wg_finished;
static void *wg_worker(void *arg)
{
    parconc_sleep_ns((int64_t)(intptr_t)arg * MS);
    __atomic_fetch_add(&wg_finished, 1, __ATOMIC_RELAXED);
    PT_EXPECT(parconc_waitgroup_done(&g_wg) == PARCONC_OK);
    return NULL;
}

static void test_waitgroup(void)
{
    parconc_thread t[6];
    parconc_thread_opts o;
    int i;
    uint64_t t0;
    memset(&o, 0, sizeof o);
    o.detached = 1;
    wg_finished = 0;
    PT_CHECK_EQ(parconc_waitgroup_wait(&g_wg), PARCONC_OK); /* zero: at once */
    PT_CHECK_EQ(parconc_waitgroup_add(&g_wg, 6), PARCONC_OK);
    for (i = 0; i < 6; i++) PT_CHECK_EQ(parconc_thread_create(&t[i], wg_worker, (void *)(intptr_t)(i * 5), &o), PARCONC_OK);
    PT_CHECK_EQ(parconc_waitgroup_wait(&g_wg), PARCONC_OK);
    PT_CHECK_EQ(__atomic_load_n(&wg_finished, __ATOMIC_RELAXED), 6);
    /* timeouts */
    PT_CHECK_EQ(parconc_waitgroup_add(&g_wg, 1), PARCONC_OK);
    t0 = parconc_now_ns();
    PT_CHECK_EQ(parconc_waitgroup_timedwait(&g_wg, 20 * MS), PARCONC_ETIMEDOUT);
    PT_CHECK(parconc_now_ns() - t0 >= 20 * MS);
    PT_CHECK_EQ(parconc_waitgroup_timedwait(&g_wg, 0), PARCONC_ETIMEDOUT);
    PT_CHECK_EQ(parconc_waitgroup_done(&g_wg), PARCONC_OK);
    PT_CHECK_EQ(parconc_waitgroup_timedwait(&g_wg, 0), PARCONC_OK);
    /* counter going negative or overflowing: error, unchanged */
    PT_CHECK_EQ(parconc_waitgroup_done(&g_wg), PARCONC_ERANGE);
    PT_CHECK_EQ(g_wg.count_, 0);
    PT_CHECK_EQ(parconc_waitgroup_add(&g_wg, INT32_MAX), PARCONC_OK);
    PT_CHECK_EQ(parconc_waitgroup_add(&g_wg, 1), PARCONC_ERANGE);
    PT_CHECK_EQ(parconc_waitgroup_add(&g_wg, -INT32_MAX), PARCONC_OK);
    PT_CHECK_EQ(g_wg.count_, 0);
    PT_CHECK_EQ(parconc_waitgroup_add(NULL, 1), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_waitgroup_wait(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_waitgroup_init(NULL), PARCONC_EINVAL);
    parconc_sleep_ns(5 * MS); /* detached workers finish exiting */
}

/* ====================== lock_many ====================== */

static parconc_mutex lm_a = PARCONC_MUTEX_INIT, lm_b = PARCONC_MUTEX_INIT, lm_c = PARCONC_MUTEX_INIT;
static long lm_count;

static void *lock_many_worker(void *arg)
{
    long i, n = 20000 / SCALE;
    int reverse = (int)(intptr_t)arg;
    parconc_mutex *fwd[3] = { &lm_a, &lm_b, &lm_c }, *rev[3] = { &lm_c, &lm_b, &lm_a };
    for (i = 0; i < n; i++) {
        parconc_mutex *const *set = reverse ? rev : fwd;
        PT_EXPECT(parconc_lock_many(set, 3, PARCONC_FOREVER) == PARCONC_OK);
        lm_count++;
        PT_EXPECT(parconc_unlock_many(set, 3) == PARCONC_OK);
    }
    return NULL;
}

static void *lock_many_worker_both(void *arg)
{
    (void)arg;
    return lock_many_worker((void *)(intptr_t)((uintptr_t)&arg & 64 ? 1 : 0));
}

static void test_lock_many_any_order(void)
{
    parconc_thread t[2];
    lm_count = 0;
    PT_CHECK_EQ(parconc_thread_create(&t[0], lock_many_worker, (void *)(intptr_t)0, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_create(&t[1], lock_many_worker, (void *)(intptr_t)1, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t[0], NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t[1], NULL), PARCONC_OK);
    PT_CHECK_EQ(lm_count, 2 * (20000 / SCALE));
    PT_CHECK(run_threads(3, lock_many_worker_both, NULL));
    PT_CHECK_EQ(lm_count, 5 * (20000 / SCALE));
    PT_CHECK_EQ(lm_a.state_ | lm_b.state_ | lm_c.state_, 0);
}

static void *hold_b_300ms(void *arg)
{
    (void)arg;
    parconc_mutex_lock(&lm_b);
    __atomic_store_n(&holder_locked, 1, __ATOMIC_RELEASE);
    parconc_sleep_ns(300 * MS);
    parconc_mutex_unlock(&lm_b);
    return NULL;
}

static void test_lock_many_timeout_and_bad_input(void)
{
    parconc_mutex *set[3] = { &lm_a, &lm_b, &lm_c };
    parconc_mutex *dup[3] = { &lm_a, &lm_b, &lm_a };
    parconc_mutex *with_null[2] = { &lm_a, NULL };
    parconc_thread t;
    uint64_t t0;
    PT_CHECK_EQ(parconc_lock_many(set, 0, PARCONC_FOREVER), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_lock_many(NULL, 3, PARCONC_FOREVER), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_lock_many(dup, 3, PARCONC_FOREVER), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_lock_many(with_null, 2, PARCONC_FOREVER), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_unlock_many(set, 0), PARCONC_EINVAL);
    PT_CHECK_EQ(lm_a.state_ | lm_b.state_ | lm_c.state_, 0); /* nothing taken */
    holder_locked = 0;
    PT_CHECK_EQ(parconc_thread_create(&t, hold_b_300ms, NULL, NULL), PARCONC_OK);
    PT_CHECK(wait_for(&holder_locked, 1));
    t0 = parconc_now_ns();
    PT_CHECK_EQ(parconc_lock_many(set, 3, 30 * MS), PARCONC_ETIMEDOUT);
    PT_CHECK(parconc_now_ns() - t0 >= 30 * MS);
    PT_CHECK_EQ(parconc_lock_many(set, 3, 0), PARCONC_ETIMEDOUT);
    /* all or nothing: a and c are free again */
    PT_CHECK_EQ(lm_a.state_, 0);
    PT_CHECK_EQ(lm_c.state_, 0);
    /* b is released during a long wait: all three taken */
    PT_CHECK_EQ(parconc_lock_many(set, 3, 10000 * MS), PARCONC_OK);
    PT_CHECK_EQ(parconc_unlock_many(set, 3), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
}

/* ====================== guard ====================== */

static int guard_return_early(parconc_mutex *m, int x)
{
    PARCONC_GUARD(m);
    if (x > 0) return x; /* unlocks */
    return -x;
}

static void test_guard_releases_on_every_exit(void)
{
    parconc_mutex m = PARCONC_MUTEX_INIT;
    int i, seen = 0;
    for (i = 0; i < 10; i++) { /* continue */
        PARCONC_GUARD(&m);
        PT_CHECK_EQ(parconc_mutex_trylock(&m), PARCONC_EBUSY);
        if (i % 2) continue;
        seen++;
    }
    PT_CHECK_EQ(seen, 5);
    PT_CHECK_EQ(m.state_, 0);
    for (i = 0; i < 10; i++) { /* break */
        PARCONC_GUARD(&m);
        if (i == 3) break;
    }
    PT_CHECK_EQ(i, 3);
    PT_CHECK_EQ(m.state_, 0);
    PT_CHECK_EQ(guard_return_early(&m, 7), 7); /* return */
    PT_CHECK_EQ(m.state_, 0);
    PT_CHECK_EQ(guard_return_early(&m, -2), 2);
    PT_CHECK_EQ(m.state_, 0);
    {
        PARCONC_GUARD(&m);
        goto out; /* goto out of the scope */
    }
out:
    PT_CHECK_EQ(m.state_, 0);
    { /* two guards on one line: both held inside, both released after */
        parconc_mutex m2 = PARCONC_MUTEX_INIT;
        {
            PARCONC_GUARD(&m); PARCONC_GUARD(&m2);
            PT_CHECK_EQ(parconc_mutex_trylock(&m), PARCONC_EBUSY);
            PT_CHECK_EQ(parconc_mutex_trylock(&m2), PARCONC_EBUSY);
        }
        PT_CHECK_EQ(m.state_, 0);
        PT_CHECK_EQ(m2.state_, 0);
    }
}

/* A predicate loop on one deadline times out although signals keep
   coming every millisecond (a relative timedwait would restart each time). */
static parconc_cond pc_cond = PARCONC_COND_INIT;
static parconc_mutex pc_mutex = PARCONC_MUTEX_INIT;
static int pc_stop;
static void *periodic_signaller(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&pc_stop, __ATOMIC_ACQUIRE)) {
        parconc_cond_signal(&pc_cond);
        parconc_sleep_ns(MS);
    }
    return NULL;
}

static void test_cond_wait_until_under_signals(void)
{
    parconc_thread t;
    uint64_t t0, dt;
    int rc = PARCONC_OK, predicate = 0, wakeups = 0;
    pc_stop = 0;
    PT_CHECK_EQ(parconc_thread_create(&t, periodic_signaller, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&pc_mutex), PARCONC_OK);
    t0 = parconc_now_ns();
    while (!predicate && rc != PARCONC_ETIMEDOUT) {
        rc = parconc_cond_wait_until(&pc_cond, &pc_mutex, t0 + 50 * MS);
        wakeups++;
    }
    dt = parconc_now_ns() - t0;
    PT_EXPECT_EQ(rc, PARCONC_ETIMEDOUT);
    PT_EXPECT(dt >= 50 * MS && dt < 2000 * MS);
    PT_EXPECT(wakeups > 1); /* the signals did wake it */
    /* a deadline already past: one try, m re-locked */
    PT_EXPECT_EQ(parconc_cond_wait_until(&pc_cond, &pc_mutex, t0), PARCONC_ETIMEDOUT);
    PT_CHECK_EQ(parconc_mutex_unlock(&pc_mutex), PARCONC_OK);
    __atomic_store_n(&pc_stop, 1, __ATOMIC_RELEASE);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
    PT_EXPECT_EQ(parconc_cond_wait_until(NULL, &pc_mutex, PARCONC_DEADLINE_NEVER), PARCONC_EINVAL);
    PT_EXPECT_EQ(parconc_cond_wait_until(&pc_cond, &pc_mutex, PARCONC_DEADLINE_NEVER), PARCONC_EPERM); /* not locked */
}

int main(int argc, char **argv)
{
    static const pt_test tests[] = {
        PT_TEST(test_mutex_mutual_exclusion),
        PT_TEST(test_mutex_try_and_timed_mix),
        PT_TEST(test_mutex_timeouts),
        PT_TEST(test_mutex_bad_input),
        PT_TEST(test_mutex_no_starvation),
        PT_TEST(test_mutex_crowd_timed_waiters_served),
        PT_TEST(test_rmutex),
        PT_TEST(test_robust_owner_dies_then_repaired),
        PT_TEST(test_robust_not_repaired_becomes_unrecoverable),
        PT_TEST(test_robust_bad_input),
        PT_TEST(test_robust_several_held),
        PT_TEST(test_robust_newest_released_before_exit),
        PT_TEST(test_rwlock_exclusion_all_policies),
        PT_TEST(test_rwlock_readers_overlap),
        PT_TEST(test_rwlock_try_and_timeouts),
        PT_TEST(test_rwlock_bad_input),
        PT_TEST(test_rwlock_policies_newcomer_reader),
        PT_TEST(test_rwlock_fair_phases),
        PT_TEST(test_rwlock_downgrade),
        PT_TEST(test_rwlock_fair_writer_not_starved),
        PT_TEST(test_rwlock_prefer_readers_writer_enters_between_bursts),
        PT_TEST(test_rwlock_table_reader_excludes_writers),
        PT_TEST(test_rwlock_read_hold_limit),
        PT_TEST(test_sem_producer_consumer),
        PT_TEST(test_sem_try_timed_bad),
        PT_TEST(test_cond_producer_consumer),
        PT_TEST(test_cond_timeouts_and_bad_input),
        PT_TEST(test_once),
        PT_TEST(test_waitgroup),
        PT_TEST(test_lock_many_any_order),
        PT_TEST(test_lock_many_timeout_and_bad_input),
        PT_TEST(test_guard_releases_on_every_exit),
        PT_TEST(test_cond_wait_until_under_signals),
    };
    parconc_set_logger(&misuse_logger);
    return pt_main(tests, PT_COUNT(tests), argc, argv);
}
