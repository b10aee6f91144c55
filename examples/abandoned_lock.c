/* abandoned_lock.c - a thread dies holding a robust lock halfway through an
   update.  The next owner gets PARCONC_EOWNERDEAD, repairs the data and
   calls parconc_mutex_consistent.  Then the guard macro shows how not to
   abandon a plain mutex: every exit path unlocks. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

static parconc_robust_mutex ledger_lock = PARCONC_ROBUST_MUTEX_INIT;
static long debit, credit; /* invariant: debit == credit */

static void *crashes_midway(void *arg)
{
    (void)arg;
    parconc_robust_mutex_lock(&ledger_lock);
    debit += 100; /* ... and the thread ends before the matching credit */
    return NULL;
}

static parconc_mutex plain = PARCONC_MUTEX_INIT;
static int guarded_step(int fail)
{
    PARCONC_GUARD(&plain);
    if (fail) return -1; /* early return: the guard still unlocks */
    return 0;
}

int main(void)
{
    parconc_thread t;
    int rc, ok = 1;
    parconc_thread_create(&t, crashes_midway, NULL, NULL);
    parconc_thread_join(t, NULL);
    rc = parconc_robust_mutex_lock(&ledger_lock);
    printf("next lock: %s (debit %ld, credit %ld)\n", parconc_strerror(rc), debit, credit);
    ok &= rc == PARCONC_EOWNERDEAD;
    credit = debit; /* repair */
    ok &= parconc_mutex_consistent(&ledger_lock) == PARCONC_OK;
    parconc_robust_mutex_unlock(&ledger_lock);
    rc = parconc_robust_mutex_lock(&ledger_lock);
    printf("after repair: %s (debit %ld, credit %ld)\n", parconc_strerror(rc), debit, credit);
    ok &= rc == PARCONC_OK && debit == credit;
    parconc_robust_mutex_unlock(&ledger_lock);
    ok &= guarded_step(1) == -1 && guarded_step(0) == 0;
    ok &= parconc_mutex_trylock(&plain) == PARCONC_OK; /* nothing left locked */
    parconc_mutex_unlock(&plain);
    printf("guard: early return left the mutex free\n%s\n", ok ? "OK" : "WRONG");
    return ok ? 0 : 1;
}
