/* One usable CPU (the process pins itself to one before anything else):
   nothing spins.  Idle workers sleep at once, timed waits sleep to their
   deadline without watching the clock at the end, and every lock still
   gives exact results.  (Spinning on one CPU only delays the thread being
   waited for.) */
#define _GNU_SOURCE
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "harness.h"
#ifndef _WIN32
#include <sched.h>
#include <sys/prctl.h>
#include <time.h>
#endif


#define MS 1000000ll

static int pinned;

static void *noop(void *arg) { return arg; }

static void test_cpu_count_is_one(void)
{
    PT_CHECK(pinned);
    PT_CHECK_EQ(parconc_cpu_count(), 1);
}

static size_t spins_of(parconc_pool *p)
{
    size_t i, n = 0;
    for (i = 0; i < (size_t)p->nthreads; i++) n += __atomic_load_n(&p->workers[i].idle_spins, __ATOMIC_RELAXED);
    return n;
}

static void test_idle_workers_never_spin(void)
{
    parconc_pool *p = NULL;
    parconc_pool_desc d;
    int i;
    memset(&d, 0, sizeof d);
    d.threads = 2;
    PT_CHECK_EQ(parconc_pool_create(&p, &d), PARCONC_OK);
    for (i = 0; i < 200; i++) {
        parconc_future *f = NULL;
        PT_CHECK_EQ(parconc_pool_submit(p, noop, NULL, &f), PARCONC_OK);
        PT_EXPECT_EQ(parconc_future_wait(f, PARCONC_FOREVER), PARCONC_OK);
        parconc_future_release(f);
        if (i % 20 == 0) parconc_sleep_ns(MS); /* let them go idle */
        PT_EXPECT_EQ(parconc_pool_submit(p, noop, NULL, NULL), PARCONC_OK);
    }
    PT_EXPECT_EQ(parconc_pool_wait_idle(p, PARCONC_FOREVER), PARCONC_OK);
    PT_EXPECT_EQ(spins_of(p), 0);
    parconc_pool_destroy(p);
}

/* CPU time of the calling thread */
static uint64_t cpu_ns(void)
{
#ifdef _WIN32
    FILETIME created, ended, kernel, user;
    GetThreadTimes(GetCurrentThread(), &created, &ended, &kernel, &user);
    return ((((uint64_t)kernel.dwHighDateTime << 32) | kernel.dwLowDateTime) +
            (((uint64_t)user.dwHighDateTime << 32) | user.dwLowDateTime)) * 100u;
#else
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static void test_timed_waits_sleep_to_the_deadline(void)
{
    parconc_sem s;
    parconc_mutex m = PARCONC_MUTEX_INIT;
    uint64_t c0, c1;
    int i;
    PT_CHECK_EQ(parconc_sem_init(&s, 0), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&m), PARCONC_OK);
    c0 = cpu_ns();
    for (i = 0; i < 20; i++) {
        uint64_t t0 = parconc_now_ns();
        PT_EXPECT_EQ(parconc_sem_timedwait(&s, MS), PARCONC_ETIMEDOUT);
        PT_EXPECT(parconc_now_ns() - t0 >= (uint64_t)MS); /* never early */
        t0 = parconc_now_ns();
        PT_EXPECT_EQ(parconc_mutex_timedlock(&m, MS), PARCONC_ETIMEDOUT); /* ours: EDEADLK-free, times out */
        PT_EXPECT(parconc_now_ns() - t0 >= (uint64_t)MS);
    }
    c1 = cpu_ns();
    parconc_mutex_unlock(&m);
    /* 40 waits of 1 ms (40 ms): sleeping costs about 10 us of CPU each
       here, a wait that watched the clock would burn its whole 1 ms; the
       bound, a fifth of the waiting time, leaves room for a busy host */
#ifdef _WIN32
    (void)c0; (void)c1; /* under Wine, GetThreadTimes counts in 10 ms clock ticks: too coarse for this bound */
#else
    if (!PT_SANITIZED) PT_EXPECT(c1 - c0 < 8000000u);
#endif
}

static parconc_mutex lock_m = PARCONC_MUTEX_INIT;
static parconc_rwlock lock_rw;
static long lock_count, lock_rw_value;

static void *hammer(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < 20000; i++) {
        parconc_mutex_lock(&lock_m);
        lock_count++;
        parconc_mutex_unlock(&lock_m);
        if (i % 4 == 0) {
            parconc_rwlock_wrlock(&lock_rw);
            lock_rw_value++;
            parconc_rwlock_wrunlock(&lock_rw);
        } else {
            long v;
            parconc_rwlock_rdlock(&lock_rw);
            v = lock_rw_value;
            PT_EXPECT(v == lock_rw_value);
            parconc_rwlock_rdunlock(&lock_rw);
        }
    }
    return NULL;
}

static void test_locks_exact_on_one_cpu(void)
{
    parconc_thread t[3];
    int i;
    PT_CHECK_EQ(parconc_rwlock_init(&lock_rw, PARCONC_RW_FAIR), PARCONC_OK);
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_thread_create(&t[i], hammer, NULL, NULL), PARCONC_OK);
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_thread_join(t[i], NULL), PARCONC_OK);
    PT_EXPECT_EQ(lock_count, 60000);
    PT_EXPECT_EQ(lock_rw_value, 15000);
}

int main(int argc, char **argv)
{
    static const pt_test tests[] = {
        PT_TEST(test_cpu_count_is_one),
        PT_TEST(test_idle_workers_never_spin),
        PT_TEST(test_timed_waits_sleep_to_the_deadline),
        PT_TEST(test_locks_exact_on_one_cpu),
    };
#ifdef _WIN32
    DWORD_PTR mine = 0, all = 0;
    if (GetProcessAffinityMask(GetCurrentProcess(), &mine, &all) && mine)
        pinned = SetProcessAffinityMask(GetCurrentProcess(), mine & (~mine + 1)) != 0; /* our lowest CPU */
#else
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
    pinned = sched_setaffinity(0, sizeof one, &one) == 0;
    prctl(PR_SET_TIMERSLACK, 1ul, 0ul, 0ul, 0ul); /* timers fire on time: a busy tail would show */
#endif
    return pt_main(tests, PT_COUNT(tests), argc, argv);
}
