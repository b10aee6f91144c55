/* Foundation: errors, logger, time and timeout convention, threads, CPU count. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "harness.h"
#ifndef _WIN32
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#endif

/* ---- errors ------------------------------------------------------------ */

static void test_strerror_every_code(void)
{
    /* every code has its own non-empty text, distinct from "unknown error" */
    static const int codes[] = {
        PARCONC_OK, PARCONC_EBUSY, PARCONC_ETIMEDOUT, PARCONC_EINVAL, PARCONC_ENOMEM,
        PARCONC_EAGAIN, PARCONC_ECANCELED, PARCONC_EPERM, PARCONC_EDEADLK,
        PARCONC_EOWNERDEAD, PARCONC_ENOTRECOVERABLE, PARCONC_ESHUTDOWN,
        PARCONC_ENODEV, PARCONC_ENOTSUP, PARCONC_ERANGE, PARCONC_EDONE, PARCONC_EDEVICE };
    const char *unknown = parconc_strerror(12345);
    size_t i, j;
    PT_CHECK(unknown != NULL);
    PT_CHECK(strcmp(unknown, "unknown error") == 0);
    PT_CHECK(strcmp(parconc_strerror(1), "unknown error") == 0);
    PT_CHECK(strcmp(parconc_strerror(-17), "unknown error") == 0);
    PT_CHECK(strcmp(parconc_strerror(PARCONC_ETIMEDOUT), "timed out") == 0);
    for (i = 0; i < PT_COUNT(codes); i++) {
        const char *s = parconc_strerror(codes[i]);
        PT_CHECK(s != NULL && s[0] != '\0');
        PT_CHECK(strcmp(s, unknown) != 0);
        for (j = 0; j < i; j++) PT_CHECK(strcmp(s, parconc_strerror(codes[j])) != 0);
    }
    PT_CHECK_EQ(PARCONC_OK, 0);
    PT_CHECK_EQ(parconc__from_errno(EAGAIN), PARCONC_EAGAIN);
    PT_CHECK_EQ(parconc__from_errno(EDEADLK), PARCONC_EDEADLK);
    PT_CHECK_EQ(parconc__from_errno(12345), PARCONC_EINVAL);
}

static void test_version_macros(void)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", PARCONC_VERSION_MAJOR, PARCONC_VERSION_MINOR, PARCONC_VERSION_PATCH);
    PT_CHECK(strcmp(buf, PARCONC_VERSION_STRING) == 0);
}

typedef struct log_capture { int calls, level, code, line; char msg[128]; } log_capture;
static void capture_log(void *user, int level, int code, const char *msg, const char *file, int line)
{
    log_capture *c = (log_capture *)user;
    (void)file;
    c->calls++;
    c->level = level;
    c->code = code;
    c->line = line;
    snprintf(c->msg, sizeof c->msg, "%s", msg);
}

/* Misuse in a default build (assert() enabled, nothing overridden):
   every call returns its documented code and reports it to the logger;
   none aborts. */
static void test_misuse_returns_codes_in_default_build(void)
{
    log_capture cap;
    parconc_logger lg;
    parconc_mutex m = PARCONC_MUTEX_INIT;
    parconc_rmutex rm = PARCONC_RMUTEX_INIT;
    parconc_rwlock rw = PARCONC_RWLOCK_INIT;
    parconc_cond c = PARCONC_COND_INIT;
    parconc_future f;
    memset(&cap, 0, sizeof cap);
    lg.fn = capture_log;
    lg.user_data = &cap;
    parconc_set_logger(&lg);
    PT_EXPECT_EQ(parconc_mutex_unlock(&m), PARCONC_EPERM);
    PT_EXPECT_EQ(cap.calls, 1);
    PT_EXPECT_EQ(cap.level, PARCONC_LOG_ERROR);
    PT_EXPECT_EQ(cap.code, PARCONC_EPERM);
    PT_EXPECT_EQ(parconc_rmutex_unlock(&rm), PARCONC_EPERM);
    PT_EXPECT_EQ(parconc_rwlock_rdunlock(&rw), PARCONC_EPERM);
    PT_EXPECT_EQ(parconc_rwlock_wrunlock(&rw), PARCONC_EPERM);
    PT_EXPECT_EQ(parconc_cond_wait(&c, &m), PARCONC_EPERM);
    PT_EXPECT_EQ(cap.calls, 5);
    PT_EXPECT_EQ(parconc_future_init(&f), PARCONC_OK);
    parconc_future_release(&f);
    parconc_future_release(&f); /* one too many: reported, nothing freed */
    PT_EXPECT_EQ(cap.calls, 6);
    PT_EXPECT_EQ(cap.code, PARCONC_EPERM);
    parconc_set_logger(NULL);
}

