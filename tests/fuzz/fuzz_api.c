/* fuzz_api.c - libFuzzer harness: the input bytes are a program of API
   calls on a pool, futures, promises, callbacks, cancels, timeouts, locks,
   a semaphore, parallel loops, tasks with inputs, continuations and
   combinators.  Every answer is checked against the
   contract (the set of codes each call may return, exactly one terminal
   state per future, every accepted task run at most once and every
   callback exactly once), and the input ends with everything released, so
   LeakSanitizer sees any leak.  A broken check calls abort().

   make fuzz FUZZ_SECONDS=n  builds it with clang -fsanitize=fuzzer,address,
   undefined and runs it on tests/fuzz/corpus (committed seeds) plus the
   inputs it finds (kept in build/fuzz/corpus).  Without libFuzzer,
   -DFUZZ_REPLAY builds a main() that runs the files given on the command
   line (the committed corpus is replayed that way by make test). */
#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); abort(); } } while (0)
#define SLOTS 8

typedef struct slot {
    parconc_future *f;   /* NULL: empty */
    int is_promise;
    int callbacks;       /* registered on it */
} slot;

static long g_ran;       /* tasks that ran (atomic) */
static long g_cb_fired;  /* callbacks that ran (atomic) */

static void *task_body(void *arg)
{
    uintptr_t how = (uintptr_t)arg;
    __atomic_add_fetch(&g_ran, 1, __ATOMIC_RELAXED);
    if (how % 5 == 1) return parconc_task_fail(PARCONC_EPERM);
    if (how % 5 == 2) parconc_sleep_ns(20000);
    return arg;
}

static void *then_body(parconc_future *done, void *arg)
{
    CHECK(parconc_future_wait(done, 0) != PARCONC_ETIMEDOUT); /* its input settled first */
    return task_body(arg);
}

static void on_done_cb(parconc_future *f, void *user)
{
    int s = parconc_future_state(f);
    (void)user;
    CHECK(s == PARCONC_DONE || s == PARCONC_FAILED || s == PARCONC_CANCELED);
    __atomic_add_fetch(&g_cb_fired, 1, __ATOMIC_RELAXED);
}

static void loop_body(size_t b, size_t e, size_t worker, void *arg)
{
    unsigned char *seen = (unsigned char *)arg;
    (void)worker;
    for (; b < e; b++) __atomic_add_fetch(&seen[b], 1, __ATOMIC_RELAXED);
}

/* What a submission into slot s may answer; 1 if it was accepted. */
static int submitted_into(slot *s, int rc, int have_pool, int stopping)
{
    if (!have_pool) CHECK(rc == PARCONC_EINVAL);
    else if (stopping) CHECK(rc == PARCONC_ESHUTDOWN);
    else CHECK(rc == PARCONC_OK || rc == PARCONC_EAGAIN || rc == PARCONC_ETIMEDOUT);
    if (rc != PARCONC_OK) { CHECK(s->f == NULL); return 0; }
    s->is_promise = 0;
    s->callbacks = 0;
    return 1;
}

