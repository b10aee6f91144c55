/* reentrant_lock.c - a recursive function that re-locks the lock it holds.
   With parconc_rmutex the owner may lock again (depth counted); a plain
   parconc_mutex would deadlock here (the debug build reports EDEADLK).
   Checks: the tree sum is right and the lock is free at the end. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

static parconc_rmutex tree_lock = PARCONC_RMUTEX_INIT;
static long visited;

/* sums 1..n by recursion, holding the lock at every level */
static long sum_to(long n)
{
    long s;
    if (parconc_rmutex_lock(&tree_lock) != PARCONC_OK) return -1;
    visited++;
    s = n <= 0 ? 0 : n + sum_to(n - 1);
    parconc_rmutex_unlock(&tree_lock);
    return s;
}

static void *worker(void *arg)
{
    long *out = (long *)arg;
    *out = sum_to(100);
    return NULL;
}

int main(void)
{
    parconc_thread t[4];
    long results[4];
    int i, ok = 1;
    for (i = 0; i < 4; i++) parconc_thread_create(&t[i], worker, &results[i], NULL);
    for (i = 0; i < 4; i++) {
        parconc_thread_join(t[i], NULL);
        ok &= results[i] == 5050;
    }
    printf("4 threads x recursion depth 101: sums %ld %ld %ld %ld, %ld lock calls\n", results[0], results[1], results[2],
           results[3], visited);
    ok &= parconc_rmutex_destroy(&tree_lock) == PARCONC_OK; /* free again */
    ok &= visited == 4 * 101;
    printf("%s\n", ok ? "OK" : "WRONG");
    return ok ? 0 : 1;
}