static void test_logger_set_and_silent(void)
{
    log_capture cap;
    parconc_logger lg;
    memset(&cap, 0, sizeof cap);
    parconc__log(PARCONC_LOG_ERROR, PARCONC_EINVAL, "dropped", __FILE__, __LINE__); /* silent: no logger */
    lg.fn = capture_log;
    lg.user_data = &cap;
    parconc_set_logger(&lg);
    parconc__log(PARCONC_LOG_WARN, PARCONC_EDEADLK, "hello", __FILE__, 77);
    parconc_set_logger(NULL);
    parconc__log(PARCONC_LOG_WARN, PARCONC_EDEADLK, "after reset", __FILE__, 78);
    PT_CHECK_EQ(cap.calls, 1);
    PT_CHECK_EQ(cap.level, PARCONC_LOG_WARN);
    PT_CHECK_EQ(cap.code, PARCONC_EDEADLK);
    PT_CHECK_EQ(cap.line, 77);
    PT_CHECK(strcmp(cap.msg, "hello") == 0);
}

/* ---- time -------------------------------------------------------------- */

static void test_now_is_monotonic(void)
{
    uint64_t prev = parconc_now_ns();
    int i;
    PT_CHECK(prev > 0);
    for (i = 0; i < 100000; i++) {
        uint64_t t = parconc_now_ns();
        PT_CHECK(t >= prev);
        prev = t;
    }
}

static void test_sleep_never_early(void)
{
    static const int64_t waits[] = { 1, 1000, 100000, 2000000, 20000000 };
    size_t i;
    for (i = 0; i < PT_COUNT(waits); i++) {
        uint64_t t0 = parconc_now_ns(), dt;
        parconc_sleep_ns(waits[i]);
        dt = parconc_now_ns() - t0;
        PT_CHECK((int64_t)dt >= waits[i]);
        PT_CHECK(dt < (uint64_t)waits[i] + 2000000000u); /* generous lateness bound */
    }
}

static void test_sleep_zero_and_negative_return_at_once(void)
{
    uint64_t t0 = parconc_now_ns();
    parconc_sleep_ns(0);
    parconc_sleep_ns(-1);
    parconc_sleep_ns(INT64_MIN);
    PT_CHECK(parconc_now_ns() - t0 < 1000000000u);
}

static void test_deadline_convention(void)
{
    uint64_t now = parconc_now_ns(), d;
    PT_CHECK_EQ(parconc__deadline(0), PARCONC__DEADLINE_NOW);
    PT_CHECK_EQ(parconc__deadline(-1), PARCONC__DEADLINE_NOW);
    PT_CHECK_EQ(parconc__deadline(INT64_MIN), PARCONC__DEADLINE_NOW);
    PT_CHECK(parconc__deadline(PARCONC_FOREVER) == PARCONC__DEADLINE_NEVER);
    d = parconc__deadline(PARCONC_FOREVER - 1); /* far, but not forever, and no wrap-around */
    PT_CHECK(d != PARCONC__DEADLINE_NEVER && d >= now + (uint64_t)(PARCONC_FOREVER - 1));
    d = parconc__deadline(5000000000LL);
    PT_CHECK(d >= now + 5000000000ull);
    PT_CHECK(d < now + 5000000000ull + 1000000000ull);
    PT_CHECK_EQ(parconc__deadline_left(PARCONC__DEADLINE_NOW), 0);
    PT_CHECK(parconc__deadline_left(PARCONC__DEADLINE_NEVER) == PARCONC__DEADLINE_NEVER);
    PT_CHECK(parconc__deadline_left(d) <= 5000000000ull);
    PT_CHECK(parconc__deadline_left(d) > 3000000000ull);
}

/* futex wait: times out never early, returns at once when the value differs,
   and wakes when another thread changes the word. */
static uint32_t futex_word;
static void *futex_waker(void *arg)
{
    (void)arg;
    parconc_sleep_ns(20000000);
    parconc__store(&futex_word, 1u, PARCONC__RELEASE);
    parconc__futex_wake(&futex_word, 1);
    return NULL;
}

