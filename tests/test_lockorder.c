/* PARCONC_DEBUG_LOCKS: the lock-order validator.  The
   inversions below never actually deadlock (the two orders run in turn),
   yet the second order is refused with EDEADLK and both sites are logged. */
#define PARCONC_DEBUG_LOCKS
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "harness.h"

static int log_calls, log_code;
static char log_msg[1024];
static void capture(void *user, int level, int code, const char *msg, const char *file, int line)
{
    (void)user; (void)level; (void)file; (void)line;
    log_calls++;
    log_code = code;
    snprintf(log_msg, sizeof log_msg, "%s", msg);
}

static void reset(void)
{
    parconc_logger lg;
    lg.fn = capture;
    lg.user_data = NULL;
    parconc_set_logger(&lg);
    parconc_debug_reset();
    log_calls = 0;
    log_msg[0] = '\0';
}

static parconc_mutex A = PARCONC_MUTEX_INIT, B = PARCONC_MUTEX_INIT, C = PARCONC_MUTEX_INIT;
static int line_a_first, line_b_second;

static void *a_then_b(void *arg)
{
    (void)arg;
    line_a_first = __LINE__; PT_EXPECT(parconc_mutex_lock(&A) == PARCONC_OK);
    line_b_second = __LINE__; PT_EXPECT(parconc_mutex_lock(&B) == PARCONC_OK);
    parconc_mutex_unlock(&B);
    parconc_mutex_unlock(&A);
    return NULL;
}

static int inverted_rc, line_b_first, line_a_second;
static void *b_then_a(void *arg)
{
    (void)arg;
    line_b_first = __LINE__; PT_EXPECT(parconc_mutex_lock(&B) == PARCONC_OK);
    line_a_second = __LINE__; inverted_rc = parconc_mutex_lock(&A);
    if (inverted_rc == PARCONC_OK) parconc_mutex_unlock(&A);
    parconc_mutex_unlock(&B);
    return NULL;
}

static int contains_site(const char *msg, int line)
{
    char site[64];
    snprintf(site, sizeof site, "test_lockorder.c:%d", line);
    return strstr(msg, site) != NULL;
}

