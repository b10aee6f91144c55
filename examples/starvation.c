/* starvation.c - (1) a writer starved by a stream of readers under
   PREFER_READERS and served under FAIR; (2) a mutex waiter that would be
   starved by a thread re-locking in a loop, served because the mutex hands
   the lock over after ~1 ms.  Prints the counts; checks FAIR and the
   mutex hand-off serve the waiter. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

#define MS 1000000LL
static parconc_rwlock rw;
static parconc_mutex m = PARCONC_MUTEX_INIT;
static int stop;

static void *busy_reader(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        volatile int spin;
        parconc_rwlock_rdlock(&rw);
        for (spin = 0; spin < 2000; spin++) {}
        parconc_rwlock_rdunlock(&rw);
    }
    return NULL;
}

static long writer_entries(int policy)
{
    parconc_thread t[3];
    long n = 0;
    int i;
    uint64_t end;
    parconc_rwlock_init(&rw, policy);
    stop = 0;
    for (i = 0; i < 3; i++) parconc_thread_create(&t[i], busy_reader, NULL, NULL);
    parconc_sleep_ns(5 * MS);
    end = parconc_now_ns() + 300 * MS;
    while (parconc_now_ns() < end)
        if (parconc_rwlock_timedwrlock(&rw, 50 * MS) == PARCONC_OK) { n++; parconc_rwlock_wrunlock(&rw); }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (i = 0; i < 3; i++) parconc_thread_join(t[i], NULL);
    return n;
}

static void *hog(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        volatile int spin;
        parconc_mutex_lock(&m);
        for (spin = 0; spin < 300; spin++) {}
        parconc_mutex_unlock(&m);
    }
    return NULL;
}

int main(void)
{
    long fair, readers_first;
    parconc_thread t;
    uint64_t worst = 0;
    int i, got = 0;
    readers_first = writer_entries(PARCONC_RW_PREFER_READERS);
    fair = writer_entries(PARCONC_RW_FAIR);
    printf("writer entries in 0.3 s under 3 busy readers: PREFER_READERS %ld, FAIR %ld\n", readers_first, fair);
    stop = 0;
    parconc_thread_create(&t, hog, NULL, NULL);
    parconc_sleep_ns(2 * MS);
    for (i = 0; i < 50; i++) {
        uint64_t t0 = parconc_now_ns();
        if (parconc_mutex_timedlock(&m, 2000 * MS) == PARCONC_OK) {
            uint64_t w = parconc_now_ns() - t0;
            if (w > worst) worst = w;
            got++;
            parconc_mutex_unlock(&m);
        }
        parconc_sleep_ns(MS);
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    parconc_thread_join(t, NULL);
    printf("mutex waiter vs a re-locking hog: %d/50 acquisitions, worst wait %.2f ms\n", got, (double)worst / 1e6);
    printf("%s\n", fair >= 30 && got == 50 ? "OK" : "WRONG");
    return fair >= 30 && got == 50 ? 0 : 1;
}
