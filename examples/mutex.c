/* mutex.c - a bank of accounts moved between by several threads, each
   transfer under the mutex of the bank: the total never changes.  Also a
   timed lock that gives up after a deadline instead of waiting forever. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

enum { ACCOUNTS = 16, THREADS = 4, TRANSFERS = 100000 };
static long balance[ACCOUNTS];
static parconc_mutex bank = PARCONC_MUTEX_INIT;

static void *teller(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
    int i;
    for (i = 0; i < TRANSFERS; i++) {
        int from, to;
        seed = seed * 1103515245u + 12345u; from = (int)((seed >> 16) % ACCOUNTS);
        seed = seed * 1103515245u + 12345u; to = (int)((seed >> 16) % ACCOUNTS);
        parconc_mutex_lock(&bank);
        balance[from] -= 7; /* between these two lines the total is wrong; */
        balance[to] += 7;   /* nobody can see it, because nobody else holds the lock */
        parconc_mutex_unlock(&bank);
    }
    return NULL;
}

static parconc_sem holding; /* posted once the holder has the lock */
static void *hold_a_while(void *arg)
{
    (void)arg;
    parconc_mutex_lock(&bank);
    parconc_sem_post(&holding);
    parconc_sleep_ns(50000000);
    parconc_mutex_unlock(&bank);
    return NULL;
}

int main(void)
{
    parconc_thread t[THREADS];
    long total = 0;
    int i, rc;
    uint64_t t0;
    for (i = 0; i < ACCOUNTS; i++) balance[i] = 1000;
    for (i = 0; i < THREADS; i++) parconc_thread_create(&t[i], teller, (void *)(uintptr_t)i, NULL);
    for (i = 0; i < THREADS; i++) parconc_thread_join(t[i], NULL);
    for (i = 0; i < ACCOUNTS; i++) total += balance[i];
    printf("%d transfers by %d threads: total %ld (expected %d)\n", THREADS * TRANSFERS, THREADS, total, ACCOUNTS * 1000);
    parconc_sem_init(&holding, 0);
    parconc_thread_create(&t[0], hold_a_while, NULL, NULL);
    parconc_sem_wait(&holding); /* the other thread holds the lock now, for 50 ms */
    t0 = parconc_now_ns();
    rc = parconc_mutex_timedlock(&bank, 10000000); /* 10 ms */
    printf("timed lock on a busy mutex: %s after %.1f ms\n", parconc_strerror(rc), (double)(parconc_now_ns() - t0) / 1e6);
    if (rc == PARCONC_OK) parconc_mutex_unlock(&bank);
    parconc_thread_join(t[0], NULL);
    return total == ACCOUNTS * 1000 && rc == PARCONC_ETIMEDOUT ? 0 : 1;
}