static void test_futex_wait_wake_timeout(void)
{
    uint64_t t0, dt, deadline;
    parconc_thread t;
    int rc;
    futex_word = 0;
    /* timeout: never early */
    t0 = parconc_now_ns();
    deadline = t0 + 10000000u;
    do rc = parconc__futex_wait(&futex_word, 0, deadline); while (rc == PARCONC_OK && parconc_now_ns() < deadline);
    dt = parconc_now_ns() - t0;
    PT_CHECK(dt >= 10000000u);
    /* value differs: no wait */
    t0 = parconc_now_ns();
    rc = parconc__futex_wait(&futex_word, 7, parconc__deadline(5000000000LL));
    PT_CHECK_EQ(rc, PARCONC_OK);
    PT_CHECK(parconc_now_ns() - t0 < 1000000000u);
    /* wake from another thread */
    PT_CHECK_EQ(parconc_thread_create(&t, futex_waker, NULL, NULL), PARCONC_OK);
    while (parconc__load(&futex_word, PARCONC__ACQUIRE) == 0)
        PT_EXPECT(parconc__futex_wait(&futex_word, 0, parconc__deadline(10000000000LL)) == PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
    PT_CHECK_EQ(futex_word, 1);
}

/* ---- threads ----------------------------------------------------------- */

static void *return_arg_plus_one(void *arg)
{
    return (void *)((uintptr_t)arg + 1);
}

static void test_thread_create_join_result(void)
{
    parconc_thread t[8];
    uintptr_t i;
    for (i = 0; i < 8; i++) PT_CHECK_EQ(parconc_thread_create(&t[i], return_arg_plus_one, (void *)(i * 10), NULL), PARCONC_OK);
    for (i = 0; i < 8; i++) {
        void *r = NULL;
        PT_CHECK_EQ(parconc_thread_join(t[i], &r), PARCONC_OK);
        PT_CHECK_EQ((uintptr_t)r, i * 10 + 1);
    }
    /* result pointer may be NULL */
    PT_CHECK_EQ(parconc_thread_create(&t[0], return_arg_plus_one, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t[0], NULL), PARCONC_OK);
}

/* The calling thread's name as the platform keeps it ("" if it has none). */
static void own_thread_name(char *out, size_t cap)
{
#ifdef _WIN32
    typedef HRESULT(WINAPI * get_fn)(HANDLE, PWSTR *);
    FARPROC f = GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "GetThreadDescription");
    PWSTR w = NULL;
    get_fn get;
    size_t i = 0;
    out[0] = '\0';
    if (!f) return;
    memcpy(&get, &f, sizeof get);
    if (SUCCEEDED(get(GetCurrentThread(), &w)) && w) {
        for (; w[i] && i + 1 < cap; i++) out[i] = (char)w[i];
        out[i] = '\0';
        LocalFree(w);
    }
#else
    pthread_getname_np(pthread_self(), out, cap);
#endif
}

static char seen_name[40];
static void *read_own_name(void *arg)
{
    (void)arg;
    own_thread_name(seen_name, sizeof seen_name);
    return NULL;
}

static void test_thread_opts_name_and_stack(void)
{
    parconc_thread t;
    parconc_thread_opts o;
    char own[40] = "";
    own_thread_name(own, sizeof own); /* what a new thread inherits */
    memset(&o, 0, sizeof o);
    o.name = "parconc-worker-with-a-long-name";
    o.stack_size = 256 * 1024;
    PT_CHECK_EQ(parconc_thread_create(&t, read_own_name, NULL, &o), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
    /* the thread may read its name before the creator set it: either the
       inherited process name or the given one (Linux keeps 15 bytes of
       it), never garbage */
    PT_CHECK(strcmp(seen_name, "parconc-worker-") == 0 || strcmp(seen_name, "parconc-worker-with-a-long-name") == 0 ||
             strcmp(seen_name, own) == 0);
    /* odd stack size is rounded up to pages, not refused */
    o.name = NULL;
    o.stack_size = PARCONC_THREAD_STACK_MIN + 1;
    PT_CHECK_EQ(parconc_thread_create(&t, return_arg_plus_one, NULL, &o), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
}

/* A named thread keeps its name: checked after the creator returned. */
static volatile int name_gate;
static void *wait_then_read_name(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&name_gate, __ATOMIC_ACQUIRE)) parconc_sleep_ns(100000);
    own_thread_name(seen_name, sizeof seen_name);
    return NULL;
}