static void test_inversion_across_threads_reported(void)
{
    parconc_thread t;
    reset();
    PT_CHECK_EQ(parconc_thread_create(&t, a_then_b, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
    PT_CHECK_EQ(log_calls, 0);
    PT_CHECK_EQ(parconc_thread_create(&t, b_then_a, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
    PT_CHECK_EQ(inverted_rc, PARCONC_EDEADLK);
    PT_CHECK_EQ(log_calls, 1);
    PT_CHECK_EQ(log_code, PARCONC_EDEADLK);
    /* all four sites: this acquisition, the held lock, and the recorded opposite order */
    PT_CHECK(contains_site(log_msg, line_a_second));
    PT_CHECK(contains_site(log_msg, line_b_first));
    PT_CHECK(contains_site(log_msg, line_a_first));
    PT_CHECK(contains_site(log_msg, line_b_second));
    PT_CHECK_EQ(A.state_ | B.state_, 0);
    /* the same order as before is still fine */
    PT_CHECK_EQ(parconc_thread_create(&t, a_then_b, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
    PT_CHECK_EQ(log_calls, 1);
}

static void test_three_lock_cycle(void)
{
    reset();
    PT_CHECK_EQ(parconc_mutex_lock(&A), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&B), PARCONC_OK);
    parconc_mutex_unlock(&B);
    parconc_mutex_unlock(&A);
    PT_CHECK_EQ(parconc_mutex_lock(&B), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&C), PARCONC_OK);
    parconc_mutex_unlock(&C);
    parconc_mutex_unlock(&B);
    PT_CHECK_EQ(parconc_mutex_lock(&C), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&A), PARCONC_EDEADLK); /* C -> A closes A -> B -> C */
    PT_CHECK_EQ(log_calls, 1);
    PT_CHECK(strstr(log_msg, "via other locks") != NULL);
    parconc_mutex_unlock(&C);
}

static void test_self_relock_reported_not_hung(void)
{
    reset();
    PT_CHECK_EQ(parconc_mutex_lock(&A), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&A), PARCONC_EDEADLK);
    PT_CHECK_EQ(parconc_mutex_timedlock(&A, 1000000), PARCONC_EDEADLK);
    PT_CHECK_EQ(parconc_mutex_trylock(&A), PARCONC_EBUSY); /* a try cannot deadlock */
    PT_CHECK_EQ(log_calls, 2);
    PT_CHECK(strstr(log_msg, "re-locking") != NULL);
    parconc_mutex_unlock(&A);
}

static void test_no_false_positives(void)
{
    parconc_rmutex r = PARCONC_RMUTEX_INIT;
    parconc_mutex *ab[2] = { &A, &B }, *ba[2] = { &B, &A };
    parconc_rwlock rw;
    reset();
    /* recursion of a reentrant mutex */
    PT_CHECK_EQ(parconc_rmutex_lock(&r), PARCONC_OK);
    PT_CHECK_EQ(parconc_rmutex_lock(&r), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&A), PARCONC_OK);
    parconc_mutex_unlock(&A);
    parconc_rmutex_unlock(&r);
    parconc_rmutex_unlock(&r);
    /* lock_many in both orders: one set, no order among its members */
    PT_CHECK_EQ(parconc_lock_many(ab, 2, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_unlock_many(ab, 2), PARCONC_OK);
    PT_CHECK_EQ(parconc_lock_many(ba, 2, PARCONC_FOREVER), PARCONC_OK);
    PT_CHECK_EQ(parconc_unlock_many(ba, 2), PARCONC_OK);
    /* trylock in the opposite order is not a deadlock */
    PT_CHECK_EQ(parconc_mutex_lock(&A), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&B), PARCONC_OK);
    parconc_mutex_unlock(&B);
    parconc_mutex_unlock(&A);
    PT_CHECK_EQ(parconc_mutex_lock(&B), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_trylock(&A), PARCONC_OK);
    parconc_mutex_unlock(&A);
    parconc_mutex_unlock(&B);
    /* recursive read under PREFER_READERS is safe */
    parconc_rwlock_init(&rw, PARCONC_RW_PREFER_READERS);
    PT_CHECK_EQ(parconc_rwlock_rdlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_rdlock(&rw), PARCONC_OK);
    parconc_rwlock_rdunlock(&rw);
    parconc_rwlock_rdunlock(&rw);
    PT_CHECK_EQ(log_calls, 0);
    /* ... but under FAIR a recursive read can deadlock: reported */
    parconc_rwlock_init(&rw, PARCONC_RW_FAIR);
    PT_CHECK_EQ(parconc_rwlock_rdlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_rdlock(&rw), PARCONC_EDEADLK);
    parconc_rwlock_rdunlock(&rw);
    PT_CHECK_EQ(log_calls, 1);
}

static void test_mixed_kinds_and_destroy_forgets(void)
{
    parconc_rwlock rw = PARCONC_RWLOCK_INIT;
    parconc_mutex m;
    reset();
    parconc_mutex_init(&m);
    PT_CHECK_EQ(parconc_rwlock_wrlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&m), PARCONC_OK);
    parconc_mutex_unlock(&m);
    parconc_rwlock_wrunlock(&rw);
    PT_CHECK_EQ(parconc_mutex_lock(&m), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_rdlock(&rw), PARCONC_EDEADLK);
    parconc_mutex_unlock(&m);
    PT_CHECK_EQ(log_calls, 1);
    /* a destroyed lock's orders are forgotten (its address may be reused) */
    PT_CHECK_EQ(parconc_mutex_destroy(&m), PARCONC_OK);
    parconc_mutex_init(&m);
    PT_CHECK_EQ(parconc_mutex_lock(&m), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_rdlock(&rw), PARCONC_OK);
    parconc_rwlock_rdunlock(&rw);
    parconc_mutex_unlock(&m);
    PT_CHECK_EQ(log_calls, 1);
    parconc_set_logger(NULL);
}

/* A reader-preferring rwlock held for writing, then read-locked by the
   same thread: a certain self-deadlock, refused (a read of a lock held
   for reading may nest there, a read of one held for writing may not). */
