/* Helgrind self-test for tools/helgrind.sh: with -DPARCONC_VALGRIND,
   Helgrind must stay silent when a counter is guarded by a parconc_mutex
   and report a race when one thread skips the lock (any argument).  This
   shows the annotations make Helgrind see parconc locks, and that the
   suppressions do not hide user races. */
#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"
#include <stdio.h>

static parconc_mutex m;
static long counter;
static int racy;

static void *increment(void *arg)
{
    int i, skip = racy && arg != NULL;
    for (i = 0; i < 1000; i++) {
        if (!skip) parconc_mutex_lock(&m);
        counter++;
        if (!skip) parconc_mutex_unlock(&m);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    parconc_thread t[2];
    int i;
    racy = argc > 1;
    (void)argv;
    for (i = 0; i < 2; i++) parconc_thread_create(&t[i], increment, (void *)(intptr_t)i, NULL);
    for (i = 0; i < 2; i++) parconc_thread_join(t[i], NULL);
    printf("%ld\n", counter);
    return 0;
}