static void test_thread_name_visible(void)
{
    parconc_thread t;
    parconc_thread_opts o;
    memset(&o, 0, sizeof o);
    o.name = "pc-named";
    __atomic_store_n(&name_gate, 0, __ATOMIC_RELAXED);
    PT_CHECK_EQ(parconc_thread_create(&t, wait_then_read_name, NULL, &o), PARCONC_OK);
    __atomic_store_n(&name_gate, 1, __ATOMIC_RELEASE);
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_OK);
    PT_CHECK(strcmp(seen_name, "pc-named") == 0);
}

static int detached_done;
static void *mark_done(void *arg)
{
    (void)arg;
    parconc__store(&detached_done, 1, PARCONC__RELEASE);
    return NULL;
}

static void test_thread_detached(void)
{
    parconc_thread t, t2;
    parconc_thread_opts o;
    uint64_t deadline = parconc__deadline(10000000000LL);
    memset(&o, 0, sizeof o);
    o.detached = 1;
    o.name = "pc-detached";
    detached_done = 0;
    PT_CHECK_EQ(parconc_thread_create(&t, mark_done, NULL, &o), PARCONC_OK);
    /* a detached handle cannot be joined or detached again */
    PT_CHECK_EQ(parconc_thread_join(t, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_thread_detach(t), PARCONC_EINVAL);
    while (!parconc__load(&detached_done, PARCONC__ACQUIRE) && parconc_now_ns() < deadline) parconc_sleep_ns(100000);
    PT_CHECK_EQ(detached_done, 1);
    /* detach after create */
    detached_done = 0;
    PT_CHECK_EQ(parconc_thread_create(&t2, mark_done, NULL, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_thread_detach(t2), PARCONC_OK);
    deadline = parconc__deadline(10000000000LL);
    while (!parconc__load(&detached_done, PARCONC__ACQUIRE) && parconc_now_ns() < deadline) parconc_sleep_ns(100000);
    PT_CHECK_EQ(detached_done, 1);
    parconc_sleep_ns(2000000); /* let it finish exiting before the sanitizers look */
}

static parconc_thread self_handle;
static int self_join_rc;
static void *join_self(void *arg)
{
    (void)arg;
    /* the creator filled self_handle before releasing us through the gate */
    while (!__atomic_load_n(&name_gate, __ATOMIC_ACQUIRE)) parconc_sleep_ns(100000);
    self_join_rc = parconc_thread_join(self_handle, NULL);
    return NULL;
}

static void test_thread_bad_input(void)
{
    parconc_thread t, zero;
    parconc_thread_opts o;
    memset(&zero, 0, sizeof zero);
    memset(&o, 0, sizeof o);
    PT_CHECK_EQ(parconc_thread_create(NULL, return_arg_plus_one, NULL, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_thread_create(&t, NULL, NULL, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(t.flags_, 0); /* zeroed on failure */
    o.stack_size = 1;
    PT_CHECK_EQ(parconc_thread_create(&t, return_arg_plus_one, NULL, &o), PARCONC_EINVAL);
    o.stack_size = PARCONC_THREAD_STACK_MIN - 1;
    PT_CHECK_EQ(parconc_thread_create(&t, return_arg_plus_one, NULL, &o), PARCONC_EINVAL);
    o.stack_size = PARCONC_THREAD_STACK_MAX + 1;
    PT_CHECK_EQ(parconc_thread_create(&t, return_arg_plus_one, NULL, &o), PARCONC_EINVAL);
    o.stack_size = (size_t)-1;
    PT_CHECK_EQ(parconc_thread_create(&t, return_arg_plus_one, NULL, &o), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_thread_join(zero, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_thread_detach(zero), PARCONC_EINVAL);
    /* a thread joining itself gets EDEADLK instead of hanging */
    __atomic_store_n(&name_gate, 0, __ATOMIC_RELAXED);
    PT_CHECK_EQ(parconc_thread_create(&self_handle, join_self, NULL, NULL), PARCONC_OK);
    __atomic_store_n(&name_gate, 1, __ATOMIC_RELEASE);
    PT_CHECK_EQ(parconc_thread_join(self_handle, NULL), PARCONC_OK);
    PT_CHECK_EQ(self_join_rc, PARCONC_EDEADLK);
}

/* ---- CPU count --------------------------------------------------------- */

static void test_cpu_max_parsing(void)
{
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("max 100000\n"), 0);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("max"), 0);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("100000 100000\n"), 1);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("150000 100000\n"), 2); /* 1.5 rounds up */
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("50000 100000"), 1);    /* 0.5 rounds up */
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("1000 100000"), 1);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("400000 100000"), 4);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("400001 100000"), 5);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("300000 50000"), 6);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("200000"), 2);          /* period defaults to 100 ms */
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("18446744073709551615 1"), INT_MAX); /* huge: clamp */
    /* malformed */
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max(""), -1);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("abc 100000"), -1);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("100000 0"), -1);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("0 100000"), -1);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("100000 100000 junk"), -1);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max("99999999999999999999999 100000"), -1);
    PT_CHECK_EQ(parconc__cpu_quota_from_cpu_max(NULL), -1);
    /* cgroup v1 */
    PT_CHECK_EQ(parconc__cpu_quota_from_cfs("-1\n", "100000\n"), 0);
    PT_CHECK_EQ(parconc__cpu_quota_from_cfs("250000\n", "100000\n"), 3);
    PT_CHECK_EQ(parconc__cpu_quota_from_cfs("x\n", "100000\n"), -1);
}

