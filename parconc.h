/* parconc.h - single-header concurrency toolkit for C99 / C++          v0.1.0

   Threads, locks, futures, thread pools and work division in one file, with
   libc and pthreads as the only dependencies.  stb-style: the header holds
   both the declarations and the implementation.

   HOW TO INCLUDE
   --------------
   In exactly ONE C or C++ file, before any other #include:

       #define PARCONC_IMPLEMENTATION
       #include "parconc.h"

   Everywhere else just #include "parconc.h".  Link with -pthread.
   (The implementation defines _GNU_SOURCE for itself; if other system
   headers come first in that file, build it with -D_GNU_SOURCE.)

   OPTIONS (define before including the implementation)
   ------------------------------------------------------
   PARCONC_STATIC          every public function is `static` (private to the
                           file); two files may then each hold a copy.
   PARCONC_ASSERT(x)       assertion used for programming errors (default:
                           assert() from <assert.h>; define empty to drop).
   PARCONC_MALLOC(sz)      heap allocation, with PARCONC_FREE(p); define both
   PARCONC_FREE(p)         or neither (half a pair is an #error).
   PARCONC_NO_MALLOC       no reference to any heap function at all: every
                           object lives in caller-provided memory.
   PARCONC_NO_STDIO        no stdio anywhere (diagnostics go to the logger).
   PARCONC_CACHELINE       cache line size used for padding (default 64).
   PARCONC_DEBUG_LOCKS     lock-order validator (reports EDEADLK).
   PARCONC_NO_FUTEX        use the portable parking table instead of the
                           Linux futex even on Linux (testing, odd kernels).

   CONVENTIONS
   -----------
   * Functions that can fail return int: PARCONC_OK (0) or a negative
     PARCONC_E* code; parconc_strerror() describes any code.
   * Bad input (NULL pointers, impossible sizes) returns PARCONC_EINVAL and
     never crashes.
   * TIMEOUTS are relative int64_t nanoseconds on CLOCK_MONOTONIC:
         PARCONC_FOREVER (INT64_MAX)  wait without limit;
         > 0                          wait at most that long, never less;
         0 or negative                try once, never wait (an expired
                                      deadline never turns into "forever").
     Every timed operation tries at least once, even with a 0 timeout.
   * Zero-initialised description/option structs mean "defaults".
   * Silent by default: diagnostics go to the logger set with
     parconc_set_logger(), and nowhere if none is set.

   SHORT REFERENCE
   ---------------
   Errors   parconc_strerror(code)          static text for any code
   Logging  parconc_set_logger(&logger)     set before starting threads
   Time     parconc_now_ns()                monotonic clock, ns
            parconc_sleep_ns(ns)            sleeps at least ns (<= 0: no-op)
   Threads  parconc_thread_create(&t, fn, arg, &opts_or_NULL)
            parconc_thread_join(t, &result) waits, collects fn's return value
            parconc_thread_detach(t)        the thread cleans up after itself
            parconc_thread_yield()
            parconc_cpu_count()             CPUs this process may really use

   REVISION HISTORY
   ----------------
   0.1.0  (2026-11-22) foundation: errors, logger, time, threads, cpu count,
                       platform layer (atomics, futex / parking table).

   LICENSE: MIT or public domain, your choice; see the end of the file.
*/

/* The implementation needs GNU extensions (pthread_setname_np, syscall). This
   must be defined before the first system header, hence here, at the very top. */
#if defined(PARCONC_IMPLEMENTATION) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1
#endif

#ifndef PARCONC_H_INCLUDED
#define PARCONC_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define PARCONC_VERSION_MAJOR 0
#define PARCONC_VERSION_MINOR 1
#define PARCONC_VERSION_PATCH 0
#define PARCONC_VERSION_STRING "0.1.0"

#ifndef PARCONC_API
#  ifdef PARCONC_STATIC
#    if defined(__GNUC__) || defined(__clang__)
#      define PARCONC_API static __attribute__((unused))
#    else
#      define PARCONC_API static
#    endif
#  else
#    define PARCONC_API extern
#  endif
#endif

#ifndef PARCONC_CACHELINE
#define PARCONC_CACHELINE 64
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* Errors                                                                */
/* ===================================================================== */

