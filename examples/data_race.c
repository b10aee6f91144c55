/* data_race.c - an unsynchronised counter loses updates; a parconc_mutex
   and an atomic add each make it exact.  The racy count is printed (it
   depends on timing); the fixed ones must equal THREADS * ROUNDS. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

enum { THREADS = 4, ROUNDS = 1000000 };
static volatile long racy;       /* volatile: the compiler must not batch the adds */
static long locked, atomic_count;
static parconc_mutex lock = PARCONC_MUTEX_INIT;

static void *race(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < ROUNDS; i++) racy = racy + 1; /* read, add, write: not atomic */
    return NULL;
}

static void *with_mutex(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < ROUNDS; i++) {
        parconc_mutex_lock(&lock);
        locked++;
        parconc_mutex_unlock(&lock);
    }
    return NULL;
}

static void *with_atomic(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < ROUNDS; i++) __atomic_fetch_add(&atomic_count, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void run(void *(*fn)(void *))
{
    parconc_thread t[THREADS];
    int i;
    for (i = 0; i < THREADS; i++) parconc_thread_create(&t[i], fn, NULL, NULL);
    for (i = 0; i < THREADS; i++) parconc_thread_join(t[i], NULL);
}

int main(void)
{
    const long want = (long)THREADS * ROUNDS;
    run(race);
    run(with_mutex);
    run(with_atomic);
    printf("expected       %ld\n", want);
    printf("no lock        %ld  (%ld updates lost)\n", (long)racy, want - (long)racy);
    printf("parconc_mutex  %ld\n", locked);
    printf("atomic add     %ld\n", atomic_count);
    return locked == want && atomic_count == want ? 0 : 1;
}