static void test_cgroup_path_parsing(void)
{
    char out[64];
    PT_CHECK(parconc__cgroup_path("0::/user.slice/app.scope\n", 1, out, sizeof out));
    PT_CHECK(strcmp(out, "/user.slice/app.scope") == 0);
    PT_CHECK(parconc__cgroup_path("12:cpu,cpuacct:/docker/abc\n0::/\n", 1, out, sizeof out));
    PT_CHECK(strcmp(out, "/") == 0);
    PT_CHECK(parconc__cgroup_path("12:cpu,cpuacct:/docker/abc\n0::/\n", 0, out, sizeof out));
    PT_CHECK(strcmp(out, "/docker/abc") == 0);
    PT_CHECK(parconc__cgroup_path("3:cpuset:/a\n2:cpuacct:/b\n1:cpu:/c\n", 0, out, sizeof out));
    PT_CHECK(strcmp(out, "/c") == 0); /* "cpuset" and "cpuacct" are not "cpu" */
    PT_CHECK(!parconc__cgroup_path("3:cpuset:/a\n", 0, out, sizeof out));
    PT_CHECK(!parconc__cgroup_path("3:cpuset:/a\n", 1, out, sizeof out));
    PT_CHECK(!parconc__cgroup_path("", 1, out, sizeof out));
    PT_CHECK(!parconc__cgroup_path("0::/a-path-longer-than-the-output-buffer-of-eight\n", 1, out, 8));
}

static void test_cpu_count_combine(void)
{
    PT_CHECK_EQ(parconc__cpu_count_combine(8, 0), 8);  /* no quota */
    PT_CHECK_EQ(parconc__cpu_count_combine(8, 2), 2);  /* quota caps */
    PT_CHECK_EQ(parconc__cpu_count_combine(2, 8), 2);  /* affinity caps */
    PT_CHECK_EQ(parconc__cpu_count_combine(4, -1), 4); /* unreadable quota ignored */
    PT_CHECK_EQ(parconc__cpu_count_combine(0, 0), 1);  /* never below 1 */
    /* a Windows job object's CPU rate cap (1/100 % of the machine) */
    PT_CHECK_EQ(parconc__cpu_quota_from_rate(16, 0), 0);      /* no cap */
    PT_CHECK_EQ(parconc__cpu_quota_from_rate(16, 10000), 0);  /* the whole machine */
    PT_CHECK_EQ(parconc__cpu_quota_from_rate(16, 2500), 4);   /* a quarter of 16 */
    PT_CHECK_EQ(parconc__cpu_quota_from_rate(16, 2501), 5);   /* rounded up */
    PT_CHECK_EQ(parconc__cpu_quota_from_rate(16, 1), 1);      /* never 0 */
    PT_CHECK_EQ(parconc__cpu_quota_from_rate(0, 5000), 1);
    PT_CHECK_EQ(parconc__cpu_count_combine(-3, 0), 1);
}