/* Every fallible function returns one of these. */
typedef enum parconc_result {
    PARCONC_OK              =   0,
    PARCONC_EBUSY           =  -1, /* resource held, try variant did not wait */
    PARCONC_ETIMEDOUT       =  -2, /* the timeout passed                      */
    PARCONC_EINVAL          =  -3, /* bad argument                            */
    PARCONC_ENOMEM          =  -4, /* out of memory                           */
    PARCONC_EAGAIN          =  -5, /* temporarily out of a resource (threads, queue slots) */
    PARCONC_ECANCELED       =  -6, /* the operation or task was canceled      */
    PARCONC_EPERM           =  -7, /* caller does not own the object          */
    PARCONC_EDEADLK         =  -8, /* would deadlock (lock order, self-join)  */
    PARCONC_EOWNERDEAD      =  -9, /* previous owner died holding the lock    */
    PARCONC_ENOTRECOVERABLE = -10, /* abandoned lock was never made consistent */
    PARCONC_ESHUTDOWN       = -11, /* the object is shut down                 */
    PARCONC_ENODEV          = -12, /* no such device / no driver              */
    PARCONC_ENOTSUP         = -13, /* not supported on this platform/build    */
    PARCONC_ERANGE          = -14  /* a count would overflow                  */
} parconc_result;

/* Static English text for any code (unknown codes included); never NULL. */
PARCONC_API const char *parconc_strerror(int code);

/* ===================================================================== */
/* Logger                                                                */
/* ===================================================================== */

enum { PARCONC_LOG_ERROR = 0, PARCONC_LOG_WARN = 1, PARCONC_LOG_INFO = 2 };

/* Receives every diagnostic: level, the parconc code it concerns, a message
   and the file/line it concerns (the caller's site where known). */
typedef struct parconc_logger {
    void (*fn)(void *user_data, int level, int code, const char *message,
               const char *file, int line);
    void *user_data;
} parconc_logger;

/* Sets the process-wide logger (NULL or fn == NULL: silent, the default).
   Set it before starting threads; changing it while other threads log is
   safe but a message may reach either logger. */
PARCONC_API void parconc_set_logger(const parconc_logger *logger);

/* ===================================================================== */
/* Time                                                                  */
/* ===================================================================== */

#define PARCONC_FOREVER INT64_MAX

/* Nanoseconds on CLOCK_MONOTONIC (arbitrary origin, never goes back). */
PARCONC_API uint64_t parconc_now_ns(void);
/* Sleeps at least ns nanoseconds (resumes after signals); ns <= 0 returns
   at once.  PARCONC_FOREVER sleeps for ~292 years. */
PARCONC_API void parconc_sleep_ns(int64_t ns);

/* ===================================================================== */
/* Threads                                                               */
/* ===================================================================== */

typedef void *(*parconc_thread_fn)(void *arg);

/* A thread handle, passed by value like pthread_t.  An all-zero handle is
   "no thread" and every call on it returns PARCONC_EINVAL. */
typedef struct parconc_thread {
    uint64_t native_[2]; /* the platform handle (pthread_t) */
    uint32_t flags_;     /* PARCONC__THREAD_* bits; 0 = invalid */
} parconc_thread;

typedef struct parconc_thread_opts {
    const char *name;   /* shown by ps/top/gdb (Linux keeps 15 bytes); NULL: none */
    size_t stack_size;  /* 0: platform default; else PARCONC_THREAD_STACK_MIN..MAX */
    int detached;       /* nonzero: never joined, frees itself on exit */
} parconc_thread_opts;

#define PARCONC_THREAD_STACK_MIN ((size_t)16 * 1024)
#define PARCONC_THREAD_STACK_MAX ((size_t)1024 * 1024 * 1024)

/* Starts fn(arg) on a new thread.  opts NULL = defaults.  Returns OK,
   EINVAL (NULL t or fn, stack size out of range), EAGAIN (the system is out
   of threads), ENOMEM or EPERM.  *t is zeroed on failure. */
PARCONC_API int parconc_thread_create(parconc_thread *t, parconc_thread_fn fn,
                                      void *arg, const parconc_thread_opts *opts);
/* Waits for the thread to end and stores fn's return value in *result (may
   be NULL).  Each thread is joined at most once.  EINVAL for a zero or
   detached handle, EDEADLK when a thread joins itself. */
PARCONC_API int parconc_thread_join(parconc_thread t, void **result);
/* The thread will release its resources on exit; t must not be joined or
   detached again afterwards.  EINVAL for a zero or detached handle. */
