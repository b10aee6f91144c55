/* join_vs_detach.c - a joined thread is waited for and hands back its
   result; a detached (daemon) thread is not waited for: the program goes
   on (here it checks in later through a wait group, as a real program
   would have to if it cared). */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

static parconc_waitgroup daemon_done = PARCONC_WAITGROUP_INIT;
static void *joined_work(void *arg) { parconc_sleep_ns(20000000); return (void *)((uintptr_t)arg + 1); }
static void *daemon_work(void *arg)
{
    (void)arg;
    parconc_sleep_ns(30000000);
    parconc_waitgroup_done(&daemon_done);
    return NULL;
}

int main(void)
{
    parconc_thread j, d;
    parconc_thread_opts opts = { 0 };
    void *r = NULL;
    uint64_t t0 = parconc_now_ns();
    int ok = 1;
    parconc_waitgroup_add(&daemon_done, 1);
    opts.detached = 1;
    opts.name = "daemon";
    parconc_thread_create(&j, joined_work, (void *)41, NULL);
    parconc_thread_create(&d, daemon_work, NULL, &opts);
    printf("both started; main goes on at %.1f ms\n", (double)(parconc_now_ns() - t0) / 1e6);
    ok &= parconc_thread_join(j, &r) == PARCONC_OK && (uintptr_t)r == 42;
    printf("joined: waited until %.1f ms, result %lu\n", (double)(parconc_now_ns() - t0) / 1e6, (unsigned long)(uintptr_t)r);
    ok &= parconc_thread_join(d, NULL) == PARCONC_EINVAL; /* a detached thread cannot be joined */
    printf("detached: join refused (%s); nobody waits for it\n", parconc_strerror(PARCONC_EINVAL));
    ok &= parconc_waitgroup_wait(&daemon_done) == PARCONC_OK;
    printf("the daemon signalled it finished at %.1f ms\n%s\n", (double)(parconc_now_ns() - t0) / 1e6, ok ? "OK" : "WRONG");
    parconc_sleep_ns(2000000); /* let it finish exiting before the process ends */
    return ok ? 0 : 1;
}