static void test_cpu_count_matches_affinity(void)
{
#ifdef _WIN32
    /* the process affinity mask, and a one-CPU mask seen at once */
    DWORD_PTR mine = 0, all = 0, m, one;
    int n = parconc_cpu_count(), aff = 0;
    PT_CHECK(GetProcessAffinityMask(GetCurrentProcess(), &mine, &all));
    for (m = mine; m; m &= m - 1) aff++;
    PT_CHECK(n >= 1 && n <= aff);
    one = mine & (~mine + 1); /* the lowest CPU of ours */
    PT_CHECK(SetProcessAffinityMask(GetCurrentProcess(), one));
    PT_EXPECT_EQ(parconc_cpu_count(), 1);
    PT_CHECK(SetProcessAffinityMask(GetCurrentProcess(), mine));
    PT_EXPECT_EQ(parconc_cpu_count(), n);
#else
    cpu_set_t set;
    int n = parconc_cpu_count(), aff;
#endif
#if defined(_WIN32)
#elif defined(PARCONC_PORT_CUSTOM)
    (void)set; (void)aff;
    PT_CHECK_EQ(n, (int)sysconf(_SC_NPROCESSORS_ONLN)); /* the port's answer */
    PT_SKIP("a custom port supplies the CPU count");
#else
    PT_CHECK(n >= 1);
    CPU_ZERO(&set);
    PT_CHECK_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    aff = CPU_COUNT(&set);
    PT_CHECK(n <= aff);
    PT_CHECK_EQ(parconc__affinity_cpus(), aff);
    /* restricting the affinity mask to one CPU is seen at once */
    {
        cpu_set_t one;
        int cpu;
        for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++) {}
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        PT_CHECK_EQ(sched_setaffinity(0, sizeof one, &one), 0);
        PT_EXPECT(parconc_cpu_count() == 1);
        PT_CHECK_EQ(sched_setaffinity(0, sizeof set, &set), 0);
    }
#endif
}

/* The one-writer 64-bit value (a sequence lock with PARCONC_SEQLOCK64, as
   in the "port" build and on 32-bit targets) is never read torn: the writer
   stores values whose two halves are equal. */
static parconc__u64 g_u64;
static uint32_t g_u64_stop;
static void *u64_writer(void *arg)
{
    uint32_t k = 0;
    (void)arg;
    while (!parconc__load(&g_u64_stop, PARCONC__ACQUIRE)) {
        k++;
        parconc__u64_set(&g_u64, ((uint64_t)k << 32) | k);
    }
    return (void *)(uintptr_t)k;
}

static void test_u64_one_writer_never_torn(void)
{
    parconc_thread w;
    void *writes = NULL;
    long torn = 0, reads = 0;
    uint64_t last = 0, start = parconc_now_ns();
    int backwards = 0;
    PT_CHECK_EQ(parconc__u64_get(&g_u64), 0);
    PT_CHECK_EQ(parconc_thread_create(&w, u64_writer, NULL, NULL), PARCONC_OK);
    while (parconc_now_ns() - start < 200000000u) {
        uint64_t v = parconc__u64_get(&g_u64);
        if ((uint32_t)v != (uint32_t)(v >> 32)) torn++;
        if (v < last) backwards = 1;
        last = v;
        reads++;
    }
    parconc__store(&g_u64_stop, 1u, PARCONC__RELEASE);
    PT_CHECK_EQ(parconc_thread_join(w, &writes), PARCONC_OK);
    PT_CHECK_EQ(torn, 0);
    PT_CHECK_EQ(backwards, 0);
    PT_CHECK(reads > 1000);
    PT_CHECK_EQ(parconc__u64_get(&g_u64), ((uint64_t)(uintptr_t)writes << 32) | (uint32_t)(uintptr_t)writes);
    parconc__u64_set(&g_u64, UINT64_MAX);
    PT_CHECK(parconc__u64_get(&g_u64) == UINT64_MAX);
}

int main(int argc, char **argv)
{
    static const pt_test tests[] = {
        PT_TEST(test_strerror_every_code),
        PT_TEST(test_version_macros),
        PT_TEST(test_logger_set_and_silent),
        PT_TEST(test_now_is_monotonic),
        PT_TEST(test_sleep_never_early),
        PT_TEST(test_sleep_zero_and_negative_return_at_once),
        PT_TEST(test_deadline_convention),
        PT_TEST(test_futex_wait_wake_timeout),
        PT_TEST(test_thread_create_join_result),
        PT_TEST(test_thread_opts_name_and_stack),
        PT_TEST(test_thread_name_visible),
        PT_TEST(test_thread_detached),
        PT_TEST(test_thread_bad_input),
        PT_TEST(test_cpu_max_parsing),
        PT_TEST(test_cgroup_path_parsing),
        PT_TEST(test_cpu_count_combine),
        PT_TEST(test_cpu_count_matches_affinity),
        PT_TEST(test_u64_one_writer_never_torn),
        PT_TEST(test_misuse_returns_codes_in_default_build),
    };
    return pt_main(tests, PT_COUNT(tests), argc, argv);
}
