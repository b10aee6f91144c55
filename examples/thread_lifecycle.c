/* thread_lifecycle.c - a thread's states as they happen: created, running,
   blocked on a lock, running again, finished, joined.  The thread reports
   each state it enters; main checks they came in that order. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

static parconc_mutex lock = PARCONC_MUTEX_INIT;
static const char *states[8];
static int nstates;
static parconc_mutex log_lock = PARCONC_MUTEX_INIT;
static uint64_t t0;

static void enter(const char *state)
{
    parconc_mutex_lock(&log_lock);
    states[nstates++] = state;
    printf("%6.1f ms  %s\n", (double)(parconc_now_ns() - t0) / 1e6, state);
    parconc_mutex_unlock(&log_lock);
}

static void *life(void *arg)
{
    (void)arg;
    enter("running");
    enter("blocked on a lock (main holds it)");
    parconc_mutex_lock(&lock);
    enter("running again (got the lock)");
    parconc_mutex_unlock(&lock);
    enter("finished");
    return NULL;
}

int main(void)
{
    static const char *want[6] = { "created", "running", "blocked on a lock (main holds it)",
                                   "running again (got the lock)", "finished", "joined" };
    parconc_thread t;
    int i, ok;
    t0 = parconc_now_ns();
    parconc_mutex_lock(&lock); /* so the thread will block */
    enter("created");
    parconc_thread_create(&t, life, NULL, NULL);
    parconc_sleep_ns(20000000);
    parconc_mutex_unlock(&lock);
    parconc_thread_join(t, NULL);
    enter("joined");
    ok = nstates == 6;
    for (i = 0; ok && i < 6; i++) ok = strcmp(states[i], want[i]) == 0;
    printf("%s\n", ok ? "OK" : "WRONG");
    return ok ? 0 : 1;
}
