/* readwrite_lock.c - a shared table read by many threads and updated by a
   few, under each rwlock policy.  Prints reads/s and writes/s side by side;
   checks that no reader ever saw a half-written row. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

enum { READERS = 3, WRITERS = 1, ROW = 8 };
static parconc_rwlock table_lock;
static long table[ROW];
static int stop, torn;
static long reads, writes;

static void *reader(void *arg)
{
    long n = 0;
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        int i;
        parconc_rwlock_rdlock(&table_lock);
        for (i = 1; i < ROW; i++)
            if (table[i] != table[0]) __atomic_store_n(&torn, 1, __ATOMIC_RELAXED);
        parconc_rwlock_rdunlock(&table_lock);
        n++;
    }
    __atomic_fetch_add(&reads, n, __ATOMIC_RELAXED);
    return NULL;
}

static void *writer(void *arg)
{
    long n = 0;
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        int i;
        parconc_rwlock_wrlock(&table_lock);
        for (i = 0; i < ROW; i++) table[i]++; /* the whole row changes together */
        parconc_rwlock_wrunlock(&table_lock);
        n++;
        parconc_sleep_ns(20000); /* writers are occasional */
    }
    __atomic_fetch_add(&writes, n, __ATOMIC_RELAXED);
    return NULL;
}

int main(void)
{
    static const char *names[3] = { "FAIR (phase-fair)", "PREFER_READERS", "PREFER_WRITERS" };
    int policy, i, ok = 1;
    printf("%-20s %12s %12s\n", "policy", "reads/s", "writes/s");
    for (policy = PARCONC_RW_FAIR; policy <= PARCONC_RW_PREFER_WRITERS; policy++) {
        parconc_thread t[READERS + WRITERS];
        parconc_rwlock_init(&table_lock, policy);
        stop = torn = 0;
        reads = writes = 0;
        for (i = 0; i < READERS; i++) parconc_thread_create(&t[i], reader, NULL, NULL);
        for (i = 0; i < WRITERS; i++) parconc_thread_create(&t[READERS + i], writer, NULL, NULL);
        parconc_sleep_ns(300000000);
        __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
        for (i = 0; i < READERS + WRITERS; i++) parconc_thread_join(t[i], NULL);
        printf("%-20s %12.0f %12.0f\n", names[policy], reads / 0.3, writes / 0.3);
        ok &= !torn && writes > 0 && reads > 0;
    }
    printf("%s\n", ok ? "no torn reads: OK" : "WRONG");
    return ok ? 0 : 1;
}