PARCONC_API int parconc_thread_detach(parconc_thread t);
/* Gives the CPU to another ready thread. */
PARCONC_API void parconc_thread_yield(void);
/* CPUs this process may really use: the affinity mask, capped by a cgroup
   CPU quota (v2 cpu.max, or v1 cfs quota) rounded up.  Never less than 1. */
PARCONC_API int parconc_cpu_count(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PARCONC_H_INCLUDED */

/* ######################################################################### */
/* ##                         IMPLEMENTATION                              ## */
/* ######################################################################### */

#if defined(PARCONC_IMPLEMENTATION) && !defined(PARCONC_IMPL_INCLUDED)
#define PARCONC_IMPL_INCLUDED

#if defined(PARCONC_MALLOC) != defined(PARCONC_FREE)
#error "parconc: define both PARCONC_MALLOC and PARCONC_FREE, or neither"
#endif
#if defined(PARCONC_NO_MALLOC) && defined(PARCONC_MALLOC)
#error "parconc: PARCONC_NO_MALLOC forbids PARCONC_MALLOC/PARCONC_FREE"
#endif

#ifndef PARCONC_ASSERT
#include <assert.h>
#define PARCONC_ASSERT(x) assert(x)
#endif

#if !defined(PARCONC_MALLOC) && !defined(PARCONC_NO_MALLOC)
#include <stdlib.h>
#define PARCONC_MALLOC(sz) malloc(sz)
#define PARCONC_FREE(p) free(p)
#endif

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <fcntl.h>

#if defined(__linux__)
#include <sys/syscall.h>
#endif
#if defined(__linux__) && !defined(PARCONC_NO_FUTEX)
#define PARCONC__USE_FUTEX 1
#include <linux/futex.h>
#else
#define PARCONC__USE_FUTEX 0
#endif

#if defined(__GLIBC__) && !defined(__USE_GNU)
#error "parconc: include parconc.h before other system headers in the file that defines PARCONC_IMPLEMENTATION, or compile it with -D_GNU_SOURCE"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PARCONC__PRIVATE static __attribute__((unused))
#define PARCONC__LIKELY(x) __builtin_expect(!!(x), 1)
#define PARCONC__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define PARCONC__PRIVATE static
#define PARCONC__LIKELY(x) (x)
#define PARCONC__UNLIKELY(x) (x)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* Platform: atomics, clock, deadlines, futex / parking table            */
/* ===================================================================== */

/* Atomics: the GCC/Clang __atomic builtins work on plain integers in both C
   and C++ builds (C11 <stdatomic.h> does not compile as C++11), and TSan
   understands them.  Every use names its memory order and says why. */
#define PARCONC__RELAXED __ATOMIC_RELAXED
#define PARCONC__ACQUIRE __ATOMIC_ACQUIRE
#define PARCONC__RELEASE __ATOMIC_RELEASE
#define PARCONC__ACQ_REL __ATOMIC_ACQ_REL
#define PARCONC__SEQ_CST __ATOMIC_SEQ_CST
#define parconc__load(p, mo)          __atomic_load_n((p), (mo))
#define parconc__store(p, v, mo)      __atomic_store_n((p), (v), (mo))
#define parconc__exchange(p, v, mo)   __atomic_exchange_n((p), (v), (mo))
#define parconc__fetch_add(p, v, mo)  __atomic_fetch_add((p), (v), (mo))
#define parconc__fetch_sub(p, v, mo)  __atomic_fetch_sub((p), (v), (mo))
#define parconc__fetch_or(p, v, mo)   __atomic_fetch_or((p), (v), (mo))
#define parconc__fetch_and(p, v, mo)  __atomic_fetch_and((p), (v), (mo))
/* Strong CAS; *expected is updated with the current value on failure. */
#define parconc__cas(p, expected, desired, mo_ok, mo_fail) \
    __atomic_compare_exchange_n((p), (expected), (desired), 0, (mo_ok), (mo_fail))
#define parconc__cas_weak(p, expected, desired, mo_ok, mo_fail) \
    __atomic_compare_exchange_n((p), (expected), (desired), 1, (mo_ok), (mo_fail))
#define parconc__fence(mo) __atomic_thread_fence(mo)

/* One pause in a spin loop: lets the sibling hyper-thread run and saves power. */
static inline void parconc__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

/* ---- logging -------------------------------------------------------- */

/* The two fields are read separately; see parconc_set_logger's contract. */
static parconc_logger parconc__logger;

PARCONC_API void parconc_set_logger(const parconc_logger *logger)
{
    parconc__store(&parconc__logger.user_data, logger ? logger->user_data : NULL, PARCONC__RELAXED);
    /* release: a thread that sees the new fn also sees its user_data */
    parconc__store(&parconc__logger.fn, logger ? logger->fn : NULL, PARCONC__RELEASE);
}

PARCONC__PRIVATE void parconc__log(int level, int code, const char *message, const char *file, int line)
{
    void (*fn)(void *, int, int, const char *, const char *, int) =
        parconc__load(&parconc__logger.fn, PARCONC__ACQUIRE);
    if (fn) fn(parconc__load(&parconc__logger.user_data, PARCONC__RELAXED), level, code, message, file, line);
}

/* ---- allocation ----------------------------------------------------- */

PARCONC__PRIVATE void *parconc__malloc(size_t size)
{
#ifdef PARCONC_NO_MALLOC
    (void)size;
    return NULL;
#else
    return PARCONC_MALLOC(size);
#endif
}

PARCONC__PRIVATE void parconc__free(void *p)
{
#ifdef PARCONC_NO_MALLOC
    (void)p;
#else
    if (p) PARCONC_FREE(p);
#endif
}

/* ---- clock and deadlines -------------------------------------------- */

PARCONC_API uint64_t parconc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Every timed operation turns its relative timeout into an absolute
   deadline exactly once, here, so the §3.1 convention lives in one place:
     timeout <= 0            -> PARCONC__DEADLINE_NOW   (try once, never wait)
     PARCONC_FOREVER         -> PARCONC__DEADLINE_NEVER
     now + timeout overflows -> PARCONC__DEADLINE_NEVER (~584 years away)
   Deadlines are then compared against parconc_now_ns(). */
#define PARCONC__DEADLINE_NOW   ((uint64_t)0)
#define PARCONC__DEADLINE_NEVER UINT64_MAX

PARCONC__PRIVATE uint64_t parconc__deadline(int64_t timeout_ns)
{
    uint64_t now;
    if (timeout_ns <= 0) return PARCONC__DEADLINE_NOW;
    if (timeout_ns == PARCONC_FOREVER) return PARCONC__DEADLINE_NEVER;
    now = parconc_now_ns();
    if (now > PARCONC__DEADLINE_NEVER - 1 - (uint64_t)timeout_ns) return PARCONC__DEADLINE_NEVER;
    return now + (uint64_t)timeout_ns;
}

/* Nanoseconds left before the deadline; 0 once it has passed. */
PARCONC__PRIVATE uint64_t parconc__deadline_left(uint64_t deadline)
{
    uint64_t now;
    if (deadline == PARCONC__DEADLINE_NEVER) return PARCONC__DEADLINE_NEVER;
    now = parconc_now_ns();
    return deadline > now ? deadline - now : 0;
}

PARCONC__PRIVATE struct timespec parconc__timespec(uint64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    return ts;
}

PARCONC_API void parconc_sleep_ns(int64_t ns)
{
    uint64_t deadline = parconc__deadline(ns);
    if (deadline == PARCONC__DEADLINE_NOW) return;
#if defined(__linux__)
    {
        /* Absolute monotonic sleep: EINTR just resumes toward the same
           deadline, so signals can never make it end early. */
        struct timespec ts = parconc__timespec(deadline == PARCONC__DEADLINE_NEVER ? (uint64_t)INT64_MAX : deadline);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
    }
#else
    for (;;) {
        uint64_t left = parconc__deadline_left(deadline);
        struct timespec ts;
        if (left == 0) break;
        ts = parconc__timespec(left);
        nanosleep(&ts, NULL);
    }
#endif
}

/* ---- futex: wait until a 32-bit word changes ------------------------- */

/* parconc__futex_wait(addr, expected, deadline) blocks while *addr ==
   expected, until parconc__futex_wake(addr, n) or the absolute deadline.
   It may return spuriously; callers always re-check their condition in a
   loop.  Returns PARCONC_ETIMEDOUT only when the deadline has passed.

   No lost wake-up: the kernel (or the parking bucket's mutex below) checks
   *addr == expected and queues the waiter atomically with respect to wake,
   and every waker changes *addr BEFORE it calls wake. */
#if PARCONC__USE_FUTEX

PARCONC__PRIVATE int parconc__futex_wait(uint32_t *addr, uint32_t expected, uint64_t deadline)
{
    struct timespec ts, *tsp = NULL;
    long r;
    if (deadline != PARCONC__DEADLINE_NEVER) {
        ts = parconc__timespec(deadline);
        tsp = &ts;
    }
    /* FUTEX_WAIT_BITSET takes an ABSOLUTE CLOCK_MONOTONIC time, so retries
       after spurious returns never stretch or shrink the wait. */
    r = syscall(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, tsp,
                NULL, FUTEX_BITSET_MATCH_ANY);
    if (r == -1 && errno == ETIMEDOUT) return PARCONC_ETIMEDOUT;
    return PARCONC_OK; /* woken, EAGAIN (value changed) or EINTR: re-check */
}

PARCONC__PRIVATE void parconc__futex_wake(uint32_t *addr, int n)
{
    syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL, NULL, 0);
}

