/* nonblocking_acquire.c - trylock: instead of waiting for a busy lock, do
   other useful work and try again.  Two threads share a counter under one
   mutex; whenever trylock says EBUSY they do a unit of "other work".
   Prints both counts; checks that every increment happened exactly once. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

enum { INCREMENTS = 300000 };
static parconc_mutex lock = PARCONC_MUTEX_INIT;
static long shared;

typedef struct stats { long done, other_work; } stats;

static void *worker(void *arg)
{
    stats *s = (stats *)arg;
    while (s->done < INCREMENTS) {
        if (parconc_mutex_trylock(&lock) == PARCONC_OK) {
            volatile int work; /* a critical section long enough to collide */
            for (work = 0; work < 100; work++) {}
            shared++;
            s->done++;
            parconc_mutex_unlock(&lock);
        } else {
            volatile int spin; /* the lock is busy: something else meanwhile */
            for (spin = 0; spin < 50; spin++) {}
            s->other_work++;
        }
    }
    return NULL;
}

int main(void)
{
    parconc_thread t[2];
    stats s[2] = { { 0, 0 }, { 0, 0 } };
    int i;
    for (i = 0; i < 2; i++) parconc_thread_create(&t[i], worker, &s[i], NULL);
    for (i = 0; i < 2; i++) parconc_thread_join(t[i], NULL);
    for (i = 0; i < 2; i++) printf("thread %d: %ld increments, %ld units of other work while the lock was busy\n", i, s[i].done, s[i].other_work);
    printf("shared counter %ld (expected %d)\n", shared, 2 * INCREMENTS);
    return shared == 2 * INCREMENTS ? 0 : 1;
}