static int terminal(int s) { return s == PARCONC_DONE || s == PARCONC_FAILED || s == PARCONC_CANCELED; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parconc_pool *pool = NULL;
    int stopping = 0; /* shutdown was called (submit refuses from then on) */
    slot slots[SLOTS];
    parconc_mutex mu[2];
    parconc_rwlock rw;
    parconc_sem sem;
    int mu_held[2] = { 0, 0 }, rd_held = 0, wr_held = 0;
    long accepted = 0, cb_registered = 0;
    size_t i = 0, k;

    memset(slots, 0, sizeof slots);
    parconc_mutex_init(&mu[0]);
    parconc_mutex_init(&mu[1]);
    parconc_rwlock_init(&rw, PARCONC_RW_FAIR);
    parconc_sem_init(&sem, 0);
    g_ran = g_cb_fired = 0;

    while (i + 1 < size) {
        uint8_t op = data[i] % 20, arg = data[i + 1];
        slot *s = &slots[arg % SLOTS];
        int rc;
        i += 2;
        switch (op) {
        case 0: /* create a pool */
            if (!pool) {
                parconc_pool_desc d;
                memset(&d, 0, sizeof d);
                d.threads = 1 + arg % 3;
                d.schedule = (arg >> 2) % 3;
                d.queue_capacity = (arg & 0x40) ? 4 : 0;
                d.block_when_full = (arg & 0x80) != 0; /* full: wait (timed) instead of EAGAIN */
                d.caller_runs_when_full = (arg & 0x10) != 0; /* full: run it here instead of either */
                rc = parconc_pool_create(&pool, &d);
                CHECK(rc == PARCONC_OK);
            }
            break;
        case 1: /* submit into an empty slot */
            if (!s->f) {
                parconc_task_desc t;
                memset(&t, 0, sizeof t);
                t.fn = task_body;
                t.arg = (void *)(uintptr_t)arg;
                t.priority = arg % 8;
                t.timeout_ns = (arg & 0x20) ? 50000 : -1; /* blocking pools: 50 us, or try once */
                rc = parconc_pool_submit_ex(pool, &t, &s->f);
                accepted += submitted_into(s, rc, pool != NULL, stopping);
            }
            break;
        case 2: /* timed wait: 0, 10 us or 1 ms */
            if (s->f) {
                int64_t to = arg % 3 == 0 ? 0 : arg % 3 == 1 ? 10000 : 1000000;
                rc = parconc_future_wait(s->f, to);
                CHECK(rc == PARCONC_OK || rc == PARCONC_ECANCELED || rc == PARCONC_ETIMEDOUT);
                if (rc != PARCONC_ETIMEDOUT) CHECK(terminal(parconc_future_state(s->f)));
            }
            break;
        case 3: /* cancel */
            if (s->f) {
                int before = parconc_future_state(s->f);
                rc = parconc_future_cancel(s->f);
                CHECK(rc == PARCONC_OK || rc == PARCONC_EBUSY);
                if (rc == PARCONC_OK) CHECK(parconc_future_state(s->f) == PARCONC_CANCELED);
                if (before == PARCONC_DONE || before == PARCONC_FAILED) CHECK(rc == PARCONC_EBUSY);
            }
            break;
        case 4: { /* get without waiting */
            void *r = NULL;
            if (!s->f) break;
            rc = parconc_future_get(s->f, &r, 0);
            if (rc == PARCONC_OK) CHECK(parconc_future_state(s->f) == PARCONC_DONE);
            else if (rc == PARCONC_ECANCELED) /* also a failure whose error is ECANCELED: a promise failed
                                                 with it, and a when_all that had it as its first failure */
                CHECK(parconc_future_state(s->f) == PARCONC_CANCELED || parconc_future_state(s->f) == PARCONC_FAILED);
            else if (rc != PARCONC_ETIMEDOUT) CHECK(parconc_future_state(s->f) == PARCONC_FAILED);
            if (rc == PARCONC_OK && !s->is_promise) CHECK((uintptr_t)r % 5 != 1);
            break;
        }
        case 5: /* release (a pending promise is settled first) */
            if (s->f) {
                if (s->is_promise && !terminal(parconc_future_state(s->f))) {
                    rc = parconc_future_fail(s->f, PARCONC_ECANCELED);
                    CHECK(rc == PARCONC_OK || rc == PARCONC_EBUSY); /* a combinator may settle by itself */
                }
                parconc_future_release(s->f);
                s->f = NULL;
            }
            break;
        case 6: /* a promise */
            if (!s->f) {
                CHECK(parconc_future_create(&s->f) == PARCONC_OK);
                s->is_promise = 1;
                s->callbacks = 0;
            }
            break;
        case 7: /* settle a promise; a pool task's future refuses */
            if (s->f) {
                rc = (arg & 1) ? parconc_future_complete(s->f, (void *)(uintptr_t)arg)
                               : parconc_future_fail(s->f, PARCONC_ERANGE);
                if (!s->is_promise) CHECK(rc == PARCONC_EPERM);
                else CHECK(rc == PARCONC_OK || rc == PARCONC_EBUSY);
            }
            break;
        case 8: /* a callback */
            if (s->f && s->callbacks < 3) {
                rc = parconc_future_on_done(s->f, on_done_cb, NULL);
                CHECK(rc == PARCONC_OK);
                s->callbacks++;
                cb_registered++;
            }
            break;
        case 9: { /* mutexes: lock, trylock, timed lock on a held one */
            int m = arg & 1;
            if (mu_held[m]) {
                CHECK(parconc_mutex_trylock(&mu[m]) == PARCONC_EBUSY);
                if (arg & 2) CHECK(parconc_mutex_timedlock(&mu[m], 1000) == PARCONC_ETIMEDOUT);
                CHECK(parconc_mutex_unlock(&mu[m]) == PARCONC_OK);
                mu_held[m] = 0;
            } else {
                CHECK(((arg & 2) ? parconc_mutex_trylock(&mu[m]) : parconc_mutex_timedlock(&mu[m], 0)) == PARCONC_OK);
                mu_held[m] = 1;
            }
            break;
        }
        case 10: /* rwlock from one thread: readers share, a writer excludes */
            if (wr_held) {
                CHECK(parconc_rwlock_tryrdlock(&rw) == PARCONC_EBUSY);
                CHECK(parconc_rwlock_wrunlock(&rw) == PARCONC_OK);
                wr_held = 0;
            } else if (arg & 1) {
                if (rd_held < 3) { CHECK(parconc_rwlock_tryrdlock(&rw) == PARCONC_OK); rd_held++; }
                else { CHECK(parconc_rwlock_rdunlock(&rw) == PARCONC_OK); rd_held--; }
            } else if (rd_held) {
                CHECK(parconc_rwlock_trywrlock(&rw) == PARCONC_EBUSY);
                CHECK(parconc_rwlock_timedwrlock(&rw, 1000) == PARCONC_ETIMEDOUT);
                CHECK(parconc_rwlock_rdunlock(&rw) == PARCONC_OK);
                rd_held--;
            } else {
                CHECK(parconc_rwlock_trywrlock(&rw) == PARCONC_OK);
                wr_held = 1;
            }
            break;
        case 11: /* semaphore: the count is exact */
            if (arg & 1) CHECK(parconc_sem_post(&sem) == PARCONC_OK);
            else {
                uint32_t v = parconc_sem_value(&sem);
                rc = parconc_sem_trywait(&sem);
                CHECK(rc == (v ? PARCONC_OK : PARCONC_EBUSY));
            }
            break;
        case 12: { /* a parallel loop: every index exactly once */
            unsigned char seen[300];
            parconc_for_desc fd;
            size_t n = (size_t)arg + (arg & 1 ? 44 : 0), j;
            memset(seen, 0, sizeof seen);
            memset(&fd, 0, sizeof fd);
            fd.schedule = arg % 5; /* RESPAWN (5) starts threads: left to the tests */
            fd.chunk = arg % 7;
            rc = parconc_parallel_for(pool, n, loop_body, seen, &fd); /* a stopped pool: the caller runs it */
            CHECK(rc == PARCONC_OK);
            for (j = 0; j < n; j++) CHECK(seen[j] == 1);
            break;
        }
        case 13: /* shut down */
            if (pool) {
                rc = parconc_pool_shutdown(pool, arg & 1 ? PARCONC_SHUTDOWN_CANCEL : PARCONC_SHUTDOWN_DRAIN,
                                           (arg & 2) ? 0 : PARCONC_FOREVER);
                CHECK(rc == PARCONC_OK || rc == PARCONC_ETIMEDOUT);
                if (!(arg & 2)) CHECK(rc == PARCONC_OK);
                stopping = 1;
            }
            break;
        case 14: { /* wait_any / wait_all over the held futures, no waiting */
            parconc_future *fs[SLOTS];
            size_t n = 0, idx = SLOTS;
            for (k = 0; k < SLOTS; k++) if (slots[k].f) fs[n++] = slots[k].f;
            rc = parconc_wait_all(fs, n, 0);
            CHECK(rc == PARCONC_OK || rc == PARCONC_ETIMEDOUT);
            if (n) {
                rc = parconc_wait_any(fs, n, &idx, 0);
                CHECK(rc == PARCONC_OK || rc == PARCONC_ETIMEDOUT);
                if (rc == PARCONC_OK) CHECK(idx < n && terminal(parconc_future_state(fs[idx])));
            } else {
                CHECK(parconc_wait_any(fs, 0, &idx, 0) == PARCONC_EINVAL);
            }
            break;
        }
        case 15: { /* as_completed over the held futures, no waiting */
            parconc_future *fs[SLOTS], *got;
            parconc_as_completed it;
            size_t n = 0, yielded = 0, j;
            for (k = 0; k < SLOTS; k++) if (slots[k].f) fs[n++] = slots[k].f;
            CHECK(parconc_as_completed_init(&it, fs, n) == PARCONC_OK);
            for (j = 0; j <= n; j++) {
                got = NULL;
                rc = parconc_as_completed_next(&it, &got, (arg & 1) ? 0 : 10000);
                if (rc == PARCONC_EDONE) { CHECK(yielded == n); break; }
                if (rc == PARCONC_ETIMEDOUT) continue;
                CHECK(rc == PARCONC_OK && got != NULL && terminal(parconc_future_state(got)));
                yielded++;
            }
            CHECK(yielded <= n);
            /* each yielded one is a distinct held future: the prefix of fs */
            for (j = 0; j < yielded; j++) CHECK(terminal(parconc_future_state(fs[j])));
            break;
        }
        case 17: /* a task with inputs: up to three held pool-task futures */
        case 18: /* a continuation of a held pool-task future */
            if (!s->f) {
                parconc_future *ins[3];
                size_t n = 0, want = op == 18 ? 1u : (size_t)(arg >> 4) % 4;
                for (k = 0; k < SLOTS && n < want; k++) {
                    slot *in = &slots[(arg + k + 1) % SLOTS];
                    /* pool tasks only: a promise the program never settles
                       would hold up a shutdown that drains */
                    if (in != s && in->f && !in->is_promise) ins[n++] = in->f;
                }
                if (op == 18 && n == 0) break;
                if (op == 18) {
                    rc = parconc_future_then(ins[0], pool, then_body, (void *)(uintptr_t)arg, &s->f);
                } else {
                    parconc_task_desc t;
                    memset(&t, 0, sizeof t);
                    t.fn = task_body;
                    t.arg = (void *)(uintptr_t)arg;
                    t.after = ins;
                    t.after_count = n;
                    t.timeout_ns = (arg & 0x20) ? 50000 : -1;
                    rc = parconc_pool_submit_ex(pool, &t, &s->f);
                }
                accepted += submitted_into(s, rc, pool != NULL, stopping);
            }
            break;
        case 19: /* when_all / when_any of the held futures: a promise of ours */
            if (!s->f) {
                parconc_future *fs[SLOTS];
                size_t n = 0;
                for (k = 0; k < SLOTS; k++) if (slots[k].f) fs[n++] = slots[k].f;
                rc = (arg & 1) ? parconc_when_any(fs, n, &s->f) : parconc_when_all(fs, n, &s->f);
                if ((arg & 1) && n == 0) { CHECK(rc == PARCONC_EINVAL); break; }
                CHECK(rc == PARCONC_OK);
                s->is_promise = 1;
                s->callbacks = 0;
            }
            break;
        default: /* bad input is refused, never a crash */
            CHECK(parconc_pool_submit(NULL, task_body, NULL, NULL) == PARCONC_EINVAL);
            if (pool) CHECK(parconc_pool_submit(pool, NULL, NULL, NULL) == PARCONC_EINVAL);
            CHECK(parconc_future_wait(NULL, 0) == PARCONC_EINVAL);
            CHECK(parconc_future_cancel(NULL) == PARCONC_EINVAL);
            CHECK(parconc_mutex_timedlock(NULL, 0) == PARCONC_EINVAL);
            CHECK(parconc_sem_post(NULL) == PARCONC_EINVAL);
            break;
        }
    }

    /* tear down: settle promises (a combinator's result may settle by
       itself meanwhile), then wait for everything, release, destroy */
    for (k = 0; k < SLOTS; k++) {
        slot *s = &slots[k];
        if (s->f && s->is_promise && !terminal(parconc_future_state(s->f))) {
            int rc = parconc_future_complete(s->f, NULL);
            CHECK(rc == PARCONC_OK || rc == PARCONC_EBUSY);
        }
    }
    for (k = 0; k < SLOTS; k++) {
        slot *s = &slots[k];
        if (!s->f) continue;
        CHECK(s->is_promise || pool != NULL); /* a task future came from the pool */
        {
            int rc = parconc_future_wait(s->f, PARCONC_FOREVER);
            CHECK(rc == PARCONC_OK || rc == PARCONC_ECANCELED);
            CHECK(terminal(parconc_future_state(s->f)));
        }
        parconc_future_release(s->f);
        s->f = NULL;
    }
    if (pool) {
        parconc_pool_stats st;
        CHECK(parconc_pool_shutdown(pool, PARCONC_SHUTDOWN_DRAIN, PARCONC_FOREVER) == PARCONC_OK);
        CHECK(parconc_pool_stats_get(pool, &st) == PARCONC_OK);
        /* every accepted task ended in exactly one state */
        CHECK(st.submitted == (uint64_t)accepted);
        CHECK(st.completed + st.failed + st.canceled == st.submitted);
        CHECK((uint64_t)__atomic_load_n(&g_ran, __ATOMIC_RELAXED) == st.completed + st.failed);
        parconc_pool_destroy(pool);
    }
    CHECK(__atomic_load_n(&g_cb_fired, __ATOMIC_RELAXED) == cb_registered);
    for (k = 0; k < 2; k++) if (mu_held[k]) CHECK(parconc_mutex_unlock(&mu[k]) == PARCONC_OK);
    while (rd_held--) CHECK(parconc_rwlock_rdunlock(&rw) == PARCONC_OK);
    if (wr_held) CHECK(parconc_rwlock_wrunlock(&rw) == PARCONC_OK);
    CHECK(parconc_mutex_destroy(&mu[0]) == PARCONC_OK);
    CHECK(parconc_rwlock_destroy(&rw) == PARCONC_OK);
    return 0;
}

#ifdef FUZZ_REPLAY
/* Replays the files named on the command line; prints "N passed, 0 failed". */
int main(int argc, char **argv)
{
    int i, n = 0;
    for (i = 1; i < argc; i++) {
        static uint8_t buf[1 << 16];
        size_t len;
        FILE *f = fopen(argv[i], "rb");
        if (!f) { fprintf(stderr, "cannot open %s\n", argv[i]); return 2; }
        len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        n++;
    }
    printf("%d passed, 0 failed\n", n);
    return 0;
}
#endif