#else /* portable parking table */

/* Waiters hash their address to one of 64 buckets and sleep on its condvar;
   wake broadcasts the bucket (other addresses sharing it see a spurious
   wake-up, which callers tolerate).  The check of *addr happens under the
   bucket mutex, and wake takes that mutex after *addr changed, so a waiter
   is either already asleep (and gets the broadcast) or sees the new value.
   Limitation: with PARCONC_STATIC each file has its own table, so one object
   must not be waited on in one file and woken from another. */
#define PARCONC__PARK_BUCKETS 64
typedef struct parconc__park_bucket {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    char pad_[PARCONC_CACHELINE];
} parconc__park_bucket;
static parconc__park_bucket parconc__park_table[PARCONC__PARK_BUCKETS];
static pthread_once_t parconc__park_once = PTHREAD_ONCE_INIT;
static int parconc__park_monotonic; /* condvars time out on CLOCK_MONOTONIC */

static void parconc__park_init(void)
{
    pthread_condattr_t attr;
    int i;
    pthread_condattr_init(&attr);
#if defined(_POSIX_CLOCK_SELECTION) && _POSIX_CLOCK_SELECTION >= 0
    parconc__park_monotonic = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0;
#endif
    for (i = 0; i < PARCONC__PARK_BUCKETS; i++) {
        pthread_mutex_init(&parconc__park_table[i].mutex, NULL);
        pthread_cond_init(&parconc__park_table[i].cond, &attr);
    }
    pthread_condattr_destroy(&attr);
}