static void test_read_after_write_refused(void)
{
    parconc_rwlock rw;
    reset();
    parconc_rwlock_init(&rw, PARCONC_RW_PREFER_READERS);
    PT_CHECK_EQ(parconc_rwlock_wrlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_rdlock(&rw), PARCONC_EDEADLK);
    PT_CHECK_EQ(parconc_rwlock_timedrdlock(&rw, 1000000), PARCONC_EDEADLK);
    PT_CHECK_EQ(parconc_rwlock_wrunlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(log_calls, 2);
    PT_CHECK(strstr(log_msg, "re-locking") != NULL);
    /* read then read still nests */
    PT_CHECK_EQ(parconc_rwlock_rdlock(&rw), PARCONC_OK);
    PT_CHECK_EQ(parconc_rwlock_rdlock(&rw), PARCONC_OK);
    parconc_rwlock_rdunlock(&rw);
    parconc_rwlock_rdunlock(&rw);
    PT_CHECK_EQ(log_calls, 2);
    parconc_set_logger(NULL);
}

/* Re-initialising a lock this thread still records as held (after a
   destroy that failed with EBUSY) starts a new lock: no stale hold. */
static void test_reinit_forgets_hold(void)
{
    parconc_mutex m = PARCONC_MUTEX_INIT;
    reset();
    PT_CHECK_EQ(parconc_mutex_lock(&m), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_destroy(&m), PARCONC_EBUSY);
    PT_CHECK_EQ(parconc_mutex_init(&m), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&m), PARCONC_OK); /* not a re-lock */
    PT_CHECK_EQ(parconc_mutex_unlock(&m), PARCONC_OK);
    PT_CHECK_EQ(log_calls, 0);
    parconc_set_logger(NULL);
}

/* 200 mutexes held at once: past the validator's table a warning says
   the extra holds go unchecked, and re-locking a tracked one is still
   refused. */
static void test_many_held(void)
{
    static parconc_mutex many[200];
    int i;
#if defined(__SANITIZE_THREAD__)
    PT_SKIP("ThreadSanitizer itself tracks at most 64 held locks");
#endif
    reset();
    for (i = 0; i < 200; i++) parconc_mutex_init(&many[i]);
    for (i = 0; i < 200; i++) PT_CHECK_EQ(parconc_mutex_lock(&many[i]), PARCONC_OK);
    /* two warnings, once each: the order graph is full (200 locks in a row
       make ~20 000 orders), then the table of held locks */
    PT_CHECK_EQ(log_calls, 2);
    PT_CHECK_EQ(log_code, PARCONC_ENOMEM);
    PT_CHECK(strstr(log_msg, "more locks than the validator tracks") != NULL);
    PT_CHECK_EQ(parconc_mutex_lock(&many[5]), PARCONC_EDEADLK);
    for (i = 199; i >= 0; i--) PT_CHECK_EQ(parconc_mutex_unlock(&many[i]), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&many[0]), PARCONC_OK);
    PT_CHECK_EQ(parconc_mutex_lock(&many[0]), PARCONC_EDEADLK);
    PT_CHECK_EQ(parconc_mutex_unlock(&many[0]), PARCONC_OK);
    parconc_set_logger(NULL);
}

/* A fork while another thread is inside the validator (its lock held):
   the child has no such thread, so parconc_after_fork_child must free the
   validator's lock, or the child's first lock call would wait forever.
   The held lock is simulated by setting it; the child reports by exit
   status, and a hung child is killed after 10 s. */
#if !defined(_WIN32) && !defined(PARCONC_PORT_CUSTOM) && !defined(__SANITIZE_THREAD__)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void test_fork_frees_validator_lock(void)
{
    pid_t pid;
    int st = 0, waited = 0;
    parconc__store(&parconc__dbg_mutex, 1u, PARCONC__RELAXED); /* "another thread is inside" */
    pid = fork();
    if (pid == 0) {
        parconc_mutex m = PARCONC_MUTEX_INIT;
        parconc_after_fork_child(); /* what pthread_atfork runs once a pool exists */
        if (parconc_mutex_lock(&m) != PARCONC_OK) _exit(2);
        parconc_mutex_unlock(&m);
        _exit(0);
    }
    parconc__store(&parconc__dbg_mutex, 0u, PARCONC__RELEASE);
    PT_CHECK(pid > 0);
    while (waitpid(pid, &st, WNOHANG) == 0 && waited < 1000) {
        parconc_sleep_ns(10000000);
        waited++;
    }
    if (waited >= 1000) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        PT_CHECK(!"the child hung on the validator's lock");
    }
    PT_EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
#else
static void test_fork_frees_validator_lock(void) { PT_SKIP("no fork here (or under ThreadSanitizer)"); }
#endif

int main(int argc, char **argv)
{
    static const pt_test tests[] = {
        PT_TEST(test_inversion_across_threads_reported),
        PT_TEST(test_three_lock_cycle),
        PT_TEST(test_self_relock_reported_not_hung),
        PT_TEST(test_no_false_positives),
        PT_TEST(test_mixed_kinds_and_destroy_forgets),
        PT_TEST(test_read_after_write_refused),
        PT_TEST(test_reinit_forgets_hold),
        PT_TEST(test_many_held),
        PT_TEST(test_fork_frees_validator_lock),
    };
    return pt_main(tests, PT_COUNT(tests), argc, argv);
}