static parconc__park_bucket *parconc__park_bucket_of(const void *addr)
{
    uintptr_t h = (uintptr_t)addr;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    pthread_once(&parconc__park_once, parconc__park_init);
    return &parconc__park_table[(h >> 7) % PARCONC__PARK_BUCKETS];
}

PARCONC__PRIVATE int parconc__futex_wait(uint32_t *addr, uint32_t expected, uint64_t deadline)
{
    parconc__park_bucket *b = parconc__park_bucket_of(addr);
    int rc = PARCONC_OK;
    pthread_mutex_lock(&b->mutex);
    if (parconc__load(addr, PARCONC__RELAXED) == expected) {
        if (deadline == PARCONC__DEADLINE_NEVER) {
            pthread_cond_wait(&b->cond, &b->mutex);
        } else if (parconc__park_monotonic) {
            struct timespec ts = parconc__timespec(deadline);
            pthread_cond_timedwait(&b->cond, &b->mutex, &ts);
        } else {
            /* realtime condvar: convert the remaining time; the caller's
               loop re-checks the monotonic deadline, so clock jumps only
               cause an extra round. */
            struct timespec now_rt, ts;
            uint64_t left = parconc__deadline_left(deadline), rt;
            clock_gettime(CLOCK_REALTIME, &now_rt);
            rt = (uint64_t)now_rt.tv_sec * 1000000000u + (uint64_t)now_rt.tv_nsec + left;
            ts = parconc__timespec(rt);
            pthread_cond_timedwait(&b->cond, &b->mutex, &ts);
        }
    }
    pthread_mutex_unlock(&b->mutex);
    if (deadline != PARCONC__DEADLINE_NEVER && parconc_now_ns() >= deadline) rc = PARCONC_ETIMEDOUT;
    return rc;
}

PARCONC__PRIVATE void parconc__futex_wake(uint32_t *addr, int n)
{
    parconc__park_bucket *b = parconc__park_bucket_of(addr);
    (void)n;
    pthread_mutex_lock(&b->mutex);
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mutex);
}

#endif /* PARCONC__USE_FUTEX */

/* ---- small helpers --------------------------------------------------- */

/* Reads a small text file without stdio into buf (NUL-terminated).
   Returns the length read, or -1. */
PARCONC__PRIVATE long parconc__read_small_file(const char *path, char *buf, size_t cap)
{
    long total = 0;
    int fd;
    if (cap == 0) return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    while ((size_t)total + 1 < cap) {
        ssize_t r = read(fd, buf + total, cap - 1 - (size_t)total);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        total += (long)r;
    }
    close(fd);
    buf[total] = '\0';
    return total;
}

/* Parses a decimal unsigned number at *s, advancing *s.  Returns 0 when
   there is no digit or it would overflow. */
PARCONC__PRIVATE int parconc__parse_u64(const char **s, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
        p++;
    }
    *s = p;
    *out = v;
    return 1;
}

/* ===================================================================== */
/* Errors                                                                */
/* ===================================================================== */

PARCONC_API const char *parconc_strerror(int code)
{
    switch (code) {
    case PARCONC_OK:              return "success";
    case PARCONC_EBUSY:           return "resource busy";
    case PARCONC_ETIMEDOUT:       return "timed out";
    case PARCONC_EINVAL:          return "invalid argument";
    case PARCONC_ENOMEM:          return "out of memory";
    case PARCONC_EAGAIN:          return "resource temporarily unavailable";
    case PARCONC_ECANCELED:       return "canceled";
    case PARCONC_EPERM:           return "operation not permitted (not the owner)";
    case PARCONC_EDEADLK:         return "deadlock would occur";
    case PARCONC_EOWNERDEAD:      return "previous owner died holding the lock";
    case PARCONC_ENOTRECOVERABLE: return "lock state not recoverable";
    case PARCONC_ESHUTDOWN:       return "shut down";
    case PARCONC_ENODEV:          return "no such device";
    case PARCONC_ENOTSUP:         return "not supported";
    case PARCONC_ERANGE:          return "count out of range";
    default:                      return "unknown error";
    }
}

/* Maps an errno value from the OS to the nearest parconc code. */
PARCONC__PRIVATE int parconc__from_errno(int e)
{
    switch (e) {
    case 0:         return PARCONC_OK;
    case EBUSY:     return PARCONC_EBUSY;
    case ETIMEDOUT: return PARCONC_ETIMEDOUT;
    case ENOMEM:    return PARCONC_ENOMEM;
    case EAGAIN:    return PARCONC_EAGAIN;
    case EPERM:     return PARCONC_EPERM;
    case EDEADLK:   return PARCONC_EDEADLK;
    case ENOTSUP:   return PARCONC_ENOTSUP;
    default:        return PARCONC_EINVAL;
    }
}

/* ===================================================================== */
/* Threads                                                               */
/* ===================================================================== */

#define PARCONC__THREAD_VALID    1u
#define PARCONC__THREAD_DETACHED 2u

typedef char parconc__pthread_fits[sizeof(pthread_t) <= sizeof(((parconc_thread *)0)->native_) ? 1 : -1];

static pthread_t parconc__native(const parconc_thread *t)
{
    pthread_t h;
    memcpy(&h, t->native_, sizeof h);
    return h;
}

PARCONC_API int parconc_thread_create(parconc_thread *t, parconc_thread_fn fn, void *arg,
                                      const parconc_thread_opts *opts)
{
    pthread_attr_t attr;
    pthread_t h;
    int e, detached = opts && opts->detached;
    if (!t) return PARCONC_EINVAL;
    memset(t, 0, sizeof *t);
    if (!fn) return PARCONC_EINVAL;
    if (opts && opts->stack_size &&
        (opts->stack_size < PARCONC_THREAD_STACK_MIN || opts->stack_size > PARCONC_THREAD_STACK_MAX))
        return PARCONC_EINVAL;
    if (pthread_attr_init(&attr) != 0) return PARCONC_ENOMEM;
    if (opts && opts->stack_size) {
        /* round up to whole pages; below the platform minimum, raise it */
        size_t page = (size_t)sysconf(_SC_PAGESIZE), size = opts->stack_size;
        long min = sysconf(_SC_THREAD_STACK_MIN);
        if (min > 0 && size < (size_t)min) size = (size_t)min;
        if (page) size = (size + page - 1) / page * page;
        e = pthread_attr_setstacksize(&attr, size);
        if (e) { pthread_attr_destroy(&attr); return PARCONC_EINVAL; }
    }
    /* Created joinable even when detached is asked for: naming a thread that
       may already have exited is undefined, so name first, then detach. */
    e = pthread_create(&h, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    if (e) return parconc__from_errno(e);
#if defined(__linux__) || defined(__GLIBC__)
    if (opts && opts->name && opts->name[0]) {
        char name[16];
        size_t n = strlen(opts->name);
        if (n > 15) n = 15;
        memcpy(name, opts->name, n);
        name[n] = '\0';
        pthread_setname_np(h, name); /* best effort: a name is cosmetic */
    }
#endif
    if (detached) pthread_detach(h);
    memcpy(t->native_, &h, sizeof h);
    t->flags_ = PARCONC__THREAD_VALID | (detached ? PARCONC__THREAD_DETACHED : 0u);
    return PARCONC_OK;
}

PARCONC_API int parconc_thread_join(parconc_thread t, void **result)
{
    void *r = NULL;
    int e;
    if (!(t.flags_ & PARCONC__THREAD_VALID) || (t.flags_ & PARCONC__THREAD_DETACHED)) return PARCONC_EINVAL;
    if (pthread_equal(parconc__native(&t), pthread_self())) return PARCONC_EDEADLK;
    e = pthread_join(parconc__native(&t), &r);
    if (e) return parconc__from_errno(e);
    if (result) *result = r;
    return PARCONC_OK;
}

PARCONC_API int parconc_thread_detach(parconc_thread t)
{
    if (!(t.flags_ & PARCONC__THREAD_VALID) || (t.flags_ & PARCONC__THREAD_DETACHED)) return PARCONC_EINVAL;
    return parconc__from_errno(pthread_detach(parconc__native(&t)));
}

PARCONC_API void parconc_thread_yield(void)
{
    sched_yield();
}

/* ---- CPU count ------------------------------------------------------- */

/* cgroup v2 "cpu.max" holds "$QUOTA $PERIOD" or "max $PERIOD".  Returns the
   CPUs the quota allows, rounded up (1.5 CPUs -> 2), 0 for "no limit", -1
   for text it cannot read. */
PARCONC__PRIVATE int parconc__cpu_quota_from_cpu_max(const char *text)
{
    uint64_t quota, period = 100000, cpus;
    const char *p = text;
    if (!p) return -1;
    while (*p == ' ' || *p == '\t') p++;
    if (strncmp(p, "max", 3) == 0) return 0;
    if (!parconc__parse_u64(&p, &quota)) return -1;
    if (*p == ' ' || *p == '\t') {
        while (*p == ' ' || *p == '\t') p++;
        if (!parconc__parse_u64(&p, &period)) return -1;
    }
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p != '\0' || period == 0 || quota == 0) return -1;
    cpus = quota / period + (quota % period != 0);
    return cpus > (uint64_t)INT_MAX ? INT_MAX : (int)cpus;
}

/* cgroup v1: cpu.cfs_quota_us ("-1" = no limit) and cpu.cfs_period_us.
   Same result convention as above. */
PARCONC__PRIVATE int parconc__cpu_quota_from_cfs(const char *quota_text, const char *period_text)
{
    char buf[64];
    size_t n;
    if (!quota_text || !period_text) return -1;
    while (*quota_text == ' ') quota_text++;
    if (quota_text[0] == '-') return 0; /* -1: unlimited */
    n = strlen(quota_text);
    if (n + 1 + strlen(period_text) + 1 > sizeof buf) return -1;
    memcpy(buf, quota_text, n);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) n--;
    buf[n] = ' ';
    memcpy(buf + n + 1, period_text, strlen(period_text) + 1);
    return parconc__cpu_quota_from_cpu_max(buf);
}

/* Finds the cgroup path of this process in /proc/self/cgroup text: the v2
   line "0::/path" (controller "" ) or, when v2 == 0, the v1 line whose
   controller list contains "cpu".  Writes it to out; returns 1 if found. */
PARCONC__PRIVATE int parconc__cgroup_path(const char *text, int v2, char *out, size_t cap)
{
    const char *line = text;
    while (line && *line) {
        const char *end = strchr(line, '\n'), *c1 = strchr(line, ':'), *c2;
        if (!end) end = line + strlen(line);
        c2 = c1 && c1 < end ? strchr(c1 + 1, ':') : NULL;
        if (c2 && c2 < end) {
            int match = 0;
            if (v2) {
                match = (c2 == c1 + 1) && line[0] == '0' && c1 == line + 1;
            } else {
                /* controllers are a comma list between c1 and c2 */
                const char *s = c1 + 1;
                while (s < c2) {
                    const char *comma = s;
                    while (comma < c2 && *comma != ',') comma++;
                    if (comma - s == 3 && strncmp(s, "cpu", 3) == 0) match = 1;
                    s = comma + 1;
                }
            }
            if (match) {
                size_t len = (size_t)(end - (c2 + 1));
                if (len + 1 > cap) return 0;
                memcpy(out, c2 + 1, len);
                out[len] = '\0';
                return 1;
            }
        }
        line = *end ? end + 1 : NULL;
    }
    return 0;
}

/* The count the rest of the library uses: the affinity count, capped by a
   positive quota, never below 1. */
PARCONC__PRIVATE int parconc__cpu_count_combine(int affinity_cpus, int quota_cpus)
{
    int n = affinity_cpus > 0 ? affinity_cpus : 1;
    if (quota_cpus > 0 && quota_cpus < n) n = quota_cpus;
    return n;
}

static int parconc__affinity_cpus(void)
{
#if defined(__linux__)
    /* raw syscall: no cpu_set_t size limit (1024) and no _GNU_SOURCE macros */
    unsigned long mask[64]; /* 4096 CPUs */
    long bytes = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
    if (bytes > 0) {
        int n = 0;
        long i;
        for (i = 0; i < bytes / (long)sizeof(unsigned long); i++) n += __builtin_popcountl(mask[i]);
        if (n > 0) return n;
    }
#endif
    {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (n > INT_MAX ? INT_MAX : (int)n) : 1;
    }
}

/* Smallest quota found on the cgroup path and its ancestors (a parent's
   limit applies to its children); 0 if none. */
static int parconc__cgroup_quota_cpus(void)
{
#if defined(__linux__)
    char text[2048], path[512], file[700], value[128], period[128];
    int best = 0, v2;
    if (parconc__read_small_file("/proc/self/cgroup", text, sizeof text) <= 0) return 0;
    for (v2 = 1; v2 >= 0 && best == 0; v2--) {
        size_t len;
        if (!parconc__cgroup_path(text, v2, path, sizeof path)) continue;
        for (;;) {
            int q = -1;
            len = strlen(path);
            if (v2) {
                memcpy(file, "/sys/fs/cgroup", 14);
                memcpy(file + 14, path, len);
                memcpy(file + 14 + len, "/cpu.max", 9);
                if (parconc__read_small_file(file, value, sizeof value) > 0)
                    q = parconc__cpu_quota_from_cpu_max(value);
            } else {
                memcpy(file, "/sys/fs/cgroup/cpu", 18);
                memcpy(file + 18, path, len);
                memcpy(file + 18 + len, "/cpu.cfs_quota_us", 18);
                if (parconc__read_small_file(file, value, sizeof value) > 0) {
                    memcpy(file + 18 + len, "/cpu.cfs_period_us", 19);
                    if (parconc__read_small_file(file, period, sizeof period) > 0)
                        q = parconc__cpu_quota_from_cfs(value, period);
                }
            }
            if (q > 0 && (best == 0 || q < best)) best = q;
            if (len <= 1) break; /* the root was just read */
            /* up one level: "/a/b" -> "/a" -> "/" */
            while (len > 0 && path[len - 1] != '/') len--;
            if (len > 1) len--;
            path[len] = '\0';
        }
    }
    return best;
#else
    return 0;
#endif
}

PARCONC_API int parconc_cpu_count(void)
{
    return parconc__cpu_count_combine(parconc__affinity_cpus(), parconc__cgroup_quota_cpus());
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PARCONC_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the parconc authors
Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this
software, either in source code form or as a compiled binary, for any purpose,
commercial or non-commercial, and by any means.
In jurisdictions that recognize copyright laws, the author or authors of this
software dedicate any and all copyright interest in the software to the public
domain. We make this dedication in perpetuity for the benefit of current and
future generations of the software under copyright law.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
*/
