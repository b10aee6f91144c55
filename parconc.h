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
   Windows (8 or later): no pthreads; the Win32 backend uses
   _beginthreadex, WaitOnAddress and QueryPerformanceCounter.  mingw-w64:
   link with -lsynchronization; MSVC links it by itself (Visual Studio
   2022 17.9 or later for C, any C++11 compiler for C++).

   OPTIONS (define before including the implementation)
   ------------------------------------------------------
   PARCONC_STATIC_API      every public function is `static` (private to the
                           file); two files may then each hold a copy.
   PARCONC_ASSERT(x)       assertion for the library's own invariants and
                           PARCONC_GUARD's lock (default: with
                           PARCONC_NO_STDIO: log and trap; else assert()
                           from <assert.h>; define empty to drop).
   PARCONC_MISUSE_ABORTS   stop (trap) on detected misuse.  By default every
                           build reports misuse (unlocking what is not
                           locked, one release too many, destroying a pool
                           from its own task) to the logger as an ERROR and
                           returns the documented code, like pthread's
                           error-checking mutexes.
   PARCONC_MALLOC(sz)      heap allocation, with PARCONC_FREE(p); define both
   PARCONC_FREE(p)         or neither (half a pair is an #error).
   PARCONC_NO_MALLOC       no reference to any heap function at all: every
                           object lives in caller-provided memory.
   PARCONC_NO_STDIO        no stdio anywhere (diagnostics go to the logger).
   PARCONC_CACHELINE       cache line size used for padding (default 64).
   PARCONC_DEBUG_LOCKS     lock-order validator (reports EDEADLK).
   PARCONC_NO_FUTEX        use the portable parking table instead of the
                           Linux futex even on Linux (testing, odd kernels).
   PARCONC_PORT_CUSTOM     no pthreads and no OS calls at all: the program
                           supplies the ten parconc_port_* functions (see
                           "Port layer" below) for an RTOS or bare metal.
                           Robust mutexes then return PARCONC_ENOTSUP.
   PARCONC_VALGRIND        announce locks, semaphores, wait groups and once
                           to Valgrind's Helgrind (needs valgrind/helgrind.h).
   PARCONC_SEQLOCK64       (testing) the 32-bit form of 64-bit statistics.
   PARCONC_NO_ATFORK       do not register parconc_after_fork_child() with
                           pthread_atfork (call it in a child yourself).
   PARCONC_HELP_DEPTH      waits a worker may nest while it runs other tasks
                           during a wait (default 16; see "Pool and futures").
                           Each level adds a task's frames to a worker's stack.
   PARCONC_NO_SPIN         waiters never spin; they sleep at once.  Spinning
                           is also off by itself when one CPU is usable or the
                           clock is too coarse to time a spin.
   PARCONC_WORKER_SPIN_NS  how long an idle worker looks for work before it
                           sleeps (default 50000).
   PARCONC_RW_SPIN_NS      how long an rwlock waiter spins for a writer to
                           leave (default 20000; a writer waiting for readers
                           to drain spins a quarter of it).
   PARCONC_MUTEX_SPINS     pauses a mutex waiter spins before it sleeps (10).
   PARCONC_TIMED_WAIT_SLACK_NS  a timed wait sleeps until this long before
                           its deadline and watches the clock for the rest,
                           against the OS's timer slack (default 60000; 0 with
                           PARCONC_PORT_CUSTOM, and where spinning is off).
   PARCONC_POOL_RING       slots of a FIFO pool's lock-free submission ring
                           (power of two >= 2; default 1024; 0: no ring, every
                           submission takes the queue lock).  12 or 24 bytes
                           each, inside the pool's block.
   PARCONC_RW_BIAS_SLOTS   slots of the reader table read-mostly rwlocks use
                           (power of two; default 1024, one pointer each, in
                           static memory; 0 with PARCONC_PORT_CUSTOM).  0: no
                           table, every reader counts itself in the lock.

   CONTENTS (search for the tag)
   --------
   declarations    >>errors >>logger >>time >>threads >>port >>locks
                   >>cancel >>pool (futures too) >>groups (continuations,
                   combinators) >>serial >>division
   implementation  >>impl-errors >>platform (atomics: __atomic or MSVC
                   interlocked; logging, allocation, deadlines, text and
                   CPU-quota helpers) >>backend (every OS call, one section
                   per platform: >>backend-posix >>backend-win32
                   >>backend-port) >>wait (clock, spinning, sleep, waits on
                   a word) >>impl-locks >>impl-threads >>impl-cancel
                   >>impl-futures >>impl-pool (fork, tracing too)
                   >>impl-groups >>impl-division
   Options: OPTIONS above.  Each declaration carries its
   contract.

   CONVENTIONS
   -----------
   * Functions that can fail return int: PARCONC_OK (0) or a negative
     PARCONC_E* code; parconc_strerror() describes any code.
   * Bad input (NULL pointers, impossible sizes) returns PARCONC_EINVAL and
     never crashes.
   * TIMEOUTS are relative int64_t nanoseconds on the monotonic clock
     (parconc_now_ns: CLOCK_MONOTONIC, or a custom port's clock):
         PARCONC_FOREVER (INT64_MAX)  wait without limit;
         > 0                          wait at most that long, never less;
         0 or negative                try once, never wait (an expired
                                      deadline never turns into "forever").
     Every timed operation tries at least once, even with a 0 timeout.
   * Zero-initialised description/option structs mean "defaults".
   * Silent by default: diagnostics go to the logger set with
     parconc_set_logger(), and nowhere if none is set.

   SHORT REFERENCE (each declaration below carries its full contract)
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
   Locks    parconc_mutex_{init,destroy,lock,trylock,timedlock,unlock}
            parconc_rmutex_*                reentrant; EPERM for a non-owner
            parconc_robust_mutex_*          EOWNERDEAD / parconc_mutex_consistent
            parconc_rwlock_{init(policy),rdlock,wrlock,try*,timed*,rdunlock,
                            wrunlock,downgrade}   FAIR / PREFER_READERS / _WRITERS
            parconc_sem_*, parconc_cond_*, parconc_once_call,
            parconc_waitgroup_{add,done,wait,timedwait}
            parconc_lock_many / parconc_unlock_many   all or nothing, any order
            PARCONC_GUARD(&m)               unlocks on every exit of the block
            PARCONC_DEBUG_LOCKS             lock-order validator (EDEADLK)
   Pool     parconc_pool_create(&p, &desc_or_NULL), parconc_pool_submit(p, fn,
            arg, &future_or_NULL), parconc_pool_submit_ex, _submit_after,
            parconc_timer_{start,stop}, desc.hooks, parconc_trace_{start,stop,
            write_chrome}, _wait_idle,
            _shutdown(DRAIN|CANCEL), _destroy, _stats_get, _worker_stats,
            parconc_task_fail(err), parconc_pool_current()
   Futures  parconc_future_{wait,get,cancel,state,on_done,retain,release,
            create,init,complete,fail}, parconc_wait_all, parconc_wait_any,
            parconc_as_completed_{init,next}
   Cancel   parconc_cancel_{init(c, parent),request,after,check,wait,destroy}
            a tree of tokens; tasks, loops and groups watch one
   Groups   parconc_group_{init,submit,submit_ex,try_submit,wait,cancel,destroy},
            parconc_task_canceled(); parconc_future_then(f, pool, fn, arg, &out),
            parconc_when_all, parconc_when_any; parconc_task_desc.after (inputs);
            parconc_serial_{init,submit,submit_ex,wait,destroy}  one at a time
   Division parconc_split(n, parts, i, &b, &e), parconc_parallel_for(p, n, fn,
            arg, &desc_or_NULL) with AUTO/STATIC/DYNAMIC/GUIDED/RESPAWN,
            parconc_for_stop(), parconc_parallel_reduce, parconc_for_advise
   CUDA     parconc_cuda.h (optional companion header)
   Port     PARCONC_PORT_CUSTOM: ten parconc_port_* functions replace
            pthreads and the OS (RTOS, bare metal); see "Port layer"

   THREAD SAFETY: every function may be called from any thread at any time
   on distinct objects, and concurrently on one object where that is the
   object's purpose (locks, pools, futures).  Destroying an object that
   other threads still use is undefined, as with pthreads.

   REVISION HISTORY (details in CHANGELOG.md)
   ----------------
   0.1.0  (2026-11-22) first release: threads, locks (hand-off mutex,
                       reentrant, robust, phase-fair rwlock, sem, cond,
                       once, wait group, lock_many, guard, lock-order
                       validator), work-stealing pool and futures with a
                       lock-free submission ring, work division, the custom
                       port layer, parconc_cuda.h.
   unreleased          scalable rwlock, fair mutex hand-off, what a wait
                       runs, fork safety, misuse codes in every build.

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
#  ifdef PARCONC_STATIC_API
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
/* Errors                                                     >>errors */
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
    PARCONC_ERANGE          = -14, /* a count would overflow                  */
    PARCONC_EDONE           = -15, /* nothing left (iteration finished)       */
    PARCONC_EDEVICE         = -16  /* a device (GPU) error without a closer code */
} parconc_result;

/* Static English text for any code (unknown codes included); never NULL. */
PARCONC_API const char *parconc_strerror(int code);

/* ===================================================================== */
/* Logger                                                     >>logger */
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
/* Sends one message to that logger (nowhere if none is set): for programs
   and companion headers whose diagnostics should go the same way. */
PARCONC_API void parconc_log(int level, int code, const char *message, const char *file, int line);

/* ===================================================================== */
/* Time                                                         >>time */
/* ===================================================================== */

#define PARCONC_FOREVER INT64_MAX

/* Nanoseconds on CLOCK_MONOTONIC, or a custom port's clock (arbitrary
   origin, never goes back). */
PARCONC_API uint64_t parconc_now_ns(void);
/* Sleeps at least ns nanoseconds (resumes after signals); ns <= 0 returns
   at once.  PARCONC_FOREVER sleeps for ~292 years. */
PARCONC_API void parconc_sleep_ns(int64_t ns);

/* ===================================================================== */
/* Threads                                                   >>threads */
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
    int priority;       /* 0: the platform's default.  Custom ports: passed on in the
                           port's own scale (see >>port).  POSIX: nonzero is
                           PARCONC_ENOTSUP (set the policy inside the thread) */
} parconc_thread_opts;

#ifndef PARCONC_THREAD_STACK_MIN
#ifdef PARCONC_PORT_CUSTOM
#define PARCONC_THREAD_STACK_MIN ((size_t)1024) /* small RTOS stacks */
#else
#define PARCONC_THREAD_STACK_MIN ((size_t)16 * 1024)
#endif
#endif
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
   CPU quota (v2 cpu.max, or v1 cfs quota) or a Windows job object's CPU
   rate cap, rounded up; a custom port's own count.  Never less than 1. */
PARCONC_API int parconc_cpu_count(void);

/* ===================================================================== */
/* Port layer (PARCONC_PORT_CUSTOM only)                        >>port */
/* ===================================================================== */
/* With PARCONC_PORT_CUSTOM the implementation calls no OS function and
   includes no OS header (only <stddef.h>, <stdint.h>, <string.h>,
   <limits.h>, <errno.h>, and <stdlib.h> / <assert.h> unless
   PARCONC_NO_MALLOC / PARCONC_NO_STDIO): every thread, clock and sleep goes
   through the ten functions below, which the program defines once (C
   linkage).  examples/freertos/port_freertos.c is a complete FreeRTOS port
   (`make rtos` runs it under QEMU on Cortex-M3 and M4F boards);
   tests/port/port_posix.c one over pthreads (the whole test suite runs on
   it).  In the implementation, >>backend-port is all that parconc does with
   them, beside the POSIX and Win32 backends that give the same primitives.
   What a port must give:

   THREADS AND THEIR TLS.  parconc keeps per-thread state in __thread
   variables (the worker a thread is, the task it runs, nested waits), so
   every thread the port starts, and the start-up code if it calls parconc,
   needs its own TLS block: a copy of .tdata followed by .tbss zeroed.  On
   ARM EABI bare metal the compiler reads the thread pointer by calling
   __aeabi_read_tp, which may change r0 and nothing else: write it in
   assembly (a C function may clobber r1-r3, and the caller's values with
   them, silently).  Stack sizes are bytes of the thread's own use (the
   port converts to its unit and adds what it carves off, such as the TLS
   block); priorities are in the port's own scale, 0 meaning its default.
   Creating threads before the scheduler starts is allowed if the RTOS
   allows it; blocking calls need the scheduler running.
   THE CLOCK.  64 bits that never wrap and never go back, any origin.  A raw
   32-bit tick counter wraps in 49 days at 1 kHz and a timed wait across
   the wrap never ends: extend it with an overflow count.  The resolution
   (parconc_port_clock_resolution_ns) decides spinning: a spin shorter than
   four steps of the clock is skipped, so a tick-only clock turns every
   spin off.  Timed waits never end early and may end a tick late; with a
   custom port they sleep straight to the deadline (PARCONC_TIMED_WAIT_SLACK_NS
   is 0), so how late is the port's wait's business.
   WAIT AND WAKE on a 32-bit word (a futex).  Checking the word and going
   to sleep must be atomic with respect to wake (a critical section around
   "compare, then link a waiter record" does it).  wake must work from an
   interrupt handler: parconc_sem_post calls nothing else, and it is the one
   parconc call an interrupt handler may make.  wait is never called from
   an interrupt.
   YIELD lets another ready thread run; under a priority scheduler that is
   an equal-priority one only.  parconc never waits for another thread by
   yielding alone: after a few yields it sleeps, so a lower-priority thread
   it waits for gets the CPU.
   ATOMICS: 32-bit only (LDREX/STREX on Cortex-M3/M4 is enough); no 64-bit
   atomic is used anywhere.
   PRIORITY INHERITANCE: none.  A parconc_mutex is one 32-bit word and
   records no owner a port could boost, so a high-priority thread waiting
   on it can be held up by any medium-priority thread that keeps its
   low-priority holder off the CPU (rtos_test measures it).  Locks shared
   across priorities on an RTOS belong in the RTOS's own mutex.
   STACKS: no parconc function's own frame exceeds 1 KB (`make cross` checks
   it).  What each entry point needs in all, on Cortex-M4 (-Os), is in
   docs/GUIDE.md "Embedding"; a pool worker's needs grow with the tasks it
   runs, and with each wait inside a task that runs another task meanwhile
   (at most PARCONC_HELP_DEPTH deep: set it low for small stacks). */
#ifdef PARCONC_PORT_CUSTOM
/* What a new thread asks of the port (zero fields: the port's defaults). */
typedef struct parconc_port_thread_attr {
    size_t stack_size;  /* bytes the thread's own frames may use; 0: the port's default */
    const char *name;   /* may be NULL */
    int priority;       /* the port's own scale; 0: the port's default */
} parconc_port_thread_attr;
/* Start fn(arg) on a new thread; *handle is any non-NULL token for join and
   detach.  Return PARCONC_OK, PARCONC_EAGAIN / PARCONC_ENOMEM, or
   PARCONC_EINVAL for a priority or stack size the port cannot give. */
int parconc_port_thread_create(void **handle, void *(*fn)(void *), void *arg,
                               const parconc_port_thread_attr *attr);
/* Wait for the thread to end, store fn's return value (result may be NULL);
   PARCONC_EDEADLK when a thread joins itself, if the port can tell. */
int parconc_port_thread_join(void *handle, void **result);
/* The thread frees itself when it ends; the handle is not used again. */
int parconc_port_thread_detach(void *handle);
/* A nonzero number unique to the calling thread while it lives. */
uintptr_t parconc_port_thread_self(void);
/* Let another ready thread run. */
void parconc_port_thread_yield(void);
/* A monotonic clock in nanoseconds (any origin; never goes back). */
uint64_t parconc_port_now_ns(void);
/* The smallest step parconc_port_now_ns takes, in ns (a tick-only clock at
   1 kHz: 1000000). */
uint64_t parconc_port_clock_resolution_ns(void);
/* Block while *addr == expected, until parconc_port_wake(addr, ...) or the
   absolute deadline on parconc_port_now_ns (UINT64_MAX: no deadline).
   Checking *addr and going to sleep must be atomic with respect to wake.
   May return early for any reason; return PARCONC_ETIMEDOUT only if the
   deadline has passed, else PARCONC_OK. */
int parconc_port_wait(uint32_t *addr, uint32_t expected, uint64_t deadline_ns);
/* Wake up to n threads blocked on addr (n is 1 or INT_MAX); waking more is
   allowed, fewer is not. */
void parconc_port_wake(uint32_t *addr, int n);
/* The number of CPUs parconc may use (threads = 0 in a pool). */
int parconc_port_cpu_count(void);
#endif

/* ===================================================================== */
/* Locks                                                       >>locks */
/* ===================================================================== */
/* Every lock is a small transparent struct the caller allocates; an
   all-zero lock (or the PARCONC_*_INIT initialiser) is valid and unlocked.
   None needs destroy() to free anything; destroy only checks the lock is
   free.  Locks are not copyable while in use. Unlocking a lock you do not
   hold is a bug: it returns PARCONC_EPERM where that is detectable.  Locks
   are process-private (private futexes, waiter nodes on stacks): never put
   one in memory shared between processes. */

/* ---- mutex ------------------------------------------------------------
   One 32-bit futex word.  lock spins briefly then sleeps; a waiter that has
   waited more than ~1 ms (timed or not) switches the mutex to hand-off
   mode, where each unlock hands the lock to one such waiter in turn and
   newcomers queue behind them, so no thread starves (see the
   implementation for the mechanism).  Not recursive:
   re-locking from the owner deadlocks (EDEADLK under PARCONC_DEBUG_LOCKS). */
typedef struct parconc_mutex { uint32_t state_; } parconc_mutex;
#define PARCONC_MUTEX_INIT {0}

PARCONC_API int parconc_mutex_init(parconc_mutex *m);
/* EBUSY if locked or waited on (the mutex stays usable). */
PARCONC_API int parconc_mutex_destroy(parconc_mutex *m);
/* Blocks until owned.  OK, or EINVAL (NULL), EDEADLK (debug validator). */
PARCONC_API int parconc_mutex_lock(parconc_mutex *m);
/* Never blocks: OK or EBUSY. */
PARCONC_API int parconc_mutex_trylock(parconc_mutex *m);
/* Blocks at most timeout_ns (see TIMEOUTS at the top): OK or ETIMEDOUT. */
PARCONC_API int parconc_mutex_timedlock(parconc_mutex *m, int64_t timeout_ns);
/* OK, or EPERM if the mutex was not locked (reported to the logger in
   every build; see PARCONC_MISUSE_ABORTS). */
PARCONC_API int parconc_mutex_unlock(parconc_mutex *m);

/* ---- reentrant mutex ----------------------------------------------------
   The owner may lock it again; it is released after as many unlocks.
   Unlock by a thread that does not own it returns EPERM; more than
   UINT32_MAX-1 nested locks return EAGAIN (like POSIX). */
typedef struct parconc_rmutex {
    parconc_mutex mutex_;
    uint32_t depth_;
    uintptr_t owner_;
} parconc_rmutex;
#define PARCONC_RMUTEX_INIT {PARCONC_MUTEX_INIT, 0, 0}

PARCONC_API int parconc_rmutex_init(parconc_rmutex *m);
PARCONC_API int parconc_rmutex_destroy(parconc_rmutex *m);   /* EBUSY if held */
PARCONC_API int parconc_rmutex_lock(parconc_rmutex *m);
PARCONC_API int parconc_rmutex_trylock(parconc_rmutex *m);   /* OK, EBUSY, or EAGAIN at the hold limit */
PARCONC_API int parconc_rmutex_timedlock(parconc_rmutex *m, int64_t timeout_ns);
PARCONC_API int parconc_rmutex_unlock(parconc_rmutex *m);    /* OK or EPERM (reported, as misuse) */

/* ---- robust (abandoned-lock aware) mutex --------------------------------
   If the owning thread exits while holding it, the next locker gets
   PARCONC_EOWNERDEAD and holds the lock: it repairs the protected data and
   calls parconc_mutex_consistent(), or unlocks without doing so, after
   which every lock attempt returns PARCONC_ENOTRECOVERABLE.  Each held
   robust mutex is tracked per thread (a thread-exit destructor marks them),
   so the plain mutex pays nothing for this.  Only thread exit is detected,
   not process death. */
typedef struct parconc_robust_mutex {
    parconc_mutex mutex_;
    uint32_t status_;   /* 0 consistent, else PARCONC__ROBUST_* */
    uintptr_t owner_;
    struct parconc_robust_mutex *next_, *prev_; /* the owner's held list */
} parconc_robust_mutex;
#define PARCONC_ROBUST_MUTEX_INIT {PARCONC_MUTEX_INIT, 0, 0, NULL, NULL}

PARCONC_API int parconc_robust_mutex_init(parconc_robust_mutex *m);
PARCONC_API int parconc_robust_mutex_destroy(parconc_robust_mutex *m);
/* OK, EOWNERDEAD (held, needs repair), ENOTRECOVERABLE (not held). */
PARCONC_API int parconc_robust_mutex_lock(parconc_robust_mutex *m);
PARCONC_API int parconc_robust_mutex_trylock(parconc_robust_mutex *m);
PARCONC_API int parconc_robust_mutex_timedlock(parconc_robust_mutex *m, int64_t timeout_ns);
/* OK or EPERM (not the owner). */
PARCONC_API int parconc_robust_mutex_unlock(parconc_robust_mutex *m);
/* Called by the owner after EOWNERDEAD: the state is repaired. OK, EPERM
   (not the owner) or EINVAL (the lock was not abandoned). */
PARCONC_API int parconc_mutex_consistent(parconc_robust_mutex *m);

/* ---- reader-writer lock -------------------------------------------------
   Many readers or one writer.  Policies (parconc_rwlock_init):
     PARCONC_RW_FAIR (default, also the all-zero lock): phase-fair.  A
       reader that arrives while a writer holds or waits waits for that one
       writer only: when a writer leaves, every waiting reader enters
       together; a writer waits for the readers already inside (one read
       phase) and for the writers ahead of it.
     PARCONC_RW_PREFER_READERS: readers enter whenever no writer holds the
       lock (writers may starve under a reader flood).
     PARCONC_RW_PREFER_WRITERS: no new reader enters while a writer waits
       (readers may starve under a writer flood).
   Among themselves writers are served like parconc_mutex's waiters: a
   releasing writer may take the lock again at once (no convoy), and a
   writer that has waited about 1 ms is served before newcomers (no
   starvation).  Uncontended, a write lock + unlock is two atomic RMWs.
   Readers: one atomic add to take the lock and one to release it while no
   writer is around.  Read-mostly locks go further: after a read phase the
   lock turns "reader-biased" and a reader then marks a slot of a table
   shared by every rwlock of the program (PARCONC_RW_BIAS_SLOTS slots,
   picked by hashing the thread and the lock; 0 turns the table off) instead
   of a counter in the lock, so readers on different cores write different
   cache lines and read-only throughput grows with the readers.  The next
   writer switches the bias off, waits until no slot names the lock (a scan
   of the table, about 1 us), and the lock stays unbiased for a while
   proportional to that scan.  The lock never allocates.
   Limits: at most 2^23 - 16 read holds at once (EAGAIN beyond); recursive
   read locking (a reader taking the read lock again) can DEADLOCK under
   FAIR and PREFER_WRITERS when a writer arrives in between.  Locks are
   process-private. */
enum { PARCONC_RW_FAIR = 0, PARCONC_RW_PREFER_READERS = 1, PARCONC_RW_PREFER_WRITERS = 2 };

typedef struct parconc_rwlock {
    uint32_t rin_;        /* reader arrivals << 8 | writer phase bits | readers asleep */
    uint32_t rout_;       /* reader departures << 8 | writer asleep */
    uint32_t wtarget_;    /* departures the writer in its phase waits for */
    uint32_t writer_;     /* 1 while a writer holds the lock */
    parconc_mutex wmutex_; /* queue of writers that found the lock taken */
    uint32_t wseq_;       /* futex word of the queued writer: + 1 per wake-up */
    uint32_t policy_;
    uint32_t rwaiting_, wwaiting_; /* readers / writers in a blocking wait */
    uint32_t rseq_;       /* futex word of sleeping readers: + 1 per wake-up */
    uint32_t bseq_;       /* futex word of a writer waiting for table readers */
    void *bias_;          /* the reader table readers may use, or NULL */
    uint64_t inhibit_until_; /* no reader bias before this time (ns) */
} parconc_rwlock;
#define PARCONC_RWLOCK_INIT {0, 0, 0, 0, PARCONC_MUTEX_INIT, 0, PARCONC_RW_FAIR, 0, 0, 0, 0, NULL, 0}

PARCONC_API int parconc_rwlock_init(parconc_rwlock *rw, int policy); /* EINVAL: unknown policy */
PARCONC_API int parconc_rwlock_destroy(parconc_rwlock *rw);          /* EBUSY if held */
PARCONC_API int parconc_rwlock_rdlock(parconc_rwlock *rw);
/* Read locks answer EAGAIN at the hold limit (see Limits above). */
PARCONC_API int parconc_rwlock_tryrdlock(parconc_rwlock *rw);        /* OK, EBUSY or EAGAIN */
PARCONC_API int parconc_rwlock_timedrdlock(parconc_rwlock *rw, int64_t timeout_ns);
PARCONC_API int parconc_rwlock_rdunlock(parconc_rwlock *rw);         /* EPERM if not read-held (reported) */
PARCONC_API int parconc_rwlock_wrlock(parconc_rwlock *rw);
PARCONC_API int parconc_rwlock_trywrlock(parconc_rwlock *rw);        /* OK or EBUSY */
PARCONC_API int parconc_rwlock_timedwrlock(parconc_rwlock *rw, int64_t timeout_ns);
PARCONC_API int parconc_rwlock_wrunlock(parconc_rwlock *rw);         /* EPERM if not write-held (reported) */
/* Writer becomes a reader atomically: no other writer can get in between.
   Readers waiting may enter with it (FAIR, PREFER_READERS).  EPERM if not
   write-held. */
PARCONC_API int parconc_rwlock_downgrade(parconc_rwlock *rw);

/* ---- counting semaphore ------------------------------------------------ */
typedef struct parconc_sem { uint32_t count_; uint32_t waiters_; } parconc_sem;
#define PARCONC_SEM_INIT(n) {(n), 0}

PARCONC_API int parconc_sem_init(parconc_sem *s, uint32_t initial);
PARCONC_API int parconc_sem_destroy(parconc_sem *s);     /* EBUSY if threads wait */
/* ERANGE at UINT32_MAX.  Never blocks; on a custom port whose wake works
   there (see >>port), callable from an interrupt handler. */
PARCONC_API int parconc_sem_post(parconc_sem *s);
PARCONC_API int parconc_sem_wait(parconc_sem *s);
PARCONC_API int parconc_sem_trywait(parconc_sem *s);     /* OK or EBUSY */
PARCONC_API int parconc_sem_timedwait(parconc_sem *s, int64_t timeout_ns);
PARCONC_API uint32_t parconc_sem_value(const parconc_sem *s);

/* ---- condition variable (with parconc_mutex) ---------------------------
   wait: atomically unlocks m and sleeps until signaled, then re-locks m.
   Spurious wake-ups happen: always wait in a loop on your predicate.
   timedwait returns ETIMEDOUT after at least timeout_ns (m re-locked).
   The timeout restarts with every call, so a predicate loop around
   timedwait that keeps being signaled may never time out: loop on
   parconc_cond_wait_until with one deadline instead (ETIMEDOUT once
   parconc_now_ns() >= deadline_ns; PARCONC_DEADLINE_NEVER: no limit).
   All return EPERM, without waiting, when m is not locked (reported to
   the logger as misuse). */
typedef struct parconc_cond { uint32_t seq_; uint32_t waiters_; } parconc_cond;
#define PARCONC_COND_INIT {0, 0}

PARCONC_API int parconc_cond_init(parconc_cond *c);
PARCONC_API int parconc_cond_destroy(parconc_cond *c);
PARCONC_API int parconc_cond_wait(parconc_cond *c, parconc_mutex *m);
PARCONC_API int parconc_cond_timedwait(parconc_cond *c, parconc_mutex *m, int64_t timeout_ns);
#define PARCONC_DEADLINE_NEVER UINT64_MAX
PARCONC_API int parconc_cond_wait_until(parconc_cond *c, parconc_mutex *m, uint64_t deadline_ns);
PARCONC_API int parconc_cond_signal(parconc_cond *c);
PARCONC_API int parconc_cond_broadcast(parconc_cond *c);

/* ---- once ----------------------------------------------------------------
   parconc_once_call runs fn(arg) exactly once per flag, however many
   threads call it; the others wait until it returned. */
typedef struct parconc_once { uint32_t state_; } parconc_once;
#define PARCONC_ONCE_INIT {0}
PARCONC_API int parconc_once_call(parconc_once *once, void (*fn)(void *arg), void *arg);

/* ---- wait group (Go's sync.WaitGroup) ------------------------------------
   add(n) before starting n jobs, done() as each ends, wait() until zero.
   A counter that would go negative or overflow returns ERANGE, unchanged. */
typedef struct parconc_waitgroup { uint32_t count_; uint32_t waiters_; } parconc_waitgroup;
#define PARCONC_WAITGROUP_INIT {0, 0}
PARCONC_API int parconc_waitgroup_init(parconc_waitgroup *wg);
PARCONC_API int parconc_waitgroup_add(parconc_waitgroup *wg, int32_t delta);
PARCONC_API int parconc_waitgroup_done(parconc_waitgroup *wg);
PARCONC_API int parconc_waitgroup_wait(parconc_waitgroup *wg);
PARCONC_API int parconc_waitgroup_timedwait(parconc_waitgroup *wg, int64_t timeout_ns);

/* ---- several mutexes at once ---------------------------------------------
   Locks all n mutexes or none, within timeout_ns, without deadlock whatever
   order callers list them in (lock one, try the rest, back off and block on
   the busy one).  EINVAL: n == 0, a NULL entry, or the same mutex twice.
   ETIMEDOUT: none is held on return.  Under ThreadSanitizer at most 64
   (TSan's own limit on locks one thread holds; beyond it TSan aborts). */
PARCONC_API int parconc_lock_many(parconc_mutex *const *locks, size_t n, int64_t timeout_ns);
PARCONC_API int parconc_unlock_many(parconc_mutex *const *locks, size_t n);

/* ---- scoped guard (GCC / Clang) --------------------------------------------
       { PARCONC_GUARD(&m);  ... }   locks m; every way out of the enclosing
                                     block (break, continue, return, goto)
                                     unlocks it.  Guards in one block (on one
                                     line too) unlock in reverse order.
   It rests on GCC's cleanup attribute (gcc, clang, mingw-w64): MSVC has
   no equivalent in C, so there PARCONC_GUARD is not defined (C++ code
   can hold a lock in an object whose destructor unlocks). */
#if defined(__GNUC__) || defined(__clang__)
#define PARCONC__CAT2(a, b) a##b
#define PARCONC__CAT(a, b) PARCONC__CAT2(a, b)
#define PARCONC_GUARD(m)                                                        \
    parconc_mutex *PARCONC__CAT(parconc__guard_, __COUNTER__)                 \
        __attribute__((cleanup(parconc_guard_release), unused)) = parconc_guard_acquire(m)
PARCONC_API parconc_mutex *parconc_guard_acquire(parconc_mutex *m);
PARCONC_API void parconc_guard_release(parconc_mutex **slot);
#endif

/* ---- deadlock detection (PARCONC_DEBUG_LOCKS) ------------------------------
   Every mutex, reentrant, robust and rw lock acquisition records, per thread,
   which locks were already held.  The first acquisition that closes a cycle
   in the lock-order graph (A then B somewhere, B then A anywhere else, in
   any thread, at any time) is refused with PARCONC_EDEADLK, and the logger
   gets both call sites, before any thread actually deadlocks.  Re-locking a
   held non-recursive lock is reported the same way.  Define the macro in
   EVERY file (it turns the lock calls into macros that pass __FILE__ and
   __LINE__); without it none of this code exists. */
#ifdef PARCONC_DEBUG_LOCKS
PARCONC_API void parconc_debug_site(const char *file, int line);
PARCONC_API void parconc_debug_reset(void); /* forgets the recorded graph (tests) */
#define PARCONC__SITE(call) (parconc_debug_site(__FILE__, __LINE__), call)
#define parconc_mutex_lock(m)            PARCONC__SITE((parconc_mutex_lock)(m))
#define parconc_mutex_trylock(m)         PARCONC__SITE((parconc_mutex_trylock)(m))
#define parconc_mutex_timedlock(m, t)    PARCONC__SITE((parconc_mutex_timedlock)(m, t))
#define parconc_rmutex_lock(m)           PARCONC__SITE((parconc_rmutex_lock)(m))
#define parconc_rmutex_timedlock(m, t)   PARCONC__SITE((parconc_rmutex_timedlock)(m, t))
#define parconc_robust_mutex_lock(m)     PARCONC__SITE((parconc_robust_mutex_lock)(m))
#define parconc_robust_mutex_timedlock(m, t) PARCONC__SITE((parconc_robust_mutex_timedlock)(m, t))
#define parconc_rwlock_rdlock(rw)        PARCONC__SITE((parconc_rwlock_rdlock)(rw))
#define parconc_rwlock_timedrdlock(rw, t) PARCONC__SITE((parconc_rwlock_timedrdlock)(rw, t))
#define parconc_rwlock_wrlock(rw)        PARCONC__SITE((parconc_rwlock_wrlock)(rw))
#define parconc_rwlock_timedwrlock(rw, t) PARCONC__SITE((parconc_rwlock_timedwrlock)(rw, t))
#endif


/* ===================================================================== */
/* Cancellation tokens                                        >>cancel */
/* ===================================================================== */
/* A token is fired once, with a reason (a negative PARCONC_E* code), and
   stays fired.  Tasks (parconc_task_desc.cancel), loops
   (parconc_for_desc.cancel) and groups (parconc_group_desc.parent) watch
   a token: a queued task whose token fired ends CANCELED without running,
   a loop starts no new chunk, a running task asks parconc_task_canceled().
   Tokens form a tree: a child fires when its parent fires, and so do the
   child's children.  A token with a deadline (parconc_cancel_after) fires
   with PARCONC_ETIMEDOUT once the deadline passed, never before, without
   a thread of its own: whoever checks or waits on it (or on one of its
   descendants) after the deadline fires it.

   All-zero (or PARCONC_CANCEL_INIT) is a live token with no parent.
   Lifetime: a token must outlive every task, loop, group and child token
   that uses it; parconc_cancel_destroy() answers EBUSY while children
   are registered with it. */
typedef struct parconc_cancel {
    uint32_t reason_;              /* 0: live; else (uint32_t)reason; futex word */
    uint32_t has_deadline_;        /* deadline_ is set (atomic) */
    uint64_t deadline_;            /* absolute monotonic ns (under lock_) */
    struct parconc_cancel *parent_;   /* registered with it, or NULL */
    struct parconc_cancel *children_; /* registered children (under lock_) */
    struct parconc_cancel *next_, *prev_; /* siblings (under the parent's lock_) */
    struct parconc_cancel *walk_;  /* next child to fire (under lock_, while firing) */
    void (*hook_)(void *);         /* internal: called once when it fires (groups) */
    void *hook_arg_;
    parconc_mutex lock_;
} parconc_cancel;
#define PARCONC_CANCEL_INIT {0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, PARCONC_MUTEX_INIT}

/* A live token; with parent non-NULL it fires when the parent fires (at
   once if the parent has fired already).  OK or EINVAL. */
PARCONC_API int parconc_cancel_init(parconc_cancel *c, parconc_cancel *parent);
/* Fires c and every descendant with `reason` (a negative PARCONC_E*
   code; 0 or a positive value becomes PARCONC_ECANCELED).  Firing a fired
   token changes nothing (the first reason stays).  OK or EINVAL. */
PARCONC_API int parconc_cancel_request(parconc_cancel *c, int reason);
/* c fires by itself with PARCONC_ETIMEDOUT once timeout_ns passed (never
   before; 0 or negative: now).  A second call keeps the earlier
   deadline.  OK or EINVAL. */
PARCONC_API int parconc_cancel_after(parconc_cancel *c, int64_t timeout_ns);
/* PARCONC_OK while live, else the reason (negative).  Cheap: one load for
   a token without deadlines above it.  EINVAL for NULL. */
PARCONC_API int parconc_cancel_check(parconc_cancel *c);
/* Waits until c fired: OK (parconc_cancel_check gives the reason),
   ETIMEDOUT, EINVAL. */
PARCONC_API int parconc_cancel_wait(parconc_cancel *c, int64_t timeout_ns);
/* Unregisters c from its parent.  EBUSY (nothing changed) while children
   are registered with c; OK; EINVAL.  A zero-initialised token needs no
   destroy. */
PARCONC_API int parconc_cancel_destroy(parconc_cancel *c);


/* ===================================================================== */
/* Pool and futures                                             >>pool */
/* ===================================================================== */
/* A parconc_future is the result of one piece of work: a pool task, or a
   promise completed by any thread.  States: PENDING -> RUNNING -> DONE or
   FAILED; PENDING -> CANCELED.  Every submitted task ends in exactly one of
   DONE, FAILED or CANCELED.

   Ownership: a future handed to you (submit's *out, parconc_future_create)
   holds one reference; parconc_future_release() drops it.  A future in
   caller storage (parconc_future_init, or parconc_task_desc.storage) is
   never freed by parconc: it may be reused once a wait on it returned (a
   terminal state) or parconc_future_cancel() returned OK.

   An untimed wait (future_wait/get, wait_all) inside a task or loop body
   runs the task it waits for if that is still queued, so fork-join code
   never deadlocks, even on a pool of one thread; a worker waiting for a
   task running elsewhere runs other queued tasks of its pool meanwhile,
   at most PARCONC_HELP_DEPTH (16) waits deep.  Timed waits, waits on
   promises and waits outside tasks run nothing (see "what a wait runs"
   in the implementation). */

typedef struct parconc_pool parconc_pool;
typedef struct parconc_future parconc_future;
typedef void *(*parconc_task_fn)(void *arg);
typedef void (*parconc_future_callback)(parconc_future *f, void *user);
/* A continuation (parconc_future_then): `done` is the terminal future it
   followed, whatever its state; the return value is the result. */
typedef void *(*parconc_then_fn)(parconc_future *done, void *arg);
typedef struct parconc_group parconc_group;

/* Storage for one callback registration on a future (a task's input, a
   combinator's input).  Give an array of these to parconc_task_desc.
   after_links or parconc_combine_desc.links so that nothing is allocated;
   it must stay untouched until the future it is registered with is
   terminal and its callbacks ran. */
typedef struct parconc_future_link {
    struct parconc_future_link *next_;
    parconc_future *target_;       /* the task or combinator it feeds */
    void (*settled_)(struct parconc_future_link *link, uint32_t state, int error);
    uint32_t index_;               /* the input's index there */
    uint32_t kind_;                /* who frees it (see the implementation) */
} parconc_future_link;

enum {
    PARCONC_PENDING = 0,  /* queued, or a promise not yet completed */
    PARCONC_RUNNING = 1,  /* a worker is running it */
    PARCONC_DONE = 2,     /* finished; get() gives the result */
    PARCONC_CANCELED = 3, /* canceled before it ran; it never will */
    PARCONC_FAILED = 4    /* the task called parconc_task_fail / promise failed */
};

/* Pool schedules (parconc_pool_desc.schedule), for tasks submitted from
   outside the pool:
     FIFO      oldest first.  Exact with one worker; with several, a worker
               may claim a few queued tasks at once (fewer lock round trips)
               and idle workers steal those first, so start order can differ
               slightly across workers, as in any work-stealing pool.
     LIFO      newest first, exact with one worker (a worker claims one
               task at a time: a claimed batch would run before tasks
               submitted after it).
     PRIORITY  exact multilevel queue: level 7 before 6 ... before 0, FIFO
               within a level, no batching.  Low levels starve while higher
               ones stay busy: that is the trade-off of strict priorities.
   Tasks submitted by a running task go to its worker's own deque and run
   depth-first (newest first); idle workers steal them oldest first. */
enum { PARCONC_FIFO = 0, PARCONC_LIFO = 1, PARCONC_PRIORITY = 2 };
#define PARCONC_PRIORITY_LEVELS 8 /* priorities 0 (lowest) .. 7 (highest) */

/* Shutdown modes. */
enum { PARCONC_SHUTDOWN_DRAIN = 0, PARCONC_SHUTDOWN_CANCEL = 1 };

typedef struct parconc_allocator {
    void *(*alloc_fn)(size_t size, void *user_data); /* NULL: PARCONC_MALLOC */
    void (*free_fn)(void *ptr, void *user_data);
    void *user_data;
} parconc_allocator;

/* Opaque-in-spirit but caller-allocatable: declare one (or an array) to
   give futures storage of your own; touch fields only through the API. */
struct parconc_future {
    uint32_t state_;      /* futex word: PARCONC_* state | PARCONC__F_BUSY */
    uint32_t refs_;
    uint32_t flags_;
    int32_t error_;
    void *result_;
    parconc_task_fn fn_;
    void *arg_;
    parconc_pool *pool_;
    struct parconc_future *next_, *prev_; /* pool queue links */
    uint32_t priority_, linked_;
    parconc_mutex cb_lock_;
    uint32_t fired_;
    parconc_future_callback cb_fn_;       /* first callback, inline */
    void *cb_user_;
    void *cb_more_;       /* further callbacks (allocated) */
    void *wait_nodes_;    /* wait_any registrations */
    void *dependents_;    /* links of tasks and combinators fed by this one */
    /* structured concurrency (all NULL/0 for a plain task or promise) */
    parconc_cancel *cancel_;              /* parconc_task_desc.cancel */
    parconc_group *group_;                /* the group it belongs to */
    const char *name_;                    /* parconc_task_desc.name */
    uint32_t deps_;                       /* inputs not yet terminal (+1 while registering) */
    union {
        struct { struct parconc_future *src; parconc_then_fn fn; } then_; /* a continuation: its
                                             input (one reference) and function (arg_: its argument) */
        struct { int32_t error; uint32_t canceled; } all_; /* when_all: the first failure, a cancel */
        uint64_t at_;                     /* a delayed task: when it is due (monotonic ns) */
    } ext_;
    parconc_future_link dep_link_;        /* the first input's registration */
};

/* Hooks a pool calls (parconc_pool_desc.hooks; any may be NULL), for a
   profiler or a log: from the worker itself (worker = its index), or, for
   a task another thread runs (caller-runs, a wait that runs the task it
   waits for), from that thread with worker -1.  name: the task's
   parconc_task_desc.name, or NULL.  They must not block for long: the
   worker is held meanwhile.  With no hooks (and no trace) each costs the
   pool one predictable branch. */
typedef struct parconc_pool_hooks {
    void (*worker_start)(int worker, void *user);
    void (*worker_stop)(int worker, void *user);
    void (*task_begin)(int worker, const char *name, void *user);
    void (*task_end)(int worker, const char *name, void *user);
    void (*idle_begin)(int worker, void *user);  /* found no work: about to spin or sleep */
    void (*idle_end)(int worker, void *user);    /* looking for work again */
    void *user;
} parconc_pool_hooks;

typedef struct parconc_pool_desc {
    int threads;             /* 0: parconc_cpu_count(); < 0 is EINVAL */
    size_t queue_capacity;   /* 0: unbounded; else max queued (not running) tasks */
    int block_when_full;     /* bounded and full: 0 submit returns EAGAIN; 1 it waits
                                (parconc_task_desc.timeout_ns, plain submit: forever) */
    int schedule;            /* PARCONC_FIFO (default), PARCONC_LIFO, PARCONC_PRIORITY */
    const char *name;        /* worker thread names: "<name>-<i>" (default "parconc") */
    parconc_allocator allocator;
    void *memory;            /* caller-provided memory for the pool itself ...     */
    size_t memory_size;      /* ... of at least parconc_pool_memory_size(desc) bytes */
    size_t deque_capacity;   /* per-worker deque slots, power of two (0: 256); a full
                                deque doubles (to 1M) unless memory is caller-provided
                                or caller_runs_when_full is set */
    const parconc_pool_hooks *hooks; /* copied at create; NULL: none */
    int caller_runs_when_full; /* 1: a full queue makes submit run the task itself,
                                  on the calling thread; wins over block_when_full
                                  (see parconc_pool_submit) */
    size_t stack_size;       /* worker stacks (parconc_thread_opts.stack_size; 0: default) */
    int priority;            /* worker priority (parconc_thread_opts.priority; 0: default) */
} parconc_pool_desc;

/* Options of one submission (parconc_pool_submit_ex); zero = defaults. */
typedef struct parconc_task_desc {
    parconc_task_fn fn;
    void *arg;
    int priority;              /* PARCONC_PRIORITY pools: 0..7, higher first */
    parconc_future *storage;   /* caller storage for the future (no allocation) */
    int64_t timeout_ns;        /* block_when_full pools: how long submit may wait for
                                  room (TIMEOUTS: 0, the zero-initialised value, tries
                                  once; PARCONC_FOREVER waits like plain submit); a
                                  group at its limit: how long group submit waits */
    parconc_cancel *cancel;    /* a token: once it fired, the task, if not yet
                                  running, ends CANCELED without running */
    parconc_future *const *after; /* inputs: the task is accepted now and queued once
                                  every one is terminal (whatever its state) */
    size_t after_count;
    parconc_future_link *after_links; /* caller storage for after_count registrations
                                  (NULL: the first needs none, others allocate) */
    int64_t delay_ns;          /* > 0: accepted now, queued once this much time has passed
                                  (never earlier; not with `after`) */
    const char *name;          /* for hooks and traces (kept as a pointer: static text) */
} parconc_task_desc;

typedef struct parconc_worker_stats {
    uint64_t tasks_run;
    uint64_t busy_ns;          /* time spent finding and running tasks */
    uint64_t steals;           /* tasks taken from other workers' deques */
} parconc_worker_stats;

/* submitted/completed/canceled/failed count your tasks only: the helper
   tasks parallel_for may queue show in queued/running while they exist
   and in the workers' tasks_run, never in these four once settled. */
typedef struct parconc_pool_stats {
    uint64_t submitted, completed, canceled, failed;
    uint64_t queued;           /* waiting to run now */
    uint64_t running;          /* being run now by workers */
    uint64_t steals;
    int threads;
} parconc_pool_stats;

/* Creates a pool.  desc NULL = defaults.  EINVAL (threads < 0 or > 1024,
   unknown schedule, memory too small or misaligned, deque_capacity not a
   power of two), ENOMEM, EAGAIN (threads could not start). */
PARCONC_API int parconc_pool_create(parconc_pool **pool, const parconc_pool_desc *desc);
/* Bytes the pool needs when desc->memory is given (threads resolved as in
   create; the answer does not depend on desc->memory being set yet).  With memory, the pool never uses the heap: submissions need
   caller storage (parconc_task_desc.storage) or one of queue_capacity
   preallocated slots, except a FIFO pool's fire-and-forget submissions
   from outside it, which fit in its submission ring while it has room. */
PARCONC_API size_t parconc_pool_memory_size(const parconc_pool_desc *desc);
/* Queues fn(arg).  out NULL: fire and forget; else *out gets a future with
   one reference for you.  OK, EINVAL, ESHUTDOWN, EAGAIN (bounded queue
   full), ETIMEDOUT (blocked submit timed out), ENOMEM.
   In a FIFO pool a submission from outside the pool takes the lock-free
   submission ring (PARCONC_POOL_RING): with out NULL it allocates nothing
   and takes no lock.  A full ring makes the call wait while the workers
   keep taking tasks (it gives up after ~64 rounds of 32 pauses in which
   none was taken) and then queue on the locked list, so it never waits
   on stuck workers.
   Caller-runs (desc.caller_runs_when_full): when the queue this
   submission would take is full - a bounded pool at queue_capacity, a
   FIFO pool's ring, or, from inside a task, the worker's own deque - the
   calling thread runs the task itself before submit returns OK (Java's
   CallerRunsPolicy; libgomp does the same once 64 tasks per thread are
   queued).  Its future, if any, is already DONE or FAILED then; the task
   skips the tasks still queued; parconc_task_fail and
   parconc_pool_current work inside it.  A thread that found the ring
   full runs its next 64 submissions to that pool itself before it looks
   at the ring again.  Such a task is part of the submit call: wait_idle
   does not wait for it and stats count it only once it finished (not in
   `running`).  Do not submit this way while holding a lock the task takes.
   An unbounded PRIORITY pool is never full, an unbounded LIFO pool only
   for its own tasks' submissions. */
PARCONC_API int parconc_pool_submit(parconc_pool *p, parconc_task_fn fn, void *arg, parconc_future **out);
PARCONC_API int parconc_pool_submit_ex(parconc_pool *p, const parconc_task_desc *task, parconc_future **out);
/* Delayed tasks and timers.  A delayed task (submit_after, or
   parconc_task_desc.delay_ns) is accepted at once and counted as queued
   (wait_idle and a draining shutdown wait for it, cancel() and
   shutdown(CANCEL) reach it), and is queued once delay_ns has passed,
   never earlier.  No thread is added: the pool's workers keep the timers,
   an idle one sleeping until the earliest is due, a busy one looking
   between tasks, so a pool whose workers all run long tasks starts a due
   task when one of them finishes.  Timers live in the tasks' futures (and
   parconc_timer in caller memory): nothing beyond the future is
   allocated.  OK, EINVAL (delay_ns <= 0), and as parconc_pool_submit. */
PARCONC_API int parconc_pool_submit_after(parconc_pool *p, int64_t delay_ns, parconc_task_fn fn, void *arg,
                                          parconc_future **out);

/* A periodic timer: fn(arg) runs first after first_ns, then every
   period_ns, each run a task on the pool.  FIXED_RATE: runs are due at
   first + k * period (a run that comes too late is not repeated to catch
   up: the next is the first multiple still ahead); FIXED_DELAY: each run
   is due period_ns after the previous one ended.  Runs never overlap.
   The timer lives in caller memory and holds the futures of its runs. */
enum { PARCONC_TIMER_FIXED_RATE = 0, PARCONC_TIMER_FIXED_DELAY = 1 };
typedef struct parconc_timer {
    parconc_pool *pool_;
    parconc_task_fn fn_;
    void *arg_;
    uint64_t period_, next_;
    int mode_;
    uint32_t stopped_, which_;
    parconc_mutex lock_;
    parconc_future *armed_;    /* the run pending or running, or NULL */
    parconc_future runs_[2];   /* storage of the runs, in turn */
} parconc_timer;
/* OK; EINVAL (NULL, period_ns <= 0, first_ns < 0, unknown mode);
   ESHUTDOWN; as parconc_pool_submit. */
PARCONC_API int parconc_timer_start(parconc_timer *t, parconc_pool *p, int64_t first_ns, int64_t period_ns, int mode,
                                    parconc_task_fn fn, void *arg);
/* No run starts after this; returns once a run in progress has ended
   (from the timer's own run: at once, and that run is the last).  The
   timer may then be started again or its memory reused.  OK or EINVAL. */
PARCONC_API int parconc_timer_stop(parconc_timer *t);
/* Waits until no task is queued or running and the futures of the
   finished ones are settled (get(f, 0) answers); a task whose future a
   wait already returned is never waited for, so wait_idle(p, 0) right
   after it answers OK.  OK or ETIMEDOUT; EDEADLK
   when called from one of the pool's own tasks (one a worker runs, or one
   the calling thread runs for its own submission because the queue was
   full, also further down that task's stack). */
PARCONC_API int parconc_pool_wait_idle(parconc_pool *p, int64_t timeout_ns);
/* Pauses the pool without signals: workers start no new task (queued and
   new submissions wait; a caller-runs pool still runs a submission whose
   queue is full on the caller).  Waits up to timeout_ns until every
   worker has stopped: tasks running now finish first, and one that waits
   on a future still runs queued tasks meanwhile (fork-join cannot
   deadlock on a pause).  parallel_for on a paused pool runs on the
   caller alone.  OK; ETIMEDOUT (still paused: the others stop as their
   tasks end); ESHUTDOWN; EDEADLK from one of the pool's own tasks;
   EINVAL.  Pausing a paused pool waits again. */
PARCONC_API int parconc_pool_pause(parconc_pool *p, int64_t timeout_ns);
/* Lets a paused pool's workers go on.  OK or EINVAL; shutdown resumes a
   paused pool itself. */
PARCONC_API int parconc_pool_resume(parconc_pool *p);
/* Stops accepting work (submit then returns ESHUTDOWN).  DRAIN: queued
   tasks still run; CANCEL: queued tasks end CANCELED, running ones finish.
   Waits up to timeout_ns for the pool to be idle, then joins the workers.
   OK, ETIMEDOUT (call again or destroy), EDEADLK from inside a task. */
PARCONC_API int parconc_pool_shutdown(parconc_pool *p, int mode, int64_t timeout_ns);
/* Shuts down (DRAIN) if needed, joins every worker and frees the pool.
   Futures you still hold stay valid (release them), except those living
   in the pool's own memory.  From one of the pool's own tasks (as for
   wait_idle) it reports EDEADLK to the logger and returns, changing
   nothing (with PARCONC_MISUSE_ABORTS it traps).  Tasks that waited for
   inputs (parconc_task_desc.after) and were canceled keep a hold on the
   pool's block until those inputs are terminal: a heap block is freed
   then; for a block in caller memory destroy waits for them. */
PARCONC_API void parconc_pool_destroy(parconc_pool *p);
/* fork(): a child process gets a copy of each pool but none of its
   threads.  There, a pool created before the fork answers ESHUTDOWN to
   submit, wait_idle, pause, resume, shutdown and cancel (without touching
   its locks), waits on its unfinished futures answer ESHUTDOWN at once,
   parallel_for on it runs on the caller alone, and destroy only frees its
   memory.  A task (or loop body) that forks: in the child, once it
   returns, its worker takes none of the parent's work; that thread, the
   child's only one, ends, and the child exits with status 0.  Pools
   created in the child work normally.  parconc_after_fork_child() does
   this; it is registered with pthread_atfork() when the first pool is
   created (or the parking table first used) unless PARCONC_NO_ATFORK is
   defined, and a PARCONC_PORT_CUSTOM program that forks calls it itself
   in the child. */
PARCONC_API void parconc_after_fork_child(void);
/* Pool-wide counters (a snapshot; each counter is read atomically, the set
   is not).  OK or EINVAL. */
PARCONC_API int parconc_pool_stats_get(parconc_pool *p, parconc_pool_stats *out);
/* Counters of worker `index` (0 .. threads-1): for a per-worker
   utilisation line.  OK or EINVAL. */
PARCONC_API int parconc_pool_worker_stats(parconc_pool *p, int index, parconc_worker_stats *out);
/* Number of worker threads. */
PARCONC_API int parconc_pool_threads(const parconc_pool *p);

/* A trace of a pool's tasks and parallel_for chunks, in caller memory (no
   heap, no stdio): start with a buffer (8-byte aligned) of
   parconc_trace_memory_size(n) bytes for n events (one per task or chunk:
   worker, begin, end, name), shared equally by the workers and the other
   threads, each part keeping its latest events; stop; then write it as
   Chrome trace JSON (one complete event per task and chunk, one track per
   worker, -1 for other threads), which chrome://tracing and Perfetto
   open.  write(data, len, user) gets the text in pieces and answers 0
   (else the writing stops with its value).  start: OK, EINVAL (NULL,
   misaligned, fewer than threads + 1 events), EBUSY (already tracing);
   stop: OK, EINVAL; write: OK, EINVAL (no trace yet), EBUSY (still
   tracing), the writer's error.  While tracing, each task and chunk costs
   two time-stamp reads (the TSC on x86) and an event slot. */
typedef int (*parconc_write_fn)(const char *data, size_t len, void *user);
PARCONC_API size_t parconc_trace_memory_size(size_t events);
PARCONC_API int parconc_trace_start(parconc_pool *p, void *buffer, size_t size);
PARCONC_API int parconc_trace_stop(parconc_pool *p);
PARCONC_API int parconc_trace_write_chrome(parconc_pool *p, parconc_write_fn write, void *user);

/* From inside a task: mark it FAILED with err (nonzero; 0 becomes EINVAL).
   Use as  `return parconc_task_fail(PARCONC_EINVAL);`.  Outside a task it
   does nothing.  Returns NULL. */
PARCONC_API void *parconc_task_fail(int err);
/* The pool whose task the calling thread is running, or NULL. */
PARCONC_API parconc_pool *parconc_pool_current(void);

/* Waits for a terminal state: OK (DONE or FAILED), ECANCELED, ETIMEDOUT;
   ESHUTDOWN at once in a child process for an unfinished task of a pool
   created before the fork (see parconc_after_fork_child). */
PARCONC_API int parconc_future_wait(parconc_future *f, int64_t timeout_ns);
/* Waits, then: OK with *result (may be NULL), the task's error (FAILED),
   ECANCELED or ETIMEDOUT (ESHUTDOWN after fork, as future_wait). */
PARCONC_API int parconc_future_get(parconc_future *f, void **result, int64_t timeout_ns);
/* OK if the task will never run (also when already canceled: then it
   returns once the first cancel's callbacks have run, so the future is
   settled and its storage reusable); EBUSY if it is running or finished. */
PARCONC_API int parconc_future_cancel(parconc_future *f);
/* One of PARCONC_PENDING/RUNNING/DONE/CANCELED/FAILED (EINVAL for NULL). */
PARCONC_API int parconc_future_state(const parconc_future *f);
/* cb(f, user) runs exactly once when f reaches a terminal state: on the
   completing thread, or at once on this thread if it already has.  The
   first callback needs no memory; further ones allocate (ENOMEM).  A
   callback may call any future function on f (waits on f from its own
   callbacks see it settled) and may release any reference, the last one
   included: f stays valid until the callbacks have run. */
PARCONC_API int parconc_future_on_done(parconc_future *f, parconc_future_callback cb, void *user);
PARCONC_API void parconc_future_retain(parconc_future *f);
/* Drops a reference; the last one frees it.  A release of a future with
   no reference left is reported to the logger (EPERM) and does nothing
   (with PARCONC_MISUSE_ABORTS it traps). */
PARCONC_API void parconc_future_release(parconc_future *f);
/* A promise: a PENDING future completed by complete/fail (or canceled).
   create allocates (ENOMEM); init uses caller storage. */
PARCONC_API int parconc_future_create(parconc_future **f);
PARCONC_API int parconc_future_init(parconc_future *storage);
/* OK, or EBUSY if already terminal, EPERM for a pool task's future. */
PARCONC_API int parconc_future_complete(parconc_future *f, void *result);
PARCONC_API int parconc_future_fail(parconc_future *f, int error);
/* OK once every future is terminal (inspect each), ETIMEDOUT, EINVAL.
   n == 0 returns OK at once. */
PARCONC_API int parconc_wait_all(parconc_future *const *fs, size_t n, int64_t timeout_ns);
/* OK with *index of a terminal future (the lowest index among those
   already terminal), ETIMEDOUT, EINVAL (n == 0, NULL entries). */
PARCONC_API int parconc_wait_any(parconc_future *const *fs, size_t n, size_t *index, int64_t timeout_ns);

/* As-completed iteration (concurrent.futures.as_completed): each call to
   next yields one future not yielded before, in completion order.  The
   array is reordered in place (yielded ones move to the front).  Returns
   OK, ETIMEDOUT, or PARCONC_EDONE once all were yielded. */
typedef struct parconc_as_completed {
    parconc_future **futures;
    size_t count, yielded;
} parconc_as_completed;
PARCONC_API int parconc_as_completed_init(parconc_as_completed *it, parconc_future **fs, size_t n);
PARCONC_API int parconc_as_completed_next(parconc_as_completed *it, parconc_future **out, int64_t timeout_ns);

/* ---- task groups, continuations, combinators ------------- >>groups */
/* A group is a set of tasks waited on as one (TBB's task_group, Go's
   errgroup, asyncio's TaskGroup).  Unless keep_going is set, the first
   member to fail cancels the rest: the group's token fires, so queued
   members end CANCELED without running and running ones see it in
   parconc_task_canceled().  The group lives in caller memory; its members'
   futures are ordinary futures (heap, pool slots, or desc.storage). */
typedef struct parconc_group_desc {
    parconc_pool *pool;        /* where members run (required) */
    parconc_cancel *parent;    /* optional: the group is canceled when it fires */
    size_t limit;              /* 0: none; else at most this many members running or
                                  queued at any instant (submit waits for room) */
    int keep_going;            /* 0: the first failure cancels the rest */
} parconc_group_desc;

struct parconc_group {
    parconc_pool *pool_;
    parconc_cancel token_;     /* fires on cancel, first failure or the parent */
    uint32_t count_;           /* members not yet settled, | WAITERS (futex word) */
    uint32_t limit_;
    int32_t error_;            /* the first failure's error, or 0 */
    uint32_t canceled_;        /* a member ended CANCELED */
    int keep_going_;
    uint32_t magic_;           /* set by init, cleared by destroy */
};

/* OK, EINVAL (NULL group or pool, limit above 2^30). */
PARCONC_API int parconc_group_init(parconc_group *g, const parconc_group_desc *desc);
/* Submits fn(arg) as a member (out as for parconc_pool_submit).  At the
   limit it waits for room: plain submit without limit of time, _ex for
   task->timeout_ns (0: tries once), try_submit not at all (EAGAIN).  OK,
   ECANCELED (the group was canceled: nothing submitted), ETIMEDOUT,
   EAGAIN, EINVAL, ESHUTDOWN, ENOMEM.  task->cancel, after and storage
   work as for parconc_pool_submit_ex. */
PARCONC_API int parconc_group_submit(parconc_group *g, parconc_task_fn fn, void *arg, parconc_future **out);
PARCONC_API int parconc_group_submit_ex(parconc_group *g, const parconc_task_desc *task, parconc_future **out);
PARCONC_API int parconc_group_try_submit(parconc_group *g, parconc_task_fn fn, void *arg, parconc_future **out);
/* Waits until every member is settled (a wait on it answers at once): OK when all
   succeeded; else the first failure's error, or ECANCELED (the group was
   canceled or a member was); ETIMEDOUT; EDEADLK from one of the group's
   own members.  An untimed wait inside a task of the group's pool runs
   queued tasks meanwhile (one thread cannot deadlock), like future waits.
   A group may be waited on again and take new members afterwards. */
PARCONC_API int parconc_group_wait(parconc_group *g, int64_t timeout_ns);
/* Fires the group's token (reason ECANCELED): queued members end
   CANCELED, running ones see parconc_task_canceled(), later submits
   answer ECANCELED.  OK or EINVAL. */
PARCONC_API int parconc_group_cancel(parconc_group *g);
/* EBUSY (nothing changed) while a member is not yet settled, waiting
   for its inputs included; OK; EINVAL. */
PARCONC_API int parconc_group_destroy(parconc_group *g);
/* Inside a task: OK, or the reason its token or its group's token fired.
   Outside a task (or for a task without either): OK. */
PARCONC_API int parconc_task_canceled(void);

/* Runs fn(f, arg) on pool once f is terminal, whatever its state; *out
   settles with fn's result (or FAILED with fn's parconc_task_fail, or
   CANCELED if *out was canceled first).  Blocks nothing while waiting, and
   a chain of continuations grows no stack: each link is queued as a task.
   f is kept alive (one reference) until fn ran.  storage: caller memory
   for the result future (then_ex), else a pool future.  OK, EINVAL,
   ESHUTDOWN, ENOMEM. */
PARCONC_API int parconc_future_then(parconc_future *f, parconc_pool *pool, parconc_then_fn fn, void *arg,
                                    parconc_future **out);
PARCONC_API int parconc_future_then_ex(parconc_future *f, parconc_pool *pool, parconc_then_fn fn, void *arg,
                                       parconc_future *storage, parconc_future **out);

/* Caller memory for a combinator (zero: allocate). */
typedef struct parconc_combine_desc {
    parconc_future *storage;      /* the result future */
    parconc_future_link *links;   /* one per input */
} parconc_combine_desc;
/* *out settles once all n are terminal: DONE (result NULL) if all are
   DONE; else FAILED with the first failure's error (in time), or CANCELED
   if only cancellations.  n == 0: DONE at once.  Blocks nothing.  The
   inputs must stay valid until *out settles.  OK, EINVAL, ENOMEM. */
PARCONC_API int parconc_when_all(parconc_future *const *fs, size_t n, parconc_future **out);
PARCONC_API int parconc_when_all_ex(parconc_future *const *fs, size_t n, const parconc_combine_desc *desc,
                                    parconc_future **out);
/* *out settles DONE as soon as one input is terminal, with that input's
   index as its result ((void *)(uintptr_t)index).  The inputs must stay
   valid, and links and storage untouched, until all of them are terminal
   (each keeps a registration until then).  OK, EINVAL (n == 0), ENOMEM. */
PARCONC_API int parconc_when_any(parconc_future *const *fs, size_t n, parconc_future **out);
PARCONC_API int parconc_when_any_ex(parconc_future *const *fs, size_t n, const parconc_combine_desc *desc,
                                    parconc_future **out);

/* ---- serial queues -------------------------------------------- >>serial */
/* Tasks that run one at a time, in submission order, on the pool's
   workers, without a thread of their own (a GCD serial queue, an Asio
   strand): each is a task whose one input is the task submitted before
   it, so it starts once that one has settled, whatever its state (a
   canceled or failed task does not stop the queue).  Order is the order
   in which submits entered the queue's lock.  The queue lives in caller
   memory and needs no heap beyond the tasks' futures (none with
   task->storage or a pool in caller memory).  A task's caller storage may
   be reused for the queue's next task, or for anything once the queue's
   next task was submitted or the queue destroyed (the queue keeps a
   pointer to its last task).  In a bounded blocking pool a submit waits
   for room holding the queue, so the others wait behind it. */
typedef struct parconc_serial {
    parconc_pool *pool_;
    parconc_mutex lock_;
    parconc_future *last_;     /* the last task submitted (one reference), or NULL */
    uint32_t magic_;
} parconc_serial;
/* OK or EINVAL (NULL queue or pool). */
PARCONC_API int parconc_serial_init(parconc_serial *s, parconc_pool *pool);
/* As parconc_pool_submit / _submit_ex, into the queue (task->after is not
   available here: EINVAL).  OK, EINVAL, ESHUTDOWN, EAGAIN, ETIMEDOUT,
   ENOMEM. */
PARCONC_API int parconc_serial_submit(parconc_serial *s, parconc_task_fn fn, void *arg, parconc_future **out);
PARCONC_API int parconc_serial_submit_ex(parconc_serial *s, const parconc_task_desc *task, parconc_future **out);
/* Waits until the last task submitted so far (and so every one before it)
   has settled: OK, ETIMEDOUT, EINVAL. */
PARCONC_API int parconc_serial_wait(parconc_serial *s, int64_t timeout_ns);
/* Drops the queue's hold on its last task; tasks still queued run as
   submitted.  OK or EINVAL. */
PARCONC_API int parconc_serial_destroy(parconc_serial *s);


/* ===================================================================== */
/* Work division                                            >>division */
/* ===================================================================== */

/* Block split of n items into `parts` parts: part `index` gets
   [*begin, *end).  The first n % parts parts get n/parts + 1 items, the
   rest n/parts.  Pure (no pool, no state): usable for MPI ranks, CUDA
   blocks, files.  Overflow-safe for any n.  Precondition: parts > 0 and
   index < parts; otherwise *begin = *end = 0 (the checked variant says
   EINVAL). */
PARCONC_API void parconc_split(size_t n, size_t parts, size_t index, size_t *begin, size_t *end);
PARCONC_API int parconc_split_checked(size_t n, size_t parts, size_t index, size_t *begin, size_t *end);

/* fn(begin, end, worker, arg) processes items [begin, end); worker is the
   index of the participating thread (0 = the caller), < pool threads + 1. */
typedef void (*parconc_range_fn)(size_t begin, size_t end, size_t worker, void *arg);

enum {
    PARCONC_AUTO = 0,    /* default: adaptive chunks sized from measured cost */
    PARCONC_STATIC = 1,  /* K contiguous blocks of n/K or n/K+1 items */
    PARCONC_DYNAMIC = 2, /* each participant takes the next `chunk` items (0 = 1) */
    PARCONC_GUIDED = 3,  /* chunks shrink with the remaining work, >= chunk */
    PARCONC_RESPAWN = 4  /* K live threads, one chunk each, a fresh thread per chunk */
};

typedef struct parconc_for_desc {
    int schedule;            /* PARCONC_AUTO (0) ... PARCONC_RESPAWN */
    size_t chunk;            /* DYNAMIC: chunk; GUIDED: minimum; RESPAWN: per thread
                                (0: n/4K; raised to keep <= 64 threads per participant) */
    int max_workers;         /* cap on participants, caller included (0: pool threads + 1;
                                a default pool: one per CPU, one worker sits out) */
    void (*progress)(size_t done, size_t total, void *user); /* optional */
    void *progress_user;
    int64_t progress_interval_ns; /* minimum time between reports (0: 100 ms) */
    parconc_cancel *cancel;  /* once it fired no new chunk starts; the loop returns
                                the token's reason */
} parconc_for_desc;

/* Runs fn over [0, n) on the pool and the calling thread; returns when all
   of it ran.  desc NULL = PARCONC_AUTO.  pool NULL runs serially here.
   Callable from inside a pool task (the wait helps the pool).  Returns OK,
   ECANCELED (fn called parconc_for_stop), the reason of desc->cancel
   once it fired, EINVAL (NULL fn, unknown schedule).  Progress: progress(done, total) from one thread at a time,
   at most once per interval, and exactly once with done == total at the
   end (not after a stop). */
PARCONC_API int parconc_parallel_for(parconc_pool *p, size_t n, parconc_range_fn fn, void *arg,
                                     const parconc_for_desc *desc);
/* From inside fn: no new chunk of the current loop starts after this
   (chunks already running finish); the loop returns PARCONC_ECANCELED.
   Use for searches ("stop at the first match").  Returns EINVAL outside a
   loop. */
PARCONC_API int parconc_for_stop(void);

/* Reduction.  result holds the identity on entry.  The range is split into
   fixed blocks (from n and the participant count only, never from timing);
   each block starts from a copy of the identity, fn folds its items into
   it, and the blocks are combined into result in block order: the same
   result every run for any associative combine, floating point included.
   partial_size bytes per block (<= 256).  Returns OK, EINVAL, ECANCELED
   (parconc_for_stop; result untouched), desc->cancel's reason once it
   fired (result untouched), or ENOMEM (result untouched) when partials
   larger than 64 bytes for many workers need heap memory and there is
   none. */
typedef void (*parconc_reduce_fn)(size_t begin, size_t end, void *partial, void *arg);
typedef void (*parconc_combine_fn)(void *into, const void *from, void *arg);
PARCONC_API int parconc_parallel_reduce(parconc_pool *p, size_t n, parconc_reduce_fn fn, parconc_combine_fn combine,
                                        void *result, size_t partial_size, void *arg, const parconc_for_desc *desc);

/* "How many parallels?": what PARCONC_AUTO would do for n items that cost
   ns_per_item each on this pool, and why.  OK, or EINVAL (out NULL, a cost
   that is negative, infinite or NaN). */
typedef struct parconc_for_advice {
    int workers;             /* participants worth using (1 = run inline) */
    size_t chunk;            /* items per chunk */
    double expected_speedup; /* vs one thread, ignoring memory bandwidth */
    const char *reason;      /* one sentence */
} parconc_for_advice;
PARCONC_API int parconc_for_advise(const parconc_pool *p, size_t n, double ns_per_item, parconc_for_advice *out);

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

#if !defined(PARCONC_ASSERT) && defined(PARCONC_NO_STDIO) && !defined(NDEBUG)
/* assert() prints with stdio (newlib's pulls in fprintf): report through
   the logger instead, then stop. */
#define PARCONC_ASSERT(x) ((x) ? (void)0 : parconc__assert_failed(#x, __FILE__, __LINE__))
#elif !defined(PARCONC_ASSERT)
#include <assert.h>
#define PARCONC_ASSERT(x) assert(x)
#endif

#if !defined(PARCONC_MALLOC) && !defined(PARCONC_NO_MALLOC)
#include <stdlib.h>
#define PARCONC_MALLOC(sz) malloc(sz)
#define PARCONC_FREE(p) free(p)
#endif

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <string.h>
/* Which backend, and its OS headers: a custom port (PARCONC_PORT_CUSTOM),
   Win32 (threads, the WaitOnAddress futex, QueryPerformanceCounter; no
   pthreads), or POSIX (pthreads, with the Linux futex or the portable
   parking table).  The headers come here, before extern "C" (C++ headers
   among them must not be wrapped in it); the code that uses them is in the
   backend's own section (>>backend). */
#if defined(_WIN32) && !defined(PARCONC_PORT_CUSTOM)
#define PARCONC__WIN32 1
#else
#define PARCONC__WIN32 0
#endif
#if PARCONC__WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0602 /* Windows 8: WaitOnAddress */
#elif _WIN32_WINNT < 0x0602
#error "parconc: the Win32 backend needs _WIN32_WINNT >= 0x0602 (Windows 8) for WaitOnAddress"
#endif
#include <windows.h>
#include <process.h>
#ifdef _MSC_VER
#pragma comment(lib, "synchronization.lib") /* WaitOnAddress; mingw: link -lsynchronization */
#endif
#elif !defined(PARCONC_PORT_CUSTOM)
#include <time.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <fcntl.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#endif

#if defined(__linux__) && !defined(PARCONC_NO_FUTEX) && !defined(PARCONC_PORT_CUSTOM)
#define PARCONC__USE_FUTEX 1
#include <linux/futex.h>
#else
#define PARCONC__USE_FUTEX 0
#endif

#if defined(__GLIBC__) && !defined(__USE_GNU) && !defined(PARCONC_PORT_CUSTOM)
#error "parconc: include parconc.h before other system headers in the file that defines PARCONC_IMPLEMENTATION, or compile it with -D_GNU_SOURCE"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PARCONC__PRIVATE static __attribute__((unused))
#define PARCONC__LIKELY(x) __builtin_expect(!!(x), 1)
#define PARCONC__UNLIKELY(x) __builtin_expect(!!(x), 0)
/* slow paths kept out of line, so the fast path that calls them needs no
   stack frame of its own */
#define PARCONC__NOINLINE __attribute__((noinline))
/* steps of a hot path that has two callers (one of them rare), kept
   inline in both */
#define PARCONC__INLINE inline __attribute__((always_inline))
#else
#define PARCONC__PRIVATE static
#define PARCONC__LIKELY(x) (x)
#define PARCONC__UNLIKELY(x) (x)
#define PARCONC__NOINLINE
#define PARCONC__INLINE inline
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* Errors                                                >>impl-errors */
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
    case PARCONC_EDONE:           return "nothing left";
    case PARCONC_EDEVICE:         return "device error";
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
/* Platform: atomics, logging, allocation, deadlines      >>platform */
/* ===================================================================== */

/* Atomics: the GCC/Clang __atomic builtins work on plain integers in both C
   and C++ builds (C11 <stdatomic.h> does not compile as C++11), and TSan
   understands them.  Every use names its memory order and says why.
   MSVC (and clang-cl) has no __atomic: the branch after this one maps the
   same macros onto its interlocked intrinsics. */
#if !defined(_MSC_VER) || defined(__GNUC__)
#define PARCONC__MSVC_ATOMICS 0
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
#else
/* MSVC: the _Interlocked* read-modify-writes are full barriers on x86, x64
   and ARM64 (the plain, unsuffixed forms), so they serve every order.
   Loads and stores are __iso_volatile accesses (never torn, never merged)
   with a barrier where the order asks for one: a compiler barrier on x86
   and x64, whose loads already acquire and stores already release, and a
   DMB on ARM64; a seq_cst store is an exchange.  The macros dispatch on
   the operand's size and give the result the operand's type (decltype in
   C++, __typeof__ in C: Visual Studio 2022 17.9 or clang-cl).  64-bit
   operands appear only on 64-bit targets (see parconc__u64). */
#include <intrin.h>
#define PARCONC__MSVC_ATOMICS 1
#define PARCONC__RELAXED 0
#define PARCONC__ACQUIRE 2
#define PARCONC__RELEASE 3
#define PARCONC__ACQ_REL 4
#define PARCONC__SEQ_CST 5
#if defined(_M_ARM64) || defined(_M_ARM)
#define PARCONC__MSVC_FENCE() __dmb(0xB) /* ISH */
#define PARCONC__MSVC_FULL_FENCE() __dmb(0xB)
#else
#define PARCONC__MSVC_FENCE() _ReadWriteBarrier()
#define PARCONC__MSVC_FULL_FENCE() _mm_mfence() /* orders a store before a later load too */
#endif
#ifdef __cplusplus
} /* templates need C++ linkage */
template <class T> struct parconc__bare { typedef T type; };
template <class T> struct parconc__bare<T &> : parconc__bare<T> {};
template <class T> struct parconc__bare<const T> : parconc__bare<T> {};
template <class T> struct parconc__bare<volatile T> : parconc__bare<T> {};
template <class T> struct parconc__bare<const volatile T> : parconc__bare<T> {};
extern "C" {
#define PARCONC__TYPEOF(x) parconc__bare<decltype(x)>::type
#else
#define PARCONC__TYPEOF(x) __typeof__(x)
#endif
static __forceinline uint64_t parconc__msvc_load(const volatile void *p, size_t size, int mo)
{
    uint64_t v;
    switch (size) {
    case 1: v = (uint8_t)__iso_volatile_load8((const volatile char *)p); break;
    case 2: v = (uint16_t)__iso_volatile_load16((const volatile short *)p); break;
    case 4: v = (uint32_t)__iso_volatile_load32((const volatile int *)p); break;
    default: v = (uint64_t)__iso_volatile_load64((const volatile __int64 *)p); break;
    }
    if (mo != PARCONC__RELAXED) PARCONC__MSVC_FENCE();
    return v;
}
static __forceinline uint64_t parconc__msvc_rmw(volatile void *p, size_t size, int op, uint64_t v)
{
    /* op: 0 exchange, 1 add, 2 or, 3 and; returns the old value */
    switch (size) {
    case 1:
        return (uint8_t)(op == 0 ? _InterlockedExchange8((volatile char *)p, (char)v)
                       : op == 1 ? _InterlockedExchangeAdd8((volatile char *)p, (char)v)
                       : op == 2 ? _InterlockedOr8((volatile char *)p, (char)v)
                                 : _InterlockedAnd8((volatile char *)p, (char)v));
    case 2:
        return (uint16_t)(op == 0 ? _InterlockedExchange16((volatile short *)p, (short)v)
                        : op == 1 ? _InterlockedExchangeAdd16((volatile short *)p, (short)v)
                        : op == 2 ? _InterlockedOr16((volatile short *)p, (short)v)
                                  : _InterlockedAnd16((volatile short *)p, (short)v));
    case 4:
        return (uint32_t)(op == 0 ? _InterlockedExchange((volatile long *)p, (long)v)
                        : op == 1 ? _InterlockedExchangeAdd((volatile long *)p, (long)v)
                        : op == 2 ? _InterlockedOr((volatile long *)p, (long)v)
                                  : _InterlockedAnd((volatile long *)p, (long)v));
    default:
        return (uint64_t)(op == 0 ? _InterlockedExchange64((volatile __int64 *)p, (__int64)v)
                        : op == 1 ? _InterlockedExchangeAdd64((volatile __int64 *)p, (__int64)v)
                        : op == 2 ? _InterlockedOr64((volatile __int64 *)p, (__int64)v)
                                  : _InterlockedAnd64((volatile __int64 *)p, (__int64)v));
    }
}
static __forceinline void parconc__msvc_store(volatile void *p, size_t size, uint64_t v, int mo)
{
    if (mo == PARCONC__SEQ_CST) {
        (void)parconc__msvc_rmw(p, size, 0, v);
        return;
    }
    if (mo != PARCONC__RELAXED) PARCONC__MSVC_FENCE();
    switch (size) {
    case 1: __iso_volatile_store8((volatile char *)p, (char)v); break;
    case 2: __iso_volatile_store16((volatile short *)p, (short)v); break;
    case 4: __iso_volatile_store32((volatile int *)p, (int)v); break;
    default: __iso_volatile_store64((volatile __int64 *)p, (__int64)v); break;
    }
}
/* Strong CAS on size bytes; *expected holds the same type as *p. */
static __forceinline int parconc__msvc_cas(volatile void *p, void *expected, size_t size, uint64_t desired)
{
    uint64_t want = 0, seen;
    memcpy(&want, expected, size); /* little-endian: the low bytes */
    switch (size) {
    case 1: seen = (uint8_t)_InterlockedCompareExchange8((volatile char *)p, (char)desired, (char)want); break;
    case 2: seen = (uint16_t)_InterlockedCompareExchange16((volatile short *)p, (short)desired, (short)want); break;
    case 4: seen = (uint32_t)_InterlockedCompareExchange((volatile long *)p, (long)desired, (long)want); break;
    default: seen = (uint64_t)_InterlockedCompareExchange64((volatile __int64 *)p, (__int64)desired, (__int64)want); break;
    }
    if (seen == want) return 1;
    memcpy(expected, &seen, size);
    return 0;
}
#define PARCONC__MSVC_AS(p, v) ((PARCONC__TYPEOF(*(p)))(uintptr_t)(v))
#define PARCONC__MSVC_BITS(v)  ((uint64_t)(uintptr_t)(v))
#define parconc__load(p, mo)          PARCONC__MSVC_AS(p, parconc__msvc_load((p), sizeof *(p), (mo)))
#define parconc__store(p, v, mo)      parconc__msvc_store((p), sizeof *(p), PARCONC__MSVC_BITS(v), (mo))
#define parconc__exchange(p, v, mo)   PARCONC__MSVC_AS(p, parconc__msvc_rmw((p), sizeof *(p), 0, PARCONC__MSVC_BITS(v)))
#define parconc__fetch_add(p, v, mo)  PARCONC__MSVC_AS(p, parconc__msvc_rmw((p), sizeof *(p), 1, PARCONC__MSVC_BITS(v)))
#define parconc__fetch_sub(p, v, mo)  PARCONC__MSVC_AS(p, parconc__msvc_rmw((p), sizeof *(p), 1, (uint64_t)0 - PARCONC__MSVC_BITS(v)))
#define parconc__fetch_or(p, v, mo)   PARCONC__MSVC_AS(p, parconc__msvc_rmw((p), sizeof *(p), 2, PARCONC__MSVC_BITS(v)))
#define parconc__fetch_and(p, v, mo)  PARCONC__MSVC_AS(p, parconc__msvc_rmw((p), sizeof *(p), 3, PARCONC__MSVC_BITS(v)))
#define parconc__cas(p, expected, desired, mo_ok, mo_fail) \
    parconc__msvc_cas((p), (expected), sizeof *(p), PARCONC__MSVC_BITS(desired))
#define parconc__cas_weak(p, expected, desired, mo_ok, mo_fail) parconc__cas(p, expected, desired, mo_ok, mo_fail)
#endif
#if PARCONC__MSVC_ATOMICS
#define parconc__fence(mo) ((mo) == PARCONC__SEQ_CST ? PARCONC__MSVC_FULL_FENCE() : PARCONC__MSVC_FENCE())
#elif defined(__SANITIZE_THREAD__)
/* TSan does not model fences (gcc refuses them under -fsanitize=thread); a
   locked RMW on a dummy word is a full barrier on x86, where the TSan
   builds run, and keeps the Dekker-style orderings below intact there. */
static int parconc__fence_dummy;
#define parconc__fence(mo) ((void)__atomic_fetch_add(&parconc__fence_dummy, 0, (mo)))
#else
#define parconc__fence(mo) __atomic_thread_fence(mo)
#endif

/* Waiting for another thread to finish a step of a few instructions (a
   write under a sequence count, a flag it clears when done): yield a few
   times, then sleep a microsecond a turn.  Yielding alone could wait
   forever on an RTOS, where a yield lets only equal priorities run and
   the other thread may have a lower one; a sleep lets every priority run. */
static void parconc__backoff(unsigned *turn)
{
    if (*turn < 8u) {
        ++*turn;
        parconc_thread_yield();
    } else {
        parconc_sleep_ns(1000);
    }
}

/* ---- 64-bit values with one writer --------------------------------------
   A few 64-bit values (busy time, clock stamps) have one writer at a time
   and any number of readers.  With 64-bit pointers they are relaxed 64-bit
   atomics.  32-bit targets may have no 64-bit atomic at all (Cortex-M: no
   LDREXD, no libatomic), so there they are a sequence lock over two 32-bit
   halves: the writer makes seq odd, writes the halves, makes seq even; a
   reader retries while seq is odd or changed under it.  Readers never see
   a torn value and no 64-bit atomic is emitted.  PARCONC_SEQLOCK64 forces
   the 32-bit form on any target (the test suite's "port" build uses it).
   A reader that finds a write under way backs off (yields, then sleeps), so
   on a strict-priority RTOS a lower-priority writer preempted mid-write
   still gets to finish it. */

#if ((defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ >= 8) || defined(_WIN64)) && !defined(PARCONC_SEQLOCK64)
typedef struct parconc__u64 { uint64_t v; } parconc__u64;
static inline uint64_t parconc__u64_get(parconc__u64 *x) { return parconc__load(&x->v, PARCONC__RELAXED); }
static inline void parconc__u64_set(parconc__u64 *x, uint64_t v) { parconc__store(&x->v, v, PARCONC__RELAXED); }
#else
typedef struct parconc__u64 { uint32_t seq, lo, hi; } parconc__u64;
static inline uint64_t parconc__u64_get(parconc__u64 *x)
{
    unsigned turn = 0;
    for (;;) {
        uint32_t s1 = parconc__load(&x->seq, PARCONC__ACQUIRE), lo, hi;
        if (s1 & 1u) { parconc__backoff(&turn); continue; } /* a write is under way */
        lo = parconc__load(&x->lo, PARCONC__RELAXED);
        hi = parconc__load(&x->hi, PARCONC__RELAXED);
        /* acquire fence: the halves are read before seq is read again */
        parconc__fence(PARCONC__ACQUIRE);
        if (parconc__load(&x->seq, PARCONC__RELAXED) == s1) return ((uint64_t)hi << 32) | lo;
    }
}
static inline void parconc__u64_set(parconc__u64 *x, uint64_t v)
{
    uint32_t s = parconc__load(&x->seq, PARCONC__RELAXED);
    parconc__store(&x->seq, s + 1u, PARCONC__RELAXED);
    /* release fence: a reader that sees a half written below also sees
       seq odd (or changed) when it reads seq again */
    parconc__fence(PARCONC__RELEASE);
    parconc__store(&x->lo, (uint32_t)v, PARCONC__RELAXED);
    parconc__store(&x->hi, (uint32_t)(v >> 32), PARCONC__RELAXED);
    parconc__store(&x->seq, s + 2u, PARCONC__RELEASE);
}
#endif

/* One pause in a spin loop: lets the sibling hyper-thread run and saves power. */
static inline void parconc__cpu_relax(void)
{
#if defined(_MSC_VER) && !defined(__GNUC__) && (defined(_M_ARM64) || defined(_M_ARM))
    __yield();
#elif defined(_MSC_VER) && !defined(__GNUC__)
    _mm_pause();
#elif defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

/* x86's time-stamp counter, one instruction with GCC or clang (the
   backends say whether traces may use it). */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define PARCONC__HAVE_TSC 1
#else
#define PARCONC__HAVE_TSC 0
#endif

/* Index of the highest set bit of x (x != 0). */
static inline unsigned parconc__highest_bit(uint32_t x)
{
#if defined(_MSC_VER) && !defined(__GNUC__)
    unsigned long i;
    _BitScanReverse(&i, x);
    return (unsigned)i;
#else
    return 31u - (unsigned)__builtin_clz(x);
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

PARCONC__PRIVATE void parconc__log(int level, int code, const char *message, const char *file, int line);
PARCONC_API void parconc_log(int level, int code, const char *message, const char *file, int line)
{
    parconc__log(level, code, message, file, line);
}
PARCONC__PRIVATE void parconc__log(int level, int code, const char *message, const char *file, int line)
{
    void (*fn)(void *, int, int, const char *, const char *, int) =
        parconc__load(&parconc__logger.fn, PARCONC__ACQUIRE);
    if (fn) fn(parconc__load(&parconc__logger.user_data, PARCONC__RELAXED), level, code, message, file, line);
}

/* Stops the program without stdio (failed assertions, misuse with
   PARCONC_MISUSE_ABORTS). */
PARCONC__PRIVATE void parconc__trap(void)
{
#if defined(__GNUC__) || defined(__clang__)
    __builtin_trap();
#elif defined(_MSC_VER)
    __debugbreak();
    for (;;) {}
#else
    for (;;) {}
#endif
}

#if defined(PARCONC_NO_STDIO) && !defined(NDEBUG)
PARCONC__PRIVATE void parconc__assert_failed(const char *what, const char *file, int line)
{
    parconc__log(PARCONC_LOG_ERROR, PARCONC_EINVAL, what, file, line);
    parconc__trap();
}
#endif

/* Misuse the library can detect (unlocking what is not locked, a pool
   destroyed from its own task, ...) is reported the same way in every
   build: the logger gets an ERROR with the code, and the call returns that
   code (or, for a void function, returns having changed nothing).  Define
   PARCONC_MISUSE_ABORTS to stop the program there instead, as an
   error-checking debug build would. */
PARCONC__PRIVATE int parconc__misuse(int code, const char *what, const char *file, int line)
{
    parconc__log(PARCONC_LOG_ERROR, code, what, file, line);
#ifdef PARCONC_MISUSE_ABORTS
    parconc__trap();
#endif
    return code;
}
#define PARCONC__MISUSE(code, what) parconc__misuse((code), (what), __FILE__, __LINE__)

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

/* Frames stay small (an RTOS task may have 1-2 KB of stack): a function
   that needs an array as long as a pool is wide keeps a few entries in its
   frame and takes a longer one from the heap; without a heap
   (PARCONC_NO_MALLOC) or out of memory it makes do with the few.  Returns
   the array and its length in *n; free it with parconc__free_unless. */
static void *parconc__frame_or_heap(void *local, size_t local_n, size_t want, size_t each, size_t *n)
{
    void *big = want > local_n && want <= SIZE_MAX / each ? parconc__malloc(want * each) : NULL;
    *n = big || want <= local_n ? want : local_n;
    return big ? big : local;
}

static void parconc__free_unless(void *array, const void *local)
{
    if (array != local) parconc__free(array);
}

/* ---- deadlines ------------------------------------------------------ */
/* Every timed operation turns its relative timeout into an absolute
   deadline on the monotonic clock exactly once (parconc__deadline, in
   >>wait), so the TIMEOUTS convention (top of the file) lives in one
   place:
     timeout <= 0            -> PARCONC__DEADLINE_NOW   (try once, never wait)
     PARCONC_FOREVER         -> PARCONC__DEADLINE_NEVER
     now + timeout overflows -> PARCONC__DEADLINE_NEVER (~584 years away) */
#define PARCONC__DEADLINE_NOW   ((uint64_t)0)
#define PARCONC__DEADLINE_NEVER UINT64_MAX

/* Nanoseconds from now to the deadline; 0 once it has passed. */
static inline uint64_t parconc__ns_until(uint64_t deadline, uint64_t now)
{
    if (deadline == PARCONC__DEADLINE_NEVER) return PARCONC__DEADLINE_NEVER;
    return deadline > now ? deadline - now : 0;
}

/* ---- small helpers --------------------------------------------------- */

/* Tiny no-stdio string builder (lock-order reports, CUDA errors). */
PARCONC__PRIVATE void parconc__str_cat(char *buf, size_t cap, size_t *len, const char *s)
{
    while (*s && *len + 1 < cap) buf[(*len)++] = *s++;
    buf[*len] = '\0';
}
PARCONC__PRIVATE void parconc__str_cat_int(char *buf, size_t cap, size_t *len, long v)
{
    char tmp[24];
    int i = 0, neg = v < 0;
    unsigned long u = neg ? 0ul - (unsigned long)v : (unsigned long)v;
    do { tmp[i++] = (char)('0' + u % 10); u /= 10; } while (u);
    if (neg) tmp[i++] = '-';
    while (i > 0 && *len + 1 < cap) buf[(*len)++] = tmp[--i];
    buf[*len] = '\0';
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

/* ---- CPU quota arithmetic (the backends read the numbers) ------------ */

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

/* A CPU rate cap in 1/100 of a percent of the whole machine (a Windows job
   object's CpuRate: 10000 = every CPU) as a CPU count, rounded up; 0 for
   no cap. */
PARCONC__PRIVATE int parconc__cpu_quota_from_rate(uint32_t machine_cpus, uint32_t rate)
{
    uint64_t q;
    if (rate == 0 || rate >= 10000u) return 0;
    q = ((uint64_t)machine_cpus * rate + 9999u) / 10000u;
    return q == 0 ? 1 : q > (uint64_t)INT_MAX ? INT_MAX : (int)q;
}

/* The count the rest of the library uses: the affinity count, capped by a
   positive quota, never below 1. */
PARCONC__PRIVATE int parconc__cpu_count_combine(int affinity_cpus, int quota_cpus)
{
    int n = affinity_cpus > 0 ? affinity_cpus : 1;
    if (quota_cpus > 0 && quota_cpus < n) n = quota_cpus;
    return n;
}

/* ===================================================================== */
/* Backends: what the library asks of the OS                 >>backend */
/* ===================================================================== */
/* Exactly one of the three sections below is compiled: POSIX (pthreads,
   with the Linux futex or a parking table), Win32, or a custom port (the
   ten parconc_port_* functions of >>port).  Nothing else in the
   implementation names an OS call or an OS type; everything goes through
   these primitives, the first ten one to one with the port contract:

   port function                     backend primitive
   parconc_port_thread_create        parconc__os_thread_start(t, fn, arg, opts, detached)
   parconc_port_thread_join          parconc__os_thread_join(t, result)
   parconc_port_thread_detach        parconc__os_thread_detach(t)
   parconc_port_thread_self          parconc__os_thread_self()
   parconc_port_thread_yield         parconc__os_thread_yield()
   parconc_port_now_ns               parconc__os_now_ns()
   parconc_port_clock_resolution_ns  parconc__os_clock_resolution_ns()
   parconc_port_wait                 parconc__os_wait(addr, expected, deadline)
   parconc_port_wake                 parconc__os_wake(addr, n)
   parconc_port_cpu_count            parconc__os_cpu_count()

   and what an OS has beyond the contract (a custom port builds it from
   the ten, or has none):
   parconc__os_sleep_until(deadline)   sleep to an absolute deadline, never less
   PARCONC__OS_WAIT_BITS               1: parconc__os_wait_bits/wake_bits wake
                                       only waiters whose tag shares a bit
   PARCONC__OS_EXIT_HOOK               1: parconc__os_exit_hook_ready(fn) and
                                       parconc__os_exit_hook_note(head) call
                                       fn(head) when a thread ends (robust mutexes)
   parconc__os_atfork_register()       have parconc_after_fork_child run in a child
   parconc__os_after_fork()            the backend's own state after a fork
   PARCONC__OS_GETCPU                  1: parconc__os_current_cpu() names the
                                       CPU (0: idle workers always spin first)
   PARCONC__OS_SLACK_NS, PARCONC__OS_RW_BIAS_SLOTS, PARCONC__OS_TRACE_TSC
                                       defaults of options and of the trace clock

   Deadlines are absolute on parconc__os_now_ns (PARCONC__DEADLINE_NEVER:
   none).  Waits may return early for any reason and answer
   PARCONC_ETIMEDOUT only once the deadline has passed; the caller
   re-checks its condition in a loop.  No lost wake-up: wait checks *addr
   == expected and queues the waiter atomically with respect to wake, and
   every waker changes *addr before it calls wake. */

/* Called at the end of a thread with the last head it noted (never NULL);
   tls_alive says whether the ending thread's thread-locals may still be
   written. */
typedef void (*parconc__exit_fn)(void *head, int tls_alive);

#if !PARCONC__WIN32 && !defined(PARCONC_PORT_CUSTOM)
/* ===================================================================== */
/* Backend: POSIX (pthreads; Linux futex)              >>backend-posix */
/* ===================================================================== */

/* ---- clock and sleep ---- */
static inline uint64_t parconc__os_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t parconc__os_clock_resolution_ns(void)
{
    struct timespec ts;
    if (clock_getres(CLOCK_MONOTONIC, &ts) != 0) return 1000000u; /* unknown: assume a coarse one */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

PARCONC__PRIVATE struct timespec parconc__timespec(uint64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    return ts;
}

static void parconc__os_sleep_until(uint64_t deadline)
{
#if defined(__linux__)
    /* Absolute monotonic sleep: EINTR just resumes toward the same
       deadline, so signals can never make it end early. */
    struct timespec ts = parconc__timespec(deadline == PARCONC__DEADLINE_NEVER ? (uint64_t)INT64_MAX : deadline);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
#else
    for (;;) {
        uint64_t left = parconc__ns_until(deadline, parconc__os_now_ns());
        struct timespec ts;
        if (left == 0) break;
        ts = parconc__timespec(left);
        nanosleep(&ts, NULL);
    }
#endif
}

/* ---- fork (parconc__os_after_fork is with the parking table below,
   the one piece of backend state a child must renew) ---- */
#ifndef PARCONC_NO_ATFORK
static pthread_once_t parconc__atfork_once = PTHREAD_ONCE_INIT;
static void parconc__atfork_register_once(void)
{
    (void)pthread_atfork(NULL, NULL, parconc_after_fork_child);
}
static void parconc__os_atfork_register(void)
{
    pthread_once(&parconc__atfork_once, parconc__atfork_register_once);
}
#else
static void parconc__os_atfork_register(void) {}
#endif

/* ---- wait and wake on a word ---- */
#if PARCONC__USE_FUTEX
/* A waiter sleeps with a tag (bits) and wake_bits wakes only sleepers
   whose tag shares a bit (the mutex wakes its one starving waiter this
   way); plain wait/wake use every bit. */
#define PARCONC__OS_WAIT_BITS 1
PARCONC__PRIVATE int parconc__os_wait_bits(uint32_t *addr, uint32_t expected, uint64_t deadline, uint32_t bits)
{
    struct timespec ts, *tsp = NULL;
    long r;
    if (deadline != PARCONC__DEADLINE_NEVER) {
        ts = parconc__timespec(deadline);
        tsp = &ts;
    }
    /* FUTEX_WAIT_BITSET takes an ABSOLUTE CLOCK_MONOTONIC time, so retries
       after spurious returns never stretch or shrink the wait. */
    r = syscall(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, tsp, NULL, bits);
    if (r == -1 && errno == ETIMEDOUT) return PARCONC_ETIMEDOUT;
    return PARCONC_OK; /* woken, EAGAIN (value changed) or EINTR: re-check */
}

PARCONC__PRIVATE void parconc__os_wake_bits(uint32_t *addr, int n, uint32_t bits)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, n, NULL, NULL, bits);
}

PARCONC__PRIVATE int parconc__os_wait(uint32_t *addr, uint32_t expected, uint64_t deadline)
{
    return parconc__os_wait_bits(addr, expected, deadline, FUTEX_BITSET_MATCH_ANY);
}

PARCONC__PRIVATE void parconc__os_wake(uint32_t *addr, int n)
{
    syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL, NULL, 0);
}


static void parconc__os_after_fork(void) {} /* the kernel keeps no waiters of ours */

#else /* the portable parking table */
#define PARCONC__OS_WAIT_BITS 0

/* Waiters hash their address to one of 64 buckets.  Each waiter puts a
   node on its bucket's list (its address, a woken flag) and sleeps on the
   bucket's condvar until a wake marks it; wake(addr, n) marks and unlinks
   at most n waiters of that address (the newest first) and broadcasts, so
   like the futex it wakes n sleepers and no more: the others, and waiters
   on addresses sharing the bucket, go back to sleep inside
   parconc__os_wait.  The check of *addr happens under the bucket mutex,
   and wake takes that mutex after *addr changed, so a waiter is either
   already on the list (and is found) or sees the new value.
   Limitation: with PARCONC_STATIC_API each file has its own table, so one object
   must not be waited on in one file and woken from another. */
#define PARCONC__PARK_BUCKETS 64
typedef struct parconc__park_waiter {
    const uint32_t *addr;
    int woken;                             /* under the bucket mutex */
    struct parconc__park_waiter *next;
} parconc__park_waiter;
typedef struct parconc__park_bucket {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    parconc__park_waiter *waiters;
    char pad_[PARCONC_CACHELINE];
} parconc__park_bucket;
static parconc__park_bucket parconc__park_table[PARCONC__PARK_BUCKETS];
static pthread_once_t parconc__park_once = PTHREAD_ONCE_INIT;
static int parconc__park_monotonic; /* condvars time out on CLOCK_MONOTONIC */

static void parconc__park_init(void)
{
    pthread_condattr_t attr;
    int i;
    parconc__os_atfork_register();
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

/* In a child after fork(): the buckets' mutexes may have been held by
   threads that do not exist here, and their waiter lists name them.
   Fresh buckets (the child's one thread is waiting on none). */
static void parconc__os_after_fork(void)
{
    int i;
    for (i = 0; i < PARCONC__PARK_BUCKETS; i++) parconc__park_table[i].waiters = NULL;
    parconc__park_init();
}

static parconc__park_bucket *parconc__park_bucket_of(const void *addr)
{
    uintptr_t h = (uintptr_t)addr;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    pthread_once(&parconc__park_once, parconc__park_init);
    return &parconc__park_table[(h >> 7) % PARCONC__PARK_BUCKETS];
}

PARCONC__PRIVATE int parconc__os_wait(uint32_t *addr, uint32_t expected, uint64_t deadline)
{
    parconc__park_bucket *b = parconc__park_bucket_of(addr);
    int rc = PARCONC_OK;
    pthread_mutex_lock(&b->mutex);
    if (parconc__load(addr, PARCONC__RELAXED) == expected) {
        parconc__park_waiter me, **pp;
        struct timespec ts;
        me.addr = addr;
        me.woken = 0;
        me.next = b->waiters;
        b->waiters = &me;
        if (deadline != PARCONC__DEADLINE_NEVER) {
            if (parconc__park_monotonic) {
                ts = parconc__timespec(deadline);
            } else {
                /* realtime condvar: convert the remaining time; the
                   caller's loop re-checks the monotonic deadline, so clock
                   jumps only cause an extra round. */
                struct timespec now_rt;
                uint64_t left = parconc__ns_until(deadline, parconc__os_now_ns()), rt;
                clock_gettime(CLOCK_REALTIME, &now_rt);
                rt = (uint64_t)now_rt.tv_sec * 1000000000u + (uint64_t)now_rt.tv_nsec + left;
                ts = parconc__timespec(rt);
            }
        }
        while (!me.woken) {
            if (deadline == PARCONC__DEADLINE_NEVER) pthread_cond_wait(&b->cond, &b->mutex);
            else if (pthread_cond_timedwait(&b->cond, &b->mutex, &ts) == ETIMEDOUT) break;
        }
        if (!me.woken) /* timed out: take our node off the list */
            for (pp = &b->waiters; *pp; pp = &(*pp)->next)
                if (*pp == &me) { *pp = me.next; break; }
    }
    pthread_mutex_unlock(&b->mutex);
    if (deadline != PARCONC__DEADLINE_NEVER && parconc__os_now_ns() >= deadline) rc = PARCONC_ETIMEDOUT;
    return rc;
}

PARCONC__PRIVATE void parconc__os_wake(uint32_t *addr, int n)
{
    parconc__park_bucket *b = parconc__park_bucket_of(addr);
    parconc__park_waiter **pp;
    int woke = 0;
    pthread_mutex_lock(&b->mutex);
    for (pp = &b->waiters; *pp && woke < n;) {
        parconc__park_waiter *w = *pp;
        if (w->addr == addr) {
            *pp = w->next;
            w->woken = 1;
            woke++;
        } else {
            pp = &w->next;
        }
    }
    if (woke) pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->mutex);
}
#endif /* PARCONC__USE_FUTEX */

/* ---- threads ---- */
typedef char parconc__pthread_fits[sizeof(pthread_t) <= sizeof(((parconc_thread *)0)->native_) ? 1 : -1];

static pthread_t parconc__native(const parconc_thread *t)
{
    pthread_t h;
    memcpy(&h, t->native_, sizeof h);
    return h;
}

static int parconc__os_thread_start(parconc_thread *t, parconc_thread_fn fn, void *arg,
                                    const parconc_thread_opts *opts, int detached)
{
    pthread_attr_t attr;
    pthread_t h;
    int e;
    if (opts && opts->priority) return PARCONC_ENOTSUP; /* no portable meaning, often privileged */
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
    return PARCONC_OK;
}

static int parconc__os_thread_join(const parconc_thread *t, void **result)
{
    if (pthread_equal(parconc__native(t), pthread_self())) return PARCONC_EDEADLK;
    return parconc__from_errno(pthread_join(parconc__native(t), result));
}

static int parconc__os_thread_detach(const parconc_thread *t)
{
    return parconc__from_errno(pthread_detach(parconc__native(t)));
}

static void parconc__os_thread_yield(void)
{
    sched_yield();
}

/* pthread_t is a scalar on every platform parconc supports; a struct
   pthread_t fails to compile here. */
static inline uintptr_t parconc__os_thread_self(void)
{
    return (uintptr_t)pthread_self();
}

/* ---- thread-exit hook ----
   A pthread key whose value is the head the thread noted last; pthreads
   calls the destructor at thread exit when the value is not NULL (and
   clears it first).  The function is always the same one; the first
   caller stores it and later ones only read it, so robust locks on many
   threads do not all write one cache line.  Relaxed suffices: the
   destructor runs on a thread that stored or read the value itself, and
   every store writes that same value. */
#define PARCONC__OS_EXIT_HOOK 1
static pthread_key_t parconc__exit_key;
static pthread_once_t parconc__exit_key_once = PTHREAD_ONCE_INIT;
static int parconc__exit_key_ok;
static parconc__exit_fn parconc__exit_hook_fn;

static void parconc__exit_key_destructor(void *head)
{
    parconc__load(&parconc__exit_hook_fn, PARCONC__RELAXED)(head, 1);
}

static void parconc__exit_key_init(void)
{
    parconc__exit_key_ok = pthread_key_create(&parconc__exit_key, parconc__exit_key_destructor) == 0;
}

static int parconc__os_exit_hook_ready(parconc__exit_fn fn)
{
    if (parconc__load(&parconc__exit_hook_fn, PARCONC__RELAXED) != fn)
        parconc__store(&parconc__exit_hook_fn, fn, PARCONC__RELAXED);
    pthread_once(&parconc__exit_key_once, parconc__exit_key_init);
    return parconc__exit_key_ok;
}

static void parconc__os_exit_hook_note(void *head)
{
    pthread_setspecific(parconc__exit_key, head);
}

/* ---- CPUs ---- */
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

static int parconc__os_cpu_count(void)
{
    return parconc__cpu_count_combine(parconc__affinity_cpus(), parconc__cgroup_quota_cpus());
}

#if defined(__linux__)
#define PARCONC__OS_GETCPU 1
#if defined(__GLIBC__) && (defined(__USE_GNU) || !defined(__cplusplus))
#define PARCONC__GLIBC_GETCPU 1
#ifndef __USE_GNU
extern int sched_getcpu(void); /* glibc declares it only under _GNU_SOURCE */
#endif
#endif
/* The CPU this thread runs on, or -1.  glibc answers from the vDSO or the
   rseq area, far cheaper than the system call, which matters because the
   waker runs this while its wakee may be waiting for its CPU. */
static int parconc__os_current_cpu(void)
{
#ifdef PARCONC__GLIBC_GETCPU
    return sched_getcpu();
#else
    unsigned cpu = 0;
    return syscall(SYS_getcpu, &cpu, NULL, NULL) == 0 ? (int)cpu : -1;
#endif
}
#else
#define PARCONC__OS_GETCPU 0
#endif

/* ---- defaults ---- */
#define PARCONC__OS_SLACK_NS 60000u
#define PARCONC__OS_RW_BIAS_SLOTS 1024
#define PARCONC__OS_TRACE_TSC PARCONC__HAVE_TSC

#endif /* POSIX backend */

#if PARCONC__WIN32
/* ===================================================================== */
/* Backend: Win32 (Windows 8 or later)                 >>backend-win32 */
/* ===================================================================== */

/* ---- clock and sleep ---- */
static inline uint64_t parconc__os_now_ns(void)
{
    /* QueryPerformanceCounter: monotonic, never goes back; whole seconds
       and the remainder apart, so the product cannot overflow */
    LARGE_INTEGER c, f;
    uint64_t q, hz;
    QueryPerformanceCounter(&c);
    QueryPerformanceFrequency(&f);
    q = (uint64_t)c.QuadPart;
    hz = (uint64_t)f.QuadPart;
    return q / hz * 1000000000u + q % hz * 1000000000u / hz;
}

static uint64_t parconc__os_clock_resolution_ns(void)
{
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    return (1000000000u + (uint64_t)f.QuadPart - 1u) / (uint64_t)f.QuadPart;
}

/* ns as whole milliseconds for Win32 waits, rounded up (a wait never ends
   early) and kept below INFINITE */
PARCONC__PRIVATE DWORD parconc__win_ms(uint64_t ns)
{
    uint64_t ms = ns / 1000000u + (ns % 1000000u != 0u);
    return ms >= 0xFFFFFFFEu ? (DWORD)0xFFFFFFFEu : (DWORD)ms;
}

static void parconc__os_sleep_until(uint64_t deadline)
{
    for (;;) { /* Sleep counts whole ms and may end early by a tick: re-check */
        uint64_t left = parconc__ns_until(deadline, parconc__os_now_ns());
        if (left == 0) break;
        Sleep(parconc__win_ms(left));
    }
}

/* ---- wait and wake on a word ---- */
#define PARCONC__OS_WAIT_BITS 0
/* WaitOnAddress compares *addr with expected and sleeps atomically with
   respect to WakeByAddress*, as the futex does; it counts whole ms, so a
   wait is rounded up and a wake-up before the deadline by the clock is
   reported as spurious (callers re-check and wait again). */
PARCONC__PRIVATE int parconc__os_wait(uint32_t *addr, uint32_t expected, uint64_t deadline)
{
    DWORD ms = INFINITE;
    if (deadline != PARCONC__DEADLINE_NEVER) {
        uint64_t left = parconc__ns_until(deadline, parconc__os_now_ns());
        if (left == 0) return PARCONC_ETIMEDOUT;
        ms = parconc__win_ms(left);
    }
    /* No lost wake-up, as with the futex: WaitOnAddress compares and
       sleeps atomically with respect to WakeByAddress*, and every waker
       changes *addr before it wakes (the order of memory comes from the
       callers' atomics, as with the futex). */
    if (!WaitOnAddress((volatile VOID *)addr, &expected, sizeof expected, ms) && GetLastError() == ERROR_TIMEOUT &&
        deadline != PARCONC__DEADLINE_NEVER && parconc__os_now_ns() >= deadline)
        return PARCONC_ETIMEDOUT;
    return PARCONC_OK;
}

PARCONC__PRIVATE void parconc__os_wake(uint32_t *addr, int n)
{
    if (n == 1) WakeByAddressSingle((PVOID)addr);
    else WakeByAddressAll((PVOID)addr);
}


/* ---- threads ---- */
/* A thread is a record (fn, arg, its result, the handle) from the process
   heap (an OS call, so PARCONC_NO_MALLOC builds have threads too).  Who
   frees it: join, or for a detached thread the last of the thread's end
   and the detach, told apart by two bits in `state`. */
#define PARCONC__WIN_ENDED    1u
#define PARCONC__WIN_DETACHED 2u
typedef struct parconc__win_thread {
    parconc_thread_fn fn;
    void *arg, *result;
    HANDLE handle;
    uint32_t state;
} parconc__win_thread;

static parconc__win_thread *parconc__win_record(const parconc_thread *t)
{
    parconc__win_thread *r;
    memcpy(&r, t->native_, sizeof r);
    return r;
}

static unsigned __stdcall parconc__win_thread_main(void *p)
{
    parconc__win_thread *r = (parconc__win_thread *)p;
    r->result = r->fn(r->arg);
    /* acq_rel: the result is published to a detacher that frees the
       record, and a detacher's bit is seen here */
    if (parconc__fetch_or(&r->state, PARCONC__WIN_ENDED, PARCONC__ACQ_REL) & PARCONC__WIN_DETACHED) {
        CloseHandle(r->handle);
        HeapFree(GetProcessHeap(), 0, r);
    }
    return 0;
}

/* Names show in debuggers and profilers; SetThreadDescription exists from
   Windows 10 1607, so it is looked up rather than linked. */
static void parconc__win_name(HANDLE h, const char *name)
{
    typedef HRESULT(WINAPI * set_fn)(HANDLE, PCWSTR);
    set_fn set;
    WCHAR wide[64];
    size_t i;
    FARPROC f = GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "SetThreadDescription");
    if (!f || !name) return;
    memcpy(&set, &f, sizeof set);
    for (i = 0; name[i] && i + 1 < sizeof wide / sizeof wide[0]; i++) wide[i] = (WCHAR)(unsigned char)name[i];
    wide[i] = 0;
    (void)set(h, wide);
}

static int parconc__os_thread_start(parconc_thread *t, parconc_thread_fn fn, void *arg,
                                    const parconc_thread_opts *opts, int detached)
{
    parconc__win_thread *r;
    uintptr_t h;
    if (opts && opts->priority) return PARCONC_ENOTSUP; /* as on POSIX: set it inside the thread */
    r = (parconc__win_thread *)HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *r);
    if (!r) return PARCONC_ENOMEM;
    r->fn = fn;
    r->arg = arg;
    /* suspended until its handle is stored: the thread may free r itself */
    h = _beginthreadex(NULL, opts ? (unsigned)opts->stack_size : 0u, parconc__win_thread_main, r,
                       CREATE_SUSPENDED | (opts && opts->stack_size ? STACK_SIZE_PARAM_IS_A_RESERVATION : 0u), NULL);
    if (!h) {
        HeapFree(GetProcessHeap(), 0, r);
        return errno == EAGAIN ? PARCONC_EAGAIN : PARCONC_ENOMEM;
    }
    r->handle = (HANDLE)h;
    if (opts && opts->name && opts->name[0]) parconc__win_name(r->handle, opts->name);
    if (detached) r->state = PARCONC__WIN_DETACHED;
    memcpy(t->native_, &r, sizeof r);
    ResumeThread(r->handle);
    return PARCONC_OK;
}

static int parconc__os_thread_join(const parconc_thread *t, void **result)
{
    parconc__win_thread *r = parconc__win_record(t);
    if (GetThreadId(r->handle) == GetCurrentThreadId()) return PARCONC_EDEADLK;
    if (WaitForSingleObject(r->handle, INFINITE) != WAIT_OBJECT_0) return PARCONC_EINVAL;
    if (result) *result = r->result;
    CloseHandle(r->handle);
    HeapFree(GetProcessHeap(), 0, r);
    return PARCONC_OK;
}

static int parconc__os_thread_detach(const parconc_thread *t)
{
    parconc__win_thread *r = parconc__win_record(t);
    if (parconc__fetch_or(&r->state, PARCONC__WIN_DETACHED, PARCONC__ACQ_REL) & PARCONC__WIN_ENDED) {
        CloseHandle(r->handle);
        HeapFree(GetProcessHeap(), 0, r);
    }
    return PARCONC_OK;
}

static void parconc__os_thread_yield(void)
{
    SwitchToThread();
}

static inline uintptr_t parconc__os_thread_self(void)
{
    return (uintptr_t)GetCurrentThreadId();
}

/* ---- thread-exit hook ----
   A fiber-local slot whose callback runs when a thread exits (ExitThread
   or returning from its function; not TerminateThread, which runs no
   code).  The slot holds the head itself, so the callback needs no
   thread-local storage, which may be torn down before it runs.  The slot
   is made once, under an INIT_ONCE: every thread that returns from
   InitOnceExecuteOnce sees what the one that made it wrote.  The function
   is stored as on POSIX: by the first caller, always the same one
   (relaxed: the callback runs on a thread that stored or read it). */
#define PARCONC__OS_EXIT_HOOK 1
static DWORD parconc__exit_fls = FLS_OUT_OF_INDEXES;
static INIT_ONCE parconc__exit_fls_once = INIT_ONCE_STATIC_INIT;
static parconc__exit_fn parconc__exit_hook_fn;

static void NTAPI parconc__exit_fls_callback(void *head)
{
    parconc__load(&parconc__exit_hook_fn, PARCONC__RELAXED)(head, 0);
}

static BOOL CALLBACK parconc__exit_fls_init(PINIT_ONCE once, PVOID param, PVOID *context)
{
    (void)once; (void)param; (void)context;
    parconc__exit_fls = FlsAlloc(parconc__exit_fls_callback);
    return TRUE;
}

static int parconc__os_exit_hook_ready(parconc__exit_fn fn)
{
    if (parconc__load(&parconc__exit_hook_fn, PARCONC__RELAXED) != fn)
        parconc__store(&parconc__exit_hook_fn, fn, PARCONC__RELAXED);
    InitOnceExecuteOnce(&parconc__exit_fls_once, parconc__exit_fls_init, NULL, NULL);
    return parconc__exit_fls != FLS_OUT_OF_INDEXES;
}

static void parconc__os_exit_hook_note(void *head)
{
    FlsSetValue(parconc__exit_fls, head);
}

/* ---- fork: none on Windows ---- */
static void parconc__os_atfork_register(void) {}
static void parconc__os_after_fork(void) {}

/* ---- CPUs ---- */
/* The process's affinity mask counts the CPUs of its processor group; a
   process with the whole machine (the default on Windows 11) may run on
   every group, so then every active processor counts. */
static int parconc__affinity_cpus(void)
{
    DWORD_PTR mine = 0, all = 0;
    int n = 0;
    if (GetProcessAffinityMask(GetCurrentProcess(), &mine, &all)) {
        DWORD_PTR m;
        for (m = mine; m; m &= m - 1) n++;
        if (mine == all && GetActiveProcessorGroupCount() > 1) {
            DWORD every = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
            if (every > (DWORD)n) n = every > (DWORD)INT_MAX ? INT_MAX : (int)every;
        }
    }
    return n > 0 ? n : 1;
}

/* A job object's hard CPU rate cap (CpuRate: 1/100 of a percent of the
   whole machine), as a CPU count rounded up; 0 if none. */
static int parconc__job_quota_cpus(void)
{
    JOBOBJECT_CPU_RATE_CONTROL_INFORMATION info;
    memset(&info, 0, sizeof info);
    if (!QueryInformationJobObject(NULL, JobObjectCpuRateControlInformation, &info, sizeof info, NULL)) return 0;
    if (!(info.ControlFlags & JOB_OBJECT_CPU_RATE_CONTROL_ENABLE) || !(info.ControlFlags & JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP))
        return 0;
    return parconc__cpu_quota_from_rate(GetActiveProcessorCount(ALL_PROCESSOR_GROUPS), info.CpuRate);
}

static int parconc__os_cpu_count(void)
{
    return parconc__cpu_count_combine(parconc__affinity_cpus(), parconc__job_quota_cpus());
}

/* ---- defaults ---- */
#define PARCONC__OS_GETCPU 0
#define PARCONC__OS_SLACK_NS 60000u
#define PARCONC__OS_RW_BIAS_SLOTS 1024
#define PARCONC__OS_TRACE_TSC PARCONC__HAVE_TSC

#endif /* Win32 backend */

#ifdef PARCONC_PORT_CUSTOM
/* ===================================================================== */
/* Backend: a custom port (the ten parconc_port_* functions) >>backend-port */
/* ===================================================================== */

/* ---- clock and sleep ---- */
static inline uint64_t parconc__os_now_ns(void) { return parconc_port_now_ns(); }
static uint64_t parconc__os_clock_resolution_ns(void) { return parconc_port_clock_resolution_ns(); }

/* ---- wait and wake on a word ---- */
#define PARCONC__OS_WAIT_BITS 0
PARCONC__PRIVATE int parconc__os_wait(uint32_t *addr, uint32_t expected, uint64_t deadline)
{
    int rc = parconc_port_wait(addr, expected, deadline);
    /* a port that answers "timed out" early would break "never early" */
    if (rc == PARCONC_ETIMEDOUT && deadline != PARCONC__DEADLINE_NEVER && parconc_port_now_ns() < deadline) rc = PARCONC_OK;
    return rc == PARCONC_ETIMEDOUT ? PARCONC_ETIMEDOUT : PARCONC_OK;
}

PARCONC__PRIVATE void parconc__os_wake(uint32_t *addr, int n)
{
    parconc_port_wake(addr, n);
}

/* a wait on a word nobody wakes, until the deadline */
static void parconc__os_sleep_until(uint64_t deadline)
{
    uint32_t never_woken = 0;
    while (parconc_port_wait(&never_woken, 0, deadline) != PARCONC_ETIMEDOUT) {}
}

/* ---- threads ---- */
static void *parconc__port_handle(const parconc_thread *t)
{
    void *h;
    memcpy(&h, t->native_, sizeof h);
    return h;
}

static int parconc__os_thread_start(parconc_thread *t, parconc_thread_fn fn, void *arg,
                                    const parconc_thread_opts *opts, int detached)
{
    void *h = NULL;
    parconc_port_thread_attr attr;
    int e;
    memset(&attr, 0, sizeof attr);
    if (opts) {
        attr.stack_size = opts->stack_size;
        attr.name = opts->name;
        attr.priority = opts->priority;
    }
    e = parconc_port_thread_create(&h, fn, arg, &attr);
    if (e != PARCONC_OK) return e < 0 ? e : PARCONC_EAGAIN;
    if (!h) return PARCONC_EAGAIN; /* a port bug; never store a NULL handle */
    if (detached) parconc_port_thread_detach(h);
    memcpy(t->native_, &h, sizeof h);
    return PARCONC_OK;
}

static int parconc__os_thread_join(const parconc_thread *t, void **result)
{
    return parconc_port_thread_join(parconc__port_handle(t), result);
}

static int parconc__os_thread_detach(const parconc_thread *t)
{
    return parconc_port_thread_detach(parconc__port_handle(t));
}


static void parconc__os_thread_yield(void) { parconc_port_thread_yield(); }
static inline uintptr_t parconc__os_thread_self(void) { return parconc_port_thread_self(); }

/* ---- no thread-exit hook (robust mutexes answer PARCONC_ENOTSUP) and no
   fork: the program calls parconc_after_fork_child itself if it forks ---- */
#define PARCONC__OS_EXIT_HOOK 0
static void parconc__os_atfork_register(void) {}
static void parconc__os_after_fork(void) {}

/* ---- CPUs ---- */
static int parconc__os_cpu_count(void) { return parconc__cpu_count_combine(parconc_port_cpu_count(), 0); }
#define PARCONC__OS_GETCPU 0

/* ---- defaults: no busy tail on timed waits (an RTOS sleeps to the tick),
   no reader-bias table (RAM is scarce), the port's clock for traces ---- */
#define PARCONC__OS_SLACK_NS 0u
#define PARCONC__OS_RW_BIAS_SLOTS 0
#define PARCONC__OS_TRACE_TSC 0

#endif /* custom port backend */

/* ===================================================================== */
/* Time, spinning, waits on a word: on the backend             >>wait */
/* ===================================================================== */

/* ---- clock and deadlines -------------------------------------------- */

PARCONC_API uint64_t parconc_now_ns(void)
{
    return parconc__os_now_ns();
}

/* The one place a relative timeout becomes a deadline (see "deadlines"
   above); deadlines are then compared against parconc_now_ns(). */
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
    if (deadline == PARCONC__DEADLINE_NEVER) return PARCONC__DEADLINE_NEVER;
    return parconc__ns_until(deadline, parconc_now_ns());
}

PARCONC_API void parconc_sleep_ns(int64_t ns)
{
    uint64_t deadline = parconc__deadline(ns);
    if (deadline != PARCONC__DEADLINE_NOW) parconc__os_sleep_until(deadline);
}

/* ---- spinning and backing off ---------------------------------------- */
/* A waiter spins briefly before it sleeps where that pays: a lock is often
   free again within a few hundred ns, an idle worker often gets its next
   task within tens of us.  Spinning is off where it cannot pay:
   - PARCONC_NO_SPIN is defined;
   - one CPU is usable: a spinner only delays the thread it waits for (on
     an RTOS a higher-priority spinner keeps it from running at all);
   - the clock cannot time the spin: its resolution is coarser than a
     quarter of the spin, which would last a whole tick instead.
   Both facts are read once and cached (relaxed: any answer is safe,
   spinning is only a guess about cost). */
#ifndef PARCONC_WORKER_SPIN_NS
#define PARCONC_WORKER_SPIN_NS 50000u
#endif
#ifndef PARCONC_RW_SPIN_NS
#define PARCONC_RW_SPIN_NS 20000u
#endif
#ifndef PARCONC_MUTEX_SPINS
#define PARCONC_MUTEX_SPINS 10
#endif
#ifndef PARCONC_TIMED_WAIT_SLACK_NS
#define PARCONC_TIMED_WAIT_SLACK_NS PARCONC__OS_SLACK_NS
#endif

/* May a waiter spin for about spin_ns (0: a spin counted in pauses)? */
static int parconc__spin_ok(uint64_t spin_ns)
{
#ifdef PARCONC_NO_SPIN
    (void)spin_ns;
    return 0;
#else
    static int cpus;          /* 0: not read yet */
    static uint32_t res_plus; /* the clock's resolution + 1 (32 bits: no 64-bit atomics); 0: not read yet */
    int n = parconc__load(&cpus, PARCONC__RELAXED);
    uint32_t r = parconc__load(&res_plus, PARCONC__RELAXED);
    if (n == 0) {
        n = parconc_cpu_count();
        parconc__store(&cpus, n, PARCONC__RELAXED);
    }
    if (n <= 1) return 0;
    if (r == 0) {
        uint64_t res = parconc__os_clock_resolution_ns();
        r = res >= UINT32_MAX / 8u ? UINT32_MAX / 8u : (uint32_t)res + 1u;
        parconc__store(&res_plus, r, PARCONC__RELAXED);
    }
    return spin_ns == 0 || (uint64_t)(r - 1u) * 4u <= spin_ns;
#endif
}

/* ---- waits on a word -------------------------------------------------- */
/* parconc__futex_wait(addr, expected, deadline) blocks while *addr ==
   expected, until parconc__futex_wake(addr, n) or the absolute deadline,
   with the backend's contract (see >>backend): it may return spuriously,
   callers re-check their condition in a loop, PARCONC_ETIMEDOUT only once
   the deadline has passed, no lost wake-up because every waker changes
   *addr before it wakes.  The _bits forms tag a waiter; a backend without
   tags wakes every waiter on the address instead: more wake-ups, same
   result. */
PARCONC__PRIVATE int parconc__futex_wait(uint32_t *addr, uint32_t expected, uint64_t deadline)
{
    return parconc__os_wait(addr, expected, deadline);
}

PARCONC__PRIVATE void parconc__futex_wake(uint32_t *addr, int n)
{
    parconc__os_wake(addr, n);
}

PARCONC__PRIVATE int parconc__futex_wait_bits(uint32_t *addr, uint32_t expected, uint64_t deadline, uint32_t bits)
{
#if PARCONC__OS_WAIT_BITS
    return parconc__os_wait_bits(addr, expected, deadline, bits);
#else
    (void)bits;
    return parconc__os_wait(addr, expected, deadline);
#endif
}

PARCONC__PRIVATE void parconc__futex_wake_bits(uint32_t *addr, int n, uint32_t bits)
{
#if PARCONC__OS_WAIT_BITS
    parconc__os_wake_bits(addr, n, bits);
#else
    (void)n; (void)bits;
    parconc__os_wake(addr, INT_MAX); /* no tags: wake them all */
#endif
}

/* The kernel may fire a timer up to its timer slack (50 us by default for
   ordinary threads) late.  For the timeouts users see (locks, semaphores,
   condition variables, wait groups) sleep until PARCONC__SLACK_NS before
   the deadline and watch the word for the rest, so a timed wait ends within
   a few us of its deadline, never before it.  Not where spinning is off
   (one CPU: the watcher would keep the waker off it) nor with a custom
   port (PARCONC_TIMED_WAIT_SLACK_NS is 0 there: an RTOS sleeps to the
   tick).  Same return contract as parconc__futex_wait; no extra spurious
   returns. */
#define PARCONC__SLACK_NS ((uint64_t)PARCONC_TIMED_WAIT_SLACK_NS)

PARCONC__PRIVATE int parconc__futex_wait_precise_bits(uint32_t *addr, uint32_t expected, uint64_t deadline, uint32_t bits)
{
    for (;;) {
        uint64_t now;
        int spins = 0;
        if (deadline == PARCONC__DEADLINE_NEVER || PARCONC__SLACK_NS == 0 || !parconc__spin_ok(PARCONC__SLACK_NS))
            return parconc__futex_wait_bits(addr, expected, deadline, bits);
        now = parconc_now_ns();
        if (now >= deadline) return PARCONC_ETIMEDOUT;
        if (deadline - now > PARCONC__SLACK_NS) {
            if (parconc__futex_wait_bits(addr, expected, deadline - PARCONC__SLACK_NS, bits) != PARCONC_ETIMEDOUT) return PARCONC_OK;
            continue; /* now within the slack: watch the rest */
        }
        while (parconc__load(addr, PARCONC__ACQUIRE) == expected) {
            if (parconc_now_ns() >= deadline) return PARCONC_ETIMEDOUT;
            if ((++spins & 63) == 0) parconc_thread_yield();
            else parconc__cpu_relax();
        }
        return PARCONC_OK;
    }
}

PARCONC__PRIVATE int parconc__futex_wait_precise(uint32_t *addr, uint32_t expected, uint64_t deadline)
{
    return parconc__futex_wait_precise_bits(addr, expected, deadline, 0xFFFFFFFFu);
}

/* ===================================================================== */
/* Locks                                                  >>impl-locks */
/* ===================================================================== */

/* ---- ThreadSanitizer annotations ---------------------------------------
   The locks are built on atomics and futexes TSan cannot see as locks; the
   __tsan_mutex_* hooks tell it, so it checks user code for races and lock
   order inversions around parconc locks as it does around pthread ones. */
#if defined(__SANITIZE_THREAD__)
#define PARCONC__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PARCONC__TSAN 1
#endif
#endif
#ifdef PARCONC__TSAN
#include <sanitizer/tsan_interface.h>
#define PARCONC__TSAN_READ   __tsan_mutex_read_lock
#define PARCONC__TSAN_TRY    __tsan_mutex_try_lock
#define PARCONC__TSAN_FAILED __tsan_mutex_try_lock_failed
#define PARCONC__TSAN_PRE_LOCK(m, f)     __tsan_mutex_pre_lock((void *)(m), (f))
#define PARCONC__TSAN_POST_LOCK(m, f, r) __tsan_mutex_post_lock((void *)(m), (f), (r))
#define PARCONC__TSAN_PRE_UNLOCK(m, f)   __tsan_mutex_pre_unlock((void *)(m), (f))
#define PARCONC__TSAN_POST_UNLOCK(m, f)  __tsan_mutex_post_unlock((void *)(m), (f))
#define PARCONC__TSAN_DESTROY(m)         __tsan_mutex_destroy((void *)(m), 0)
#define PARCONC__HB_BEFORE(x) ((void)0) /* TSan sees the atomics themselves */
#define PARCONC__HB_AFTER(x)  ((void)0)
#elif defined(PARCONC_VALGRIND)
/* The same points for Valgrind's Helgrind: each lock is announced as a
   reader-writer lock, and the semaphore, wait group and once as
   happens-before arcs, so `valgrind --tool=helgrind` checks user code
   around parconc primitives (the lock words themselves are atomics
   Helgrind cannot model: tests/valgrind/helgrind.supp hides those). */
#include <valgrind/helgrind.h>
#define PARCONC__TSAN_READ   1u
#define PARCONC__TSAN_TRY    2u
#define PARCONC__TSAN_FAILED 4u
#define PARCONC__TSAN_PRE_LOCK(m, f)     ((void)(f))
#define PARCONC__TSAN_POST_LOCK(m, f, r) \
    do { if (!((f) & PARCONC__TSAN_FAILED) && !(r)) ANNOTATE_RWLOCK_ACQUIRED((m), !((f) & PARCONC__TSAN_READ)); } while (0)
#define PARCONC__TSAN_PRE_UNLOCK(m, f)   ANNOTATE_RWLOCK_RELEASED((m), !((f) & PARCONC__TSAN_READ))
#define PARCONC__TSAN_POST_UNLOCK(m, f)  ((void)0)
#define PARCONC__TSAN_DESTROY(m)         ANNOTATE_RWLOCK_DESTROY(m)
#define PARCONC__HB_BEFORE(x) ANNOTATE_HAPPENS_BEFORE(x)
#define PARCONC__HB_AFTER(x)  ANNOTATE_HAPPENS_AFTER(x)
#else
#define PARCONC__TSAN_READ   0u
#define PARCONC__TSAN_TRY    0u
#define PARCONC__TSAN_FAILED 0u
#define PARCONC__TSAN_PRE_LOCK(m, f)     ((void)(f))
#define PARCONC__TSAN_POST_LOCK(m, f, r) ((void)(f))
#define PARCONC__TSAN_PRE_UNLOCK(m, f)   ((void)0)
#define PARCONC__TSAN_POST_UNLOCK(m, f)  ((void)0)
#define PARCONC__TSAN_DESTROY(m)         ((void)0)
#define PARCONC__HB_BEFORE(x) ((void)0)
#define PARCONC__HB_AFTER(x)  ((void)0)
#endif
/* Flags for a lock call: blocking (0) or try/timed, which may fail. */
#define PARCONC__TSAN_KIND(deadline) ((deadline) == PARCONC__DEADLINE_NEVER ? 0u : (unsigned)PARCONC__TSAN_TRY)
#define PARCONC__TSAN_RESULT(kind, rc) ((kind) | ((rc) == PARCONC_OK || (rc) == PARCONC_EOWNERDEAD ? 0u : (unsigned)PARCONC__TSAN_FAILED))

#if defined(__cplusplus) && __cplusplus >= 201103L
#define PARCONC__THREAD_LOCAL thread_local
#elif defined(_MSC_VER) && !defined(__GNUC__)
#define PARCONC__THREAD_LOCAL __declspec(thread)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define PARCONC__THREAD_LOCAL _Thread_local
#else
#define PARCONC__THREAD_LOCAL __thread
#endif

/* ---- lock-order validator (PARCONC_DEBUG_LOCKS) --------------------------
   A global graph of "lock X was held while lock Y was taken" edges, each
   with the two call sites, plus a per-thread stack of held locks (up to
   PARCONC__DBG_MAX_HELD; past that a warning, once, and the extra holds go
   unchecked), each noting a read or a write hold.  Before a
   thread blocks on Y while holding X, a path Y -> ... -> X in the graph means
   some thread took them in the opposite order: a potential deadlock, which
   is refused (EDEADLK) and logged with both sites.  Fixed-size tables, no
   heap; the graph is protected by a private spin lock (never a parconc
   lock, so the validator cannot recurse into itself). */
#ifdef PARCONC_DEBUG_LOCKS
#define PARCONC__DBG_MAX_HELD 128
#define PARCONC__DBG_MAX_EDGES 4096
/* read: a read hold of a rwlock (another read may nest, where recursive) */
typedef struct parconc__dbg_held { const void *lock; const char *file; int line, read; } parconc__dbg_held;
typedef struct parconc__dbg_edge {
    const void *from, *to;
    const char *from_file, *to_file;
    int from_line, to_line;
} parconc__dbg_edge;
static PARCONC__THREAD_LOCAL parconc__dbg_held parconc__dbg_stack[PARCONC__DBG_MAX_HELD];
static PARCONC__THREAD_LOCAL int parconc__dbg_depth;
static PARCONC__THREAD_LOCAL int parconc__dbg_untracked; /* holds past the table (reported once) */
static PARCONC__THREAD_LOCAL const char *parconc__dbg_site_file;
static PARCONC__THREAD_LOCAL int parconc__dbg_site_line;
static uint32_t parconc__dbg_mutex; /* 1 = held; see parconc__dbg_lock */
static parconc__dbg_edge parconc__dbg_edges[PARCONC__DBG_MAX_EDGES];
static int parconc__dbg_nedges;
static int parconc__dbg_full_reported;

/* A yielding spin lock: debug builds only, short critical sections, and it
   needs nothing from the OS (works with PARCONC_PORT_CUSTOM too). */
static void parconc__dbg_lock(void)
{
    uint32_t expected = 0;
    unsigned turn = 0;
    while (!parconc__cas_weak(&parconc__dbg_mutex, &expected, 1u, PARCONC__ACQUIRE, PARCONC__RELAXED)) {
        expected = 0;
        parconc__backoff(&turn);
    }
}
static void parconc__dbg_unlock(void)
{
    parconc__store(&parconc__dbg_mutex, 0u, PARCONC__RELEASE);
}

PARCONC_API void parconc_debug_site(const char *file, int line)
{
    parconc__dbg_site_file = file;
    parconc__dbg_site_line = line;
}

PARCONC_API void parconc_debug_reset(void)
{
    parconc__dbg_lock();
    parconc__dbg_nedges = 0;
    parconc__dbg_full_reported = 0;
    parconc__dbg_unlock();
}

/* The site set by the macro wrapper of the current call, consumed once. */
static void parconc__dbg_take_site(const char **file, int *line)
{
    *file = parconc__dbg_site_file ? parconc__dbg_site_file : "(unknown site)";
    *line = parconc__dbg_site_file ? parconc__dbg_site_line : 0;
    parconc__dbg_site_file = NULL;
}

static void parconc__dbg_cat_site(char *buf, size_t cap, size_t *len, const char *file, int line)
{
    parconc__str_cat(buf, cap, len, file);
    parconc__str_cat(buf, cap, len, ":");
    parconc__str_cat_int(buf, cap, len, line);
}

static int parconc__dbg_find_edge(const void *from, const void *to)
{
    int i;
    for (i = 0; i < parconc__dbg_nedges; i++)
        if (parconc__dbg_edges[i].from == from && parconc__dbg_edges[i].to == to) return i;
    return -1;
}

/* Depth-first search for a path from -> ... -> target.  Returns the index of
   the first edge of such a path, or -1. */
static int parconc__dbg_path(const void *from, const void *target)
{
    static const void *stack[PARCONC__DBG_MAX_EDGES + 1];
    static int first_edge[PARCONC__DBG_MAX_EDGES + 1];
    static unsigned char seen[PARCONC__DBG_MAX_EDGES];
    int top = 0, i;
    memset(seen, 0, sizeof seen);
    stack[top] = from;
    first_edge[top++] = -1;
    while (top > 0) {
        const void *node = stack[--top];
        int via = first_edge[top];
        for (i = 0; i < parconc__dbg_nedges; i++) {
            if (seen[i] || parconc__dbg_edges[i].from != node) continue;
            seen[i] = 1;
            if (parconc__dbg_edges[i].to == target) return via >= 0 ? via : i;
            stack[top] = parconc__dbg_edges[i].to;
            first_edge[top++] = via >= 0 ? via : i;
        }
    }
    return -1;
}

/* Called before blocking on `lock`.  recursive: the same thread may take it
   again the same way (reentrant mutex; a read of a reader-preferring
   rwlock it holds for reading, never one it holds for writing).  read:
   this is a read lock. */
static int parconc__dbg_before_acquire(const void *lock, int recursive, int read, const char *file, int line)
{
    int i, rc = PARCONC_OK;
    char msg[512];
    size_t len = 0;
    for (i = 0; i < parconc__dbg_depth; i++) {
        if (parconc__dbg_stack[i].lock != lock) continue;
        if (recursive && parconc__dbg_stack[i].read == read) return PARCONC_OK;
        parconc__str_cat(msg, sizeof msg, &len, "parconc: deadlock: re-locking a lock this thread already holds (taken at ");
        parconc__dbg_cat_site(msg, sizeof msg, &len, parconc__dbg_stack[i].file, parconc__dbg_stack[i].line);
        parconc__str_cat(msg, sizeof msg, &len, ") at ");
        parconc__dbg_cat_site(msg, sizeof msg, &len, file, line);
        parconc__log(PARCONC_LOG_ERROR, PARCONC_EDEADLK, msg, file, line);
        return PARCONC_EDEADLK;
    }
    parconc__dbg_lock();
    for (i = 0; i < parconc__dbg_depth && rc == PARCONC_OK; i++) {
        const parconc__dbg_held *h = &parconc__dbg_stack[i];
        int e;
        if (parconc__dbg_find_edge(h->lock, lock) >= 0) continue;
        e = parconc__dbg_path(lock, h->lock);
        if (e >= 0) {
            const parconc__dbg_edge *x = &parconc__dbg_edges[e];
            parconc__str_cat(msg, sizeof msg, &len, "parconc: lock order inversion (potential deadlock): taking lock B at ");
            parconc__dbg_cat_site(msg, sizeof msg, &len, file, line);
            parconc__str_cat(msg, sizeof msg, &len, " while holding lock A taken at ");
            parconc__dbg_cat_site(msg, sizeof msg, &len, h->file, h->line);
            parconc__str_cat(msg, sizeof msg, &len, "; the opposite order was seen: B taken at ");
            parconc__dbg_cat_site(msg, sizeof msg, &len, x->from_file, x->from_line);
            parconc__str_cat(msg, sizeof msg, &len, x->to == h->lock ? ", then A taken at " : ", then (via other locks) ");
            parconc__dbg_cat_site(msg, sizeof msg, &len, x->to_file, x->to_line);
            rc = PARCONC_EDEADLK;
        } else if (parconc__dbg_nedges < PARCONC__DBG_MAX_EDGES) {
            parconc__dbg_edge *n = &parconc__dbg_edges[parconc__dbg_nedges++];
            n->from = h->lock; n->from_file = h->file; n->from_line = h->line;
            n->to = lock;      n->to_file = file;      n->to_line = line;
        } else if (!parconc__dbg_full_reported) {
            parconc__dbg_full_reported = 1;
            parconc__log(PARCONC_LOG_WARN, PARCONC_ENOMEM, "parconc: lock-order graph full; new orders are not checked", file, line);
        }
    }
    parconc__dbg_unlock();
    if (rc != PARCONC_OK) parconc__log(PARCONC_LOG_ERROR, rc, msg, file, line);
    return rc;
}

static void parconc__dbg_acquired(const void *lock, int read, const char *file, int line)
{
    if (parconc__dbg_depth < PARCONC__DBG_MAX_HELD) {
        parconc__dbg_held *h = &parconc__dbg_stack[parconc__dbg_depth++];
        h->lock = lock; h->file = file; h->line = line; h->read = read;
        return;
    }
    if (parconc__dbg_untracked++ == 0)
        parconc__log(PARCONC_LOG_WARN, PARCONC_ENOMEM,
                     "parconc: this thread holds more locks than the validator tracks; the extra ones are not checked",
                     file, line);
}

/* Drops this thread's record of one hold of `lock` (1 if there was one). */
static int parconc__dbg_unrecord(const void *lock)
{
    int i;
    for (i = parconc__dbg_depth - 1; i >= 0; i--) {
        if (parconc__dbg_stack[i].lock != lock) continue;
        memmove(&parconc__dbg_stack[i], &parconc__dbg_stack[i + 1], (size_t)(parconc__dbg_depth - 1 - i) * sizeof parconc__dbg_stack[0]);
        parconc__dbg_depth--;
        return 1;
    }
    return 0;
}

static void parconc__dbg_released(const void *lock)
{
    if (!parconc__dbg_unrecord(lock) && parconc__dbg_untracked > 0) parconc__dbg_untracked--;
}

/* A destroyed or re-initialised lock's address may be reused by an
   unrelated lock: forget its edges, and this thread's holds of it. */
static void parconc__dbg_forget(const void *lock)
{
    int i, j = 0;
    while (parconc__dbg_unrecord(lock)) {}
    parconc__dbg_lock();
    for (i = 0; i < parconc__dbg_nedges; i++)
        if (parconc__dbg_edges[i].from != lock && parconc__dbg_edges[i].to != lock) parconc__dbg_edges[j++] = parconc__dbg_edges[i];
    parconc__dbg_nedges = j;
    parconc__dbg_unlock();
}
/* Wrappers used by every lock below; they vanish without PARCONC_DEBUG_LOCKS. */
#define PARCONC__DBG_SITE const char *dbg_file_; int dbg_line_; parconc__dbg_take_site(&dbg_file_, &dbg_line_)
#define PARCONC__DBG_CHECK(lock, recursive, read) do { int dbg_rc_ = parconc__dbg_before_acquire((lock), (recursive), (read), dbg_file_, dbg_line_); \
                                                       if (dbg_rc_ != PARCONC_OK) return dbg_rc_; } while (0)
#define PARCONC__DBG_ACQUIRED(lock, read) parconc__dbg_acquired((lock), (read), dbg_file_, dbg_line_)
#define PARCONC__DBG_RELEASED(lock) parconc__dbg_released(lock)
#define PARCONC__DBG_FORGET(lock) parconc__dbg_forget(lock)
#else
#define PARCONC__DBG_SITE ((void)0)
#define PARCONC__DBG_CHECK(lock, recursive, read) ((void)0)
#define PARCONC__DBG_ACQUIRED(lock, read) ((void)0)
#define PARCONC__DBG_RELEASED(lock) ((void)0)
#define PARCONC__DBG_FORGET(lock) ((void)0)
#endif /* PARCONC_DEBUG_LOCKS */

/* ---- mutex -----------------------------------------------------------------
   The word:  bit 0 LOCKED, bit 1 HANDOFF, bit 3 CONTENDED (threads may
   sleep on it: unlock must wake one), bits 8-31 OLD: the number of
   waiters that have waited more than PARCONC__MUTEX_STARVE_NS.

   Normal mode (OLD == 0) is the three-state futex mutex of Drepper's
   "Futexes Are Tricky" with a short spin first: free -> LOCKED (fast
   path, one CAS), LOCKED -> LOCKED|CONTENDED when a waiter is about to
   sleep, and unlock clears both and wakes one sleeper if CONTENDED was
   set.  A thread that takes the lock after having waited sets CONTENDED
   again, since others may still sleep; so a chain of wake-ups never
   breaks.  Unlocked implies CONTENDED clear (waiters only add it to a
   locked word).  Barging is allowed: the lock stays with whoever runs,
   the best throughput.

   Hand-off mode (OLD > 0; Go's mutex.go starvation mode, with the queue
   kept by the kernel): a waiter still waiting PARCONC__MUTEX_STARVE_NS
   after it first went to sleep counts itself in OLD with a CAS on a
   locked word, and from then on sleeps with its own futex tag.  While
   OLD > 0 unlock does not release the lock: it sets HANDOFF while keeping
   LOCKED and wakes one OLD sleeper; only an OLD waiter may take a HANDOFF
   (clearing it and counting itself out of OLD in the same CAS), and
   newcomers cannot barge (the lock is never free meanwhile: the fast
   path, the spin and trylock all fail).  The kernel wakes sleepers of a
   tag in the order they went to sleep, so the old waiters are served in
   turn, one per unlock.  A waiter not yet old sleeps at most until its
   1 ms is up, so it counts itself in even while every unlock is a
   hand-off, and so does a timed waiter: each waits its turn like the
   others.  The mode ends when the last old waiter is served.
   (tests/model/mutex.pml checks mutual exclusion, no lost wake-up, a
   HANDOFF always has a taker, and no waiter that is not old gets the lock
   while an old one waits, with Spin.)

   Invariants: OLD > 0 => LOCKED (a waiter counts itself in only on a
   locked word, and unlock keeps LOCKED while OLD > 0); HANDOFF => LOCKED
   and OLD > 0 (an old waiter leaving on a timeout takes a HANDOFF it
   finds instead of counting itself out), so a HANDOFF always has a taker.

   No lost wake-up: a waiter sleeps with futex_wait(word, value seen),
   which returns at once if anything changed since, and only after the
   value it saw carries CONTENDED (normal mode: the unlock that changes it
   wakes someone) or OLD counting it (hand-off mode: the unlock sets
   HANDOFF, which changes the word, and wakes an OLD sleeper).  A waiter
   that leaves on a timeout leaves CONTENDED set behind it (a spare
   wake-up later, never a missing one), and a timed-out futex wait never
   consumed a wake-up (a woken waiter returns OK and retries). */
#define PARCONC__M_LOCKED    1u
#define PARCONC__M_HANDOFF   2u
#define PARCONC__M_CONTENDED 8u
#define PARCONC__M_OLD_ONE   0x100u
#define PARCONC__M_OLD_MASK  0xFFFFFF00u
#define PARCONC__M_SPINS    PARCONC_MUTEX_SPINS /* pauses: short, since a spinning waiter takes the CPU its holder may need */
#define PARCONC__MUTEX_STARVE_NS 1000000u /* waited this long: counted for a hand-off */
/* futex tags: waiters not yet old, and old ones */
#define PARCONC__M_TAG_WAITER  1u
#define PARCONC__M_TAG_OLD     2u

/* An old waiter takes a HANDOFF: LOCKED stays (now ours), we leave OLD,
   and others may sleep. */
static inline uint32_t parconc__mutex_handoff_taken(uint32_t s)
{
    return ((s & ~PARCONC__M_HANDOFF) - PARCONC__M_OLD_ONE) | PARCONC__M_CONTENDED;
}

/* The deadline passed: take the lock if it was handed to us (old) or is
   free (not old), else leave OLD if we were in it. */
static int parconc__mutex_give_up(uint32_t *w, int old)
{
    uint32_t s = parconc__load(w, PARCONC__RELAXED);
    for (;;) {
        uint32_t n;
        int take = 1;
        if (old && (s & PARCONC__M_HANDOFF))
            n = parconc__mutex_handoff_taken(s);
        else if (!(s & PARCONC__M_LOCKED))
            n = s | PARCONC__M_LOCKED | PARCONC__M_CONTENDED;
        else if (old)
            n = s - PARCONC__M_OLD_ONE, take = 0;
        else
            return PARCONC_ETIMEDOUT; /* nothing of ours in the word */
        if (parconc__cas(w, &s, n, PARCONC__ACQUIRE, PARCONC__RELAXED)) return take ? PARCONC_OK : PARCONC_ETIMEDOUT;
    }
}

/* fair: public mutexes hand off to old waiters; the library's own short
   internal locks (queues, guards) never do: a hand-off there only adds a
   context switch per critical section under oversubscription. */
static int parconc__mutex_lock_slow(uint32_t *w, uint64_t deadline, int fair)
{
    uint32_t s;
    int old = 0;        /* counted in OLD */
    uint64_t start = 0; /* when we first went to sleep */
    int spins;
    if (deadline == PARCONC__DEADLINE_NOW) { /* try once */
        s = parconc__load(w, PARCONC__RELAXED);
        while (!(s & PARCONC__M_LOCKED))
            if (parconc__cas(w, &s, s | PARCONC__M_LOCKED, PARCONC__ACQUIRE, PARCONC__RELAXED)) return PARCONC_OK;
        return PARCONC_ETIMEDOUT;
    }
    /* 1. Spin briefly: critical sections are usually shorter than a sleep. */
    for (spins = parconc__spin_ok(0) ? 0 : PARCONC__M_SPINS; spins < PARCONC__M_SPINS; spins++) {
        s = parconc__load(w, PARCONC__RELAXED);
        if (s & PARCONC__M_OLD_MASK) break; /* old waiters are owed the lock */
        if (!(s & PARCONC__M_LOCKED)) {
            if (parconc__cas(w, &s, s | PARCONC__M_LOCKED, PARCONC__ACQUIRE, PARCONC__RELAXED)) return PARCONC_OK;
            continue;
        }
        parconc__cpu_relax();
    }
    /* 2. Sleep until the lock is free or handed to us. */
    for (;;) {
        s = parconc__load(w, PARCONC__RELAXED);
        if (old && (s & PARCONC__M_HANDOFF)) {
            if (parconc__cas(w, &s, parconc__mutex_handoff_taken(s), PARCONC__ACQUIRE, PARCONC__RELAXED)) return PARCONC_OK;
            continue;
        }
        if (!(s & PARCONC__M_LOCKED)) {
            /* free (so OLD is 0): take it, keep CONTENDED for the sleepers */
            if (parconc__cas(w, &s, s | PARCONC__M_LOCKED | PARCONC__M_CONTENDED, PARCONC__ACQUIRE, PARCONC__RELAXED))
                return PARCONC_OK;
            continue;
        }
        if (!(s & PARCONC__M_CONTENDED)) {
            /* announce a sleeper first.  Relaxed: it orders nothing but
               itself; any unlock after it reads the bit in the same word
               (its CAS sees this CAS's value or fails and retries). */
            if (!parconc__cas(w, &s, s | PARCONC__M_CONTENDED, PARCONC__RELAXED, PARCONC__RELAXED)) continue;
            s |= PARCONC__M_CONTENDED;
        }
        if (fair && !old) {
            uint64_t now = parconc_now_ns();
            if (!start) start = now;
            if (now - start > PARCONC__MUTEX_STARVE_NS) {
                /* count ourselves in on the locked word we saw.  Relaxed:
                   the count is the message, and the hand-off that follows
                   is a release/acquire pair.  The first old waiter wakes
                   the others' untimed sleeps (below). */
                if (parconc__cas(w, &s, s + PARCONC__M_OLD_ONE, PARCONC__RELAXED, PARCONC__RELAXED)) {
                    old = 1;
                    if (!(s & PARCONC__M_OLD_MASK)) parconc__futex_wake_bits(w, INT_MAX, PARCONC__M_TAG_WAITER);
                }
                continue;
            }
            if ((s & PARCONC__M_OLD_MASK) && start + PARCONC__MUTEX_STARVE_NS < deadline) {
                /* hand-off mode: no unlock wakes us any more, so sleep
                   until our 1 ms is up at most, then count in.  In normal
                   mode the sleep needs no timer: an unlock wakes a
                   sleeper, and the first waiter to count itself in wakes
                   every one, so none sleeps untimed through the switch. */
                (void)parconc__futex_wait_bits(w, s, start + PARCONC__MUTEX_STARVE_NS + 1u, PARCONC__M_TAG_WAITER);
                continue;
            }
        }
        if (parconc__futex_wait_precise_bits(w, s, deadline, old ? PARCONC__M_TAG_OLD : PARCONC__M_TAG_WAITER)
            != PARCONC_ETIMEDOUT) continue;
        return parconc__mutex_give_up(w, old);
    }
}

/* Inline fast path: one CAS from "free, nobody waiting". */
static inline int parconc__mutex_lock_raw(parconc_mutex *m, uint64_t deadline)
{
    uint32_t expected = 0;
    if (PARCONC__LIKELY(parconc__cas(&m->state_, &expected, PARCONC__M_LOCKED, PARCONC__ACQUIRE, PARCONC__RELAXED)))
        return PARCONC_OK;
    return parconc__mutex_lock_slow(&m->state_, deadline, 1);
}

/* Internal locks: same word, no starvation mode, never fail. */
static inline void parconc__ilock(parconc_mutex *m)
{
    uint32_t expected = 0;
    if (!parconc__cas(&m->state_, &expected, PARCONC__M_LOCKED, PARCONC__ACQUIRE, PARCONC__RELAXED))
        parconc__mutex_lock_slow(&m->state_, PARCONC__DEADLINE_NEVER, 0);
}

static int parconc__mutex_unlock_slow(uint32_t *w, uint32_t s)
{
    for (;;) {
        if (!(s & PARCONC__M_LOCKED) || (s & PARCONC__M_HANDOFF)) return PARCONC_EPERM;
        if (s & PARCONC__M_OLD_MASK) {
            /* hand off: keep LOCKED so no newcomer can take it, and wake
               an old waiter (its tag), nobody else */
            if (parconc__cas(w, &s, s | PARCONC__M_HANDOFF, PARCONC__RELEASE, PARCONC__RELAXED)) {
                parconc__futex_wake_bits(w, 1, PARCONC__M_TAG_OLD);
                return PARCONC_OK;
            }
        } else if (parconc__cas(w, &s, s & ~(PARCONC__M_LOCKED | PARCONC__M_CONTENDED), PARCONC__RELEASE, PARCONC__RELAXED)) {
            /* only the wake touches the word after the releasing CAS: the
               mutex may be freed by its next owner; a stray futex wake on
               freed memory is harmless */
            if (s & PARCONC__M_CONTENDED) parconc__futex_wake(w, 1);
            return PARCONC_OK;
        }
    }
}

static inline int parconc__mutex_unlock_raw(parconc_mutex *m)
{
    uint32_t expected = PARCONC__M_LOCKED;
    if (PARCONC__LIKELY(parconc__cas(&m->state_, &expected, 0u, PARCONC__RELEASE, PARCONC__RELAXED)))
        return PARCONC_OK;
    return parconc__mutex_unlock_slow(&m->state_, expected);
}

PARCONC_API int parconc_mutex_init(parconc_mutex *m)
{
    if (!m) return PARCONC_EINVAL;
    PARCONC__DBG_FORGET(m); /* a new lock, whatever the old one was */
    m->state_ = 0;
    return PARCONC_OK;
}

/* try* functions: a try that found the lock busy says EBUSY, not ETIMEDOUT. */
static inline int parconc__as_busy(int rc)
{
    return rc == PARCONC_ETIMEDOUT ? PARCONC_EBUSY : rc;
}

/* Shared by every lock's destroy: refuse a lock in use (its state word is
   not 0), then tell TSan and the validator the address is free again. */
static int parconc__lock_destroy(const void *lock, const uint32_t *state)
{
    (void)lock; /* used only by the TSan / validator hooks */
    if (parconc__load(state, PARCONC__RELAXED) != 0) return PARCONC_EBUSY;
    PARCONC__TSAN_DESTROY(lock);
    PARCONC__DBG_FORGET(lock);
    return PARCONC_OK;
}

PARCONC_API int parconc_mutex_destroy(parconc_mutex *m)
{
    return m ? parconc__lock_destroy(m, &m->state_) : PARCONC_EINVAL;
}

/* Shared by lock / trylock / timedlock: validator, TSan, then the lock. */
static int parconc__mutex_acquire(parconc_mutex *m, uint64_t deadline)
{
    int rc;
    unsigned kind = PARCONC__TSAN_KIND(deadline);
    PARCONC__DBG_SITE;
    if (!m) return PARCONC_EINVAL;
    if (deadline != PARCONC__DEADLINE_NOW) PARCONC__DBG_CHECK(m, 0, 0); /* a try cannot deadlock */
    PARCONC__TSAN_PRE_LOCK(m, kind);
    rc = parconc__mutex_lock_raw(m, deadline);
    PARCONC__TSAN_POST_LOCK(m, PARCONC__TSAN_RESULT(kind, rc), 0);
    if (rc == PARCONC_OK) PARCONC__DBG_ACQUIRED(m, 0);
    return rc;
}

PARCONC_API int (parconc_mutex_lock)(parconc_mutex *m)
{
    return parconc__mutex_acquire(m, PARCONC__DEADLINE_NEVER);
}

PARCONC_API int (parconc_mutex_trylock)(parconc_mutex *m)
{
    return parconc__as_busy(parconc__mutex_acquire(m, PARCONC__DEADLINE_NOW));
}

PARCONC_API int (parconc_mutex_timedlock)(parconc_mutex *m, int64_t timeout_ns)
{
    return parconc__mutex_acquire(m, parconc__deadline(timeout_ns));
}

PARCONC_API int parconc_mutex_unlock(parconc_mutex *m)
{
    int rc;
    if (!m) return PARCONC_EINVAL;
#if defined(PARCONC__TSAN) || defined(PARCONC_VALGRIND)
    {   /* misuse check first, so the checker is told only about real unlocks */
        uint32_t s = parconc__load(&m->state_, PARCONC__RELAXED);
        if (!(s & PARCONC__M_LOCKED) || (s & PARCONC__M_HANDOFF))
            return PARCONC__MISUSE(PARCONC_EPERM, "unlock of a mutex that is not locked");
    }
#endif
    /* otherwise the releasing CAS is the check: it expects "locked, nobody
       waiting", and the slow path it falls to on anything else refuses an
       unlocked word (a load and a branch less on the fast path) */
    PARCONC__TSAN_PRE_UNLOCK(m, 0);
    rc = parconc__mutex_unlock_raw(m);
    if (rc != PARCONC_OK) return PARCONC__MISUSE(rc, "unlock of a mutex that is not locked");
    PARCONC__TSAN_POST_UNLOCK(m, 0);
    PARCONC__DBG_RELEASED(m);
    return PARCONC_OK;
}

/* ---- reentrant mutex -------------------------------------------------------
   owner_ is written only by the thread that holds the inner mutex (itself,
   or 0 before release), so a thread reads its own id there only if it
   really owns the lock; relaxed atomics suffice because the inner mutex
   orders everything else.  depth_ is touched only by the owner. */
static int parconc__rmutex_acquire(parconc_rmutex *m, uint64_t deadline)
{
    uintptr_t me = parconc__os_thread_self();
    unsigned kind = PARCONC__TSAN_KIND(deadline);
    int rc;
    PARCONC__DBG_SITE;
    if (!m) return PARCONC_EINVAL;
    if (parconc__load(&m->owner_, PARCONC__RELAXED) == me) {
        if (m->depth_ >= UINT32_MAX - 1u) return PARCONC_EAGAIN; /* at most UINT32_MAX-1 holds */
        m->depth_++;
        return PARCONC_OK;
    }
    if (deadline != PARCONC__DEADLINE_NOW) PARCONC__DBG_CHECK(m, 1, 0);
    PARCONC__TSAN_PRE_LOCK(m, kind);
    rc = parconc__mutex_lock_raw(&m->mutex_, deadline);
    PARCONC__TSAN_POST_LOCK(m, PARCONC__TSAN_RESULT(kind, rc), 0);
    if (rc != PARCONC_OK) return rc;
    parconc__store(&m->owner_, me, PARCONC__RELAXED);
    m->depth_ = 1;
    PARCONC__DBG_ACQUIRED(m, 0);
    return PARCONC_OK;
}

PARCONC_API int parconc_rmutex_init(parconc_rmutex *m)
{
    if (!m) return PARCONC_EINVAL;
    PARCONC__DBG_FORGET(m);
    memset(m, 0, sizeof *m);
    return PARCONC_OK;
}

PARCONC_API int parconc_rmutex_destroy(parconc_rmutex *m)
{
    return m ? parconc__lock_destroy(m, &m->mutex_.state_) : PARCONC_EINVAL;
}

PARCONC_API int (parconc_rmutex_lock)(parconc_rmutex *m) { return parconc__rmutex_acquire(m, PARCONC__DEADLINE_NEVER); }
PARCONC_API int parconc_rmutex_trylock(parconc_rmutex *m)
{
    return parconc__as_busy(parconc__rmutex_acquire(m, PARCONC__DEADLINE_NOW));
}
PARCONC_API int (parconc_rmutex_timedlock)(parconc_rmutex *m, int64_t timeout_ns)
{
    return parconc__rmutex_acquire(m, parconc__deadline(timeout_ns));
}

PARCONC_API int parconc_rmutex_unlock(parconc_rmutex *m)
{
    if (!m) return PARCONC_EINVAL;
    if (parconc__load(&m->owner_, PARCONC__RELAXED) != parconc__os_thread_self())
        return PARCONC__MISUSE(PARCONC_EPERM, "unlock of a reentrant mutex by a thread that does not own it");
    if (--m->depth_ > 0) return PARCONC_OK;
    parconc__store(&m->owner_, (uintptr_t)0, PARCONC__RELAXED);
    PARCONC__TSAN_PRE_UNLOCK(m, 0);
    parconc__mutex_unlock_raw(&m->mutex_);
    PARCONC__TSAN_POST_UNLOCK(m, 0);
    PARCONC__DBG_RELEASED(m);
    return PARCONC_OK;
}

/* ---- robust mutex ------------------------------------------------------------
   Each thread keeps an intrusive list of the robust mutexes it holds and
   notes its head with the backend's thread-exit hook at every lock and
   unlock.  When the thread exits holding any, the hook marks every mutex
   on the list OWNERDEAD and releases it, so the next locker gets
   EOWNERDEAD.  status_ is only changed by the holder of the inner mutex
   (or by the dying owner's hook, which still holds it); it is read without
   the lock only for the early ENOTRECOVERABLE answer, hence atomic.  A
   backend without the hook (a custom port) answers PARCONC_ENOTSUP. */
#define PARCONC__ROBUST_OWNERDEAD 1u
#define PARCONC__ROBUST_NOTRECOVERABLE 2u

static PARCONC__THREAD_LOCAL parconc_robust_mutex *parconc__robust_held;
#if PARCONC__OS_EXIT_HOOK
/* The backend's thread-exit hook (see >>backend): releases every robust
   mutex on the list that starts at head (the exiting thread's), marked
   OWNERDEAD.  The list is emptied where the thread-locals still live, so
   a lock taken later in the thread's exit (another thread-exit handler)
   starts a fresh list instead of linking to released mutexes. */
static void parconc__robust_thread_exit(void *head, int tls_alive)
{
    parconc_robust_mutex *m = (parconc_robust_mutex *)head;
    while (m) {
        parconc_robust_mutex *next = m->next_;
        m->next_ = m->prev_ = NULL;
        parconc__store(&m->status_, PARCONC__ROBUST_OWNERDEAD, PARCONC__RELAXED);
        parconc__store(&m->owner_, (uintptr_t)0, PARCONC__RELAXED);
        PARCONC__TSAN_PRE_UNLOCK(m, 0);
        parconc__mutex_unlock_raw(&m->mutex_);
        PARCONC__TSAN_POST_UNLOCK(m, 0);
        m = next;
    }
    if (tls_alive) parconc__robust_held = NULL;
}
#endif

#if !PARCONC__OS_EXIT_HOOK
/* no thread-exit hook to detect the owner's death */
static int parconc__robust_acquire(parconc_robust_mutex *m, uint64_t deadline)
{
    PARCONC__DBG_SITE; /* consumed like every lock call's site */
    (void)deadline;
    return m ? PARCONC_ENOTSUP : PARCONC_EINVAL;
}
#else
static int parconc__robust_acquire(parconc_robust_mutex *m, uint64_t deadline)
{
    unsigned kind = PARCONC__TSAN_KIND(deadline);
    uint32_t status;
    int rc;
    PARCONC__DBG_SITE;
    if (!m) return PARCONC_EINVAL;
    if (parconc__load(&m->status_, PARCONC__ACQUIRE) == PARCONC__ROBUST_NOTRECOVERABLE) return PARCONC_ENOTRECOVERABLE;
    if (parconc__load(&m->owner_, PARCONC__RELAXED) == parconc__os_thread_self()) return PARCONC_EDEADLK;
    if (!parconc__os_exit_hook_ready(parconc__robust_thread_exit)) return PARCONC_EAGAIN;
    if (deadline != PARCONC__DEADLINE_NOW) PARCONC__DBG_CHECK(m, 0, 0);
    PARCONC__TSAN_PRE_LOCK(m, kind);
    rc = parconc__mutex_lock_raw(&m->mutex_, deadline);
    status = rc == PARCONC_OK ? parconc__load(&m->status_, PARCONC__RELAXED) : 0;
    if (status == PARCONC__ROBUST_NOTRECOVERABLE) {
        parconc__mutex_unlock_raw(&m->mutex_);
        rc = PARCONC_ENOTRECOVERABLE;
    }
    PARCONC__TSAN_POST_LOCK(m, PARCONC__TSAN_RESULT(kind, rc), 0);
    if (rc != PARCONC_OK) return rc;
    parconc__store(&m->owner_, parconc__os_thread_self(), PARCONC__RELAXED);
    m->prev_ = NULL;
    m->next_ = parconc__robust_held;
    if (m->next_) m->next_->prev_ = m;
    parconc__robust_held = m;
    parconc__os_exit_hook_note(parconc__robust_held); /* arms the thread-exit hook */
    PARCONC__DBG_ACQUIRED(m, 0);
    return status == PARCONC__ROBUST_OWNERDEAD ? PARCONC_EOWNERDEAD : PARCONC_OK;
}
#endif /* PARCONC__OS_EXIT_HOOK */

PARCONC_API int parconc_robust_mutex_init(parconc_robust_mutex *m)
{
    if (!m) return PARCONC_EINVAL;
    PARCONC__DBG_FORGET(m);
    memset(m, 0, sizeof *m);
    return PARCONC__OS_EXIT_HOOK ? PARCONC_OK : PARCONC_ENOTSUP;
}

PARCONC_API int parconc_robust_mutex_destroy(parconc_robust_mutex *m)
{
    return m ? parconc__lock_destroy(m, &m->mutex_.state_) : PARCONC_EINVAL;
}

PARCONC_API int (parconc_robust_mutex_lock)(parconc_robust_mutex *m) { return parconc__robust_acquire(m, PARCONC__DEADLINE_NEVER); }
PARCONC_API int parconc_robust_mutex_trylock(parconc_robust_mutex *m)
{
    return parconc__as_busy(parconc__robust_acquire(m, PARCONC__DEADLINE_NOW));
}
PARCONC_API int (parconc_robust_mutex_timedlock)(parconc_robust_mutex *m, int64_t timeout_ns)
{
    return parconc__robust_acquire(m, parconc__deadline(timeout_ns));
}

PARCONC_API int parconc_robust_mutex_unlock(parconc_robust_mutex *m)
{
    if (!m) return PARCONC_EINVAL;
    if (parconc__load(&m->owner_, PARCONC__RELAXED) != parconc__os_thread_self())
        return PARCONC__MISUSE(PARCONC_EPERM, "unlock of a robust mutex by a thread that does not own it");
    if (m->prev_) m->prev_->next_ = m->next_; else parconc__robust_held = m->next_;
    if (m->next_) m->next_->prev_ = m->prev_;
    m->next_ = m->prev_ = NULL;
#if PARCONC__OS_EXIT_HOOK
    parconc__os_exit_hook_note(parconc__robust_held);
#endif
    /* unlocked while still abandoned: nobody repaired the data */
    if (parconc__load(&m->status_, PARCONC__RELAXED) == PARCONC__ROBUST_OWNERDEAD)
        parconc__store(&m->status_, PARCONC__ROBUST_NOTRECOVERABLE, PARCONC__RELEASE);
    parconc__store(&m->owner_, (uintptr_t)0, PARCONC__RELAXED);
    PARCONC__TSAN_PRE_UNLOCK(m, 0);
    parconc__mutex_unlock_raw(&m->mutex_);
    PARCONC__TSAN_POST_UNLOCK(m, 0);
    PARCONC__DBG_RELEASED(m);
    return PARCONC_OK;
}

PARCONC_API int parconc_mutex_consistent(parconc_robust_mutex *m)
{
    if (!m) return PARCONC_EINVAL;
    if (parconc__load(&m->owner_, PARCONC__RELAXED) != parconc__os_thread_self()) return PARCONC_EPERM;
    if (parconc__load(&m->status_, PARCONC__RELAXED) != PARCONC__ROBUST_OWNERDEAD) return PARCONC_EINVAL;
    parconc__store(&m->status_, 0u, PARCONC__RELAXED);
    return PARCONC_OK;
}

/* ---- reader-writer lock --------------------------------------------------------
   A phase-fair lock in the style of Brandenburg and Anderson's PF-T, with
   sleeping, time-outs and three policies, under an optional reader-bias
   table (further below).

   rin_:  bits 8..31 count reader arrivals, bit 0 PRESENT (a writer is in
          its phase: waiting for the readers ahead of it, or holding), bit 1
          PHASE (flipped by each writer that starts a phase, kept after it),
          bit 2 RSLEEP (a reader sleeps, on rseq_), bit 3 WSTARVE and bit 4
          WWAIT (the queued writer starves / sleeps on wseq_).
   rout_: bits 8..31 count reader departures, bit 0 WSLEEP (the writer
          sleeps on rout_ until departures reach wtarget_).
   The counts wrap; arrivals - departures is the number of readers counted
   in (inside, or waiting for a writer's phase to end).

   Reader: one fetch_add on rin_.  No writer bits in the old value: it is
   in.  Else it waits until the writer bits change (that writer left) or
   until the writer in its phase has counted it (wtarget_ passes its
   arrival: that writer waits for it, so it must go in).  Timed and try
   readers use a CAS instead (below).  Leaving is one
   fetch_add on rout_; the departure that reaches wtarget_ with WSLEEP set
   wakes the writer.
   Writer: one CAS on rin_ that finds PRESENT clear sets it and flips
   PHASE: readers counted before wait for nothing, readers after it wait
   for this phase; wtarget_ = the arrivals it counted.  It waits until
   departures reach wtarget_.  Leaving is one RMW that clears PRESENT
   (waking sleeping readers and the queued writer).  A writer that finds
   PRESENT set queues on wmutex_; the one holding it waits for PRESENT to
   clear and CASes like any writer, but after about 1 ms it sets WSTARVE and
   newcomers queue behind it instead of barging: the mutex's bounded
   hand-off, without a hand-off on every release (no convoy).
   Policies: FAIR as above.  PREFER_WRITERS: additionally a reader that
   finds a writer waiting (wwaiting_) steps out again (a departure) and
   waits until no writer holds or waits.  PREFER_READERS: the writer does
   not announce itself before the readers are gone; its CAS needs arrivals
   == departures too, so readers never wait for it.

   Exclusion: a writer holds only when every reader counted in rin_ before
   its bits has departed, and every reader counted after them waits (it saw
   the bits, or wtarget_ says it was not counted).  Arrivals are never
   taken back: a blocking reader waits until it is admitted, and a timed or
   try reader counts itself in only with a CAS that finds no writer bits
   (it waits uncounted, so giving up leaves nothing to undo).  An arrival's
   number is therefore exact, and the wtarget_ test admits a waiting reader
   that the writer in its phase counted even if that writer's phase bit
   repeats the one the reader saw (writers that gave up in between).
   No lost wake-up: a sleeper sets its bit (RSLEEP, WWAIT, WSLEEP) with a
   seq_cst RMW and re-checks its condition in the value it returned; a
   waker makes the change with a seq_cst RMW that returns the bit and, if
   it was set, wakes after it.  Readers and the queued writer sleep on a
   sequence word the waker bumps (rseq_, wseq_), read before the RMW, since
   rin_ itself can come back to a value a sleeper saw; the draining writer
   sleeps on rout_, whose departures only grow. */
#define PARCONC__RW_PRESENT 1u
#define PARCONC__RW_PHASE   2u
#define PARCONC__RW_WBITS   3u
#define PARCONC__RW_RSLEEP  4u
#define PARCONC__RW_WSTARVE 8u   /* the queued writer waited ~1 ms: no barging */
#define PARCONC__RW_WWAIT   16u  /* the queued writer sleeps on wseq_ */
#define PARCONC__RW_WSLEEP  1u
#define PARCONC__RW_ONE     0x100u
#define PARCONC__RW_COUNT(x) ((x) >> 8)
#define PARCONC__RW_MAX_HOLDS 0x7FFFF0u

/* How long a waiter spins before it sleeps (PARCONC_RW_SPIN_NS).  Whoever
   waits for a writer phase to end (a reader, or the queued writer) waits
   for one short critical section, so it spins longer than a writer
   waiting for a whole read phase to drain.  Time-bounded, so the spin does
   not depend on what a pause instruction costs. */
#define PARCONC__RW_READER_SPIN_NS ((uint32_t)PARCONC_RW_SPIN_NS)
#define PARCONC__RW_WRITER_SPIN_NS ((uint32_t)PARCONC_RW_SPIN_NS / 4u)

/* Spin until done(rw, arg) or the spin time or deadline passes; 1 if done. */
static int parconc__rw_spin(parconc_rwlock *rw, int (*done)(parconc_rwlock *, uint32_t), uint32_t arg,
                            uint32_t limit, uint64_t deadline)
{
    uint64_t spin_end = 0;
    unsigned spins;
    if (!parconc__spin_ok(limit)) return done(rw, arg);
    for (spins = 1; !done(rw, arg); spins++) {
        parconc__cpu_relax();
        if ((spins & 63) == 0) {
            uint64_t now = parconc_now_ns();
            if (!spin_end) spin_end = now + limit < deadline ? now + limit : deadline;
            if (now >= spin_end) return 0;
        }
    }
    return 1;
}

/* Has the writer whose bits are in v counted the reader that arrived as
   number `arrival`?  Each writer stores wtarget_ just after its CAS (see
   parconc__rw_try_announce), so a reader that read v with acquire reads
   that writer's target or the previous writer's.  The previous one's says
   "counted" only if it counted the reader too (targets grow); and when the
   bits in v repeat the ones the reader waits on, the previous writer came
   after the reader's and counted it, so either value admits it. */
static int parconc__rw_counted(parconc_rwlock *rw, uint32_t arrival)
{
    uint32_t ahead = (parconc__load(&rw->wtarget_, PARCONC__ACQUIRE) - arrival - 1u) & 0xFFFFFFu;
    return ahead < 0x800000u;
}


/* Sleeping readers sleep on rseq_, not on rin_: rin_ can come back to the
   very value a reader saw (same arrivals, and the same phase bit once
   writers gave up in between), and a futex that compares a repeated value
   would sleep through the wake-up.  A reader reads rseq_, then sets RSLEEP
   with a seq_cst RMW on rin_ and re-checks its condition in the value that
   returned; a writer that changes rin_ in a way a reader waits for clears
   RSLEEP with a seq_cst RMW and, if it was set, bumps rseq_ and wakes every
   sleeper.  Either the writer's RMW sees RSLEEP (then rseq_ moves after
   the reader read it, and its futex wait returns at once or is woken), or
   the reader's RMW sees the writer's change (then it does not sleep). */
static void parconc__rw_readers_woken(parconc_rwlock *rw, uint32_t old_rin)
{
    if (old_rin & PARCONC__RW_RSLEEP) {
        parconc__fetch_add(&rw->rseq_, 1u, PARCONC__RELEASE);
        parconc__futex_wake(&rw->rseq_, INT_MAX);
    }
}
static void parconc__rw_wake_readers(parconc_rwlock *rw)
{
    parconc__rw_readers_woken(rw, parconc__fetch_and(&rw->rin_, ~PARCONC__RW_RSLEEP, PARCONC__SEQ_CST));
}
/* A reader's sleep: returns the rin_ value its RSLEEP RMW saw, and sleeps
   (until `deadline`) only if still_waiting(that value) says so. */
static uint32_t parconc__rw_reader_sleep(parconc_rwlock *rw, int (*still_waiting)(parconc_rwlock *, uint32_t, uint32_t),
                                         uint32_t arg, uint64_t deadline, int *timed_out)
{
    uint32_t seq = parconc__load(&rw->rseq_, PARCONC__ACQUIRE);
    uint32_t v = parconc__fetch_or(&rw->rin_, PARCONC__RW_RSLEEP, PARCONC__SEQ_CST);
    *timed_out = 0;
    if (still_waiting(rw, v, arg))
        *timed_out = (deadline == PARCONC__DEADLINE_NEVER ? parconc__futex_wait(&rw->rseq_, seq, deadline)
                                                          : parconc__futex_wait_precise(&rw->rseq_, seq, deadline)) == PARCONC_ETIMEDOUT;
    return v;
}

/* Have departures reached `target`?  A FAIR or PREFER_WRITERS writer's
   target is exact (newcomers wait for its phase); under PREFER_READERS
   readers keep coming and going, so departures may pass it. */
static int parconc__rw_reached(uint32_t out, uint32_t target)
{
    return ((PARCONC__RW_COUNT(out) - target) & 0xFFFFFFu) < 0x800000u;
}

/* A reader leaves (or steps out after counting itself in). */
static void parconc__rw_depart(parconc_rwlock *rw)
{
    /* release: the critical section before the writer that sees this
       departure; acquire: wtarget_ as of the WSLEEP we read */
    uint32_t old = parconc__fetch_add(&rw->rout_, PARCONC__RW_ONE, PARCONC__ACQ_REL);
    if ((old & PARCONC__RW_WSLEEP) && parconc__rw_reached(old + PARCONC__RW_ONE, parconc__load(&rw->wtarget_, PARCONC__RELAXED)))
        parconc__futex_wake(&rw->rout_, 1);
}

/* Given rin_ = v, is the reader that arrived at `in` still held up? */
static int parconc__rw_in_phase(parconc_rwlock *rw, uint32_t v, uint32_t in)
{
    return (v & PARCONC__RW_WBITS) == (in & PARCONC__RW_WBITS) && !parconc__rw_counted(rw, PARCONC__RW_COUNT(in));
}
/* The same for the spin: reads rin_ now (acquire: the phase's end). */
static int parconc__rw_phase_over(parconc_rwlock *rw, uint32_t in)
{
    return !parconc__rw_in_phase(rw, parconc__load(&rw->rin_, PARCONC__ACQUIRE), in);
}

/* A blocking reader counted in at `in` (the value its fetch_add returned)
   waits for the writer phase in `in` to end.  It never gives up, so
   arrivals are never taken back and an arrival's number stays exact: the
   wtarget_ test below is what makes a repeated phase bit harmless. */
static void parconc__rw_read_wait(parconc_rwlock *rw, uint32_t in)
{
    if (parconc__rw_spin(rw, parconc__rw_phase_over, in, PARCONC__RW_READER_SPIN_NS, PARCONC__DEADLINE_NEVER)) return;
    parconc__fetch_add(&rw->rwaiting_, 1u, PARCONC__RELAXED);
    for (;;) {
        int unused;
        if (!parconc__rw_in_phase(rw, parconc__rw_reader_sleep(rw, parconc__rw_in_phase, in, PARCONC__DEADLINE_NEVER, &unused), in))
            break;
    }
    parconc__fetch_sub(&rw->rwaiting_, 1u, PARCONC__RELAXED);
}

/* Read holds before an arrival that saw `in`, departures `out` read after
   it: too many?  Readers arriving and leaving meanwhile blur it (departures
   read after the arrival can make it "negative": the top half of the
   24-bit range, which is not too many). */
static inline int parconc__rw_too_many(uint32_t in, uint32_t out)
{
    uint32_t holds = PARCONC__RW_COUNT(in - out) & 0xFFFFFFu;
    return holds >= PARCONC__RW_MAX_HOLDS && holds < 0x800000u;
}

/* A timed or try reader counts itself in only with a CAS that finds no
   writer bits, so it never has an arrival to take back when it gives up;
   while a writer is in its phase it waits (spin, then sleep on rin_)
   without being counted.  Unlike a blocking reader it can thus wait more
   than one writer phase when writers follow each other closely. */
static int parconc__rw_bits_set(parconc_rwlock *rw, uint32_t v, uint32_t unused)
{
    (void)rw; (void)unused;
    return (v & PARCONC__RW_PRESENT) != 0;
}
static int parconc__rw_no_writer_bits(parconc_rwlock *rw, uint32_t unused)
{
    return !parconc__rw_bits_set(rw, parconc__load(&rw->rin_, PARCONC__RELAXED), unused);
}
static int parconc__rw_read_timed(parconc_rwlock *rw, uint64_t deadline)
{
    int rc = PARCONC_OK, counted_waiting = 0;
    for (;;) {
        uint32_t v = parconc__load(&rw->rin_, PARCONC__RELAXED);
        if (!(v & PARCONC__RW_PRESENT)) {
            if (parconc__rw_too_many(v, parconc__load(&rw->rout_, PARCONC__RELAXED))) { rc = PARCONC_EAGAIN; break; }
            /* acquire: as the blocking reader's add */
            if (parconc__cas(&rw->rin_, &v, v + PARCONC__RW_ONE, PARCONC__ACQUIRE, PARCONC__RELAXED)) break;
            continue;
        }
        if (deadline == PARCONC__DEADLINE_NOW || parconc_now_ns() >= deadline) { rc = PARCONC_ETIMEDOUT; break; }
        if (!counted_waiting) {
            counted_waiting = 1;
            parconc__fetch_add(&rw->rwaiting_, 1u, PARCONC__RELAXED);
            if (parconc__rw_spin(rw, parconc__rw_no_writer_bits, 0, PARCONC__RW_READER_SPIN_NS, deadline)) continue;
        }
        {
            int unused;
            parconc__rw_reader_sleep(rw, parconc__rw_bits_set, 0, deadline, &unused);
        }
    }
    if (counted_waiting) parconc__fetch_sub(&rw->rwaiting_, 1u, PARCONC__RELAXED);
    return rc;
}

/* PREFER_WRITERS: a reader that stepped out waits until no writer holds
   or waits.  wwaiting_ and rin_ are read and written seq_cst on both sides
   (a writer that stops waiting decrements wwaiting_ and then clears
   RSLEEP), so a reader that sleeps saw RSLEEP set before that clear. */
static int parconc__rw_writer_around(parconc_rwlock *rw, uint32_t v, uint32_t unused)
{
    (void)unused;
    return (v & PARCONC__RW_PRESENT) || parconc__load(&rw->wwaiting_, PARCONC__SEQ_CST) != 0;
}
static int parconc__rw_no_writer(parconc_rwlock *rw, uint32_t unused)
{
    return !parconc__rw_writer_around(rw, parconc__load(&rw->rin_, PARCONC__SEQ_CST), unused);
}
static int parconc__rw_wait_no_writer(parconc_rwlock *rw, uint64_t deadline)
{
    int rc = PARCONC_OK;
    if (deadline == PARCONC__DEADLINE_NOW) return PARCONC_ETIMEDOUT;
    if (parconc__rw_spin(rw, parconc__rw_no_writer, 0, PARCONC__RW_READER_SPIN_NS, deadline)) return PARCONC_OK;
    parconc__fetch_add(&rw->rwaiting_, 1u, PARCONC__RELAXED);
    for (;;) {
        int timed_out;
        uint32_t v = parconc__rw_reader_sleep(rw, parconc__rw_writer_around, 0, deadline, &timed_out);
        if (!parconc__rw_writer_around(rw, v, 0)) break;
        if (timed_out && !parconc__rw_no_writer(rw, 0)) {
            rc = PARCONC_ETIMEDOUT;
            break;
        }
    }
    parconc__fetch_sub(&rw->rwaiting_, 1u, PARCONC__RELAXED);
    return rc;
}

/* After our arrival was counted (`in`: the value our fetch_add returned):
   too many holds, or wait out the writer phase we arrived in. */
static int parconc__rw_read_counted(parconc_rwlock *rw, uint32_t in)
{
    if (in & PARCONC__RW_PRESENT) {
        parconc__rw_read_wait(rw, in);
        return PARCONC_OK;
    }
    if (parconc__rw_too_many(in, parconc__load(&rw->rout_, PARCONC__RELAXED))) {
        parconc__rw_depart(rw);
        return PARCONC_EAGAIN;
    }
    return PARCONC_OK;
}

/* acquire: pairs with the release of the writer that left (its fetch_and
   heads the release sequence our add reads from) */
static inline uint32_t parconc__rw_arrive(parconc_rwlock *rw)
{
    return parconc__fetch_add(&rw->rin_, PARCONC__RW_ONE, PARCONC__ACQUIRE);
}

/* Everything but a blocking reader finding no writer: a writer phase to
   wait out, a timed or try lock, the hold limit, and under PREFER_WRITERS
   stepping out while a writer waits.  `in` is our counted arrival for a
   blocking lock (unused otherwise). */
static PARCONC__NOINLINE int parconc__rw_read_slow(parconc_rwlock *rw, uint64_t deadline, uint32_t in)
{
    int rc = deadline == PARCONC__DEADLINE_NEVER ? parconc__rw_read_counted(rw, in) : parconc__rw_read_timed(rw, deadline);
    while (rc == PARCONC_OK) {
        if (rw->policy_ != PARCONC_RW_PREFER_WRITERS || parconc__load(&rw->wwaiting_, PARCONC__SEQ_CST) == 0)
            return PARCONC_OK;
        /* a writer waits: step out and let it go first */
        parconc__rw_depart(rw);
        rc = parconc__rw_wait_no_writer(rw, deadline);
        if (rc != PARCONC_OK) break;
        rc = deadline == PARCONC__DEADLINE_NEVER ? parconc__rw_read_counted(rw, parconc__rw_arrive(rw))
                                                 : parconc__rw_read_timed(rw, deadline);
    }
    return rc;
}

/* The reader side of the counted lock.  The common case, a blocking lock
   finding no writer, is one fetch_add here; the rest is out of line. */
static inline int parconc__rw_read_raw(parconc_rwlock *rw, uint64_t deadline)
{
    uint32_t in = 0;
    if (PARCONC__LIKELY(deadline == PARCONC__DEADLINE_NEVER)) {
        in = parconc__rw_arrive(rw);
        if (PARCONC__LIKELY(!(in & PARCONC__RW_PRESENT) && rw->policy_ != PARCONC_RW_PREFER_WRITERS &&
                            !parconc__rw_too_many(in, parconc__load(&rw->rout_, PARCONC__RELAXED))))
            return PARCONC_OK;
    }
    return parconc__rw_read_slow(rw, deadline, in);
}

static int parconc__rw_drained(parconc_rwlock *rw, uint32_t target)
{
    return parconc__rw_reached(parconc__load(&rw->rout_, PARCONC__ACQUIRE), target);
}
static int parconc__rw_drain(parconc_rwlock *rw, uint32_t target, uint64_t deadline)
{
    if (parconc__rw_drained(rw, target)) return PARCONC_OK;
    if (deadline == PARCONC__DEADLINE_NOW) return PARCONC_ETIMEDOUT;
    if (parconc__rw_spin(rw, parconc__rw_drained, target, PARCONC__RW_WRITER_SPIN_NS, deadline)) return PARCONC_OK;
    for (;;) {
        uint32_t out = parconc__fetch_or(&rw->rout_, PARCONC__RW_WSLEEP, PARCONC__ACQ_REL);
        if (parconc__rw_reached(out, target)) break;
        if (parconc__futex_wait_precise(&rw->rout_, out | PARCONC__RW_WSLEEP, deadline) == PARCONC_ETIMEDOUT &&
            !parconc__rw_drained(rw, target)) {
            parconc__fetch_and(&rw->rout_, ~PARCONC__RW_WSLEEP, PARCONC__RELAXED);
            return PARCONC_ETIMEDOUT;
        }
    }
    parconc__fetch_and(&rw->rout_, ~PARCONC__RW_WSLEEP, PARCONC__RELAXED);
    return PARCONC_OK;
}


/* ---- reader-writer lock: reader-bias table ------------------------------------
   Dice and Kogan's BRAVO over the counted lock above.  While rw->bias_
   points at this program's table, a reader CASes its slot (hash of thread
   and lock) from NULL to the lock and then re-reads bias_: still set, it
   holds the lock without touching the lock's own cache line.  A writer
   first takes the counted lock, then clears bias_ and waits until no slot
   names the lock.  Reader (CAS slot; load bias_) and writer (exchange
   bias_; load slots) are the store-buffering pattern, all seq_cst: at least
   one sees the other, so either the reader backs out of its slot or the
   writer waits for it.  A slot holds "one read hold of this lock", not
   "this thread's": a reader that unlocks CASes its slot back to NULL if it
   names the lock, and otherwise leaves through the counted lock, so two
   threads whose hashes collide still release exactly the holds they took
   between them.  bias_ is set again by a reader of the counted lock once
   inhibit_until_ has passed (the writer sets it to its scan time x
   PARCONC__RW_BIAS_INHIBIT from now, so scans take a bounded share of the
   time under a steady trickle of writers).  bias_ stores the table's
   address, not a flag: with PARCONC_STATIC_API each file has its own table,
   and a lock shared between such files is scanned in the table its readers
   use. */
#ifndef PARCONC_RW_BIAS_SLOTS
#define PARCONC_RW_BIAS_SLOTS PARCONC__OS_RW_BIAS_SLOTS
#endif
#define PARCONC__RW_BIAS_INHIBIT 16u

#if PARCONC_RW_BIAS_SLOTS > 0
#if (PARCONC_RW_BIAS_SLOTS & (PARCONC_RW_BIAS_SLOTS - 1)) != 0
#error "PARCONC_RW_BIAS_SLOTS must be a power of two"
#endif
static void *parconc__rw_table[PARCONC_RW_BIAS_SLOTS];
/* per thread: underlying read locks since the clock was last read */
static PARCONC__THREAD_LOCAL unsigned parconc__rw_reads;

/* The thread is named by the address of one of its thread-locals: one
   add to the thread pointer, where pthread_self() is a call. */
static void **parconc__rw_slot(const parconc_rwlock *rw)
{
    uint64_t h = ((uint64_t)(uintptr_t)&parconc__rw_reads ^ ((uint64_t)(uintptr_t)rw << 17)) * 0x9E3779B97F4A7C15ull;
    return &parconc__rw_table[(size_t)(h >> 40) & (PARCONC_RW_BIAS_SLOTS - 1)];
}

/* A slot that named rw was cleared (seq_cst) while the bias was off: a
   writer may sleep waiting for it (parconc__rw_bias_wait). */
static PARCONC__NOINLINE void parconc__rw_slot_vacated(parconc_rwlock *rw)
{
    uint32_t b = parconc__load(&rw->bseq_, PARCONC__SEQ_CST);
    if ((b & 1u) && parconc__cas(&rw->bseq_, &b, b + 1u, PARCONC__RELEASE, PARCONC__RELAXED))
        parconc__futex_wake(&rw->bseq_, 1);
}

static int parconc__rw_bias_read(parconc_rwlock *rw)
{
    void **slot, *expected = NULL;
    if (parconc__load(&rw->bias_, PARCONC__RELAXED) != (void *)parconc__rw_table) return 0;
    slot = parconc__rw_slot(rw);
    if (!parconc__cas(slot, &expected, (void *)rw, PARCONC__SEQ_CST, PARCONC__RELAXED)) return 0;
    /* acquire (seq_cst): pairs with the release that set bias_, which came
       after that reader acquired the counted lock from the last writer */
    if (PARCONC__LIKELY(parconc__load(&rw->bias_, PARCONC__SEQ_CST) == (void *)parconc__rw_table)) return 1;
    /* a writer switched the bias off meanwhile and may have seen our slot */
    parconc__store(slot, NULL, PARCONC__SEQ_CST);
    parconc__rw_slot_vacated(rw);
    return 0;
}

/* 1: released through a slot naming rw (announced to TSan around it) */
static int parconc__rw_bias_unlock(parconc_rwlock *rw)
{
    void **slot = parconc__rw_slot(rw), *expected = (void *)rw;
    int done;
    if (parconc__load(slot, PARCONC__RELAXED) != (void *)rw) return 0;
    PARCONC__TSAN_PRE_UNLOCK(rw, PARCONC__TSAN_READ);
    /* release: our critical section before the writer that sees NULL;
       seq_cst: see parconc__rw_bias_wait */
    done = parconc__cas(slot, &expected, NULL, PARCONC__SEQ_CST, PARCONC__RELAXED);
    if (!done) return -1;
    if (parconc__load(&rw->bias_, PARCONC__SEQ_CST) == NULL) parconc__rw_slot_vacated(rw);
    PARCONC__TSAN_POST_UNLOCK(rw, PARCONC__TSAN_READ);
    return 1;
}

/* After a read lock of the counted lock: turn the bias on again?  The
   clock is read once every 16 such locks per thread. */
static PARCONC__NOINLINE void parconc__rw_bias_on_unless_inhibited(parconc_rwlock *rw)
{
    /* inhibit_until_ is written by writers only while they hold the lock */
    if (parconc_now_ns() >= rw->inhibit_until_)
        parconc__store(&rw->bias_, (void *)parconc__rw_table, PARCONC__RELEASE);
}
static inline void parconc__rw_bias_maybe_on(parconc_rwlock *rw)
{
    if (parconc__load(&rw->bias_, PARCONC__RELAXED) == NULL && (++parconc__rw_reads & 15u) == 1u)
        parconc__rw_bias_on_unless_inhibited(rw);
}

/* Does any slot of `table` name rw?  seq_cst loads: see above. */
static int parconc__rw_bias_held(void **table, const parconc_rwlock *rw)
{
    size_t i;
    for (i = 0; i < PARCONC_RW_BIAS_SLOTS; i++)
        if (parconc__load(&table[i], PARCONC__SEQ_CST) == (const void *)rw) return 1;
    return 0;
}

/* A writer switches the bias off as it announces itself (so newcomers go
   to the counted lock and wait for its phase), once more when the counted
   readers are gone (one of them may have switched it on again: that
   happens only while holding the counted read lock), and then waits until
   no slot of the table names rw.  Those are
   ordinary read holds, so waiting may be long: a short spin, then sleep
   until a table reader of rw leaves. */
static void **parconc__rw_bias_off(parconc_rwlock *rw)
{
    if (parconc__load(&rw->bias_, PARCONC__RELAXED) == NULL) return NULL;
    return (void **)parconc__exchange(&rw->bias_, NULL, PARCONC__SEQ_CST);
}
static int parconc__rw_bias_wait(parconc_rwlock *rw, void **table, uint64_t deadline)
{
    uint64_t t0;
    unsigned rounds = 0;
    int rc = PARCONC_OK;
    if (!table) return PARCONC_OK;
    t0 = parconc_now_ns();
    /* Sleeping: bit 0 of bseq_ says a writer sleeps; it is set (seq_cst)
       before the scan, and a table reader clears its slot (seq_cst) before
       it reads bias_ and bseq_.  So either our scan sees the slot free, or
       that reader sees the bit and bumps bseq_ (the bump clears the bit)
       before or while we sleep on it. */
    while (parconc__rw_bias_held(table, rw)) {
        if (deadline == PARCONC__DEADLINE_NOW || parconc_now_ns() >= deadline) { rc = PARCONC_ETIMEDOUT; break; }
        if (++rounds < 64 && parconc__spin_ok(0)) {
            parconc__cpu_relax();
        } else {
            uint32_t b = parconc__fetch_or(&rw->bseq_, 1u, PARCONC__SEQ_CST) | 1u;
            if (!parconc__rw_bias_held(table, rw)) break;
            if (deadline == PARCONC__DEADLINE_NEVER) parconc__futex_wait(&rw->bseq_, b, deadline);
            else parconc__futex_wait_precise(&rw->bseq_, b, deadline);
        }
    }
    parconc__fetch_and(&rw->bseq_, ~1u, PARCONC__RELAXED);
    if (rc == PARCONC_OK) {
        /* written while we hold the counted lock in our phase; readers
           read it while they hold it as readers */
        uint64_t t1 = parconc_now_ns();
        rw->inhibit_until_ = t1 + (t1 - t0) * PARCONC__RW_BIAS_INHIBIT;
    }
    return rc;
}
#else
static int parconc__rw_bias_read(parconc_rwlock *rw) { (void)rw; return 0; }
static int parconc__rw_bias_unlock(parconc_rwlock *rw) { (void)rw; return 0; }
static void parconc__rw_bias_maybe_on(parconc_rwlock *rw) { (void)rw; }
static void **parconc__rw_bias_off(parconc_rwlock *rw) { (void)rw; return NULL; }
static int parconc__rw_bias_wait(parconc_rwlock *rw, void **table, uint64_t deadline) { (void)rw; (void)table; (void)deadline; return PARCONC_OK; }
#endif

/* A writer that stopped waiting (it entered or gave up).  Under
   PREFER_WRITERS readers may wait for wwaiting_ to reach 0 while no writer
   bits are set (the writer gave up): wake them. */
static void parconc__rw_writer_done_waiting(parconc_rwlock *rw)
{
    if (parconc__fetch_sub(&rw->wwaiting_, 1u, PARCONC__SEQ_CST) == 1u && rw->policy_ == PARCONC_RW_PREFER_WRITERS)
        parconc__rw_wake_readers(rw);
}

/* End a writer phase: clear PRESENT (PHASE stays, so the next writer's
   bit differs from ours), wake the readers asleep behind it and the queued
   writer.  release: our critical section before whoever enters next. */
static PARCONC__NOINLINE void parconc__rw_wake_after_phase(parconc_rwlock *rw, uint32_t old)
{
    parconc__rw_readers_woken(rw, old);
    if (old & PARCONC__RW_WWAIT) {
        parconc__fetch_add(&rw->wseq_, 1u, PARCONC__RELEASE);
        parconc__futex_wake(&rw->wseq_, 1);
    }
}
static inline void parconc__rw_end_phase_with(parconc_rwlock *rw, uint32_t old)
{
    if (PARCONC__UNLIKELY(old & (PARCONC__RW_RSLEEP | PARCONC__RW_WWAIT))) parconc__rw_wake_after_phase(rw, old);
}
static void parconc__rw_end_phase(parconc_rwlock *rw)
{
    parconc__rw_end_phase_with(rw, parconc__fetch_and(&rw->rin_, ~(PARCONC__RW_PRESENT | PARCONC__RW_RSLEEP | PARCONC__RW_WWAIT),
                                                      PARCONC__SEQ_CST));
}

/* Count a writer in wwaiting_ once it has to wait (not on a try). */
static void parconc__rw_writer_waits(parconc_rwlock *rw, int *waiting, uint64_t deadline)
{
    if (*waiting || deadline == PARCONC__DEADLINE_NOW) return;
    parconc__fetch_add(&rw->wwaiting_, 1u, PARCONC__SEQ_CST);
    *waiting = 1;
}

/* One try to start our phase: one CAS that sets PRESENT and the other
   PHASE.  It needs PRESENT clear, no starving queued writer (unless we are
   it), and under PREFER_READERS no reader counted in.  On success
   *target = the arrivals the CAS found, which we then store in wtarget_:
   after the CAS, not before, because writers race for it.  A reader that
   sees our bits and reads a wtarget_ older than ours reads the target of a
   writer after the one it waits for (which counted it as well, so it may
   go in) or of one before (which did not: it waits, rightly). */
static inline int parconc__rw_try_announce(parconc_rwlock *rw, int queued, uint32_t *target)
{
    uint32_t v = parconc__load(&rw->rin_, PARCONC__RELAXED);
    for (;;) {
        uint32_t n;
        if ((v & PARCONC__RW_PRESENT) || (!queued && (v & PARCONC__RW_WSTARVE))) return 0;
        if (rw->policy_ == PARCONC_RW_PREFER_READERS && !parconc__rw_drained(rw, PARCONC__RW_COUNT(v) & 0xFFFFFFu)) return 0;
        n = (v & ~(PARCONC__RW_PHASE | PARCONC__RW_WSTARVE)) | PARCONC__RW_PRESENT | ((v & PARCONC__RW_PHASE) ^ PARCONC__RW_PHASE);
        /* acquire: the last writer's release and the departures we read */
        if (parconc__cas(&rw->rin_, &v, n, PARCONC__ACQ_REL, PARCONC__RELAXED)) {
            *target = PARCONC__RW_COUNT(v) & 0xFFFFFFu;
            parconc__store(&rw->wtarget_, *target, PARCONC__RELAXED);
            return 1;
        }
    }
}

/* The queued writer (it holds wmutex_, so there is one) waits for its
   turn.  After about 1 ms it sets WSTARVE: writers arriving then queue
   behind it instead of barging, the mutex's hand-off rule.  It sleeps on
   wseq_ after setting WWAIT with a seq_cst RMW on rin_ and re-checking
   PRESENT in the value returned; the writer ending its phase clears WWAIT
   with a seq_cst RMW and, if it was set, bumps wseq_ and wakes it.  Under
   PREFER_READERS it also waits for the readers inside to leave. */
static int parconc__rw_queued_turn(parconc_rwlock *rw, uint64_t deadline, uint32_t *target)
{
    uint64_t starve_at = parconc_now_ns() + PARCONC__MUTEX_STARVE_NS;
    int rc = PARCONC_OK;
    for (;;) {
        uint32_t v, seq;
        if (parconc__rw_try_announce(rw, 1, target)) return PARCONC_OK;
        v = parconc__load(&rw->rin_, PARCONC__RELAXED);
        if (!(v & PARCONC__RW_WSTARVE) && parconc_now_ns() >= starve_at)
            parconc__fetch_or(&rw->rin_, PARCONC__RW_WSTARVE, PARCONC__RELAXED);
        if (!(v & PARCONC__RW_PRESENT)) {
            /* the writer ahead just left: try again.  Under PREFER_READERS
               readers may be inside: wait for those counted now.  Only
               there: it is the one policy whose announced writers never
               drain (they announce once drained), so this is the only
               writer sleeping on rout_ and owning WSLEEP and wtarget_; under
               the others a writer that announced meanwhile may be draining,
               and our WSLEEP clear would lose its wake-up. */
            uint32_t t = PARCONC__RW_COUNT(v) & 0xFFFFFFu;
            if (rw->policy_ != PARCONC_RW_PREFER_READERS) continue;
            parconc__store(&rw->wtarget_, t, PARCONC__RELAXED);
            rc = parconc__rw_drain(rw, t, deadline);
            if (rc != PARCONC_OK) break;
            continue;
        }
        if (deadline == PARCONC__DEADLINE_NOW || parconc_now_ns() >= deadline) { rc = PARCONC_ETIMEDOUT; break; }
        if (parconc__rw_spin(rw, parconc__rw_no_writer_bits, 0, PARCONC__RW_READER_SPIN_NS, deadline)) continue;
        seq = parconc__load(&rw->wseq_, PARCONC__ACQUIRE);
        v = parconc__fetch_or(&rw->rin_, PARCONC__RW_WWAIT, PARCONC__SEQ_CST);
        if (v & PARCONC__RW_PRESENT) {
            if (deadline == PARCONC__DEADLINE_NEVER) parconc__futex_wait(&rw->wseq_, seq, deadline);
            else parconc__futex_wait_precise(&rw->wseq_, seq, deadline);
        }
    }
    parconc__fetch_and(&rw->rin_, ~PARCONC__RW_WSTARVE, PARCONC__RELAXED); /* only we set it */
    return rc;
}

/* After our CAS: the counted readers ahead of us, then the table's. */
static PARCONC__NOINLINE int parconc__rw_write_finish(parconc_rwlock *rw, uint32_t target, int waiting, uint64_t deadline)
{
    int rc = PARCONC_OK;
    void **table = parconc__rw_bias_off(rw), **again; /* newcomers now meet our bits */
    if (!parconc__rw_drained(rw, target)) {
        parconc__rw_writer_waits(rw, &waiting, deadline);
        rc = parconc__rw_drain(rw, target, deadline);
    }
    /* a reader counted before our bits may have switched the bias on again
       while it held the lock; none can now */
    if (rc == PARCONC_OK && (again = parconc__rw_bias_off(rw)) != NULL) table = again;
    if (rc == PARCONC_OK && table) {
        parconc__rw_writer_waits(rw, &waiting, deadline);
        rc = parconc__rw_bias_wait(rw, table, deadline);
    }
    if (rc != PARCONC_OK) {
        /* give up: the table's readers may still hold, so the bias goes
           back on (the next writer scans for them); then our phase ends,
           letting in the readers we held up */
        if (table) parconc__store(&rw->bias_, (void *)table, PARCONC__RELEASE);
        parconc__rw_end_phase(rw);
    }
    if (waiting) parconc__rw_writer_done_waiting(rw);
    if (rc == PARCONC_OK) parconc__store(&rw->writer_, 1u, PARCONC__RELAXED);
    return rc;
}

/* The lock was taken: queue on wmutex_ for our turn, then finish. */
static PARCONC__NOINLINE int parconc__rw_write_queued(parconc_rwlock *rw, uint64_t deadline)
{
    int rc, waiting = 0;
    uint32_t target = 0;
    if (deadline == PARCONC__DEADLINE_NOW) return PARCONC_ETIMEDOUT;
    parconc__rw_writer_waits(rw, &waiting, deadline);
    rc = parconc__mutex_lock_raw(&rw->wmutex_, deadline);
    if (rc == PARCONC_OK) {
        rc = parconc__rw_queued_turn(rw, deadline, &target);
        parconc__mutex_unlock_raw(&rw->wmutex_);
    }
    if (rc != PARCONC_OK) {
        parconc__rw_writer_done_waiting(rw);
        return rc;
    }
    return parconc__rw_write_finish(rw, target, waiting, deadline);
}

/* The writer side: our phase (at once if the lock is free, else queued on
   wmutex_), then the counted readers ahead of us, then the table.  The
   common case, a free lock with no reader and no bias, stays in this short
   function. */
static int parconc__rw_write_raw(parconc_rwlock *rw, uint64_t deadline)
{
    uint32_t target;
    if (PARCONC__UNLIKELY(!parconc__rw_try_announce(rw, 0, &target))) return parconc__rw_write_queued(rw, deadline);
    /* no reader counted in, no bias: ours.  Departures first: a counted
       reader that switched the bias on did so before its departure
       (release), so our later bias_ load sees it */
    if (PARCONC__LIKELY(parconc__rw_drained(rw, target) && parconc__load(&rw->bias_, PARCONC__ACQUIRE) == NULL)) {
        parconc__store(&rw->writer_, 1u, PARCONC__RELAXED);
        return PARCONC_OK;
    }
    return parconc__rw_write_finish(rw, target, 0, deadline);
}

static void parconc__rw_write_release(parconc_rwlock *rw)
{
    parconc__store(&rw->writer_, 0u, PARCONC__RELAXED);
    parconc__rw_end_phase(rw);
}

/* ---- reader-writer lock: API ---------------------------------------------------- */

static int parconc__rw_acquire(parconc_rwlock *rw, int writer, uint64_t deadline)
{
    unsigned kind;
    int rc;
    PARCONC__DBG_SITE;
    if (!rw) return PARCONC_EINVAL;
    kind = PARCONC__TSAN_KIND(deadline) | (writer ? 0u : (unsigned)PARCONC__TSAN_READ);
    if (deadline != PARCONC__DEADLINE_NOW) PARCONC__DBG_CHECK(rw, !writer && rw->policy_ == PARCONC_RW_PREFER_READERS, !writer);
    PARCONC__TSAN_PRE_LOCK(rw, kind);
    if (writer) {
        rc = parconc__rw_write_raw(rw, deadline);
    } else if (parconc__rw_bias_read(rw)) {
        rc = PARCONC_OK;
    } else {
        rc = parconc__rw_read_raw(rw, deadline);
        if (rc == PARCONC_OK) parconc__rw_bias_maybe_on(rw);
    }
    PARCONC__TSAN_POST_LOCK(rw, PARCONC__TSAN_RESULT(kind, rc), 0);
    if (rc == PARCONC_OK) PARCONC__DBG_ACQUIRED(rw, !writer);
    return rc;
}

PARCONC_API int parconc_rwlock_init(parconc_rwlock *rw, int policy)
{
    if (!rw || policy < PARCONC_RW_FAIR || policy > PARCONC_RW_PREFER_WRITERS) return PARCONC_EINVAL;
    PARCONC__DBG_FORGET(rw);
    memset(rw, 0, sizeof *rw);
    rw->policy_ = (uint32_t)policy;
    return PARCONC_OK;
}

/* Nobody holds or waits: no writer, arrivals == departures, no slot. */
static int parconc__rw_idle(const parconc_rwlock *rw)
{
    uint32_t out = parconc__load(&rw->rout_, PARCONC__ACQUIRE), in = parconc__load(&rw->rin_, PARCONC__ACQUIRE);
    if ((in & PARCONC__RW_PRESENT) || PARCONC__RW_COUNT(in ^ out) || parconc__load(&rw->wmutex_.state_, PARCONC__RELAXED))
        return 0;
#if PARCONC_RW_BIAS_SLOTS > 0
    {
        void **table = (void **)parconc__load(&rw->bias_, PARCONC__ACQUIRE);
        if (parconc__rw_bias_held(table ? table : parconc__rw_table, rw)) return 0;
    }
#endif
    return 1;
}

PARCONC_API int parconc_rwlock_destroy(parconc_rwlock *rw)
{
    if (!rw) return PARCONC_EINVAL;
    if (!parconc__rw_idle(rw)) return PARCONC_EBUSY;
    PARCONC__TSAN_DESTROY(rw);
    PARCONC__DBG_FORGET(rw);
    return PARCONC_OK;
}

PARCONC_API int (parconc_rwlock_rdlock)(parconc_rwlock *rw) { return parconc__rw_acquire(rw, 0, PARCONC__DEADLINE_NEVER); }
PARCONC_API int (parconc_rwlock_wrlock)(parconc_rwlock *rw) { return parconc__rw_acquire(rw, 1, PARCONC__DEADLINE_NEVER); }
PARCONC_API int (parconc_rwlock_timedrdlock)(parconc_rwlock *rw, int64_t timeout_ns)
{
    return parconc__rw_acquire(rw, 0, parconc__deadline(timeout_ns));
}
PARCONC_API int (parconc_rwlock_timedwrlock)(parconc_rwlock *rw, int64_t timeout_ns)
{
    return parconc__rw_acquire(rw, 1, parconc__deadline(timeout_ns));
}
PARCONC_API int parconc_rwlock_tryrdlock(parconc_rwlock *rw)
{
    return parconc__as_busy(parconc__rw_acquire(rw, 0, PARCONC__DEADLINE_NOW));
}
PARCONC_API int parconc_rwlock_trywrlock(parconc_rwlock *rw)
{
    return parconc__as_busy(parconc__rw_acquire(rw, 1, PARCONC__DEADLINE_NOW));
}

PARCONC_API int parconc_rwlock_rdunlock(parconc_rwlock *rw)
{
    uint32_t in, out;
    int slot;
    if (!rw) return PARCONC_EINVAL;
    slot = parconc__rw_bias_unlock(rw); /* -1: announced, but the slot was gone */
    if (slot == 1) {
        PARCONC__DBG_RELEASED(rw);
        return PARCONC_OK;
    }
    /* departures first: arrivals read later include every reader that had
       departed by then, plus us, so a read hold never looks like none */
    out = parconc__load(&rw->rout_, PARCONC__ACQUIRE);
    in = parconc__load(&rw->rin_, PARCONC__ACQUIRE);
    if (PARCONC__RW_COUNT(in ^ out) == 0 || parconc__load(&rw->writer_, PARCONC__RELAXED))
        return PARCONC__MISUSE(PARCONC_EPERM, "read-unlock of a rwlock that is not read-locked");
    if (slot == 0) PARCONC__TSAN_PRE_UNLOCK(rw, PARCONC__TSAN_READ);
    parconc__rw_depart(rw);
    PARCONC__TSAN_POST_UNLOCK(rw, PARCONC__TSAN_READ);
    PARCONC__DBG_RELEASED(rw);
    return PARCONC_OK;
}

PARCONC_API int parconc_rwlock_wrunlock(parconc_rwlock *rw)
{
    if (!rw) return PARCONC_EINVAL;
    if (!parconc__load(&rw->writer_, PARCONC__RELAXED))
        return PARCONC__MISUSE(PARCONC_EPERM, "write-unlock of a rwlock that is not write-locked");
    PARCONC__TSAN_PRE_UNLOCK(rw, 0);
    parconc__rw_write_release(rw);
    PARCONC__TSAN_POST_UNLOCK(rw, 0);
    PARCONC__DBG_RELEASED(rw);
    return PARCONC_OK;
}

/* Count ourselves in as a reader and end the writer phase in one step, so
   no writer can get in between (the next one counts our read hold and
   waits for it like any other). */
PARCONC_API int parconc_rwlock_downgrade(parconc_rwlock *rw)
{
    uint32_t v;
    if (!rw) return PARCONC_EINVAL;
    if (!parconc__load(&rw->writer_, PARCONC__RELAXED)) return PARCONC_EPERM;
    PARCONC__TSAN_PRE_UNLOCK(rw, 0);
    parconc__store(&rw->writer_, 0u, PARCONC__RELAXED);
    v = parconc__load(&rw->rin_, PARCONC__RELAXED);
    while (!parconc__cas(&rw->rin_, &v, (v & ~(PARCONC__RW_PRESENT | PARCONC__RW_RSLEEP | PARCONC__RW_WWAIT)) + PARCONC__RW_ONE,
                         PARCONC__SEQ_CST, PARCONC__RELAXED)) {}
    parconc__rw_end_phase_with(rw, v);
    PARCONC__TSAN_POST_UNLOCK(rw, 0);
    PARCONC__TSAN_PRE_LOCK(rw, PARCONC__TSAN_READ);
    PARCONC__TSAN_POST_LOCK(rw, PARCONC__TSAN_READ, 0);
    return PARCONC_OK;
}

/* ---- semaphore ---------------------------------------------------------------
   count_ is the futex word.  Lost wake-up: post increments count_ and then
   reads waiters_; a waiter increments waiters_ and then sleeps only while
   count_ is 0.  Both are seq_cst, so at least one sees the other's write:
   either post sees the waiter and wakes it, or the waiter's futex_wait sees
   count_ != 0 and returns at once. */
PARCONC_API int parconc_sem_init(parconc_sem *s, uint32_t initial)
{
    if (!s) return PARCONC_EINVAL;
    s->count_ = initial;
    s->waiters_ = 0;
    return PARCONC_OK;
}

PARCONC_API int parconc_sem_destroy(parconc_sem *s)
{
    if (!s) return PARCONC_EINVAL;
    return parconc__load(&s->waiters_, PARCONC__RELAXED) ? PARCONC_EBUSY : PARCONC_OK;
}

PARCONC_API int parconc_sem_post(parconc_sem *s)
{
    uint32_t c;
    if (!s) return PARCONC_EINVAL;
    c = parconc__load(&s->count_, PARCONC__RELAXED);
    PARCONC__HB_BEFORE(s);
    do {
        if (c == UINT32_MAX) return PARCONC_ERANGE;
    } while (!parconc__cas_weak(&s->count_, &c, c + 1u, PARCONC__SEQ_CST, PARCONC__RELAXED));
    if (parconc__load(&s->waiters_, PARCONC__SEQ_CST)) parconc__futex_wake(&s->count_, 1);
    return PARCONC_OK;
}

static int parconc__sem_take(parconc_sem *s, uint64_t deadline)
{
    if (!s) return PARCONC_EINVAL;
    for (;;) {
        uint32_t c = parconc__load(&s->count_, PARCONC__RELAXED);
        int timed_out;
        while (c > 0)
            if (parconc__cas_weak(&s->count_, &c, c - 1u, PARCONC__ACQUIRE, PARCONC__RELAXED)) { PARCONC__HB_AFTER(s); return PARCONC_OK; }
        if (deadline == PARCONC__DEADLINE_NOW) return PARCONC_ETIMEDOUT;
        parconc__fetch_add(&s->waiters_, 1u, PARCONC__SEQ_CST);
        timed_out = parconc__futex_wait_precise(&s->count_, 0, deadline) == PARCONC_ETIMEDOUT;
        parconc__fetch_sub(&s->waiters_, 1u, PARCONC__RELAXED);
        if (timed_out) {
            /* one last try: a post may have landed just at the deadline */
            c = parconc__load(&s->count_, PARCONC__RELAXED);
            while (c > 0)
                if (parconc__cas_weak(&s->count_, &c, c - 1u, PARCONC__ACQUIRE, PARCONC__RELAXED)) { PARCONC__HB_AFTER(s); return PARCONC_OK; }
            return PARCONC_ETIMEDOUT;
        }
    }
}

PARCONC_API int parconc_sem_wait(parconc_sem *s) { return parconc__sem_take(s, PARCONC__DEADLINE_NEVER); }
PARCONC_API int parconc_sem_trywait(parconc_sem *s)
{
    return parconc__as_busy(parconc__sem_take(s, PARCONC__DEADLINE_NOW));
}
PARCONC_API int parconc_sem_timedwait(parconc_sem *s, int64_t timeout_ns)
{
    return parconc__sem_take(s, parconc__deadline(timeout_ns));
}
PARCONC_API uint32_t parconc_sem_value(const parconc_sem *s)
{
    return s ? parconc__load(&s->count_, PARCONC__RELAXED) : 0;
}

/* ---- condition variable ----------------------------------------------------
   seq_ is a futex word bumped by every signal/broadcast.  A waiter reads seq_
   BEFORE unlocking the mutex and sleeps only while seq_ still has that
   value: a signal sent after the waiter released the mutex (the only
   signals it may rely on) changes seq_, so futex_wait returns at once.
   waiters_ lets signal skip the system call when nobody waits. */
PARCONC_API int parconc_cond_init(parconc_cond *c)
{
    if (!c) return PARCONC_EINVAL;
    c->seq_ = 0;
    c->waiters_ = 0;
    return PARCONC_OK;
}

PARCONC_API int parconc_cond_destroy(parconc_cond *c)
{
    if (!c) return PARCONC_EINVAL;
    return parconc__load(&c->waiters_, PARCONC__RELAXED) ? PARCONC_EBUSY : PARCONC_OK;
}

static int parconc__cond_wait(parconc_cond *c, parconc_mutex *m, uint64_t deadline)
{
    uint32_t seq;
    int rc = PARCONC_OK;
    if (!c || !m) return PARCONC_EINVAL;
    parconc__fetch_add(&c->waiters_, 1u, PARCONC__SEQ_CST);
    seq = parconc__load(&c->seq_, PARCONC__SEQ_CST);
    if (parconc_mutex_unlock(m) != PARCONC_OK) {
        parconc__fetch_sub(&c->waiters_, 1u, PARCONC__RELAXED);
        return PARCONC_EPERM;
    }
    if (deadline == PARCONC__DEADLINE_NOW) rc = PARCONC_ETIMEDOUT;
    else rc = parconc__futex_wait_precise(&c->seq_, seq, deadline);
    parconc__fetch_sub(&c->waiters_, 1u, PARCONC__RELAXED);
    /* relock without the validator: this thread held m already */
    PARCONC__TSAN_PRE_LOCK(m, 0);
    parconc__mutex_lock_raw(m, PARCONC__DEADLINE_NEVER);
    PARCONC__TSAN_POST_LOCK(m, 0, 0);
#ifdef PARCONC_DEBUG_LOCKS
    parconc__dbg_acquired(m, 0, "(condition wait)", 0);
#endif
    return rc;
}

PARCONC_API int parconc_cond_wait(parconc_cond *c, parconc_mutex *m)
{
    return parconc__cond_wait(c, m, PARCONC__DEADLINE_NEVER);
}
PARCONC_API int parconc_cond_timedwait(parconc_cond *c, parconc_mutex *m, int64_t timeout_ns)
{
    return parconc__cond_wait(c, m, parconc__deadline(timeout_ns));
}
PARCONC_API int parconc_cond_wait_until(parconc_cond *c, parconc_mutex *m, uint64_t deadline_ns)
{
    /* the internal "now" deadline is 0: a deadline already past tries once */
    if (deadline_ns != PARCONC__DEADLINE_NEVER && parconc_now_ns() >= deadline_ns) deadline_ns = PARCONC__DEADLINE_NOW;
    return parconc__cond_wait(c, m, deadline_ns);
}

static int parconc__cond_wake(parconc_cond *c, int n)
{
    if (!c) return PARCONC_EINVAL;
    parconc__fetch_add(&c->seq_, 1u, PARCONC__SEQ_CST);
    if (parconc__load(&c->waiters_, PARCONC__SEQ_CST)) parconc__futex_wake(&c->seq_, n);
    return PARCONC_OK;
}
PARCONC_API int parconc_cond_signal(parconc_cond *c) { return parconc__cond_wake(c, 1); }
PARCONC_API int parconc_cond_broadcast(parconc_cond *c) { return parconc__cond_wake(c, INT_MAX); }

/* ---- once ----------------------------------------------------------------------
   0 not run, 1 running, 2 running with waiters, 3 done.  The winner of the
   0 -> 1 CAS runs fn; its final exchange (release) publishes fn's effects to
   every caller that reads 3 (acquire). */
PARCONC_API int parconc_once_call(parconc_once *once, void (*fn)(void *arg), void *arg)
{
    uint32_t s;
    if (!once || !fn) return PARCONC_EINVAL;
    s = parconc__load(&once->state_, PARCONC__ACQUIRE);
    if (PARCONC__LIKELY(s == 3u)) { PARCONC__HB_AFTER(once); return PARCONC_OK; }
    if (s == 0u && parconc__cas(&once->state_, &s, 1u, PARCONC__ACQUIRE, PARCONC__ACQUIRE)) {
        fn(arg);
        PARCONC__HB_BEFORE(once);
        if (parconc__exchange(&once->state_, 3u, PARCONC__RELEASE) == 2u) parconc__futex_wake(&once->state_, INT_MAX);
        return PARCONC_OK;
    }
    while (s != 3u) {
        if (s == 1u && !parconc__cas(&once->state_, &s, 2u, PARCONC__ACQUIRE, PARCONC__ACQUIRE)) continue;
        parconc__futex_wait(&once->state_, 2u, PARCONC__DEADLINE_NEVER);
        s = parconc__load(&once->state_, PARCONC__ACQUIRE);
    }
    PARCONC__HB_AFTER(once);
    return PARCONC_OK;
}

/* ---- wait group ---------------------------------------------------------------
   count_ is the futex word; waiters sleep on its current value and are
   woken (all) by the change that brings it to zero.  waiters_ only lets add
   skip the system call: the waiter increments it (seq_cst) before
   futex_wait re-checks count_, and add reads it (seq_cst) after its CAS,
   so either add sees the waiter or futex_wait sees the new count.  add/done are acq_rel
   so work finished before done() is visible to whoever sees zero. */
PARCONC_API int parconc_waitgroup_init(parconc_waitgroup *wg)
{
    if (!wg) return PARCONC_EINVAL;
    wg->count_ = 0;
    wg->waiters_ = 0;
    return PARCONC_OK;
}

PARCONC_API int parconc_waitgroup_add(parconc_waitgroup *wg, int32_t delta)
{
    uint32_t c, n;
    if (!wg) return PARCONC_EINVAL;
    c = parconc__load(&wg->count_, PARCONC__RELAXED);
    if (delta < 0) PARCONC__HB_BEFORE(wg);
    do {
        int64_t v = (int64_t)c + delta;
        if (v < 0 || v > INT32_MAX) return PARCONC_ERANGE;
        n = (uint32_t)v;
    } while (!parconc__cas_weak(&wg->count_, &c, n, PARCONC__SEQ_CST, PARCONC__RELAXED));
    if (n == 0 && delta != 0 && parconc__load(&wg->waiters_, PARCONC__SEQ_CST))
        parconc__futex_wake(&wg->count_, INT_MAX);
    return PARCONC_OK;
}

PARCONC_API int parconc_waitgroup_done(parconc_waitgroup *wg) { return parconc_waitgroup_add(wg, -1); }

PARCONC_API int parconc_waitgroup_timedwait(parconc_waitgroup *wg, int64_t timeout_ns)
{
    uint64_t deadline = parconc__deadline(timeout_ns);
    if (!wg) return PARCONC_EINVAL;
    for (;;) {
        uint32_t c = parconc__load(&wg->count_, PARCONC__ACQUIRE);
        int rc;
        if (c == 0) { PARCONC__HB_AFTER(wg); return PARCONC_OK; }
        if (deadline == PARCONC__DEADLINE_NOW) return PARCONC_ETIMEDOUT;
        parconc__fetch_add(&wg->waiters_, 1u, PARCONC__SEQ_CST);
        rc = parconc__futex_wait_precise(&wg->count_, c, deadline);
        parconc__fetch_sub(&wg->waiters_, 1u, PARCONC__RELAXED);
        if (rc == PARCONC_ETIMEDOUT) {
            if (parconc__load(&wg->count_, PARCONC__ACQUIRE) != 0) return PARCONC_ETIMEDOUT;
            PARCONC__HB_AFTER(wg);
            return PARCONC_OK;
        }
    }
}

PARCONC_API int parconc_waitgroup_wait(parconc_waitgroup *wg) { return parconc_waitgroup_timedwait(wg, PARCONC_FOREVER); }

/* ---- lock many -------------------------------------------------------------------
   The "lock one, try the others, back off" algorithm (as std::lock): block
   only on one mutex while holding none, so no hold-and-wait cycle can form
   whatever order callers use; after a failed try, the next round blocks on
   the mutex that was busy.  Lock-order validation covers the set as a
   whole (its members are taken in no particular order among themselves). */
PARCONC_API int parconc_lock_many(parconc_mutex *const *locks, size_t n, int64_t timeout_ns)
{
    uint64_t deadline = parconc__deadline(timeout_ns);
    size_t i, j, first = 0;
    if (!locks || n == 0) return PARCONC_EINVAL;
    for (i = 0; i < n; i++) {
        if (!locks[i]) return PARCONC_EINVAL;
        for (j = 0; j < i; j++)
            if (locks[j] == locks[i]) return PARCONC_EINVAL;
    }
#ifdef PARCONC_DEBUG_LOCKS
    {
        PARCONC__DBG_SITE;
        if (deadline != PARCONC__DEADLINE_NOW)
            for (i = 0; i < n; i++) PARCONC__DBG_CHECK(locks[i], 0, 0);
#endif
    for (;;) {
        size_t busy = n;
        int rc;
        PARCONC__TSAN_PRE_LOCK(locks[first], PARCONC__TSAN_KIND(deadline));
        rc = parconc__mutex_lock_raw(locks[first], deadline);
        PARCONC__TSAN_POST_LOCK(locks[first], PARCONC__TSAN_RESULT(PARCONC__TSAN_KIND(deadline), rc), 0);
        if (rc != PARCONC_OK) return PARCONC_ETIMEDOUT;
        for (i = 0; i < n && busy == n; i++) {
            if (i == first) continue;
            PARCONC__TSAN_PRE_LOCK(locks[i], PARCONC__TSAN_TRY);
            rc = parconc__mutex_lock_raw(locks[i], PARCONC__DEADLINE_NOW);
            PARCONC__TSAN_POST_LOCK(locks[i], PARCONC__TSAN_RESULT(PARCONC__TSAN_TRY, rc), 0);
            if (rc != PARCONC_OK) busy = i;
        }
        if (busy == n) {
#ifdef PARCONC_DEBUG_LOCKS
            for (i = 0; i < n; i++) PARCONC__DBG_ACQUIRED(locks[i], 0);
#endif
            return PARCONC_OK;
        }
        for (i = 0; i < busy; i++) { /* back off: release what we took */
            if (i == first) continue;
            PARCONC__TSAN_PRE_UNLOCK(locks[i], 0);
            parconc__mutex_unlock_raw(locks[i]);
            PARCONC__TSAN_POST_UNLOCK(locks[i], 0);
        }
        PARCONC__TSAN_PRE_UNLOCK(locks[first], 0);
        parconc__mutex_unlock_raw(locks[first]);
        PARCONC__TSAN_POST_UNLOCK(locks[first], 0);
        if (deadline != PARCONC__DEADLINE_NEVER && parconc__deadline_left(deadline) == 0) return PARCONC_ETIMEDOUT;
        first = busy;
        parconc_thread_yield(); /* let the holder finish */
    }
#ifdef PARCONC_DEBUG_LOCKS
    }
#endif
}

PARCONC_API int parconc_unlock_many(parconc_mutex *const *locks, size_t n)
{
    size_t i;
    int rc = PARCONC_OK;
    if (!locks || n == 0) return PARCONC_EINVAL;
    for (i = 0; i < n; i++)
        if (!locks[i]) return PARCONC_EINVAL;
    for (i = n; i-- > 0;) {
        int r = parconc_mutex_unlock(locks[i]);
        if (r != PARCONC_OK) rc = r;
    }
    return rc;
}

/* ---- scoped guard ------------------------------------------------------------- */
#if defined(__GNUC__) || defined(__clang__)
PARCONC_API parconc_mutex *parconc_guard_acquire(parconc_mutex *m)
{
    int rc = (parconc_mutex_lock)(m);
    PARCONC_ASSERT(rc == PARCONC_OK && "PARCONC_GUARD could not lock");
    return rc == PARCONC_OK ? m : NULL;
}

PARCONC_API void parconc_guard_release(parconc_mutex **slot)
{
    if (*slot) parconc_mutex_unlock(*slot);
}
#endif

/* ===================================================================== */
/* Threads                                              >>impl-threads */
/* ===================================================================== */

#define PARCONC__THREAD_VALID    1u
#define PARCONC__THREAD_DETACHED 2u
/* The backend (>>backend) starts, joins and detaches; the public
   functions below do the argument checks and the flags once. */
PARCONC_API void parconc_thread_yield(void)
{
    parconc__os_thread_yield();
}


PARCONC_API int parconc_thread_create(parconc_thread *t, parconc_thread_fn fn, void *arg,
                                      const parconc_thread_opts *opts)
{
    int e, detached = opts && opts->detached;
    if (!t) return PARCONC_EINVAL;
    memset(t, 0, sizeof *t);
    if (!fn) return PARCONC_EINVAL;
    if (opts && opts->stack_size &&
        (opts->stack_size < PARCONC_THREAD_STACK_MIN || opts->stack_size > PARCONC_THREAD_STACK_MAX))
        return PARCONC_EINVAL;
    e = parconc__os_thread_start(t, fn, arg, opts, detached);
    if (e != PARCONC_OK) {
        memset(t, 0, sizeof *t);
        return e;
    }
    t->flags_ = PARCONC__THREAD_VALID | (detached ? PARCONC__THREAD_DETACHED : 0u);
    return PARCONC_OK;
}

PARCONC_API int parconc_thread_join(parconc_thread t, void **result)
{
    void *r = NULL;
    int e;
    if (!(t.flags_ & PARCONC__THREAD_VALID) || (t.flags_ & PARCONC__THREAD_DETACHED)) return PARCONC_EINVAL;
    e = parconc__os_thread_join(&t, &r);
    if (e != PARCONC_OK) return e;
    if (result) *result = r;
    return PARCONC_OK;
}

PARCONC_API int parconc_thread_detach(parconc_thread t)
{
    if (!(t.flags_ & PARCONC__THREAD_VALID) || (t.flags_ & PARCONC__THREAD_DETACHED)) return PARCONC_EINVAL;
    return parconc__os_thread_detach(&t);
}
/* The backend's count: affinity capped by a cgroup quota or a job
   object's rate, or the port's; parconc__cpu_count_combine keeps it >= 1. */
PARCONC_API int parconc_cpu_count(void)
{
    return parconc__os_cpu_count();
}

/* ===================================================================== */
/* Cancellation tokens                                  >>impl-cancel */
/* ===================================================================== */
/* reason_ goes from 0 to the reason once, by one CAS (parconc__cancel_mark),
   and is the futex word cancel_wait sleeps on: the mark wakes everyone.
   A child is registered in its parent's `children_` list (under the
   parent's lock_) unless the parent had fired when it was initialised.
   Firing marks the token, then walks its subtree depth-first without
   recursion: the walker holds the lock of every token on the path from
   the fired one down to where it is (parent before child, the only order
   in which two token locks are ever held), and `walk_` of each keeps its
   place among the children.  Holding the parent's lock while visiting a
   child is what keeps the child alive: destroy unlinks under the parent's
   lock, so it waits for the walk.  A child marked by someone else is
   skipped: whoever marked it walks its subtree.  A token registered
   after the walk passed its parent's list finds the parent marked (the
   mark comes before the walk takes the lock; init reads it under that
   lock) and is born fired.
   Deadlines: set under lock_ (has_deadline_ published with release after
   it); a check walks up the parents (registered, so alive) and fires the
   first whose deadline passed, which fires the whole subtree, itself
   included. */
static int parconc__cancel_mark(parconc_cancel *c, int32_t reason)
{
    uint32_t expect = 0;
    /* seq_cst: a group submitter that set its WAITERS bit and then checks
       the token either sees this mark or the hook sees its bit */
    if (!parconc__cas(&c->reason_, &expect, (uint32_t)reason, PARCONC__SEQ_CST, PARCONC__RELAXED)) return 0;
    parconc__futex_wake(&c->reason_, INT_MAX);
    if (c->hook_) c->hook_(c->hook_arg_);
    return 1;
}

static void parconc__cancel_fire(parconc_cancel *c, int32_t reason)
{
    parconc_cancel *node = c;
    if (!parconc__cancel_mark(c, reason)) return; /* fired before: its walk is someone else's */
    parconc__ilock(&node->lock_);
    node->walk_ = node->children_;
    for (;;) {
        parconc_cancel *ch = node->walk_;
        if (ch) {
            node->walk_ = ch->next_;
            if (parconc__cancel_mark(ch, reason)) { /* descend, keeping node locked */
                parconc__ilock(&ch->lock_);
                ch->walk_ = ch->children_;
                node = ch;
            }
            continue;
        }
        parconc__mutex_unlock_raw(&node->lock_);
        if (node == c) return;
        node = node->parent_; /* still locked by us, its walk_ where we left it */
    }
}

static uint64_t parconc__cancel_deadline_of(parconc_cancel *c)
{
    uint64_t d;
    parconc__ilock(&c->lock_);
    d = c->deadline_;
    parconc__mutex_unlock_raw(&c->lock_);
    return d;
}

/* The earliest deadline on c and its ancestors (DEADLINE_NEVER: none),
   and the token that holds it. */
static uint64_t parconc__cancel_earliest(parconc_cancel *c, parconc_cancel **holder)
{
    uint64_t best = PARCONC__DEADLINE_NEVER;
    for (; c; c = c->parent_) {
        if (parconc__load(&c->has_deadline_, PARCONC__ACQUIRE)) {
            uint64_t d = parconc__cancel_deadline_of(c);
            if (d < best) { best = d; if (holder) *holder = c; }
        }
    }
    return best;
}

static int parconc__cancel_reason(parconc_cancel *c)
{
    uint32_t r = parconc__load(&c->reason_, PARCONC__ACQUIRE);
    if (!r) {
        parconc_cancel *holder = NULL;
        uint64_t d = parconc__cancel_earliest(c, &holder);
        if (d == PARCONC__DEADLINE_NEVER || parconc_now_ns() < d) return PARCONC_OK;
        parconc__cancel_fire(holder, PARCONC_ETIMEDOUT); /* fires c too */
        r = parconc__load(&c->reason_, PARCONC__ACQUIRE);
        /* another thread's walk from holder may not have reached c yet:
           c fires with holder's reason all the same */
        if (!r) r = parconc__load(&holder->reason_, PARCONC__ACQUIRE);
    }
    return (int)(int32_t)r;
}

/* Registers the new token c (not yet visible to anyone) with parent, or,
   the parent having fired, makes it fired with the same reason. */
static void parconc__cancel_attach(parconc_cancel *c, parconc_cancel *parent)
{
    parconc__ilock(&parent->lock_);
    if (parconc__load(&parent->reason_, PARCONC__ACQUIRE)) {
        c->reason_ = parent->reason_; /* born fired; not registered */
    } else {
        c->parent_ = parent;
        c->next_ = parent->children_;
        if (c->next_) c->next_->prev_ = c;
        parent->children_ = c;
    }
    parconc__mutex_unlock_raw(&parent->lock_);
}

PARCONC_API int parconc_cancel_init(parconc_cancel *c, parconc_cancel *parent)
{
    if (!c || c == parent) return PARCONC_EINVAL;
    memset(c, 0, sizeof *c);
    if (parent) parconc__cancel_attach(c, parent);
    return PARCONC_OK;
}

PARCONC_API int parconc_cancel_request(parconc_cancel *c, int reason)
{
    if (!c) return PARCONC_EINVAL;
    parconc__cancel_fire(c, reason < 0 ? (int32_t)reason : (int32_t)PARCONC_ECANCELED);
    return PARCONC_OK;
}

PARCONC_API int parconc_cancel_after(parconc_cancel *c, int64_t timeout_ns)
{
    uint64_t d;
    if (!c) return PARCONC_EINVAL;
    if (timeout_ns <= 0) return parconc_cancel_request(c, PARCONC_ETIMEDOUT);
    d = parconc__deadline(timeout_ns);
    parconc__ilock(&c->lock_);
    if (!c->has_deadline_ || d < c->deadline_) c->deadline_ = d;
    parconc__store(&c->has_deadline_, 1u, PARCONC__RELEASE);
    parconc__mutex_unlock_raw(&c->lock_);
    return PARCONC_OK;
}

PARCONC_API int parconc_cancel_check(parconc_cancel *c)
{
    if (!c) return PARCONC_EINVAL;
    return parconc__cancel_reason(c);
}

PARCONC_API int parconc_cancel_wait(parconc_cancel *c, int64_t timeout_ns)
{
    uint64_t deadline;
    if (!c) return PARCONC_EINVAL;
    deadline = parconc__deadline(timeout_ns);
    for (;;) {
        uint64_t until = deadline, d;
        if (parconc__cancel_reason(c)) return PARCONC_OK;
        if (deadline == PARCONC__DEADLINE_NOW || (deadline != PARCONC__DEADLINE_NEVER && parconc_now_ns() >= deadline))
            return PARCONC_ETIMEDOUT;
        d = parconc__cancel_earliest(c, NULL); /* wake for our own deadline too */
        if (d < until) until = d;
        /* every mark of c (its own, or a walk from an ancestor) changes
           the word from 0 and wakes it */
        parconc__futex_wait(&c->reason_, 0u, until);
    }
}

PARCONC_API int parconc_cancel_destroy(parconc_cancel *c)
{
    parconc_cancel *parent;
    if (!c) return PARCONC_EINVAL;
    parconc__ilock(&c->lock_);
    if (c->children_) {
        parconc__mutex_unlock_raw(&c->lock_);
        return PARCONC_EBUSY;
    }
    parconc__mutex_unlock_raw(&c->lock_);
    parent = c->parent_;
    if (parent) {
        parconc__ilock(&parent->lock_); /* waits for a walk visiting c */
        if (c->prev_) c->prev_->next_ = c->next_; else parent->children_ = c->next_;
        if (c->next_) c->next_->prev_ = c->prev_;
        parconc__mutex_unlock_raw(&parent->lock_);
        c->parent_ = c->next_ = c->prev_ = NULL;
    }
    return PARCONC_OK;
}

/* ===================================================================== */
/* Futures                                              >>impl-futures */
/* ===================================================================== */
/* ---- calls up the file ----
   Futures, the pool and work division call each other: a future's last
   release gives its slot back to the pool that made it, settling a
   serial queue's task starts the next, a wait helps the pool run tasks, a
   worker joins parallel loops, a fork forgets every loop, and a wait asks
   whether it runs inside a loop body.  These are the only functions used
   before the section that defines them. */
static void parconc__pool_node_free(parconc_pool *p, parconc_future *f); /* >>impl-pool: preallocated slots */
static void parconc__serial_settle(parconc_future *f);                  /* >>impl-pool: tasks with inputs */
static int parconc__future_await_ex(parconc_future *f, uint64_t deadline, int help); /* >>impl-pool: waiting */
static void parconc__loop_forget_all(void);                             /* >>impl-division */
static int parconc__pool_try_loop(parconc_pool *p);                     /* >>impl-division */
static int parconc__in_loop_body(void);                                 /* >>impl-division */

/* state_ holds the public state plus BUSY: set while the completing thread
   still runs callbacks and wakes waiters.  Waiters return only once the
   state is terminal AND BUSY is clear, so after a wait returns nothing in
   parconc touches the future any more (caller storage can be reused): the
   clearing is one exchange that also reads the WAITERS bit a sleeper set
   with a CAS before sleeping, and after it only the futex wake (an address,
   not an access) follows.
   Terminal states are reached by exactly one CAS from PENDING or RUNNING,
   which is what makes "exactly one terminal state" hold under races
   between a worker, cancel(), complete() and fail(). */
#define PARCONC__F_STATE_MASK 0xFFu
#define PARCONC__F_BUSY       0x100u
#define PARCONC__F_WAITERS    0x200u  /* someone sleeps on state_: wake at the end */
/* flags_ */
#define PARCONC__F_HEAP       1u  /* free with alloc_ when the last reference goes */
#define PARCONC__F_CALLER     2u  /* caller storage: never freed, never in a deque */
#define PARCONC__F_POOLNODE   4u  /* one of the pool's preallocated slots */
#define PARCONC__F_INTERNAL   8u  /* parallel_for's helper: not in the task counters */
#define PARCONC__F_RING       16u /* queued in the submission ring: counted by the ring, not pending_in */

#define PARCONC__F_THEN      32u /* a continuation: ext_.then_ is set */
#define PARCONC__F_SERIAL    128u /* a serial queue's task: ext_.then_.src is the task before it
                                     (one reference, or NULL; see "serial queues") */
#define PARCONC__F_ALLOC_HDR 64u /* heap, from a pool with its own allocator: a copy of that
                                    allocator sits just before the future (see below) */

/* A heap future normally comes from PARCONC_MALLOC.  One from a pool with
   an allocator of its own is preceded by a copy of that allocator, since
   it may outlive the pool; the copy is not in every future. */
#define PARCONC__ALLOC_HDR ((sizeof(parconc_allocator) + 15u) & ~(size_t)15u)

static const parconc_allocator *parconc__future_allocator(const parconc_future *f)
{
    if (!(f->flags_ & PARCONC__F_ALLOC_HDR)) return NULL;
    return (const parconc_allocator *)(const void *)((const char *)f - PARCONC__ALLOC_HDR);
}

/* Callbacks after the first (which is inline in the future) are nodes in
   cb_more_, in registration order, allocated with the future's
   allocator; each is freed right after it ran. */
typedef struct parconc__cb_node {
    struct parconc__cb_node *next;
    parconc_future_callback fn;
    void *user;
} parconc__cb_node;

/* Registrations of tasks and combinators on their inputs
   (parconc_future_link, in dependents_) are freed after use by kind_: */
#define PARCONC__LINK_CALLER 1u /* caller storage or a future's dep_link_: never freed */
#define PARCONC__LINK_LIB    2u /* allocated by parconc */

/* A thread in wait_any registers one of these per future (on its stack). */
typedef struct parconc__wait_node {
    struct parconc__wait_node *next, *prev;
    uint32_t *word; /* the waiting thread's futex word */
} parconc__wait_node;

static PARCONC__THREAD_LOCAL int *parconc__tls_fail_slot; /* the running task's error */

static inline int parconc__future_terminal(uint32_t s)
{
    s &= PARCONC__F_STATE_MASK;
    return s == PARCONC_DONE || s == PARCONC_CANCELED || s == PARCONC_FAILED;
}

static void *parconc__alloc_with(const parconc_allocator *a, size_t size)
{
    if (a && a->alloc_fn) return a->alloc_fn(size, a->user_data);
    return parconc__malloc(size);
}

static void parconc__free_with(const parconc_allocator *a, void *p)
{
    if (!p) return;
    if (a && a->alloc_fn) { if (a->free_fn) a->free_fn(p, a->user_data); }
    else parconc__free(p);
}

static void parconc__link_free(parconc_future_link *n)
{
    if (n->kind_ == PARCONC__LINK_LIB) parconc__free(n);
}

/* Everything up to ext_ starts zero; ext_ and dep_link_ are written
   before they are read (continuations, combinators, tasks with inputs). */
static void parconc__future_setup(parconc_future *f, uint32_t flags, uint32_t refs)
{
    memset(f, 0, offsetof(parconc_future, ext_));
    f->flags_ = flags;
    f->refs_ = refs;
}

/* Frees a heap future's memory (its allocator copy included). */
static void parconc__future_block_free(parconc_future *f)
{
    if (f->flags_ & PARCONC__F_ALLOC_HDR) {
        parconc_allocator a = *parconc__future_allocator(f); /* the block holds it */
        parconc__free_with(&a, (char *)f - PARCONC__ALLOC_HDR);
    } else {
        parconc__free(f);
    }
}

static void parconc__future_free(parconc_future *f)
{
    parconc_future *pred = (f->flags_ & PARCONC__F_SERIAL) ? f->ext_.then_.src : NULL;
    if (pred && !(pred->flags_ & PARCONC__F_CALLER)) /* canceled before its turn, never taken over */
        parconc_future_release(pred);
    if (f->flags_ & PARCONC__F_HEAP) {
        const parconc_allocator *a = parconc__future_allocator(f);
        parconc__cb_node *n = (parconc__cb_node *)f->cb_more_; /* a promise that never settled */
        parconc_future_link *d = (parconc_future_link *)f->dependents_;
        while (n) { parconc__cb_node *next = n->next; parconc__free_with(a, n); n = next; }
        while (d) { parconc_future_link *next = d->next_; parconc__link_free(d); d = next; }
        parconc__future_block_free(f);
    } else if (f->flags_ & PARCONC__F_POOLNODE) {
        parconc__pool_node_free(f->pool_, f);
    }
}

/* Futures whose callbacks this thread is running, innermost first (one
   frame on the stack of each finish).  A callback may wait on its own
   future: the callbacks are all that is left of its settling, so to this
   thread the future is settled (it would otherwise wait for itself). */
typedef struct parconc__finish_frame {
    const parconc_future *future;
    const struct parconc__finish_frame *outer;
} parconc__finish_frame;
static PARCONC__THREAD_LOCAL const parconc__finish_frame *parconc__tls_finishing;

static int parconc__finishing_here(const parconc_future *f)
{
    const parconc__finish_frame *fr;
    for (fr = parconc__tls_finishing; fr; fr = fr->outer)
        if (fr->future == f) return 1;
    return 0;
}

/* Terminal and settled (BUSY clear), or settling on this thread (state
   read with acquire by the caller). */
static int parconc__settled_state(const parconc_future *f, uint32_t s)
{
    if (!parconc__future_terminal(s)) return 0;
    return !(s & PARCONC__F_BUSY) || parconc__finishing_here(f);
}

/* Runs the callbacks (outside f's lock): they may call any future
   function, wait on f (see parconc__settled_state) and release any
   reference, the last included (see parconc__future_finish). */
static void parconc__future_run_callbacks(parconc_future *f, parconc_future_callback first, void *first_user,
                                          parconc__cb_node *more)
{
    parconc__finish_frame frame;
    frame.future = f;
    frame.outer = parconc__tls_finishing;
    parconc__tls_finishing = &frame;
    if (first) first(f, first_user);
    while (more) {
        parconc__cb_node *next = more->next;
        more->fn(f, more->user);
        parconc__free_with(parconc__future_allocator(f), more); /* f is alive: fire holds a reference */
        more = next;
    }
    parconc__tls_finishing = frame.outer;
}

/* ---- a group's count of unsettled members ----
   count_ holds the number of members not yet settled (plus slots a
   submit reserved) and WAITERS, set with a CAS by a thread before it
   sleeps on the word (group_wait, a submit at the limit).  Whoever
   changes what those threads wait for - a member counted out, the
   group's token firing - clears WAITERS in the same atomic change and
   then wakes: a sleeper's futex_wait either sees the word changed or is
   woken.  A member counts out once its future settled (see
   parconc__future_unbusy), with one RMW that is its last access to the
   group (release: its outcome, stored before, is visible to the waiter
   that reads count 0 with acquire), so group_wait may return and the
   group be destroyed right after; only the futex wake on its address
   follows. */
#define PARCONC__G_WAITERS 0x80000000u
#define PARCONC__G_COUNT   0x3FFFFFFFu

static void parconc__group_wake(void *group)
{
    parconc_group *g = (parconc_group *)group;
    if (parconc__fetch_and(&g->count_, ~PARCONC__G_WAITERS, PARCONC__SEQ_CST) & PARCONC__G_WAITERS)
        parconc__futex_wake(&g->count_, INT_MAX);
}

/* One count out of g (a settled member, or a reservation given back). */
static void parconc__group_leave(parconc_group *g)
{
    uint32_t c = parconc__load(&g->count_, PARCONC__RELAXED);
    while (!parconc__cas_weak(&g->count_, &c, (c - 1u) & ~PARCONC__G_WAITERS, PARCONC__SEQ_CST, PARCONC__RELAXED)) {
    }
    if (c & PARCONC__G_WAITERS) parconc__futex_wake(&g->count_, INT_MAX);
}

/* Member f of g reached `state`: record the outcome, cancel the rest on
   a first failure (unless keep_going), then count out. */
static void parconc__group_member_done(parconc_group *g, uint32_t state, int error)
{
    if (state == PARCONC_FAILED) {
        int32_t none = 0;
        (void)parconc__cas(&g->error_, &none, (int32_t)error, PARCONC__RELAXED, PARCONC__RELAXED);
        if (!g->keep_going_) parconc__cancel_fire(&g->token_, PARCONC_ECANCELED);
    } else if (state == PARCONC_CANCELED) {
        parconc__store(&g->canceled_, 1u, PARCONC__RELAXED);
    }
    parconc__group_leave(g); /* release: the stores above come before the count */
}

/* The single path to a terminal state after the winning CAS (state already
   `terminal | BUSY`): parconc__future_fire wakes wait_any waiters and runs
   the callbacks, parconc__future_unbusy clears BUSY and wakes waiters.  A
   pool counts its task out between the two, so a thread whose wait on
   the future returned finds the task no longer in flight.  fire returns
   whether it took a reference that unbusy must drop: a callback may drop
   the last reference, and a future that frees itself then (heap or pool
   slot) is kept alive by ours until we are done with it; caller storage
   is never freed, and must not be touched once BUSY is off (its owner may
   reuse it): it gets none. */
static int parconc__future_fire(parconc_future *f)
{
    parconc__cb_node *more;
    parconc_future_callback first;
    void *first_user;
    parconc__wait_node *w;
    int hold = 0;
    parconc_future *src = (f->flags_ & PARCONC__F_THEN) ? f->ext_.then_.src : NULL; /* set before publication */
    parconc__ilock(&f->cb_lock_);
    f->fired_ = 1;
    first = f->cb_fn_;
    first_user = f->cb_user_;
    more = (parconc__cb_node *)f->cb_more_;
    f->cb_more_ = NULL; /* ours now: run_callbacks frees each node after it ran */
    for (w = (parconc__wait_node *)f->wait_nodes_; w; w = w->next) {
        parconc__store(w->word, 1u, PARCONC__RELEASE);
        parconc__futex_wake(w->word, 1);
    }
    parconc__mutex_unlock_raw(&f->cb_lock_);
    if (first || more) {
        hold = (f->flags_ & (PARCONC__F_HEAP | PARCONC__F_POOLNODE)) != 0;
        if (hold) parconc__fetch_add(&f->refs_, 1u, PARCONC__RELAXED);
        parconc__future_run_callbacks(f, first, first_user, more);
    }
    /* a continuation's input was kept alive for its function, which ran */
    if (src) parconc_future_release(src);
    else if (f->flags_ & PARCONC__F_SERIAL) parconc__serial_settle(f);
    return hold;
}
/* After f settled: tell its dependents and its group (f itself may be
   gone: everything needed was read before). */
static PARCONC__NOINLINE void parconc__future_settled(parconc_future_link *dep, parconc_group *group,
                                                      uint32_t terminal, int error)
{
    while (dep) {
        parconc_future_link *next = dep->next_;
        dep->settled_(dep, terminal, error); /* may free or reuse dep (its own kind) */
        dep = next;
    }
    if (group) parconc__group_member_done(group, terminal, error);
}

static PARCONC__INLINE void parconc__future_unbusy(parconc_future *f, uint32_t terminal, int hold)
{
    /* What follows the settling must not touch f (its owner may reuse it):
       read first.  A group member counts out once settled (a wait on it
       answers at once after group_wait); tasks and combinators fed by f
       learn of it once settled (a task after f finds get(f, 0) answered).
       dependents_ is stable: fire set fired_ under cb_lock_, after which
       nobody appends (see parconc__on_settled). */
    parconc_group *group = f->group_;
    parconc_future_link *dep = (parconc_future_link *)f->dependents_;
    int error = f->error_;
    if (dep) f->dependents_ = NULL; /* ours now (a later free of f must not see them) */
    /* release: result_/error_ and everything the task did are visible to
       whoever sees the settled state */
    if (parconc__exchange(&f->state_, terminal, PARCONC__ACQ_REL) & PARCONC__F_WAITERS)
        parconc__futex_wake(&f->state_, INT_MAX);
    if (PARCONC__UNLIKELY(dep || group)) parconc__future_settled(dep, group, terminal, error);
    if (hold) parconc_future_release(f);
}
static void parconc__future_finish(parconc_future *f, uint32_t terminal)
{
    parconc__future_unbusy(f, terminal, parconc__future_fire(f));
}

/* Moves f from state `from` to `to` (keeping the WAITERS bit); 0 if it was
   not in `from`.  The one winning CAS is what makes the end state unique. */
static int parconc__future_move(parconc_future *f, uint32_t from, uint32_t to)
{
    uint32_t s = parconc__load(&f->state_, PARCONC__RELAXED);
    do {
        if ((s & (PARCONC__F_STATE_MASK | PARCONC__F_BUSY)) != from) return 0;
    } while (!parconc__cas_weak(&f->state_, &s, to | (s & PARCONC__F_WAITERS), PARCONC__ACQ_REL, PARCONC__RELAXED));
    return 1;
}

static int parconc__future_transition(parconc_future *f, uint32_t from, uint32_t terminal)
{
    return parconc__future_move(f, from, terminal | PARCONC__F_BUSY);
}

PARCONC_API int parconc_future_init(parconc_future *storage)
{
    if (!storage) return PARCONC_EINVAL;
    parconc__future_setup(storage, PARCONC__F_CALLER, 1);
    return PARCONC_OK;
}

PARCONC_API int parconc_future_create(parconc_future **out)
{
    parconc_future *f;
    if (!out) return PARCONC_EINVAL;
    *out = NULL;
    f = (parconc_future *)parconc__malloc(sizeof *f);
    if (!f) return PARCONC_ENOMEM;
    parconc__future_setup(f, PARCONC__F_HEAP, 1);
    *out = f;
    return PARCONC_OK;
}

PARCONC_API int parconc_future_state(const parconc_future *f)
{
    if (!f) return PARCONC_EINVAL;
    return (int)(parconc__load(&f->state_, PARCONC__ACQUIRE) & PARCONC__F_STATE_MASK);
}

PARCONC_API void parconc_future_retain(parconc_future *f)
{
    if (f) parconc__fetch_add(&f->refs_, 1u, PARCONC__RELAXED);
}

PARCONC_API void parconc_future_release(parconc_future *f)
{
    uint32_t r;
    if (!f) return;
    r = parconc__load(&f->refs_, PARCONC__RELAXED);
    do {
        if (r == 0) { (void)PARCONC__MISUSE(PARCONC_EPERM, "parconc_future_release: more releases than references"); return; }
    } while (!parconc__cas_weak(&f->refs_, &r, r - 1u, PARCONC__ACQ_REL, PARCONC__RELAXED));
    if (r == 1) parconc__future_free(f); /* acq_rel: every user's accesses happen before the free */
}

static int parconc__promise_settle(parconc_future *f, uint32_t terminal, void *result, int error)
{
    if (!f) return PARCONC_EINVAL;
    if (f->fn_) return PARCONC_EPERM; /* a pool task settles itself */
    if (!parconc__future_transition(f, PARCONC_PENDING, terminal)) return PARCONC_EBUSY;
    f->result_ = result;
    f->error_ = error;
    parconc__future_finish(f, terminal);
    return PARCONC_OK;
}

PARCONC_API int parconc_future_complete(parconc_future *f, void *result)
{
    return parconc__promise_settle(f, PARCONC_DONE, result, PARCONC_OK);
}

PARCONC_API int parconc_future_fail(parconc_future *f, int error)
{
    return parconc__promise_settle(f, PARCONC_FAILED, NULL, error ? error : PARCONC_EINVAL);
}

PARCONC_API void *parconc_task_fail(int err)
{
    if (parconc__tls_fail_slot) *parconc__tls_fail_slot = err ? err : PARCONC_EINVAL;
    return NULL;
}

/* Appends `node` (its kind_ set) with cb(f, user) to f's callbacks, or,
   f having fired, runs cb now on this thread and frees the node. */
static void parconc__on_done_node(parconc_future *f, parconc__cb_node *node, parconc_future_callback cb, void *user)
{
    node->fn = cb;
    node->user = user;
    node->next = NULL;
    parconc__ilock(&f->cb_lock_);
    if (!f->fired_) {
        /* appended at the tail: callbacks run in registration order */
        parconc__cb_node **tail = (parconc__cb_node **)&f->cb_more_;
        while (*tail) tail = &(*tail)->next;
        *tail = node;
        parconc__mutex_unlock_raw(&f->cb_lock_);
        return;
    }
    parconc__mutex_unlock_raw(&f->cb_lock_);
    cb(f, user); /* already terminal: run now, on this thread */
    parconc__free_with(parconc__future_allocator(f), node);
}

/* Registers `link` to learn (link->settled_) when f has settled: from the
   settling thread right after it settled f, or now if f settled (or is
   settling: then once it has).  Unlike callbacks these never run before
   f's waiters could see it settled. */
static void parconc__on_settled(parconc_future *f, parconc_future_link *link)
{
    uint32_t s;
    parconc__ilock(&f->cb_lock_);
    if (!f->fired_) {
        link->next_ = (parconc_future_link *)f->dependents_; /* order among dependents is free */
        f->dependents_ = link;
        parconc__mutex_unlock_raw(&f->cb_lock_);
        return;
    }
    parconc__mutex_unlock_raw(&f->cb_lock_);
    (void)parconc__future_await_ex(f, PARCONC__DEADLINE_NEVER, 0); /* its callbacks may still run */
    s = parconc__load(&f->state_, PARCONC__ACQUIRE) & PARCONC__F_STATE_MASK;
    link->settled_(link, s, f->error_);
}

PARCONC_API int parconc_future_on_done(parconc_future *f, parconc_future_callback cb, void *user)
{
    parconc__cb_node *node;
    if (!f || !cb) return PARCONC_EINVAL;
    parconc__ilock(&f->cb_lock_);
    if (!f->fired_ && !f->cb_fn_) { /* the first callback needs no memory */
        f->cb_fn_ = cb;
        f->cb_user_ = user;
        parconc__mutex_unlock_raw(&f->cb_lock_);
        return PARCONC_OK;
    }
    if (f->fired_) {
        parconc__mutex_unlock_raw(&f->cb_lock_);
        cb(f, user); /* already terminal: run now, on this thread */
        return PARCONC_OK;
    }
    parconc__mutex_unlock_raw(&f->cb_lock_);
    /* allocated outside the lock (a user allocator may take locks); f is
       the caller's, so it is alive, and an unfired future stays unfired
       or fires: on_done_node handles both */
    node = (parconc__cb_node *)((f->flags_ & PARCONC__F_HEAP) ? parconc__alloc_with(parconc__future_allocator(f), sizeof *node)
                                                              : NULL);
    if (!node) return PARCONC_ENOMEM;
    parconc__on_done_node(f, node, cb, user);
    return PARCONC_OK;
}

/* ===================================================================== */
/* Pool                                                    >>impl-pool */
/* ===================================================================== */
/* Layout: an injection queue (one parconc_mutex, one list per priority
   level; FIFO/LIFO use level 0) for submissions from outside the pool,
   plus one Chase-Lev deque per worker for tasks a running task submits
   (pushed and popped at the bottom by the owner, depth-first, stolen from
   the top by idle workers, oldest first).  A deque entry is fn/arg for a
   fire-and-forget task (no future) or a future.  Caller-storage futures
   and PRIORITY pools always use the injection queue, where cancel() can
   unlink them, so the pool never keeps a pointer to a canceled caller
   future.

   Idle workers first SPIN (~50 us; yielding now and then after a run of
   tasks; not at all after a lone task on the CPU of the thread that woke
   them: see parconc__worker_main) watching the queues, then SLEEP.  A
   submitter publishes its task, then (after a seq_cst fence) wakes ONE
   sleeper only if nobody is spinning: a spinner will find the task, so a
   busy pool makes no system call per task.  A spinner that finds work
   while it was the last spinner wakes a sleeper, so a burst still spreads
   over the pool (Go's scheduler does the same).  What a spinner reads
   is chosen so that a stream of tasks does not drag cache lines to every
   idle worker: the ring's head and head slot (never its tail, which only
   submitters touch), a line of rarely written flags (loop_slot,
   loop_wanted, stop), and each deque's ends; the counters that change per
   task (spinning, sleepers, pending_in) sit on another line.

   No lost wake-up: a worker stops spinning (spinning--), increments
   sleepers, reads wake_seq, re-checks every queue, and only then sleeps on
   wake_seq.  All of these and the submitter's fence/loads are seq_cst, so
   either the submitter sees spinning > 0 or sleepers > 0 before the worker
   re-checked (then the worker's re-check sees the task, or the wake's
   wake_seq bump makes its futex_wait return at once), or the worker's
   re-check sees the task.

   Submission ring (FIFO pools): submissions from outside the pool that
   need no caller storage go through a bounded lock-free MPMC ring
   (Vyukov's sequence-numbered slots) instead of the locked list.  A task
   without a future (out == NULL) is just fn/arg in a slot: no allocation,
   no lock and no shared counter per task, which is what makes a stream of
   small tasks cheap.  Rules that keep FIFO order with two queues:
     - workers take from the ring before the list;
     - a submitter uses the ring only while the list is empty (inj_count 0),
       so once a task had to go to the list (ring full, caller storage)
       everything after it goes there too until the list drains.
   Counting tasks in and out without a shared counter per light task.
   Every count only grows:
     in:  ring_tail (ring entries), each worker's spawned (fn/arg entries
          its tasks pushed into its deque), pending_in (everything else:
          futures on the list or in a deque, parallel_for helpers);
     out: each worker's ring_done and spawn_done (entries it finished),
          ring_dropped and spawn_dropped (entries canceled instead of run),
          pending_out (the rest, settled).
   A task's submission happens before its finish, and a task's own
   submissions happen before its finish too.  parconc__pool_in_flight
   reads every out count first (acquire), then every in count, so each
   finish it counted has its submission counted; and a task that has not
   finished (or whose finish it missed) has its submission counted, or an
   ancestor counted as not finished, back to a submission made before the
   read started.  So the difference is never 0 while a task submitted
   before the read is still unfinished: the pool is idle when in == out. */
#define PARCONC__POOL_MAX_THREADS 1024
#ifndef PARCONC_POOL_RING
#define PARCONC_POOL_RING 1024
#endif
#if PARCONC_POOL_RING != 0 && (PARCONC_POOL_RING < 2 || (PARCONC_POOL_RING & (PARCONC_POOL_RING - 1)) != 0)
#error "PARCONC_POOL_RING must be 0 or a power of two >= 2"
#endif
#define PARCONC__IDLE_SPIN_NS ((uint64_t)PARCONC_WORKER_SPIN_NS)

/* A queued task in a deque, as in the ring: fn/arg of a task without a
   future (fn != NULL), or its future (fn == NULL, arg = the future). */
typedef struct parconc__task_ref {
    parconc_task_fn fn;
    void *arg;
} parconc__task_ref;

/* One array of a deque.  The first lives in the pool's block; a deque
   that fills doubles into a heap array (pools with their own memory and
   no caller-runs, up to PARCONC__DEQUE_MAX slots).  Left arrays are kept
   until the pool is destroyed: a thief may still read a slot of one (the
   entries it holds are copied unchanged, and the CAS on top decides
   whether what the thief read is its own). */
typedef struct parconc__deque_buf {
    intptr_t mask;
    parconc__task_ref *slots;
    struct parconc__deque_buf *older; /* the heap array this one replaced, or NULL */
} parconc__deque_buf;
#define PARCONC__DEQUE_MAX ((intptr_t)1 << 20)

typedef struct parconc__deque {
    intptr_t top;                 /* thieves take here */
    char pad0_[PARCONC_CACHELINE - sizeof(intptr_t)];
    intptr_t bottom;              /* the owner pushes and takes here */
    intptr_t top_seen;            /* owner only: top as last read (top only grows) */
    char pad1_[PARCONC_CACHELINE - 2 * sizeof(intptr_t)];
    parconc__deque_buf *buf;      /* the current array (owner stores with release) */
    parconc__deque_buf first;     /* the array in the pool's block */
    int may_grow;
} parconc__deque;

/* fn != NULL: a task without a future; fn == NULL: arg is its future */
typedef struct parconc__ring_slot {
    size_t seq;                   /* pos: free for the push at pos; pos + 1: holds entry pos */
    parconc_task_fn fn;
    void *arg;
} parconc__ring_slot;

typedef struct parconc__worker {
    parconc__deque deque;
    parconc_pool *pool;
    parconc_thread thread;
    int index;
    uint32_t rng;
    /* written only by this worker (relaxed), read by stats: no shared
       counter is touched per task */
    size_t tasks_run, steals, completed, failed, running;
    size_t ring_done;             /* ring entries this worker finished (release) */
    size_t spawned;               /* fn/arg entries our tasks pushed into our deque */
    size_t spawn_done;            /* fn/arg deque entries this worker finished (release) */
    int idle_look_due;            /* counted a ring/deque entry out, not yet looked for idle (owner) */
    parconc_future *stash;        /* finished heap futures kept for reuse (owner only) */
    size_t batch_left;            /* queue-order tasks moved into our deque (a hint) */
    size_t stash_len;
    int woken;                    /* woken from a sleep since it last went idle; loop work clears it */
    uint32_t settling;            /* 1 from counting a task with a future out until that future
                                     is settled (owner stores; wait_idle reads) */
    size_t idle_spins;            /* idle spins begun (relaxed, owner writes; for tests) */
    size_t trace_next;            /* events this worker put in its part of the trace (owner) */
    uint32_t trace_busy;          /* 1 while it writes a trace event (see "hooks and tracing") */
    parconc__u64 busy_ns;         /* idem */
    parconc__u64 busy_since;      /* 0 while idle */
    char pad_[PARCONC_CACHELINE];
} parconc__worker;

typedef struct parconc__list { parconc_future *head, *tail; } parconc__list;

/* Tasks run by a submitting thread that is not a worker (caller-runs).
   Threads spread over the stripes, so two submitters rarely share one. */
#define PARCONC__HERE_STRIPES 8
typedef struct parconc__here_counts {
    size_t completed, failed;     /* atomic, relaxed: counters that only stats read */
    char pad_[PARCONC_CACHELINE - 2 * sizeof(size_t)];
} parconc__here_counts;

struct parconc_pool {
    parconc_mutex inj_lock;
    parconc__list levels[PARCONC_PRIORITY_LEVELS];
    parconc__list waiting;        /* accepted tasks waiting for their inputs (under inj_lock) */
    parconc__list timed;          /* delayed tasks, earliest first (under inj_lock) */
    parconc__u64 timer_next;      /* when the head of `timed` is due, or DEADLINE_NEVER (written
                                     under inj_lock; workers read it without) */
    parconc_pool_hooks hooks;     /* desc.hooks, copied */
    void *trace;                  /* the running trace (atomic; see "tracing"), or NULL */
    void *trace_last;             /* the last trace's buffer, for write_chrome */
    uint32_t trace_writers;       /* threads between reading `trace` and finishing an event */
    uint32_t input_holds;         /* 1 + registrations of waiting tasks on their inputs not yet
                                     reported (atomic; see "tasks with inputs"): the block
                                     outlives them */
    uint32_t level_mask;          /* non-empty levels (under inj_lock) */
    uint32_t inj_count;           /* tasks in the injection queue (written under inj_lock) */
    char pad0_[PARCONC_CACHELINE];
    /* Read by every idle worker on each look for work, written only when a
       loop starts or ends, or at shutdown: kept apart from the counters
       below, which change with every task, so idle workers keep this line
       in their caches instead of fetching it again after each task. */
    void *loop_slot;              /* a parallel_for any idle worker may join, or NULL */
    uint32_t loop_wanted;         /* helper places still open in it */
    uint32_t shutdown;            /* no more submissions */
    uint32_t stop;                /* workers exit when set */
    uint32_t observe;             /* PARCONC__OBSERVE_*: hooks set, a trace running (read per task) */
    char pad_polled_[PARCONC_CACHELINE];
    size_t queued;                /* bounded pools: reserved queue slots (atomic) */
    size_t pending_in;            /* tasks counted in by submit (atomic; see the pool's comment) */
    uint32_t spinning;            /* idle workers watching the queues */
    uint32_t loop_users;          /* workers between reading loop_slot and leaving it */
    uint32_t sleepers, wake_seq;  /* idle workers asleep and their futex word */
    int waker_cpu;                /* CPU of the last thread that woke a sleeper, or -1 (atomic) */
    uint32_t idle_seq, idle_waiters;
    uint32_t space_seq, space_waiters;
    uint32_t joined;
    char pad1_[PARCONC_CACHELINE];
    size_t canceled;              /* relaxed counter (cancel is rare) */
    uint32_t claiming;            /* threads other than p's workers settling a task they
                                     claimed in a wait (see parconc__run_awaited) */
    uint32_t fork_gen;            /* parconc__fork_gen when created: another value means
                                     this is a child process's copy (see "fork") */
    uint32_t paused;              /* parconc_pool_pause: workers take no task; futex word of parked ones */
    uint32_t parked;              /* workers parked by a pause; futex word of the pauser */
    parconc__worker *workers;
    int nthreads;
    int loop_team; /* participants of a parallel_for, caller included */
    int schedule;
    int block_when_full;
    int caller_runs;              /* desc.caller_runs_when_full */
    size_t capacity;
    parconc_allocator alloc;
    int own_memory;               /* allocated by create (else caller memory) */
    void *memory_block;
    parconc_future *free_nodes;   /* preallocated slots (under inj_lock) */
    parconc_future *node_cache;   /* recycled heap futures (under inj_lock) */
    size_t cache_len;
    char name[24];
    parconc__ring_slot *ring;     /* FIFO pools with PARCONC_POOL_RING, else NULL */
    size_t ring_mask;
    size_t ring_dropped;          /* ring entries canceled instead of run (atomic) */
    size_t spawn_dropped;         /* fn/arg deque entries canceled instead of run (atomic) */
    char pad2_[PARCONC_CACHELINE];
    size_t ring_tail;             /* next push position (submitters) */
    char pad3_[PARCONC_CACHELINE];
    size_t ring_head;             /* next pop position (workers) */
    size_t pending_out;           /* tasks counted out of pending_in (atomic; workers write both) */
    char pad4_[PARCONC_CACHELINE];
    parconc__here_counts here[PARCONC__HERE_STRIPES]; /* tasks other threads ran themselves */
};

static PARCONC__THREAD_LOCAL parconc__worker *parconc__tls_worker;
/* caller-runs (see parconc__run_here) */
static PARCONC__THREAD_LOCAL parconc_pool *parconc__tls_here_pool;   /* pool of the task this thread runs itself */
static PARCONC__THREAD_LOCAL parconc_pool *parconc__tls_batch_pool;  /* pool whose ring this thread found full */
static PARCONC__THREAD_LOCAL unsigned parconc__tls_batch_left;       /* submissions it still runs itself */
static PARCONC__THREAD_LOCAL unsigned parconc__tls_stripe;           /* 1 + stripe index; 0: not chosen yet */
/* Tasks this thread runs for its own submissions (caller-runs), innermost
   first, one frame on the stack of each: unlike parconc__tls_here_pool,
   which a worker clears while it runs one of its own pool's tasks, the
   chain names every pool whose task is on this thread's stack. */
typedef struct parconc__here_frame {
    parconc_pool *pool;
    const struct parconc__here_frame *outer;
} parconc__here_frame;
static PARCONC__THREAD_LOCAL const parconc__here_frame *parconc__tls_here_frames;
static unsigned parconc__stripe_next; /* relaxed: only spreads threads over stripes */

/* ---- fork ----
   A child process gets copies of the parent's pools but none of their
   threads.  parconc_after_fork_child() (registered with pthread_atfork
   unless PARCONC_NO_ATFORK; a custom port calls it itself) bumps
   parconc__fork_gen in the child, so every pool created before the fork
   reads as inherited there: its calls answer ESHUTDOWN at once without
   touching its locks (another thread may have held them at the fork),
   waits on its unsettled futures answer ESHUTDOWN instead of waiting for
   a worker that does not exist, destroy frees its memory without joining,
   and parallel_for on it runs on the caller alone.  The forking thread's
   thread-locals are cleared, and a worker or loop participant that forked
   stops taking the parent's work once its task returns in the child: the
   worker's thread, the child's only one, then ends, and with it the child
   process (status 0).  Pools created in the child work normally. */
static uint32_t parconc__fork_gen;
static PARCONC__THREAD_LOCAL unsigned parconc__tls_help_depth; /* see "what a wait runs" */

/* Relaxed: parconc__fork_gen changes only in a child, on its one thread,
   before that thread uses any pool; in the parent it never changes. */
static int parconc__forked_since(uint32_t gen)
{
    return parconc__load(&parconc__fork_gen, PARCONC__RELAXED) != gen;
}
static int parconc__pool_inherited(const parconc_pool *p)
{
    return parconc__forked_since(p->fork_gen);
}

PARCONC_API void parconc_after_fork_child(void)
{
    parconc__store(&parconc__fork_gen, parconc__load(&parconc__fork_gen, PARCONC__RELAXED) + 1u, PARCONC__RELAXED);
    parconc__tls_worker = NULL;
    parconc__tls_here_pool = NULL;
    parconc__tls_here_frames = NULL;
    parconc__tls_batch_pool = NULL;
    parconc__tls_batch_left = 0;
    parconc__tls_help_depth = 0;
    parconc__tls_finishing = NULL;
    parconc__loop_forget_all();
    parconc__os_after_fork();
#ifdef PARCONC_DEBUG_LOCKS
    /* a thread that was inside the validator does not exist here: its
       lock would never be released (the graph it was updating may miss
       that one edge, which costs at most one unreported order) */
    parconc__store(&parconc__dbg_mutex, 0u, PARCONC__RELEASE);
#endif
}

/* ---- Chase-Lev deque (Le et al., "Correct and efficient work-stealing for
   weak memory models", PPoPP 2013).  bottom is published with release and
   read with acquire by thieves, so a stolen task's fields are visible; the
   seq_cst fence in take() and steal() orders the bottom/top accesses that
   decide who gets the last element, and the top CAS settles that race. */
/* Owner only: no room for a push (thieves can only make room).  top is
   read again only when the last value read says full: reading it on
   every push would pull the line each thief's CAS just wrote. */
static int parconc__deque_full(parconc__deque *d)
{
    intptr_t b = parconc__load(&d->bottom, PARCONC__RELAXED), mask = d->buf->mask;
    if (b - d->top_seen <= mask) return 0;
    d->top_seen = parconc__load(&d->top, PARCONC__ACQUIRE);
    return b - d->top_seen > mask;
}

/* Slot fields are atomic (relaxed): a thief reads a slot before its CAS
   on top settles whether the entry is its own, and the owner may be
   reusing that slot by then; a thief whose CAS fails drops what it read. */
static int parconc__deque_push(parconc__deque *d, parconc_task_fn fn, void *arg)
{
    intptr_t b = parconc__load(&d->bottom, PARCONC__RELAXED);
    parconc__task_ref *s;
    if (parconc__deque_full(d)) return 0; /* full: caller uses the injection queue */
    s = &d->buf->slots[b & d->buf->mask];
    parconc__store(&s->fn, fn, PARCONC__RELAXED);
    parconc__store(&s->arg, arg, PARCONC__RELAXED);
    parconc__store(&d->bottom, b + 1, PARCONC__RELEASE);
    return 1;
}

/* Owner only: doubles a full deque into a heap array (entries keep their
   indices), or returns 0 (not allowed, at PARCONC__DEQUE_MAX, or no
   memory: the caller then queues on the list).  The new array is stored
   with release before any bottom that counts an entry pushed into it. */
static int parconc__deque_grow(parconc__deque *d, const parconc_allocator *alloc)
{
    parconc__deque_buf *old = d->buf, *nb;
    intptr_t size = (old->mask + 1) * 2, i, t, b;
    size_t bytes;
    if (!d->may_grow || size > PARCONC__DEQUE_MAX) return 0;
    bytes = sizeof *nb + sizeof(parconc__task_ref) * (size_t)size;
    nb = (parconc__deque_buf *)parconc__alloc_with(alloc, bytes);
    if (!nb) return 0;
    memset(nb, 0, bytes);
    nb->mask = size - 1;
    nb->slots = (parconc__task_ref *)(void *)(nb + 1);
    nb->older = old == &d->first ? NULL : old;
    t = parconc__load(&d->top, PARCONC__ACQUIRE);
    b = parconc__load(&d->bottom, PARCONC__RELAXED);
    for (i = t; i < b; i++) {
        parconc__task_ref *from = &old->slots[i & old->mask], *to = &nb->slots[i & nb->mask];
        parconc__store(&to->fn, parconc__load(&from->fn, PARCONC__RELAXED), PARCONC__RELAXED);
        parconc__store(&to->arg, parconc__load(&from->arg, PARCONC__RELAXED), PARCONC__RELAXED);
    }
    parconc__store(&d->buf, nb, PARCONC__RELEASE);
    d->top_seen = t;
    return 1;
}

/* Owner only: room for one push, growing the deque if it may. */
static int parconc__deque_room(parconc__deque *d, const parconc_allocator *alloc)
{
    return !parconc__deque_full(d) || parconc__deque_grow(d, alloc);
}

/* The deque's heap arrays (pool destroy). */
static void parconc__deque_free_arrays(parconc__deque *d, const parconc_allocator *alloc)
{
    parconc__deque_buf *a = d->buf, *older;
    for (; a && a != &d->first; a = older) {
        older = a->older;
        parconc__free_with(alloc, a);
    }
    d->buf = &d->first;
}

/* acquire: a thief that saw a bottom published after a growth sees the
   new array (the owner stored it before that bottom) */
static void parconc__deque_read(parconc__deque *d, intptr_t i, parconc__task_ref *out)
{
    parconc__deque_buf *buf = parconc__load(&d->buf, PARCONC__ACQUIRE);
    parconc__task_ref *s = &buf->slots[i & buf->mask];
    out->fn = parconc__load(&s->fn, PARCONC__RELAXED);
    out->arg = parconc__load(&s->arg, PARCONC__RELAXED);
}


static int parconc__deque_take(parconc__deque *d, parconc__task_ref *out)
{
    intptr_t b = parconc__load(&d->bottom, PARCONC__RELAXED) - 1, t;
    int got = 1;
    parconc__store(&d->bottom, b, PARCONC__RELAXED);
    parconc__fence(PARCONC__SEQ_CST);
    t = parconc__load(&d->top, PARCONC__RELAXED);
    if (t > b) { /* empty */
        parconc__store(&d->bottom, b + 1, PARCONC__RELAXED);
        return 0;
    }
    parconc__deque_read(d, b, out);
    if (t == b) { /* last one: race the thieves for it */
        if (!parconc__cas(&d->top, &t, t + 1, PARCONC__SEQ_CST, PARCONC__RELAXED)) got = 0;
        parconc__store(&d->bottom, b + 1, PARCONC__RELAXED);
    }
    return got;
}

static int parconc__deque_steal(parconc__deque *d, parconc__task_ref *out)
{
    intptr_t t = parconc__load(&d->top, PARCONC__ACQUIRE), b;
    parconc__fence(PARCONC__SEQ_CST);
    b = parconc__load(&d->bottom, PARCONC__ACQUIRE);
    if (t >= b) return 0;
    parconc__deque_read(d, t, out);
    return parconc__cas(&d->top, &t, t + 1, PARCONC__SEQ_CST, PARCONC__RELAXED);
}

/* A cheap look without fences, to skip take/steal (each has a seq_cst
   fence) on a deque with nothing in it.  It may miss a task pushed just
   now; idle workers re-check with parconc__deque_nonempty before they
   sleep, so nothing is missed for good. */
static int parconc__deque_looks_empty(parconc__deque *d)
{
    return parconc__load(&d->bottom, PARCONC__RELAXED) <= parconc__load(&d->top, PARCONC__RELAXED);
}

static int parconc__deque_nonempty(parconc__deque *d)
{
    return parconc__load(&d->bottom, PARCONC__SEQ_CST) > parconc__load(&d->top, PARCONC__SEQ_CST);
}

/* ---- submission ring (see the pool's header comment) ----
   A slot's seq says whose turn it is: pos for the producer of position
   pos, pos + 1 once entry pos is in it, pos + size after its consumer took
   it (the producer one lap later).  The tail/head CAS hands out positions;
   the release store of seq publishes fn/arg to the consumer (acquire) and
   the emptied slot back to the next producer.  Returns 0 when full. */
static int parconc__ring_push(parconc_pool *p, parconc_task_fn fn, void *arg)
{
    size_t pos = parconc__load(&p->ring_tail, PARCONC__RELAXED);
    for (;;) {
        parconc__ring_slot *s = &p->ring[pos & p->ring_mask];
        intptr_t dif = (intptr_t)(parconc__load(&s->seq, PARCONC__ACQUIRE) - pos);
        if (dif == 0) {
            if (parconc__cas_weak(&p->ring_tail, &pos, pos + 1, PARCONC__RELAXED, PARCONC__RELAXED)) {
                s->fn = fn;
                s->arg = arg;
                parconc__store(&s->seq, pos + 1, PARCONC__RELEASE);
                return 1;
            }
        } else if (dif < 0) {
            return 0; /* the slot still holds the entry one lap back: full */
        } else {
            pos = parconc__load(&p->ring_tail, PARCONC__RELAXED); /* another producer took pos */
        }
    }
}

/* Takes the oldest entry; 0 when empty (or its producer is still writing
   it: the caller sees ring_tail != ring_head and looks again). */
static int parconc__ring_pop(parconc_pool *p, parconc_task_fn *fn, void **arg)
{
    size_t pos = parconc__load(&p->ring_head, PARCONC__RELAXED);
    for (;;) {
        parconc__ring_slot *s = &p->ring[pos & p->ring_mask];
        intptr_t dif = (intptr_t)(parconc__load(&s->seq, PARCONC__ACQUIRE) - (pos + 1));
        if (dif == 0) {
            if (parconc__cas_weak(&p->ring_head, &pos, pos + 1, PARCONC__RELAXED, PARCONC__RELAXED)) {
                *fn = s->fn;
                *arg = s->arg;
                parconc__store(&s->seq, pos + p->ring_mask + 1, PARCONC__RELEASE);
                return 1;
            }
        } else if (dif < 0) {
            return 0;
        } else {
            pos = parconc__load(&p->ring_head, PARCONC__RELAXED);
        }
    }
}

/* Push for a submitter that may find the ring full.  While the workers
   keep taking entries, waiting for room is far cheaper than the list (a
   future, a lock and a shared counter per task); and it waits until half
   the ring is free, because a producer retrying on the very slot a worker
   is emptying makes both slow.  When no entry is taken for
   PARCONC__RING_PATIENCE rounds of 32 pauses it gives up (0): a submitter
   never waits on workers that are blocked, perhaps on what it does next. */
#define PARCONC__RING_PATIENCE 64
static int parconc__ring_push_patient(parconc_pool *p, parconc_task_fn fn, void *arg)
{
    while (!parconc__ring_push(p, fn, arg)) {
        size_t start = parconc__load(&p->ring_head, PARCONC__RELAXED), last = start, now;
        int quiet = 0, i;
        do {
            for (i = 0; i < 32; i++) parconc__cpu_relax();
            if ((quiet & 7) == 7) parconc_thread_yield(); /* a worker may need our core */
            if (parconc__load(&p->shutdown, PARCONC__RELAXED)) return 0; /* no waiting during shutdown */
            now = parconc__load(&p->ring_head, PARCONC__RELAXED);
            if (now != last) {
                last = now;
                quiet = 0;
            } else if (++quiet > PARCONC__RING_PATIENCE) {
                return 0;
            }
        } while (now - start <= p->ring_mask / 2);
    }
    return 1;
}

/* Is the oldest entry there to take?  Idle workers ask this in a loop, so
   it reads the head and the head's slot, never ring_tail: the tail's line
   then stays with the submitters instead of being pulled to every idle
   worker after each push.  An entry whose producer is still writing it
   reads as absent; that producer fences and looks for sleepers after
   publishing it (the no-lost-wake-up argument in the pool's comment).  A
   stale head shows a slot already taken (or refilled a lap later): read
   the head again. */
static int parconc__ring_ready(parconc_pool *p)
{
    size_t pos;
    if (!p->ring) return 0;
    pos = parconc__load(&p->ring_head, PARCONC__SEQ_CST);
    for (;;) {
        size_t seen = parconc__load(&p->ring[pos & p->ring_mask].seq, PARCONC__SEQ_CST), now;
        intptr_t dif = (intptr_t)(seen - (pos + 1));
        if (dif == 0) return 1;
        if (dif < 0) return 0;
        now = parconc__load(&p->ring_head, PARCONC__SEQ_CST);
        /* the taker moves the head before it frees the slot, so this
           cannot be; "yes" only makes the caller look again */
        if (now == pos) return 1;
        pos = now;
    }
}

/* Tasks submitted and not yet finished: out counts first, then in counts
   (see the pool's comment).  The fence pairs with the one each finisher
   makes after counting itself out (wait_idle's wake-up: either the
   finisher sees idle_waiters or this read sees its count).  O(threads). */
static size_t parconc__pool_in_flight(parconc_pool *p)
{
    size_t out, in;
    int i;
    parconc__fence(PARCONC__SEQ_CST);
    out = parconc__load(&p->pending_out, PARCONC__ACQUIRE) + parconc__load(&p->ring_dropped, PARCONC__ACQUIRE) +
          parconc__load(&p->spawn_dropped, PARCONC__ACQUIRE);
    for (i = 0; i < p->nthreads; i++)
        out += parconc__load(&p->workers[i].ring_done, PARCONC__ACQUIRE) +
               parconc__load(&p->workers[i].spawn_done, PARCONC__ACQUIRE);
    in = parconc__load(&p->pending_in, PARCONC__ACQUIRE) + (p->ring ? parconc__load(&p->ring_tail, PARCONC__ACQUIRE) : 0u);
    for (i = 0; i < p->nthreads; i++) in += parconc__load(&p->workers[i].spawned, PARCONC__ACQUIRE);
    return in - out;
}

/* No task queued or running.  First a cheap look at the pending counts
   alone: a task counted in and not out there means not idle now, and
   whoever finishes it checks again, so no wake-up is lost by stopping. */
static int parconc__pool_idle(parconc_pool *p)
{
    size_t out = parconc__load(&p->pending_out, PARCONC__ACQUIRE);
    if (parconc__load(&p->pending_in, PARCONC__ACQUIRE) != out) return 0;
    return parconc__pool_in_flight(p) == 0;
}

/* ---- injection queue (under inj_lock) ---- */
static void parconc__inj_push(parconc_pool *p, parconc_future *f)
{
    unsigned level = p->schedule == PARCONC_PRIORITY ? f->priority_ : 0u;
    parconc__list *l = &p->levels[level];
    parconc__store(&f->linked_, 1u, PARCONC__RELAXED); /* read without the lock: see parconc__run_awaited */
    if (p->schedule == PARCONC_LIFO) { /* push at the head, pop from the head */
        f->prev_ = NULL;
        f->next_ = l->head;
        if (l->head) l->head->prev_ = f; else l->tail = f;
        l->head = f;
    } else {
        f->next_ = NULL;
        f->prev_ = l->tail;
        if (l->tail) l->tail->next_ = f; else l->head = f;
        l->tail = f;
    }
    p->level_mask |= 1u << level;
    /* writers hold inj_lock: a plain increment, published atomically */
    parconc__store(&p->inj_count, p->inj_count + 1u, PARCONC__SEQ_CST);
}

/* linked_: 0 not on a list of the pool, 1 on a level list (queued),
   PARCONC__LINKED_WAITING on p->waiting (inputs not all terminal: it
   must not run yet, so nothing claims it there; see parconc__run_awaited). */
#define PARCONC__LINKED_WAITING 2u
#define PARCONC__LINKED_TIMED   3u  /* on p->timed: not due yet, nothing claims it either */

static void parconc__list_unlink(parconc__list *l, parconc_future *f)
{
    if (f->prev_) f->prev_->next_ = f->next_; else l->head = f->next_;
    if (f->next_) f->next_->prev_ = f->prev_; else l->tail = f->prev_;
    f->next_ = f->prev_ = NULL;
}

static void parconc__inj_unlink(parconc_pool *p, parconc_future *f)
{
    unsigned level = p->schedule == PARCONC_PRIORITY ? f->priority_ : 0u;
    if (f->linked_ == PARCONC__LINKED_WAITING || f->linked_ == PARCONC__LINKED_TIMED) {
        /* p->timer_next may now be early: a worker that wakes for it
           finds nothing due and looks again (parconc__timers_fire) */
        parconc__list_unlink(f->linked_ == PARCONC__LINKED_TIMED ? &p->timed : &p->waiting, f);
        parconc__store(&f->linked_, 0u, PARCONC__RELAXED);
        return;
    }
    parconc__list_unlink(&p->levels[level], f);
    if (!p->levels[level].head) p->level_mask &= ~(1u << level);
    parconc__store(&f->linked_, 0u, PARCONC__RELAXED);
    parconc__store(&p->inj_count, p->inj_count - 1u, PARCONC__RELAXED);
}

/* ---- delayed tasks ----
   p->timed holds them earliest first (a new one is placed from the tail:
   delays are mostly alike, so that is where it goes), and timer_next
   says when the head is due.  Workers fire due ones (parconc__timers_fire)
   before they look for a task, and an idle worker sleeps no later than
   timer_next.  No wake-up is lost: a submit that makes a new head stores
   timer_next, then bumps wake_seq and wakes the sleepers (seq_cst); a
   worker going to sleep reads wake_seq, then timer_next, then sleeps on
   wake_seq until timer_next: it sees the new head, or its futex_wait
   finds wake_seq changed, or it is woken. */
static int parconc__timed_insert(parconc_pool *p, parconc_future *f)
{
    parconc__list *l = &p->timed;
    parconc_future *after = l->tail;
    while (after && after->ext_.at_ > f->ext_.at_) after = after->prev_;
    parconc__store(&f->linked_, PARCONC__LINKED_TIMED, PARCONC__RELAXED);
    f->prev_ = after;
    f->next_ = after ? after->next_ : l->head;
    if (f->next_) f->next_->prev_ = f; else l->tail = f;
    if (after) after->next_ = f; else l->head = f;
    if (after) return 0;
    parconc__u64_set(&p->timer_next, f->ext_.at_); /* the new head */
    return 1;
}


static void parconc__waiting_push(parconc_pool *p, parconc_future *f)
{
    parconc__list *l = &p->waiting;
    parconc__store(&f->linked_, PARCONC__LINKED_WAITING, PARCONC__RELAXED);
    f->next_ = NULL;
    f->prev_ = l->tail;
    if (l->tail) l->tail->next_ = f; else l->head = f;
    l->tail = f;
}

/* Recycling: a worker keeps the heap futures of finished fire-and-forget
   tasks in its stash (no lock) and hands them to the pool's cache the next
   time it holds inj_lock anyway; submitters take from the stash (inside a
   task) or the cache (under the lock they take to queue).  This removes a
   malloc/free pair that crossed threads on every task. */
#define PARCONC__STASH_MAX 256
#define PARCONC__CACHE_MAX 4096
#define PARCONC__BATCH_MAX 16
static void parconc__pool_wake_one(parconc_pool *p);

/* Pops the next task and claims it (PENDING -> RUNNING) under the lock, so
   cancel() (which also takes the lock to unlink) can never race with it.
   Under FIFO a worker also moves a share of the queue (up to 16, not
   caller storage, in order) into its own deque, so the lock is taken once
   per batch. */
static parconc_future *parconc__inj_pop(parconc_pool *p, parconc__worker *w)
{
    parconc_future *f = NULL;
    intptr_t nb = 0;
    if (parconc__load(&p->inj_count, PARCONC__RELAXED) == 0) return NULL;
    parconc__ilock(&p->inj_lock);
    if (w->stash && p->cache_len < PARCONC__CACHE_MAX) {
        parconc_future *last = w->stash;
        while (last->next_) last = last->next_;
        last->next_ = p->node_cache;
        /* atomic store: submitters peek at node_cache without the lock */
        parconc__store(&p->node_cache, w->stash, PARCONC__RELAXED);
        p->cache_len += w->stash_len;
        w->stash = NULL;
        w->stash_len = 0;
    }
    if (p->level_mask) {
        unsigned level = parconc__highest_bit(p->level_mask); /* highest non-empty */
        f = p->levels[level].head;
        parconc__inj_unlink(p, f);
        parconc__future_move(f, PARCONC_PENDING, PARCONC_RUNNING); /* linked => PENDING */
        /* FIFO only: a claimed batch stays the oldest work, as FIFO wants;
           under LIFO it would run before tasks submitted after it */
        if (p->schedule == PARCONC_FIFO) {
            intptr_t room = w->deque.buf->mask + 1 - (parconc__load(&w->deque.bottom, PARCONC__RELAXED) -
                                                 parconc__load(&w->deque.top, PARCONC__RELAXED));
            intptr_t want = (intptr_t)(p->inj_count / (uint32_t)p->nthreads);
            if (want > PARCONC__BATCH_MAX) want = PARCONC__BATCH_MAX;
            if (want > room) want = room;
            /* oldest at the top: thieves and the owner (see find_task) both
               take batch tasks from the top, in queue order; pushed under
               the lock so no task is ever in neither place */
            while (nb < want && p->levels[0].head && !(p->levels[0].head->flags_ & PARCONC__F_CALLER)) {
                parconc_future *b = p->levels[0].head;
                parconc__inj_unlink(p, b);
                parconc__deque_push(&w->deque, NULL, b);
                nb++;
            }
            w->batch_left += (size_t)nb;
        }
    }
    parconc__mutex_unlock_raw(&p->inj_lock);
    if (nb) parconc__pool_wake_one(p); /* others may steal from us */
    return f;
}

/* ---- preallocated slots (caller-memory pools) ---- */
static void parconc__pool_node_free(parconc_pool *p, parconc_future *f)
{
    parconc__ilock(&p->inj_lock);
    f->next_ = p->free_nodes;
    p->free_nodes = f;
    parconc__mutex_unlock_raw(&p->inj_lock);
}

static parconc_future *parconc__pool_node_alloc(parconc_pool *p)
{
    parconc_future *f;
    parconc__ilock(&p->inj_lock);
    f = p->free_nodes;
    if (f) p->free_nodes = f->next_;
    parconc__mutex_unlock_raw(&p->inj_lock);
    return f;
}

/* ---- accounting and wake-ups ---- */

/* Wakes `n` sleepers, then notes the waker's CPU when note_cpu (see
   worker_main: a worker woken for a lone task onto that CPU sleeps instead
   of spinning there), else -1.  Only on the path that makes a wake-up
   system call anyway, and after the wake, so a wakee that preempts the
   waker does not wait for it.  A worker that looks before the store sees
   the previous waker's CPU: a hint either way, deciding only spin or
   sleep.  Wakes for parallel_for helpers, and a spinner's wake that
   spreads a burst, note no CPU: a loop's caller works through the loop
   itself and wants its helpers spinning for the next loop, as OpenMP's
   team does (back-to-back loops would otherwise pay a wake-up each). */
static void parconc__pool_futex_wake(parconc_pool *p, int n, int note_cpu)
{
    parconc__fetch_add(&p->wake_seq, 1u, PARCONC__SEQ_CST);
    parconc__futex_wake(&p->wake_seq, n);
#if PARCONC__OS_GETCPU
    parconc__store(&p->waker_cpu, note_cpu ? parconc__os_current_cpu() : -1, PARCONC__RELAXED);
#else
    (void)note_cpu;
#endif
}

/* Runs this thread on the CPU of the last thread that woke a sleeper? */
static int parconc__pool_beside_waker(parconc_pool *p)
{
#if PARCONC__OS_GETCPU
    int waker = parconc__load(&p->waker_cpu, PARCONC__RELAXED);
    return waker >= 0 && waker == parconc__os_current_cpu();
#else
    (void)p;
    return 0;
#endif
}

static void parconc__pool_wake_sleeper(parconc_pool *p)
{
    if (parconc__load(&p->sleepers, PARCONC__SEQ_CST)) parconc__pool_futex_wake(p, 1, 0);
}

/* After publishing `work` new units (tasks, or helper places of a loop):
   the spinners will find them; wake sleepers for the rest, with one call.
   The fence orders the publication before the two loads (see the no-lost-
   wake-up argument above). */
static void parconc__pool_wake(parconc_pool *p, size_t work, int note_cpu)
{
    uint32_t spinning, sleepers;
    parconc__fence(PARCONC__SEQ_CST);
    spinning = parconc__load(&p->spinning, PARCONC__SEQ_CST);
    if (work <= spinning) return;
    sleepers = parconc__load(&p->sleepers, PARCONC__SEQ_CST);
    if (sleepers) {
        size_t k = work - spinning;
        parconc__pool_futex_wake(p, k > (size_t)INT_MAX ? INT_MAX : (int)k, note_cpu);
    }
}

/* One task published (a submit, or queued tasks moved into a deque). */
static void parconc__pool_wake_one(parconc_pool *p)
{
    parconc__pool_wake(p, 1, 1);
}

/* Moves the delayed tasks that are due to the injection queue. */
static void parconc__timers_fire(parconc_pool *p)
{
    uint64_t now = parconc_now_ns();
    parconc_future *f;
    size_t moved = 0;
    if (now < parconc__u64_get(&p->timer_next)) return;
    parconc__ilock(&p->inj_lock);
    while ((f = p->timed.head) != NULL && f->ext_.at_ <= now) {
        parconc__list_unlink(&p->timed, f);
        parconc__inj_push(p, f); /* linked_ 1: queued */
        moved++;
    }
    parconc__u64_set(&p->timer_next, f ? f->ext_.at_ : PARCONC__DEADLINE_NEVER);
    parconc__mutex_unlock_raw(&p->inj_lock);
    if (moved > 1) parconc__pool_wake(p, moved - 1, 0); /* we take one ourselves */
}

static void parconc__pool_dequeued(parconc_pool *p)
{
    if (!p->capacity) return;
    parconc__fetch_sub(&p->queued, (size_t)1, PARCONC__RELAXED);
    if (parconc__load(&p->space_waiters, PARCONC__SEQ_CST)) {
        parconc__fetch_add(&p->space_seq, 1u, PARCONC__SEQ_CST);
        parconc__futex_wake(&p->space_seq, 1);
    }
}

/* wait_idle callers re-check after any wake-up, so a spare one is harmless */
static void parconc__pool_wake_idle(parconc_pool *p)
{
    parconc__fetch_add(&p->idle_seq, 1u, PARCONC__SEQ_CST);
    parconc__futex_wake(&p->idle_seq, INT_MAX);
}

/* After a count out: wakes wait_idle if the pool is idle now.  Called
   after a seq_cst fence (or seq_cst read-modify-write) that pairs with
   the one in parconc__pool_in_flight after wait_idle's idle_waiters
   increment: either it sees our count, or we see it waiting.  Of two
   workers finishing at once, the fences make at least one see both. */
static void parconc__pool_check_idle(parconc_pool *p)
{
    if (parconc__load(&p->idle_waiters, PARCONC__SEQ_CST) && parconc__pool_idle(p)) parconc__pool_wake_idle(p);
}

/* A task was counted out (its out count just stored or added). */
static void parconc__pool_counted_out(parconc_pool *p)
{
    parconc__fence(PARCONC__SEQ_CST);
    parconc__pool_check_idle(p);
}

/* A task counted in pending_in reached a terminal state (ran, failed or
   was canceled). */
static void parconc__pool_settled(parconc_pool *p)
{
    /* a seq_cst read-modify-write orders like the fence in counted_out
       (and is one on x86 and ARMv8), without paying for a second one */
    parconc__fetch_add(&p->pending_out, (size_t)1, PARCONC__SEQ_CST);
    parconc__pool_check_idle(p);
}

/* ---- hooks and tracing ----
   p->observe says whether anything watches the pool (one relaxed load
   per task; a change takes effect from the next task).  A trace is a
   buffer of events in caller memory, cut into one ring per worker (its
   own count, no shared write per event) and one for other threads (a
   shared fetch_add).  Stopping clears p->trace and waits until no thread
   is between reading it and finishing its event: a worker sets its
   trace_busy, another thread counts itself in trace_writers, then reads
   p->trace, all seq_cst; the stopper stores NULL, then reads every
   trace_busy and trace_writers, also seq_cst: either the writer sees
   NULL or the stopper sees the writer. */
#define PARCONC__OBSERVE_HOOKS 1u
#define PARCONC__OBSERVE_TRACE 2u
/* Trace timestamps in ticks: the time-stamp counter on x86 with GCC or
   clang (about a third of the monotonic clock's cost, and invariant on
   the CPUs that matter), converted to nanoseconds when the trace is
   written, from both clocks read at start and at stop; elsewhere the
   monotonic clock itself. */
#if PARCONC__OS_TRACE_TSC
#define PARCONC__TRACE_TICKS() ((uint64_t)__builtin_ia32_rdtsc())
#else
#define PARCONC__TRACE_TICKS() parconc_now_ns()
#endif
#define PARCONC__TRACE_TASK  0u
#define PARCONC__TRACE_CHUNK 1u

typedef struct parconc__trace_event {
    uint64_t begin, end;
    const char *name;
    int32_t worker;
    uint32_t kind;
} parconc__trace_event;

typedef struct parconc__trace {
    uint64_t origin, origin_ticks; /* parconc_now_ns() and ticks at start */
    uint64_t end, end_ticks;      /* the same at stop: ticks to ns */
    size_t capacity;              /* events in all */
    size_t part;                  /* events in each part: worker i uses part i, others the last */
    size_t others_next;           /* events the other threads put in (atomic, a ring) */
    parconc__trace_event events[1];
} parconc__trace;

static void parconc__trace_put(parconc__trace_event *e, int worker, const char *name, uint64_t begin, uint32_t kind)
{
    e->begin = begin;
    e->end = PARCONC__TRACE_TICKS();
    e->name = name;
    e->worker = worker;
    e->kind = kind;
}

/* w: the recording worker of p, or NULL (another thread: worker -1) */
static void parconc__trace_record(parconc_pool *p, parconc__worker *w, const char *name, uint64_t begin, uint32_t kind)
{
    parconc__trace *t;
    if (w) {
        parconc__store(&w->trace_busy, 1u, PARCONC__SEQ_CST);
        t = (parconc__trace *)parconc__load(&p->trace, PARCONC__SEQ_CST);
        if (t) {
            size_t i = w->trace_next++ % t->part;
            parconc__trace_put(&t->events[(size_t)w->index * t->part + i], w->index, name, begin, kind);
        }
        parconc__store(&w->trace_busy, 0u, PARCONC__RELEASE);
        return;
    }
    parconc__fetch_add(&p->trace_writers, 1u, PARCONC__SEQ_CST);
    t = (parconc__trace *)parconc__load(&p->trace, PARCONC__SEQ_CST);
    if (t) {
        size_t i = parconc__fetch_add(&t->others_next, (size_t)1, PARCONC__RELAXED) % t->part;
        parconc__trace_put(&t->events[(size_t)p->nthreads * t->part + i], -1, name, begin, kind);
    }
    parconc__fetch_sub(&p->trace_writers, 1u, PARCONC__RELEASE);
}

/* Around a task run by `worker` (-1: not one of p's workers): the hooks,
   and the trace's clock.  Returns the begin time (0: no trace). */
static PARCONC__NOINLINE uint64_t parconc__observe_begin(parconc_pool *p, uint32_t obs, int worker, const char *name)
{
    if ((obs & PARCONC__OBSERVE_HOOKS) && p->hooks.task_begin) p->hooks.task_begin(worker, name, p->hooks.user);
    return (obs & PARCONC__OBSERVE_TRACE) ? PARCONC__TRACE_TICKS() | 1u : 0u; /* never 0: "no trace" */
}
static PARCONC__NOINLINE void parconc__observe_end(parconc_pool *p, uint32_t obs, int worker, const char *name,
                                                   uint64_t begin)
{
    if (begin) parconc__trace_record(p, worker >= 0 ? &p->workers[worker] : NULL, name, begin, PARCONC__TRACE_TASK);
    if ((obs & PARCONC__OBSERVE_HOOKS) && p->hooks.task_end) p->hooks.task_end(worker, name, p->hooks.user);
}
static void parconc__hook_worker(parconc_pool *p, void (*hook)(int, void *), int worker)
{
    if ((parconc__load(&p->observe, PARCONC__RELAXED) & PARCONC__OBSERVE_HOOKS) && hook) hook(worker, p->hooks.user);
}

/* ---- running a task ---- */

/* The task this thread is running (NULL for one without a future, or
   outside tasks): what parconc_task_canceled() looks at. */
static PARCONC__THREAD_LOCAL const parconc_future *parconc__tls_task;

/* The reason f's token or its group's token fired, or OK. */
static int parconc__task_cancel_reason(const parconc_future *f)
{
    int r = PARCONC_OK;
    if (f->cancel_) r = parconc__cancel_reason(f->cancel_);
    if (!r && f->group_) r = parconc__cancel_reason(&f->group_->token_);
    return r;
}

/* f was just claimed (RUNNING): ECANCELED if its token (or its group's)
   fired while it was queued, then it ends CANCELED without running and
   is counted as canceled; else OK. */
static int parconc__claimed_canceled(parconc_pool *p, const parconc_future *f)
{
    if (!f->cancel_ && !f->group_) return PARCONC_OK;
    if (!parconc__task_cancel_reason(f)) return PARCONC_OK;
    parconc__fetch_add(&p->canceled, (size_t)1, PARCONC__RELAXED);
    return PARCONC_ECANCELED;
}

PARCONC_API int parconc_task_canceled(void)
{
    const parconc_future *f = parconc__tls_task;
    return f ? parconc__task_cancel_reason(f) : PARCONC_OK;
}

/* Calls fn(arg) as a task of worker w with the failure slot
   parconc_task_fail() writes to, and counts it.  Returns the error. */
static int parconc__call_task(parconc__worker *w, const parconc_future *f, parconc_task_fn fn, void *arg,
                              uint32_t flags, void **result)
{
    int error = PARCONC_OK, *saved_slot = parconc__tls_fail_slot;
    const parconc_future *saved_task = parconc__tls_task;
    parconc_pool *here = parconc__tls_here_pool; /* non-NULL only inside a task run by its submitter */
    uint32_t obs = parconc__load(&w->pool->observe, PARCONC__RELAXED);
    uint64_t begin = 0;
    parconc__store(&w->running, w->running + 1, PARCONC__RELAXED);
    parconc__tls_fail_slot = &error;
    parconc__tls_task = f;
    if (here) parconc__tls_here_pool = NULL;
    if (PARCONC__UNLIKELY(obs)) begin = parconc__observe_begin(w->pool, obs, w->index, f ? f->name_ : NULL);
    *result = fn(arg);
    if (PARCONC__UNLIKELY(obs)) parconc__observe_end(w->pool, obs, w->index, f ? f->name_ : NULL, begin);
    if (here) parconc__tls_here_pool = here;
    parconc__tls_task = saved_task;
    parconc__tls_fail_slot = saved_slot;
    parconc__store(&w->running, w->running - 1, PARCONC__RELAXED);
    if (!(flags & PARCONC__F_INTERNAL)) { /* parallel_for helpers count in tasks_run only */
        if (error) parconc__store(&w->failed, w->failed + 1, PARCONC__RELAXED);
        else parconc__store(&w->completed, w->completed + 1, PARCONC__RELAXED);
    }
    parconc__store(&w->tasks_run, w->tasks_run + 1, PARCONC__RELAXED);
    return error;
}

/* Runs a claimed (RUNNING) task to its terminal state. */
/* Calls fn(arg) as a task of p on a thread that is not one of p's
   workers (parconc_pool_current() answers p inside, and p's waits refuse
   to wait for it), counted in a stripe of p->here.  Returns the error. */
static int parconc__call_here(parconc_pool *p, const parconc_future *f, parconc_task_fn fn, void *arg,
                              uint32_t flags, void **result)
{
    int error = PARCONC_OK, *saved_slot = parconc__tls_fail_slot;
    const parconc_future *saved_task = parconc__tls_task;
    parconc_pool *saved_pool = parconc__tls_here_pool;
    parconc__here_frame frame;
    parconc__here_counts *c;
    uint32_t obs = parconc__load(&p->observe, PARCONC__RELAXED);
    uint64_t begin = 0;
    if (!parconc__tls_stripe)
        parconc__tls_stripe = 1u + parconc__fetch_add(&parconc__stripe_next, 1u, PARCONC__RELAXED) % PARCONC__HERE_STRIPES;
    c = &p->here[parconc__tls_stripe - 1u];
    frame.pool = p;
    frame.outer = parconc__tls_here_frames;
    parconc__tls_here_frames = &frame;
    parconc__tls_fail_slot = &error;
    parconc__tls_here_pool = p; /* parconc_pool_current() inside the task */
    parconc__tls_task = f;
    if (PARCONC__UNLIKELY(obs)) begin = parconc__observe_begin(p, obs, -1, f ? f->name_ : NULL);
    *result = fn(arg);
    if (PARCONC__UNLIKELY(obs)) parconc__observe_end(p, obs, -1, f ? f->name_ : NULL, begin);
    parconc__tls_task = saved_task;
    parconc__tls_here_pool = saved_pool;
    parconc__tls_here_frames = frame.outer;
    parconc__tls_fail_slot = saved_slot;
    if (!(flags & PARCONC__F_INTERNAL)) parconc__fetch_add(error ? &c->failed : &c->completed, (size_t)1, PARCONC__RELAXED);
    return error;
}

/* Runs a claimed (RUNNING) task and counts it out: on worker w of p, or,
   with w NULL, on a thread that claimed it in a wait (parconc__run_awaited;
   its counts go to p->here).  drop_ref: the pool's reference is ours to
   drop (it came off the injection list); a deque or ring entry that still
   points to f keeps it, and whoever takes that entry drops it. */
static void parconc__run_task_ex(parconc_pool *p, parconc__worker *w, parconc_future *f, int drop_ref)
{
    uint32_t flags = f->flags_, terminal;
    void *result = NULL;
    int hold;
    int error = parconc__claimed_canceled(p, f);
    if (error) {
        terminal = PARCONC_CANCELED; /* its token fired while it was queued */
    } else {
        error = w ? parconc__call_task(w, f, f->fn_, f->arg_, flags, &result)
                  : parconc__call_here(p, f, f->fn_, f->arg_, flags, &result);
        terminal = error ? (uint32_t)PARCONC_FAILED : (uint32_t)PARCONC_DONE;
    }
    f->result_ = error ? NULL : result;
    f->error_ = error;
    parconc__future_move(f, PARCONC_RUNNING, terminal | PARCONC__F_BUSY); /* only we move a RUNNING task */
    hold = parconc__future_fire(f);
    /* Counted out before BUSY goes: whoever returns from a wait on f finds
       the task out of flight.  A worker's `settling` (or p->claiming for
       another thread) covers the gap for wait_idle, which returns only
       once none is set, so after it every future is settled too.  Each is
       set before the count-out, which is a release store or a seq_cst RMW:
       a wait_idle that reads the count (acquire) sees it set.  settling is
       cleared with release after the BUSY exchange; claiming after our
       last access to p (a pool-slot future's release touches p), because
       wait_idle, and with it destroy, waits for it. */
    if (w) parconc__store(&w->settling, 1u, PARCONC__RELAXED);
    else parconc__fetch_add(&p->claiming, 1u, PARCONC__SEQ_CST);
    if (!(flags & PARCONC__F_RING)) {
        parconc__pool_settled(p);
    } else if (w) {
        parconc__store(&w->ring_done, w->ring_done + 1, PARCONC__RELEASE);
        w->idle_look_due = 1; /* see parconc__worker_idle_look */
    } else {
        parconc__fetch_add(&p->ring_dropped, (size_t)1, PARCONC__RELEASE); /* out of the ring, not run by a worker */
        parconc__pool_counted_out(p);
    }
    parconc__future_unbusy(f, terminal, 0);
    if (w) parconc__store(&w->settling, 0u, PARCONC__RELEASE);
    if (hold) parconc_future_release(f); /* a callback's release may have left ours the last */
    /* caller storage: the caller may reuse f as soon as BUSY cleared, so
       only the saved flags are used from here on */
    if (drop_ref && w && (flags & PARCONC__F_HEAP) && parconc__load(&f->refs_, PARCONC__ACQUIRE) == 1 &&
        w->stash_len < PARCONC__STASH_MAX) {
        /* ours is the only reference left (the user released theirs, or
           never had one): recycle instead of freeing (its callback nodes
           went when they ran) */
        f->next_ = w->stash;
        w->stash = f;
        w->stash_len++;
    } else if (drop_ref && !(flags & PARCONC__F_CALLER)) {
        parconc_future_release(f); /* the pool's reference */
    }
    if (!w) parconc__fetch_sub(&p->claiming, 1u, PARCONC__RELEASE);
}
static void parconc__run_task(parconc_pool *p, parconc__worker *w, parconc_future *f)
{
    parconc__run_task_ex(p, w, f, 1);
}

/* ---- caller-runs (desc.caller_runs_when_full) ----
   When the queue a submission would take is full (a bounded pool at
   capacity, the ring of a FIFO pool, a worker's own deque), the
   submitting thread runs the task itself before submit returns, instead
   of waiting for room: Java's CallerRunsPolicy, and what libgomp does
   with a task once 64 per thread are queued.  Producers then slow down to
   the pool's pace by doing its work, and a full ring is not fought over.
   A worker counts such a task as its own (a nested call); another thread
   counts it in a stripe of pool->here.  It is never counted in flight: like a
   submit call in progress, wait_idle does not wait for it.
   After the ring was found full, the thread runs its next
   PARCONC__HERE_BATCH submissions to that pool itself without looking at
   the ring again: probing a full ring touches the very slots the workers
   are emptying, which slows both sides. */
#define PARCONC__HERE_BATCH 64

static int parconc__here_batch_take(parconc_pool *p)
{
    if (parconc__tls_batch_pool != p || !parconc__tls_batch_left) return 0;
    parconc__tls_batch_left--;
    return 1;
}

static void parconc__here_batch_start(parconc_pool *p)
{
    parconc__tls_batch_pool = p;
    parconc__tls_batch_left = PARCONC__HERE_BATCH;
}

/* Runs fn(arg) (f: its future, PENDING and not yet visible to anyone
   else, or NULL) on the calling thread, not counted in or out. */
static void parconc__run_here(parconc_pool *p, parconc__worker *self, parconc_task_fn fn, void *arg, parconc_future *f)
{
    void *result = NULL;
    int error = PARCONC_OK;
    uint32_t terminal = PARCONC_DONE;
    if (f) {
        (void)parconc__future_move(f, PARCONC_PENDING, PARCONC_RUNNING); /* nobody else has it yet */
        error = parconc__claimed_canceled(p, f);
        if (error) terminal = PARCONC_CANCELED;
    }
    if (!error) {
        if (self) error = parconc__call_task(self, f, fn, arg, 0u, &result);
        else error = parconc__call_here(p, f, fn, arg, 0u, &result);
        if (error) terminal = PARCONC_FAILED;
    }
    if (f) {
        uint32_t flags = f->flags_;
        f->result_ = error ? NULL : result;
        f->error_ = error;
        parconc__future_move(f, PARCONC_RUNNING, terminal | PARCONC__F_BUSY);
        parconc__future_finish(f, terminal);
        if (!(flags & PARCONC__F_CALLER)) parconc_future_release(f); /* the pool's reference */
    }
}

/* ---- the worker: finding and running tasks ---- */

/* Runs (or drops, if its future was canceled) one entry taken from the
   ring, then counts it out. */
static void parconc__run_ring_entry(parconc_pool *p, parconc__worker *w, parconc_task_fn fn, void *arg)
{
    if (fn) {
        void *unused;
        (void)parconc__call_task(w, NULL, fn, arg, 0u, &unused);
    } else {
        parconc_future *f = (parconc_future *)arg;
        if (!parconc__future_move(f, PARCONC_PENDING, PARCONC_RUNNING)) {
            /* canceled while queued: cancel() counted it in ring_dropped;
               only the ring's (pool's) reference is left to drop */
            parconc_future_release(f);
            return;
        }
        parconc__run_task(p, w, f); /* counts it out */
        return;
    }
    parconc__store(&w->ring_done, w->ring_done + 1, PARCONC__RELEASE);
    w->idle_look_due = 1; /* see parconc__worker_idle_look */
}

/* A task without a future taken from a deque (a task's fire-and-forget
   submission): run it and count it out. */
static void parconc__run_spawned(parconc__worker *w, parconc_task_fn fn, void *arg)
{
    void *unused;
    (void)parconc__call_task(w, NULL, fn, arg, 0u, &unused);
    parconc__store(&w->spawn_done, w->spawn_done + 1, PARCONC__RELEASE);
    w->idle_look_due = 1; /* see parconc__worker_idle_look */
}

/* A worker that counted ring or deque entries out looks whether the pool
   went idle (and wakes wait_idle) only when it is about to stop taking
   tasks: before it spins or sleeps, parks, or joins a loop; not after
   every entry (a fence each).  Until then every task it takes was in
   flight, so the pool was not idle, and the one look afterwards comes
   after all its counts (the fence in counted_out orders them before its
   idle_waiters load).  A task run while helping inside a wait is
   covered too: the waiting task settles (and looks) after it. */
static void parconc__worker_idle_look(parconc_pool *p, parconc__worker *w)
{
    if (!w->idle_look_due) return;
    w->idle_look_due = 0;
    parconc__pool_counted_out(p);
}

/* A task taken from a deque: claim it, or drop it if it was canceled. */
static void parconc__run_or_drop(parconc_pool *p, parconc__worker *w, parconc_future *f)
{
    if (parconc__future_move(f, PARCONC_PENDING, PARCONC_RUNNING)) {
        parconc__run_task(p, w, f);
    } else {
        /* canceled while queued: cancel() did the accounting (and the idle
           look) except the pool's reference (deque tasks are never caller
           storage) */
        parconc_future_release(f);
    }
}

/* Looks for a task in the deques for worker w (only pool workers search):
   our own (queue-order batch first, then our children, newest first), then
   other workers' (their oldest first: batch tasks there are older than
   anything still in the ring or the injection queue). */
static int parconc__find_in_deques(parconc_pool *p, parconc__worker *w, parconc__task_ref *out)
{
    int i, n = p->nthreads;
    if (w->batch_left) {
        if (parconc__deque_steal(&w->deque, out)) { w->batch_left--; return 1; }
        w->batch_left = 0; /* stolen by others meanwhile */
    }
    if (!parconc__deque_looks_empty(&w->deque) && parconc__deque_take(&w->deque, out)) return 1;
    if (n > 1) {
        uint32_t start = (w->rng = w->rng * 1664525u + 1013904223u) >> 8; /* spread the thieves */
        for (i = 0; i < n; i++) {
            parconc__worker *v = &p->workers[(start + (uint32_t)i) % (uint32_t)n];
            if (v == w || parconc__deque_looks_empty(&v->deque)) continue;
            if (parconc__deque_steal(&v->deque, out)) {
                parconc__store(&w->steals, w->steals + 1, PARCONC__RELAXED);
                return 1;
            }
        }
    }
    return 0;
}

/* Finds and runs one task: deques, then the ring, then the injection
   queue (ring entries are older than anything in the list); returns 0 if
   there was none. */
static int parconc__run_one(parconc_pool *p, parconc__worker *w)
{
    parconc__task_ref t;
    parconc_future *f;
    parconc_task_fn fn;
    void *arg;
    if (parconc__find_in_deques(p, w, &t)) {
        parconc__pool_dequeued(p);
        if (t.fn) parconc__run_spawned(w, t.fn, t.arg);
        else parconc__run_or_drop(p, w, (parconc_future *)t.arg);
    } else if (p->ring && parconc__ring_pop(p, &fn, &arg)) {
        parconc__pool_dequeued(p);
        parconc__run_ring_entry(p, w, fn, arg);
    } else if ((f = parconc__inj_pop(p, w)) != NULL) {
        parconc__pool_dequeued(p);
        parconc__run_task(p, w, f);
    } else {
        return 0;
    }
    return 1;
}

static int parconc__pool_has_work(parconc_pool *p)
{
    int i;
    if (parconc__load(&p->inj_count, PARCONC__SEQ_CST)) return 1;
    if (parconc__ring_ready(p)) return 1;
    if (parconc__load(&p->loop_wanted, PARCONC__SEQ_CST)) return 1;
    for (i = 0; i < p->nthreads; i++)
        if (parconc__deque_nonempty(&p->workers[i].deque)) return 1;
    return 0;
}

static void parconc__worker_close_busy_span(parconc__worker *w)
{
    uint64_t since = parconc__u64_get(&w->busy_since);
    if (since) {
        parconc__u64_set(&w->busy_ns, parconc__u64_get(&w->busy_ns) + (parconc_now_ns() - since));
        parconc__u64_set(&w->busy_since, 0);
    }
}

/* ---- pause (parconc_pool_pause / resume) ----
   The pauser sets `paused` and waits until `parked` counts every worker.
   A worker checks `paused` (relaxed: a hint) before it looks for work and
   parks: parked++ (waking the pauser), sleep on `paused` while it is set,
   parked--.  It takes no task between its parked++ and parked--, and
   every task it took before came before its parked++ (release), so a
   pauser that sees parked == threads (acquire) knows no worker runs or
   will start a task until resume.  An idle worker is woken by the pause
   (wake_seq) and so parks too; one going to sleep re-checks `paused`
   after reading wake_seq, as it does the queues, so the wake cannot be
   lost.  Quick pause/resume/pause: a worker leaving its wait because of
   the resume may still be counted when the second pause reads `parked`;
   its parked-- and re-check of `paused` are seq_cst and come after that
   read in the total order, so it sees the new pause and parks again
   before taking anything. */
static void parconc__worker_park(parconc_pool *p, parconc__worker *w)
{
    parconc__worker_close_busy_span(w);
    do {
        parconc__fetch_add(&p->parked, 1u, PARCONC__SEQ_CST);
        parconc__futex_wake(&p->parked, INT_MAX);
        while (parconc__load(&p->paused, PARCONC__SEQ_CST) && !parconc__load(&p->stop, PARCONC__ACQUIRE))
            parconc__futex_wait(&p->paused, 1u, PARCONC__DEADLINE_NEVER);
        parconc__fetch_sub(&p->parked, 1u, PARCONC__SEQ_CST);
    } while (parconc__load(&p->paused, PARCONC__SEQ_CST) && !parconc__load(&p->stop, PARCONC__ACQUIRE));
}

/* ---- the worker loop ---- */

/* Out of work: spin a while, watching the queues, unless the rule below
   or the spinner limit says sleep at once.  Returns whether work (or a
   pause) turned up.  streak: tasks run since this worker last slept.
   Consumes w->woken (set by the last sleep), which the rule reads. */
static int parconc__worker_idle_spin(parconc_pool *p, parconc__worker *w, unsigned streak, int max_spinners)
{
    int spins, found = 0, lone = w->woken && streak == 1;
    uint64_t spin_end;
    w->woken = 0;
    if (lone && parconc__pool_beside_waker(p)) {
        /* We were woken, ran exactly one task (no loop work: see
           loop_participate) and run on the CPU of the thread that woke
           us (where Linux most often places a wakee): spinning would
           keep that thread, likely the submitter, off its CPU for the
           whole spin, and its submit call would return only after it.
           Sleep at once.  Only the spin is skipped: the sleep re-checks
           every queue after sleepers++, so a task published meanwhile is
           still found or wakes us (the no-lost-wake-up argument holds for
           a worker that never spun).  After a run of tasks (a stream), or
           after finding nothing (woken for a loop that ended before we
           came: the next may follow at once), the spin stays. */
        return 0;
    }
    if (parconc__load(&p->spinning, PARCONC__RELAXED) >= (uint32_t)max_spinners ||
        !parconc__spin_ok(PARCONC__IDLE_SPIN_NS))
        return 0;
    spin_end = parconc_now_ns() + PARCONC__IDLE_SPIN_NS;
    parconc__store(&w->idle_spins, w->idle_spins + 1, PARCONC__RELAXED);
    parconc__fetch_add(&p->spinning, 1u, PARCONC__SEQ_CST);
    for (spins = 1; !parconc__load(&p->stop, PARCONC__ACQUIRE); spins++) {
        if (parconc__pool_has_work(p) || parconc__load(&p->paused, PARCONC__RELAXED)) { found = 1; break; }
        parconc__cpu_relax();
        if ((spins & 31) == 0) {
            if (parconc_now_ns() > spin_end) break;
            if (streak > 1) parconc_thread_yield(); /* do not starve a submitter of its core */
        }
    }
    /* the last spinner leaving with work found: keep someone watching */
    if (parconc__fetch_sub(&p->spinning, 1u, PARCONC__SEQ_CST) == 1 && found) parconc__pool_wake_sleeper(p);
    return found;
}

/* Sleeps until woken or until the earliest delayed task is due.
   sleepers++ and the fence come before the last look at the queues, stop
   and pause; a publisher's fence comes before its look at sleepers
   (parconc__pool_wake).  So one of the two sees the other: the work is
   found here, or the publisher wakes us by bumping wake_seq, which the
   wait compares (the no-lost-wake-up argument in the pool's comment). */
static void parconc__worker_sleep(parconc_pool *p, parconc__worker *w)
{
    uint32_t seq;
    parconc__fetch_add(&p->sleepers, 1u, PARCONC__SEQ_CST);
    seq = parconc__load(&p->wake_seq, PARCONC__SEQ_CST);
    parconc__fence(PARCONC__SEQ_CST);
    if (!parconc__pool_has_work(p) && !parconc__load(&p->stop, PARCONC__ACQUIRE) &&
        !parconc__load(&p->paused, PARCONC__SEQ_CST)) {
        parconc__futex_wait(&p->wake_seq, seq, parconc__u64_get(&p->timer_next));
        w->woken = 1;
    }
    parconc__fetch_sub(&p->sleepers, 1u, PARCONC__SEQ_CST);
}

static void *parconc__worker_main(void *arg)
{
    parconc__worker *w = (parconc__worker *)arg;
    parconc_pool *p = w->pool;
    /* every idle worker may spin: back-to-back parallel loops then find
       their helpers awake, as OpenMP's spinning team does */
    int max_spinners = p->nthreads > 1 ? p->nthreads : 1;
    /* tasks run since this worker last slept: the idle spin yields its
       core only after two or more (a stream, whose submitter may need the
       core), not after a lone task.  A yield pushes the yielder's deadline
       back (EEVDF, Linux 6.6+), and a worker that yielded before it slept
       then failed to preempt a submitter that kept running after waking
       it: the task waited for the rest of the submitter's time slice
       (bench_pool's latency rows show it). */
    unsigned streak = 0;
    parconc__tls_worker = w;
    parconc__hook_worker(p, p->hooks.worker_start, w->index);
    for (;;) {
        if (parconc__pool_inherited(p)) break; /* a child that forked inside one of our tasks */
        /* a busy span opens when the worker starts looking for work and
           closes when it finds none: no clock read per task */
        if (parconc__load(&p->paused, PARCONC__RELAXED)) {
            parconc__worker_idle_look(p, w);
            parconc__worker_park(p, w);
            streak = 0;
            continue;
        }
        if (!parconc__u64_get(&w->busy_since)) parconc__u64_set(&w->busy_since, parconc_now_ns());
        if (parconc__load(&p->loop_wanted, PARCONC__RELAXED)) {
            parconc__worker_idle_look(p, w); /* a loop may keep us a while */
            if (parconc__pool_try_loop(p)) continue;
        }
        if (PARCONC__UNLIKELY(parconc__u64_get(&p->timer_next) != PARCONC__DEADLINE_NEVER)) parconc__timers_fire(p);
        if (parconc__run_one(p, w)) {
            streak++;
            continue;
        }
        /* out of work: close the busy span, spin briefly, then sleep */
        parconc__worker_idle_look(p, w);
        parconc__worker_close_busy_span(w);
        parconc__hook_worker(p, p->hooks.idle_begin, w->index);
        if (!parconc__worker_idle_spin(p, w, streak, max_spinners)) {
            if (parconc__load(&p->stop, PARCONC__ACQUIRE)) break;
            parconc__worker_sleep(p, w);
            streak = 0;
        }
        parconc__hook_worker(p, p->hooks.idle_end, w->index);
    }
    parconc__hook_worker(p, p->hooks.worker_stop, w->index);
    parconc__tls_worker = NULL;
    return NULL;
}

/* ---- create (destroy is with shutdown, below) ---- */
static int parconc__pool_resolve(const parconc_pool_desc *d, int *threads, size_t *deque_cap)
{
    int n = d ? d->threads : 0;
    size_t dc = d && d->deque_capacity ? d->deque_capacity : 256;
    if (n < 0 || n > PARCONC__POOL_MAX_THREADS) return PARCONC_EINVAL;
    if (d && (d->schedule < PARCONC_FIFO || d->schedule > PARCONC_PRIORITY)) return PARCONC_EINVAL;
    if ((dc & (dc - 1)) != 0 || dc > ((size_t)1 << 24)) return PARCONC_EINVAL;
    if (d && d->queue_capacity > ((size_t)1 << 30)) return PARCONC_EINVAL;
    *threads = n ? n : parconc_cpu_count();
    *deque_cap = dc;
    return PARCONC_OK;
}

#define PARCONC__ALIGN_UP(x) (((x) + (size_t)PARCONC_CACHELINE - 1) & ~((size_t)PARCONC_CACHELINE - 1))

/* Slots of the submission ring (FIFO pools only). */
static size_t parconc__pool_ring_size(const parconc_pool_desc *d)
{
    return d && d->schedule != PARCONC_FIFO ? 0 : (size_t)PARCONC_POOL_RING;
}

/* Sizes of the pieces of the one block the pool lives in. */
static size_t parconc__pool_layout(int threads, size_t deque_cap, size_t nodes, size_t ring, size_t *off_ring,
                                   size_t *off_workers, size_t *off_slots, size_t *off_nodes)
{
    size_t size = PARCONC__ALIGN_UP(sizeof(parconc_pool));
    *off_ring = size;
    size += PARCONC__ALIGN_UP(sizeof(parconc__ring_slot) * ring);
    *off_workers = size;
    size += PARCONC__ALIGN_UP(sizeof(parconc__worker) * (size_t)threads);
    *off_slots = size;
    size += PARCONC__ALIGN_UP(sizeof(parconc__task_ref) * deque_cap * (size_t)threads);
    *off_nodes = size;
    size += sizeof(parconc_future) * nodes;
    return size + PARCONC_CACHELINE; /* room to align the start */
}

PARCONC_API size_t parconc_pool_memory_size(const parconc_pool_desc *desc)
{
    int threads;
    size_t dc, a, b, c, r;
    if (parconc__pool_resolve(desc, &threads, &dc) != PARCONC_OK) return 0;
    /* the size for caller memory, whether or not desc->memory is set yet */
    return parconc__pool_layout(threads, dc, desc ? desc->queue_capacity : 0, parconc__pool_ring_size(desc), &r, &a,
                                &b, &c);
}

static void parconc__pool_join(parconc_pool *p, int count)
{
    int i;
    /* seq_cst and the fence: pairs with parconc__pool_submitted */
    parconc__store(&p->stop, 1u, PARCONC__SEQ_CST);
    parconc__fence(PARCONC__SEQ_CST);
    parconc__fetch_add(&p->wake_seq, 1u, PARCONC__SEQ_CST);
    parconc__futex_wake(&p->wake_seq, INT_MAX);
    parconc__futex_wake(&p->paused, INT_MAX); /* parked workers check stop too */
    for (i = 0; i < count; i++) parconc_thread_join(p->workers[i].thread, NULL);
}

/* The pool's fields from the description, in the zeroed block at base. */
static parconc_pool *parconc__pool_init(unsigned char *base, unsigned char *block, const parconc_pool_desc *d,
                                        int threads)
{
    parconc_pool *p = (parconc_pool *)(void *)base; /* via void *: base is cache-line aligned */
    const char *nm = d->name && d->name[0] ? d->name : "parconc";
    size_t len = strlen(nm);
    p->memory_block = block;
    p->own_memory = d->memory == NULL;
    p->input_holds = 1;
    parconc__u64_set(&p->timer_next, PARCONC__DEADLINE_NEVER);
    p->alloc = d->allocator;
    p->nthreads = threads;
    /* a default pool has a worker per CPU; a loop adds its caller, so one
       worker sits out and the loop runs one thread per CPU, as an OpenMP
       team does.  A pool sized by the user runs all its workers + caller. */
    p->loop_team = d->threads == 0 && threads > 1 ? threads : threads + 1;
    p->schedule = d->schedule;
    p->capacity = d->queue_capacity;
    p->block_when_full = d->block_when_full;
    p->caller_runs = d->caller_runs_when_full != 0;
    if (d->hooks) {
        p->hooks = *d->hooks;
        if (p->hooks.worker_start || p->hooks.worker_stop || p->hooks.task_begin || p->hooks.task_end ||
            p->hooks.idle_begin || p->hooks.idle_end)
            p->observe = PARCONC__OBSERVE_HOOKS;
    }
    p->waker_cpu = -1;
    p->fork_gen = parconc__load(&parconc__fork_gen, PARCONC__RELAXED);
    if (len > sizeof p->name - 1) len = sizeof p->name - 1;
    memcpy(p->name, nm, len);
    return p;
}

/* The ring, the caller-memory task slots and each worker's first deque
   buffer, carved from the block at the offsets parconc__pool_layout gave
   (each offset keeps cache-line alignment). */
static void parconc__pool_carve(parconc_pool *p, unsigned char *base, size_t dc, size_t nodes, size_t ring,
                                size_t off_r, size_t off_w, size_t off_s, size_t off_n)
{
    size_t i;
    p->workers = (parconc__worker *)(void *)(base + off_w);
    if (ring) {
        p->ring = (parconc__ring_slot *)(void *)(base + off_r);
        p->ring_mask = ring - 1;
        for (i = 0; i < ring; i++) p->ring[i].seq = i; /* slot i: free for the push at position i */
    }
    for (i = 0; i < nodes; i++) { /* caller-memory slots for fire-and-forget */
        parconc_future *f = (parconc_future *)(void *)(base + off_n) + i;
        f->next_ = p->free_nodes;
        p->free_nodes = f;
    }
    for (i = 0; i < (size_t)p->nthreads; i++) {
        parconc__worker *w = &p->workers[i];
        w->pool = p;
        w->index = (int)i;
        w->rng = (uint32_t)i * 2654435761u + 1u;
        w->deque.first.slots = (parconc__task_ref *)(void *)(base + off_s) + i * dc;
        w->deque.first.mask = (intptr_t)dc - 1;
        w->deque.buf = &w->deque.first;
        w->deque.may_grow = p->own_memory && !p->caller_runs; /* caller-runs: the deque is a bound */
    }
}

/* "<pool name>-<i>" without stdio, into 32 bytes: the pool's name has at
   most 23, the index at most 4 digits (PARCONC__POOL_MAX_THREADS). */
static void parconc__worker_name(char *name, const char *pool_name, size_t i)
{
    char digits[12];
    int nd = 0;
    size_t len = strlen(pool_name);
    memcpy(name, pool_name, len);
    name[len] = '-';
    do { digits[nd++] = (char)('0' + i % 10); i /= 10; } while (i && nd < 11);
    while (nd) name[++len] = digits[--nd];
    name[len + 1] = '\0';
}

/* Starts every worker; on a failure joins those already started and
   returns the error. */
static int parconc__pool_start_workers(parconc_pool *p, const parconc_pool_desc *d)
{
    int i, rc;
    for (i = 0; i < p->nthreads; i++) {
        parconc_thread_opts o;
        char name[32];
        memset(&o, 0, sizeof o);
        parconc__worker_name(name, p->name, (size_t)i);
        o.name = name;
        o.stack_size = d->stack_size;
        o.priority = d->priority;
        rc = parconc_thread_create(&p->workers[i].thread, parconc__worker_main, &p->workers[i], &o);
        if (rc != PARCONC_OK) {
            parconc__pool_join(p, i);
            return rc;
        }
    }
    return PARCONC_OK;
}

PARCONC_API int parconc_pool_create(parconc_pool **out, const parconc_pool_desc *desc)
{
    parconc_pool_desc d;
    parconc_pool *p;
    size_t dc, size, off_r, off_w, off_s, off_n, nodes, ring;
    int threads, rc;
    unsigned char *block, *base;
    if (!out) return PARCONC_EINVAL;
    *out = NULL;
    if (desc) d = *desc; else memset(&d, 0, sizeof d);
    rc = parconc__pool_resolve(&d, &threads, &dc);
    if (rc != PARCONC_OK) return rc;
    if ((d.allocator.alloc_fn == NULL) != (d.allocator.free_fn == NULL)) return PARCONC_EINVAL;
    nodes = d.memory ? d.queue_capacity : 0;
    ring = parconc__pool_ring_size(&d);
    size = parconc__pool_layout(threads, dc, nodes, ring, &off_r, &off_w, &off_s, &off_n);
    if (d.memory) {
        if (d.memory_size < size) return PARCONC_EINVAL;
        block = (unsigned char *)d.memory;
    } else {
        block = (unsigned char *)parconc__alloc_with(&d.allocator, size);
        if (!block) return PARCONC_ENOMEM;
    }
    base = block + ((PARCONC_CACHELINE - ((uintptr_t)block % PARCONC_CACHELINE)) % PARCONC_CACHELINE);
    memset(base, 0, size - PARCONC_CACHELINE);
    p = parconc__pool_init(base, block, &d, threads);
    parconc__pool_carve(p, base, dc, nodes, ring, off_r, off_w, off_s, off_n);
    parconc__os_atfork_register();
    rc = parconc__pool_start_workers(p, &d);
    if (rc != PARCONC_OK) {
        if (p->own_memory) parconc__free_with(&p->alloc, block);
        return rc;
    }
    *out = p;
    return PARCONC_OK;
}

PARCONC_API int parconc_pool_threads(const parconc_pool *p)
{
    return p ? p->nthreads : PARCONC_EINVAL;
}

PARCONC_API parconc_pool *parconc_pool_current(void)
{
    if (parconc__tls_here_pool) return parconc__tls_here_pool; /* a task this thread runs for its submit */
    return parconc__tls_worker ? parconc__tls_worker->pool : NULL;
}

/* ---- submit ---- */
#define PARCONC__RUN_HERE 1 /* parconc__pool_reserve: full, and the caller runs the task */
static int parconc__pool_reserve(parconc_pool *p, int64_t timeout_ns)
{
    size_t q;
    uint64_t deadline;
    unsigned turn = 0;
    if (!p->capacity) return PARCONC_OK; /* unbounded: nothing to reserve */
    deadline = p->block_when_full && !p->caller_runs ? parconc__deadline(timeout_ns) : PARCONC__DEADLINE_NOW;
    for (;;) {
        uint32_t seq = parconc__load(&p->space_seq, PARCONC__SEQ_CST);
        q = parconc__load(&p->queued, PARCONC__RELAXED);
        while (q < p->capacity)
            if (parconc__cas_weak(&p->queued, &q, q + 1, PARCONC__RELAXED, PARCONC__RELAXED)) return PARCONC_OK;
        if (p->caller_runs) return PARCONC__RUN_HERE;
        if (deadline == PARCONC__DEADLINE_NOW) return p->block_when_full ? PARCONC_ETIMEDOUT : PARCONC_EAGAIN;
        if (parconc__load(&p->shutdown, PARCONC__ACQUIRE)) return PARCONC_ESHUTDOWN;
        if (parconc__tls_worker && parconc__tls_worker->pool == p) {
            /* a task waiting for room would block the room-maker: help */
            if (!parconc__run_one(p, parconc__tls_worker)) parconc__backoff(&turn);
        } else {
            /* the loop re-checks room and the deadline after any wake-up */
            parconc__fetch_add(&p->space_waiters, 1u, PARCONC__SEQ_CST);
            q = parconc__load(&p->queued, PARCONC__SEQ_CST);
            if (q >= p->capacity) parconc__futex_wait(&p->space_seq, seq, deadline);
            parconc__fetch_sub(&p->space_waiters, 1u, PARCONC__RELAXED);
        }
        if (deadline != PARCONC__DEADLINE_NEVER && parconc_now_ns() >= deadline) deadline = PARCONC__DEADLINE_NOW;
    }
}

static void parconc__pool_submitted(parconc_pool *p); /* shutdown section */

/* Where a submission goes, decided once.  here: run it on the caller
   (caller-runs, queue full).  ring: a FIFO pool's ring (from outside
   the pool, no caller storage, and only while the list is empty: FIFO
   order, see the pool's comment).  Otherwise a worker's own deque (a
   task's submission) or the injection list. */
typedef struct parconc__route {
    parconc__worker *self; /* the calling worker of p, or NULL */
    int here, ring;
} parconc__route;

static PARCONC__INLINE parconc__route parconc__submit_route(parconc_pool *p, const parconc_task_desc *task, int here)
{
    parconc__route r;
    r.self = parconc__tls_worker;
    if (r.self && r.self->pool != p) r.self = NULL;
    r.here = here;
    r.ring = !here && p->ring && !r.self && !task->storage && parconc__load(&p->inj_count, PARCONC__RELAXED) == 0;
    if (p->caller_runs && !here &&
        ((r.ring && parconc__here_batch_take(p)) ||
         /* only the owner pushes: a deque not full now stays so until our push */
         (r.self && p->schedule != PARCONC_PRIORITY && !task->storage && parconc__deque_full(&r.self->deque)))) {
        parconc__pool_dequeued(p); /* the reservation (bounded pools) */
        r.here = 1;
        r.ring = 0;
    }
    return r;
}

/* A ring push; when the ring is full a caller-runs pool switches to running
   its next submissions here (1: pushed). */
static int parconc__submit_ring_push(parconc_pool *p, parconc_task_fn fn, void *arg)
{
    if (p->caller_runs ? parconc__ring_push(p, fn, arg) : parconc__ring_push_patient(p, fn, arg)) return 1;
    if (p->caller_runs) {
        parconc__here_batch_start(p);
        parconc__pool_dequeued(p);
    }
    return 0;
}

/* A task without a future and without caller storage: run here, its
   worker's deque, or the ring, none needing a future.  1 if done (*rc
   set); 0 if it needs a future after all (the ring was full). */
static int parconc__submit_light(parconc_pool *p, parconc__route *r, const parconc_task_desc *task)
{
    if (r->here) {
        parconc__run_here(p, r->self, task->fn, task->arg, NULL);
        return 1;
    }
    /* only the owner pushes, so a deque not full now takes it */
    if (r->self && p->schedule != PARCONC_PRIORITY && parconc__deque_room(&r->self->deque, &p->alloc)) {
        parconc__store(&r->self->spawned, r->self->spawned + 1, PARCONC__RELAXED); /* published by the push */
        parconc__deque_push(&r->self->deque, task->fn, task->arg);
        parconc__pool_submitted(p);
        return 1;
    }
    if (r->ring) {
        if (parconc__submit_ring_push(p, task->fn, task->arg)) {
            parconc__pool_submitted(p);
            return 1;
        }
        if (p->caller_runs) {
            parconc__run_here(p, NULL, task->fn, task->arg, NULL);
            return 1;
        }
        r->ring = 0; /* full: a future on the list */
    }
    return 0;
}

/* A new heap future for p (its allocator copied in front when it has one). */
static parconc_future *parconc__pool_future_alloc(parconc_pool *p)
{
    char *block;
    if (!p->alloc.alloc_fn) return (parconc_future *)parconc__malloc(sizeof(parconc_future));
    block = (char *)parconc__alloc_with(&p->alloc, PARCONC__ALLOC_HDR + sizeof(parconc_future));
    if (!block) return NULL;
    memcpy(block, &p->alloc, sizeof p->alloc);
    return (parconc_future *)(void *)(block + PARCONC__ALLOC_HDR);
}

/* The future for a submission: caller storage, a recycled or new heap one,
   or one of the pool's preallocated slots; NULL: ENOMEM.  *locked: inj_lock
   is still held (a recycled future taken under it, going to the list). */
static PARCONC__INLINE parconc_future *parconc__submit_future(parconc_pool *p, const parconc__route *r,
                                                             const parconc_task_desc *task, int with_out, int *locked)
{
    parconc_future *f = NULL;
    *locked = 0;
    if (task->storage) {
        f = task->storage;
        parconc__future_setup(f, PARCONC__F_CALLER, 1);
    } else if (p->own_memory) {
        if (r->self && r->self->stash) { /* inside a task: reuse our own stash */
            f = r->self->stash;
            r->self->stash = f->next_;
            r->self->stash_len--;
        } else if (parconc__load(&p->node_cache, PARCONC__RELAXED)) {
            /* one lock round trip: take a recycled future and, later, queue
               it before letting go (the setup in between is a memset) */
            parconc__ilock(&p->inj_lock);
            *locked = 1;
            f = p->node_cache;
            if (f) { parconc__store(&p->node_cache, f->next_, PARCONC__RELAXED); p->cache_len--; }
            if (!f || r->ring || r->here || (r->self && p->schedule != PARCONC_PRIORITY)) { /* not going to the list */
                parconc__mutex_unlock_raw(&p->inj_lock);
                *locked = 0;
            }
        }
        if (!f) f = parconc__pool_future_alloc(p);
        if (f) parconc__future_setup(f, PARCONC__F_HEAP | (p->alloc.alloc_fn ? PARCONC__F_ALLOC_HDR : 0u),
                                     with_out ? 2u : 1u);
    } else {
        f = parconc__pool_node_alloc(p);
        if (f) parconc__future_setup(f, PARCONC__F_POOLNODE, with_out ? 2u : 1u);
    }
    if (!f) return NULL;
    f->fn_ = task->fn;
    f->arg_ = task->arg;
    f->pool_ = p;
    f->priority_ = (uint32_t)task->priority;
    f->name_ = task->name;
    return f;
}

/* A task with a future (or caller storage): the ring, run here, its
   worker's deque, or the injection list. */
/* What a submission adds to a plain task: a group, a continuation, or
   being a serial queue's (queued even without inputs: never run by the
   submitting thread, which holds the queue's lock). */
typedef struct parconc__ext {
    parconc_group *group;
    parconc_future *src;          /* a continuation's input (the caller retained it), or a
                                     serial task's predecessor (idem; NULL: the first) */
    parconc_then_fn then_fn;
    void *then_arg;
    int serial;
} parconc__ext;

/* A continuation's task function: the task being run (parconc__tls_task,
   set by whoever runs it) is the continuation itself. */
static void *parconc__then_call(void *arg)
{
    const parconc_future *f = parconc__tls_task;
    /* src is settled already, except when the continuation was chained
       from one of src's own callbacks: then it reads as settled on that
       thread only, and elsewhere once its callbacks are done */
    (void)parconc__future_await_ex(f->ext_.then_.src, PARCONC__DEADLINE_NEVER, 0);
    return f->ext_.then_.fn(f->ext_.then_.src, arg);
}

/* Fills in the parts of a new future beyond fn/arg, before it is
   published (queued, or registered with its inputs). */
static void parconc__future_extend(parconc_future *f, const parconc_task_desc *task, const parconc__ext *x)
{
    f->cancel_ = task->cancel;
    if (!x) return;
    f->group_ = x->group;
    if (x->serial) {
        f->flags_ |= PARCONC__F_SERIAL;
        f->ext_.then_.src = x->src;
    }
    if (x->then_fn) {
        f->flags_ |= PARCONC__F_THEN;
        f->ext_.then_.src = x->src;
        f->ext_.then_.fn = x->then_fn;
        f->fn_ = parconc__then_call;
        f->arg_ = x->then_arg;
    }
}

static PARCONC__INLINE int parconc__submit_with_future(parconc_pool *p, parconc__route *r,
                                                       const parconc_task_desc *task, const parconc__ext *x,
                                                       parconc_future **out)
{
    int locked;
    parconc_future *f = parconc__submit_future(p, r, task, out != NULL, &locked);
    if (!f) {
        parconc__pool_dequeued(p);
        return PARCONC_ENOMEM;
    }
    parconc__future_extend(f, task, x);
    if (r->ring) {
        f->flags_ |= PARCONC__F_RING;
        if (parconc__submit_ring_push(p, NULL, f)) {
            if (out) *out = f; /* out holds its own reference: f outlives the task */
            parconc__pool_submitted(p);
            return PARCONC_OK;
        }
        f->flags_ &= ~PARCONC__F_RING; /* full: the list (not published yet), or run here */
        if (p->caller_runs) r->here = 1;
    }
    if (r->here) {
        parconc__run_here(p, r->self, f->fn_, f->arg_, f);
        if (out) *out = f;
        return PARCONC_OK;
    }
    /* relaxed: the task is published after this (lock release or deque
       bottom release), so whoever counts it out comes after it */
    parconc__fetch_add(&p->pending_in, (size_t)1, PARCONC__RELAXED);
    if (!(r->self && p->schedule != PARCONC_PRIORITY && !(f->flags_ & PARCONC__F_CALLER) &&
          parconc__deque_room(&r->self->deque, &p->alloc) && parconc__deque_push(&r->self->deque, NULL, f))) {
        if (!locked) parconc__ilock(&p->inj_lock);
        parconc__inj_push(p, f);
        parconc__mutex_unlock_raw(&p->inj_lock);
    }
    if (out) *out = f;
    parconc__pool_submitted(p);
    return PARCONC_OK;
}


/* ---- tasks with inputs, tokens, groups ----
   A task with inputs (parconc_task_desc.after) is accepted at once:
   counted in pending_in (so wait_idle and shutdown wait for it, and a
   bounded pool's slot is reserved for it) and kept on p->waiting, where
   nothing runs it and cancel() and shutdown(CANCEL) find it.  deps_
   counts its inputs not yet terminal plus one that the submitter holds
   while it registers a callback on each input (so the count cannot reach
   0 before every registration was made).  Each registration holds a
   reference to the task.  The callback that takes deps_ to 0 moves the
   task to the queue it would have taken from outside the pool (under
   inj_lock, only if it is still on p->waiting: a canceled task was
   unlinked, and then nothing runs it).  No callback runs a task itself,
   so a chain of continuations never nests on one stack.
   The pool's block outlives that last callback: a waiting task may be
   canceled (cancel(), shutdown(CANCEL)) and the pool destroyed while its
   inputs are still pending, and the callback that later takes deps_ to 0
   still takes inj_lock to find the task gone (and a task in one of p's
   slots goes back to p when its last reference does).  Each registration
   holds p->input_holds from submit until its callback is done with p;
   destroy gives back the pool's own hold, and whoever gives back the last
   frees a heap block (a block in caller memory: destroy waits for the
   holds). */
/* One hold on p's block given back: the last one frees it (destroy gives
   back the pool's own; for caller memory destroy waits instead).  own is
   read before the count goes down: after it, p may be gone. */
static void parconc__pool_input_release(parconc_pool *p)
{
    int own = p->own_memory;
    parconc_allocator alloc = p->alloc;
    void *block = p->memory_block;
    uint32_t old = parconc__fetch_sub(&p->input_holds, 1u, PARCONC__ACQ_REL);
    if (old == 1u && own) parconc__free_with(&alloc, block);
    else if (old == 2u && !own) parconc__futex_wake(&p->input_holds, INT_MAX); /* a destroy waiting */
}

static void parconc__task_ready(parconc_future *t)
{
    parconc_pool *p = t->pool_;
    parconc__worker *w = parconc__tls_worker;
    int own, queued = 0;
    if (parconc__pool_inherited(p)) return; /* a child after fork: its lock is not ours */
    /* on one of p's workers the task goes to that worker's own deque, as
       a task's own submission would (a chain of continuations then runs
       depth-first on one worker, the others steal); only the owner
       pushes, so room found now is still there after the unlock */
    own = w && w->pool == p && p->schedule != PARCONC_PRIORITY && !(t->flags_ & PARCONC__F_CALLER) &&
          parconc__deque_room(&w->deque, &p->alloc);
    parconc__ilock(&p->inj_lock);
    if (t->linked_ == PARCONC__LINKED_WAITING) {
        parconc__list_unlink(&p->waiting, t);
        if (own) parconc__store(&t->linked_, 0u, PARCONC__RELAXED); /* never linked again */
        else parconc__inj_push(p, t); /* linked_ 1: queued (a wait may claim it now) */
        queued = 1;
    }
    parconc__mutex_unlock_raw(&p->inj_lock);
    if (!queued) return;
    /* a cancel() between the unlock and the push leaves it to whoever
       takes the entry (it finds t no longer PENDING), as for any deque entry */
    if (own) parconc__deque_push(&w->deque, NULL, t);
    parconc__pool_submitted(p);
}

static void parconc__serial_drop(parconc_future *f)
{
    if (!(f->flags_ & PARCONC__F_CALLER)) parconc_future_release(f); /* caller storage holds no reference */
}

/* A serial task settled (from its fire).  Its turn came (deps_ 0: its
   input reported) or it was canceled with its turn still ahead.  In the
   first case everything before it has settled and it lets go of its
   predecessor; in the second it keeps it, for the task after it to wait
   on (parconc__serial_step_back).  The decision and every change of a
   serial task's predecessor happen under inj_lock. */
static void parconc__serial_settle(parconc_future *f)
{
    parconc_pool *p = f->pool_;
    parconc_future *pred = NULL;
    parconc__ilock(&p->inj_lock);
    if (f->ext_.then_.src && parconc__load(&f->deps_, PARCONC__ACQUIRE) == 0) {
        pred = f->ext_.then_.src;
        f->ext_.then_.src = NULL;
    }
    parconc__mutex_unlock_raw(&p->inj_lock);
    if (pred) parconc__serial_drop(pred);
}

/* Task t's predecessor (its input) ended CANCELED.  If that happened
   before its turn it still holds the task before it, and t must wait for
   that one instead: t takes over the first task back along the chain that
   is not a settled early cancel (skipping those, without recursion), and
   its caller registers t on it with t's own link (the registration's
   reference to t and its hold on p carry over).  Only while t still waits (a cancel() of
   t changes it only under inj_lock); the tasks skipped have settled, so
   their fires are done, and the references along the chain keep each
   alive until we drop it.  Returns the task t waits on now, or NULL: go
   on as usual. */
static parconc_future *parconc__serial_step_back(parconc_future *t)
{
    parconc_pool *p = t->pool_;
    parconc_future *pred, *earlier = NULL, *x;
    parconc__ilock(&p->inj_lock);
    pred = t->ext_.then_.src;
    if (t->linked_ == PARCONC__LINKED_WAITING && pred && pred->ext_.then_.src) {
        earlier = pred->ext_.then_.src;
        for (;;) {
            uint32_t st = parconc__load(&earlier->state_, PARCONC__ACQUIRE);
            if ((st & (PARCONC__F_STATE_MASK | PARCONC__F_BUSY)) != PARCONC_CANCELED || !earlier->ext_.then_.src) break;
            earlier = earlier->ext_.then_.src; /* a settled early cancel: skip it */
        }
        t->ext_.then_.src = earlier; /* the reference on it is t's now (see below) */
    }
    parconc__mutex_unlock_raw(&p->inj_lock);
    if (!earlier) return NULL;
    /* drop what t held (pred) and what each skipped task held, except the
       reference on `earlier`, which moved to t; nobody else reads these
       fields any more */
    x = pred;
    while (x != earlier) {
        parconc_future *next = x->ext_.then_.src;
        x->ext_.then_.src = NULL;
        parconc__serial_drop(x);
        x = next;
    }
    return earlier;
}

static void parconc__task_input_done(parconc_future_link *link, uint32_t state, int error)
{
    parconc_future *t = link->target_;
    parconc_pool *p = t->pool_;
    (void)error;
    /* a serial task's predecessor canceled before its turn: wait for the
       one before that instead (the registration, its reference and its
       hold on p carry over) */
    if ((t->flags_ & PARCONC__F_SERIAL) && state == PARCONC_CANCELED) {
        parconc_future *earlier = parconc__serial_step_back(t);
        if (earlier) {
            parconc__on_settled(earlier, link); /* t's own link (serial tasks use nothing else) */
            return;
        }
    }
    parconc__link_free(link);
    /* acq_rel: the last one to count sees every input's outcome */
    if (parconc__fetch_sub(&t->deps_, 1u, PARCONC__ACQ_REL) == 1u) parconc__task_ready(t);
    parconc_future_release(t); /* the registration's reference (a pool slot goes back to p) */
    parconc__pool_input_release(p); /* our last access to p */
}

/* Where the links of n registrations come from: the caller's array, else
   `first` (the target's own dep_link_) for input 0 and allocated ones for
   the rest, allocated up front (so a failure leaves nothing registered)
   and kept on a chain until used. */
typedef struct parconc__links {
    parconc_future_link *caller, *first, *spare;
} parconc__links;

static void parconc__links_drop(parconc__links *L)
{
    while (L->spare) {
        parconc_future_link *next = L->spare->next_;
        parconc__free(L->spare);
        L->spare = next;
    }
}

static int parconc__links_prepare(parconc__links *L, parconc_future_link *caller, parconc_future_link *first,
                                  size_t n)
{
    size_t i;
    L->caller = caller;
    L->first = first;
    L->spare = NULL;
    if (caller) return PARCONC_OK;
    for (i = first ? 1u : 0u; i < n; i++) {
        parconc_future_link *l = (parconc_future_link *)parconc__malloc(sizeof *l);
        if (!l) { parconc__links_drop(L); return PARCONC_ENOMEM; }
        l->next_ = L->spare;
        L->spare = l;
    }
    return PARCONC_OK;
}

static parconc_future_link *parconc__links_take(parconc__links *L, size_t i)
{
    parconc_future_link *l;
    if (L->caller) { l = &L->caller[i]; l->kind_ = PARCONC__LINK_CALLER; return l; }
    if (i == 0 && L->first) { l = L->first; l->kind_ = PARCONC__LINK_CALLER; return l; }
    l = L->spare;
    L->spare = l->next_;
    l->kind_ = PARCONC__LINK_LIB;
    return l;
}

/* Registers a link on each of n inputs: settled(link, ...) runs once that
   input settled.  Each registration holds a reference to target, which
   settled() drops. */
static void parconc__links_register(parconc_future *const *inputs, size_t n, parconc__links *L,
                                    parconc_future *target,
                                    void (*settled)(parconc_future_link *, uint32_t, int))
{
    size_t i;
    for (i = 0; i < n; i++) {
        parconc_future_link *l = parconc__links_take(L, i);
        l->target_ = target;
        l->index_ = (uint32_t)i;
        l->settled_ = settled;
        parconc_future_retain(target);
        parconc__on_settled(inputs[i], l);
    }
}

/* A task with inputs: accepted now, on p->waiting until they are done. */
static int parconc__submit_waiting(parconc_pool *p, const parconc_task_desc *task, const parconc__ext *x,
                                   parconc_future *const *inputs, size_t n, parconc_future **out)
{
    parconc__route r;
    parconc__links L;
    parconc_future *f;
    int locked, rc;
    r.self = NULL; /* always through the injection list, where cancel() finds it */
    r.here = r.ring = 0;
    f = parconc__submit_future(p, &r, task, out != NULL, &locked);
    rc = f ? parconc__links_prepare(&L, task->after_links, &f->dep_link_, n) : PARCONC_ENOMEM;
    if (rc != PARCONC_OK) {
        if (locked) parconc__mutex_unlock_raw(&p->inj_lock);
        if (f) { f->refs_ = 1; parconc_future_release(f); }
        parconc__pool_dequeued(p);
        return rc;
    }
    parconc__future_extend(f, task, x);
    f->deps_ = (uint32_t)n + 1u;
    if (!locked) parconc__ilock(&p->inj_lock);
    parconc__fetch_add(&p->pending_in, (size_t)1, PARCONC__RELAXED); /* published by the unlock */
    parconc__fetch_add(&p->input_holds, (uint32_t)n, PARCONC__RELAXED); /* one per registration; p is alive */
    parconc__waiting_push(p, f);
    parconc__mutex_unlock_raw(&p->inj_lock);
    if (out) *out = f;
    parconc__links_register(inputs, n, &L, f, parconc__task_input_done);
    if (parconc__fetch_sub(&f->deps_, 1u, PARCONC__ACQ_REL) == 1u) parconc__task_ready(f);
    parconc__pool_submitted(p); /* a shutdown that raced with us: see there */
    return PARCONC_OK;
}

/* A delayed task: accepted now, on p->timed until it is due. */
static int parconc__submit_timed(parconc_pool *p, const parconc_task_desc *task, const parconc__ext *x,
                                 parconc_future **out)
{
    parconc__route r;
    parconc_future *f;
    int locked, head;
    r.self = NULL; /* due tasks go to the injection list, where cancel() finds them */
    r.here = r.ring = 0;
    f = parconc__submit_future(p, &r, task, out != NULL, &locked);
    if (!f) {
        if (locked) parconc__mutex_unlock_raw(&p->inj_lock);
        parconc__pool_dequeued(p);
        return PARCONC_ENOMEM;
    }
    parconc__future_extend(f, task, x);
    f->ext_.at_ = parconc__deadline(task->delay_ns);
    if (!locked) parconc__ilock(&p->inj_lock);
    parconc__fetch_add(&p->pending_in, (size_t)1, PARCONC__RELAXED); /* published by the unlock */
    head = parconc__timed_insert(p, f);
    parconc__mutex_unlock_raw(&p->inj_lock);
    if (out) *out = f;
    if (head) { /* sleepers must sleep no later than this one: see "delayed tasks" */
        parconc__fetch_add(&p->wake_seq, 1u, PARCONC__SEQ_CST);
        if (parconc__load(&p->sleepers, PARCONC__SEQ_CST)) parconc__futex_wake(&p->wake_seq, INT_MAX);
    }
    parconc__pool_submitted(p); /* a shutdown that raced with us: see there */
    return PARCONC_OK;
}

/* Submission of a task with a token, inputs, a group or a continuation:
   always with a future (the pool keeps what it needs there). */
static PARCONC__NOINLINE int parconc__submit_ext(parconc_pool *p, const parconc_task_desc *task,
                                                 const parconc__ext *x, parconc_future **out)
{
    int one = x && (x->then_fn || (x->serial && x->src)); /* the input is x->src */
    parconc_future *const *inputs = one ? &x->src : task->after;
    size_t i, n = one ? 1u : (x && x->serial ? 0u : task->after_count);
    parconc__route r;
    int rc;
    if (out) *out = NULL;
    if (n && !inputs) return PARCONC_EINVAL;
    for (i = 0; i < n; i++) if (!inputs[i]) return PARCONC_EINVAL;
    if (n > PARCONC__G_COUNT) return PARCONC_EINVAL;
    if (task->delay_ns < 0 || (task->delay_ns && (n || (x && (x->serial || x->then_fn))))) return PARCONC_EINVAL;
    if (parconc__pool_inherited(p)) return PARCONC_ESHUTDOWN;
    if (task->priority < 0 || task->priority >= PARCONC_PRIORITY_LEVELS) return PARCONC_EINVAL;
    if (parconc__load(&p->shutdown, PARCONC__ACQUIRE)) return PARCONC_ESHUTDOWN;
    rc = parconc__pool_reserve(p, task->timeout_ns);
    if (rc != PARCONC_OK && rc != PARCONC__RUN_HERE) return rc;
    if (n || (x && x->serial) || task->delay_ns) {
        /* a waiting or delayed task holds a slot even past the capacity:
           it cannot run here (not yet) nor wait for room later */
        if (rc == PARCONC__RUN_HERE) parconc__fetch_add(&p->queued, (size_t)1, PARCONC__RELAXED);
        if (task->delay_ns) return parconc__submit_timed(p, task, x, out);
        return parconc__submit_waiting(p, task, x, inputs, n, out);
    }
    r = parconc__submit_route(p, task, rc == PARCONC__RUN_HERE);
    return parconc__submit_with_future(p, &r, task, x, out);
}

PARCONC_API int parconc_pool_submit_ex(parconc_pool *p, const parconc_task_desc *task, parconc_future **out)
{
    parconc__route r;
    int rc;
    if (out) *out = NULL;
    if (!p || !task || !task->fn) return PARCONC_EINVAL;
    if (parconc__pool_inherited(p)) return PARCONC_ESHUTDOWN; /* a child after fork: no workers there */
    if (task->priority < 0 || task->priority >= PARCONC_PRIORITY_LEVELS) return PARCONC_EINVAL;
    if (task->cancel || task->after_count || task->delay_ns || task->name) return parconc__submit_ext(p, task, NULL, out);
    if (parconc__load(&p->shutdown, PARCONC__ACQUIRE)) return PARCONC_ESHUTDOWN;
    rc = parconc__pool_reserve(p, task->timeout_ns);
    if (rc != PARCONC_OK && rc != PARCONC__RUN_HERE) return rc;
    r = parconc__submit_route(p, task, rc == PARCONC__RUN_HERE);
    if (!out && !task->storage && parconc__submit_light(p, &r, task)) return PARCONC_OK;
    return parconc__submit_with_future(p, &r, task, NULL, out);
}

/* Queues `count` tasks fn(arg) in caller storage with one lock round trip
   and one wake-up call for as many sleepers as the spinners cannot cover
   (parallel_for's helpers).  Returns how many were queued. */
static size_t parconc__pool_submit_many(parconc_pool *p, parconc_task_fn fn, void *arg, parconc_future *storage, size_t count)
{
    size_t i, n = 0;
    if (parconc__load(&p->shutdown, PARCONC__ACQUIRE)) return 0;
    while (n < count && parconc__pool_reserve(p, -1) == PARCONC_OK) n++; /* bounded pool: fewer */
    if (!n) return 0;
    for (i = 0; i < n; i++) {
        parconc__future_setup(&storage[i], PARCONC__F_CALLER | PARCONC__F_INTERNAL, 1);
        storage[i].fn_ = fn;
        storage[i].arg_ = arg;
        storage[i].pool_ = p;
    }
    parconc__fetch_add(&p->pending_in, n, PARCONC__RELAXED);
    parconc__ilock(&p->inj_lock);
    for (i = 0; i < n; i++) parconc__inj_push(p, &storage[i]);
    parconc__mutex_unlock_raw(&p->inj_lock);
    parconc__pool_wake(p, n, 0); /* parallel_for's helpers */
    return n;
}

/* The desc of the plain submit functions: fn(arg), defaults otherwise;
   timeout_ns for room (a bounded blocking pool, a group at its limit). */
static void parconc__task_plain(parconc_task_desc *t, parconc_task_fn fn, void *arg, int64_t timeout_ns)
{
    memset(t, 0, sizeof *t);
    t->fn = fn;
    t->arg = arg;
    t->timeout_ns = timeout_ns;
}

PARCONC_API int parconc_pool_submit_after(parconc_pool *p, int64_t delay_ns, parconc_task_fn fn, void *arg,
                                          parconc_future **out)
{
    parconc_task_desc t;
    if (out) *out = NULL;
    if (delay_ns <= 0) return PARCONC_EINVAL;
    parconc__task_plain(&t, fn, arg, PARCONC_FOREVER);
    t.delay_ns = delay_ns;
    return parconc_pool_submit_ex(p, &t, out);
}

PARCONC_API int parconc_pool_submit(parconc_pool *p, parconc_task_fn fn, void *arg, parconc_future **out)
{
    parconc_task_desc t;
    parconc__task_plain(&t, fn, arg, PARCONC_FOREVER); /* a full blocking pool: wait for room */
    return parconc_pool_submit_ex(p, &t, out);
}

/* ---- cancel ---- */
/* The rest of a cancel once the PENDING -> CANCELED|BUSY transition (and,
   `unlinked`, the removal from the injection list) happened under
   inj_lock: counters, callbacks and waiters, references, the pool. */
static void parconc__cancel_settle(parconc_pool *p, parconc_future *f, int unlinked)
{
    uint32_t flags = f->flags_; /* written before the future is queued and never after */
    f->error_ = PARCONC_ECANCELED;
    if (p) {
        if (!(flags & PARCONC__F_INTERNAL)) parconc__fetch_add(&p->canceled, (size_t)1, PARCONC__RELAXED);
        if (unlinked) parconc__pool_dequeued(p);
    }
    /* A deque or the ring still points at a non-caller future: the worker
       that takes it drops the pool's reference then.  An unlinked one is
       ours to drop after finish (never for caller storage, which has no
       pool reference).  Settle the pool last: wait_idle may return right
       after. */
    parconc__future_finish(f, PARCONC_CANCELED);
    if (p) {
        if (unlinked && !(flags & PARCONC__F_CALLER)) parconc_future_release(f);
        if (flags & PARCONC__F_RING) {
            parconc__fetch_add(&p->ring_dropped, (size_t)1, PARCONC__RELEASE);
            parconc__pool_counted_out(p);
        } else {
            parconc__pool_settled(p);
        }
    }
}

/* Someone else canceled f: return once its callbacks have run (a settled
   future is no longer touched, so its storage may be reused), without
   running other tasks meanwhile.  From one of f's own callbacks: at once. */
static int parconc__cancel_already(parconc_future *f)
{
    return parconc__future_await_ex(f, PARCONC__DEADLINE_NEVER, 0);
}

PARCONC_API int parconc_future_cancel(parconc_future *f)
{
    parconc_pool *p;
    int unlinked = 0;
    uint32_t s;
    if (!f) return PARCONC_EINVAL;
    s = parconc__load(&f->state_, PARCONC__ACQUIRE) & PARCONC__F_STATE_MASK;
    if (s == PARCONC_CANCELED) return parconc__cancel_already(f);
    if (s != PARCONC_PENDING) return PARCONC_EBUSY;
    p = f->pool_;
    if (p && parconc__pool_inherited(p)) return PARCONC_ESHUTDOWN; /* a child after fork: its lock is not ours */
    if (p) parconc__ilock(&p->inj_lock);
    if (!parconc__future_transition(f, PARCONC_PENDING, PARCONC_CANCELED)) {
        if (p) parconc__mutex_unlock_raw(&p->inj_lock);
        s = parconc__load(&f->state_, PARCONC__ACQUIRE) & PARCONC__F_STATE_MASK;
        return s == PARCONC_CANCELED ? parconc__cancel_already(f) : PARCONC_EBUSY;
    }
    if (p && f->linked_) { parconc__inj_unlink(p, f); unlinked = 1; }
    if (p) parconc__mutex_unlock_raw(&p->inj_lock);
    parconc__cancel_settle(p, f, unlinked);
    return PARCONC_OK;
}

/* ---- waiting ---- */

/* ---- what a wait runs ----
   A wait never runs a task unrelated to what it waits for, except one
   case, and never anything when it has a deadline (it returns by it):
     - an untimed future_wait/get (or wait_all) inside a task or a loop
       body, for a pool task's future that is still queued, claims that
       task (PENDING -> RUNNING, as a worker would) and runs it on the
       waiting thread, whatever the pool: fork-join never deadlocks, on a
       pool of one thread, across pools, or from a RESPAWN thread.  A
       thread outside any task only sleeps: its tasks run on the pool's
       threads, as it asked;
     - an untimed wait on one of the pool's own workers for a task future
       that runs elsewhere also runs other queued tasks of that pool
       meanwhile (help-while-waiting), up to PARCONC_HELP_DEPTH such waits
       nested on one stack; deeper ones only sleep.  A task run this way
       that blocks holds up the wait under it until it returns;
     - waits on promises (futures without a task) only sleep: helping there
       could bury the waiter under a task that waits for what the waiter
       does next. */
#ifndef PARCONC_HELP_DEPTH
#define PARCONC_HELP_DEPTH 16
#endif

/* Is this thread running a task (on a worker, or one it runs for its own
   submission or claimed in a wait) or a loop body? */
static int parconc__inside_task(void)
{
    return parconc__tls_worker || parconc__tls_here_frames || parconc__in_loop_body();
}

/* The awaited task is still queued: claim it and run it here.  1 if we
   ran it; 0 if it was no longer queued (or is a promise).  The claim and a
   removal from the injection list happen under inj_lock, as cancel() does;
   a deque or ring entry pointing to f stays, and whoever takes it finds f
   no longer PENDING and drops the pool's reference. */
static int parconc__run_awaited(parconc_future *f)
{
    parconc_pool *p = f->pool_;
    parconc__worker *w = parconc__tls_worker;
    int unlinked = 0;
    if (!p || !f->fn_) return 0;
    if (!parconc__load(&f->linked_, PARCONC__RELAXED)) {
        /* In a deque or the ring (the fork-join case: our own child): the
           CAS is the whole claim.  A future is linked once, when it is
           submitted, before anyone else holds it, so 0 here cannot be a
           link we do not see yet; after an unlink it is never linked
           again. */
        if (!parconc__future_move(f, PARCONC_PENDING, PARCONC_RUNNING)) return 0;
    } else {
        parconc__ilock(&p->inj_lock);
        if (f->linked_ >= PARCONC__LINKED_WAITING || !parconc__future_move(f, PARCONC_PENDING, PARCONC_RUNNING)) {
            parconc__mutex_unlock_raw(&p->inj_lock); /* its inputs are not all done: not ours to run */
            return 0;
        }
        if (f->linked_) { parconc__inj_unlink(p, f); unlinked = 1; }
        parconc__mutex_unlock_raw(&p->inj_lock);
        if (unlinked) parconc__pool_dequeued(p);
    }
    parconc__run_task_ex(p, w && w->pool == p ? w : NULL, f, unlinked);
    return 1;
}

/* Waits for f to be terminal (and settled); with `help`, an untimed wait
   runs what the rules above allow. */
static int parconc__future_await_ex(parconc_future *f, uint64_t deadline, int help)
{
    parconc__worker *w = help && deadline == PARCONC__DEADLINE_NEVER && f->fn_ ? parconc__tls_worker : NULL;
    for (;;) {
        uint32_t s = parconc__load(&f->state_, PARCONC__ACQUIRE);
        if (parconc__settled_state(f, s)) return PARCONC_OK;
        if (f->pool_ && parconc__pool_inherited(f->pool_)) return PARCONC_ESHUTDOWN; /* no worker will settle it */
        if (deadline == PARCONC__DEADLINE_NOW || (deadline != PARCONC__DEADLINE_NEVER && parconc_now_ns() >= deadline))
            return PARCONC_ETIMEDOUT;
        if (help && deadline == PARCONC__DEADLINE_NEVER && f->fn_) {
            /* a worker of f's pool first helps the usual way: its own deque's
               newest entry is most often the awaited child itself, and taking
               it from there keeps the deque free of spent entries */
            if (w && w->pool == f->pool_ && parconc__tls_help_depth < PARCONC_HELP_DEPTH) {
                int ran;
                parconc__tls_help_depth++;
                ran = parconc__run_one(w->pool, w); /* help-while-waiting */
                parconc__tls_help_depth--;
                if (ran) continue;
            }
            if ((s & PARCONC__F_STATE_MASK) == PARCONC_PENDING && parconc__inside_task() && parconc__run_awaited(f))
                continue;
        }
        {
            /* sleep on the state word; inside a worker only briefly, so
               new work queued meanwhile is picked up */
            uint64_t until = deadline;
            if (w) {
                uint64_t soon = parconc_now_ns() + 200000u;
                if (soon < until) until = soon;
            }
            if (!(s & PARCONC__F_WAITERS) &&
                !parconc__cas(&f->state_, &s, s | PARCONC__F_WAITERS, PARCONC__RELAXED, PARCONC__RELAXED))
                continue; /* changed meanwhile: look again */
            parconc__futex_wait(&f->state_, s | PARCONC__F_WAITERS, until);
        }
    }
}
static int parconc__future_await(parconc_future *f, uint64_t deadline)
{
    return parconc__future_await_ex(f, deadline, 1);
}

PARCONC_API int parconc_future_wait(parconc_future *f, int64_t timeout_ns)
{
    int rc;
    if (!f) return PARCONC_EINVAL;
    rc = parconc__future_await(f, parconc__deadline(timeout_ns));
    if (rc != PARCONC_OK) return rc;
    return parconc_future_state(f) == PARCONC_CANCELED ? PARCONC_ECANCELED : PARCONC_OK;
}

PARCONC_API int parconc_future_get(parconc_future *f, void **result, int64_t timeout_ns)
{
    int rc;
    if (result) *result = NULL;
    if (!f) return PARCONC_EINVAL;
    rc = parconc__future_await(f, parconc__deadline(timeout_ns));
    if (rc != PARCONC_OK) return rc;
    switch (parconc_future_state(f)) {
    case PARCONC_DONE: if (result) *result = f->result_; return PARCONC_OK;
    case PARCONC_CANCELED: return PARCONC_ECANCELED;
    default: return f->error_;
    }
}

PARCONC_API int parconc_wait_all(parconc_future *const *fs, size_t n, int64_t timeout_ns)
{
    uint64_t deadline = parconc__deadline(timeout_ns);
    size_t i;
    if (n == 0) return PARCONC_OK;
    if (!fs) return PARCONC_EINVAL;
    for (i = 0; i < n; i++)
        if (!fs[i]) return PARCONC_EINVAL;
    for (i = 0; i < n; i++)
        if (parconc__future_await(fs[i], deadline) != PARCONC_OK) return PARCONC_ETIMEDOUT;
    return PARCONC_OK;
}

static int parconc__settled(parconc_future *f)
{
    return parconc__settled_state(f, parconc__load(&f->state_, PARCONC__ACQUIRE));
}

/* An untimed wait_any's turn to run something (the rules above "what a
   wait runs"): on a worker of the pool of one of the awaited tasks,
   another queued task of that pool.  It claims none of the awaited tasks
   itself: running one would hide the others' completions until it ends.
   1 if it ran one. */
static int parconc__wait_any_runs(parconc_future *const *fs, size_t n, parconc__worker *w)
{
    size_t i;
    int mine = 0;
    if (!w) return 0;
    for (i = 0; i < n && !mine; i++)
        if (fs[i]->fn_ && fs[i]->pool_ == w->pool) mine = 1;
    if (mine && parconc__tls_help_depth < PARCONC_HELP_DEPTH) {
        int ran;
        parconc__tls_help_depth++;
        ran = parconc__run_one(w->pool, w);
        parconc__tls_help_depth--;
        return ran;
    }
    return 0;
}

/* Up to PARCONC__WAIT_ANY_LOCAL futures get a wait node from this frame,
   more from the heap; without one (PARCONC_NO_MALLOC or out of memory) a
   longer list is polled in short slices instead. */
#define PARCONC__WAIT_ANY_LOCAL 16
static int parconc__wait_any_loop(parconc_future *const *fs, size_t n, size_t *index, uint64_t deadline,
                                  parconc__wait_node *nodes, size_t reg)
{
    parconc__worker *w = parconc__tls_worker;
    size_t i, k;
    for (;;) {
        uint32_t word = 0;
        uint64_t until;
        for (i = 0; i < n; i++)
            if (parconc__settled(fs[i])) { *index = i; return PARCONC_OK; }
        for (i = 0; i < n; i++)
            if (fs[i]->pool_ && parconc__pool_inherited(fs[i]->pool_)) return PARCONC_ESHUTDOWN; /* a child after fork */
        if (deadline == PARCONC__DEADLINE_NOW || (deadline != PARCONC__DEADLINE_NEVER && parconc_now_ns() >= deadline))
            return PARCONC_ETIMEDOUT;
        if (deadline == PARCONC__DEADLINE_NEVER && parconc__wait_any_runs(fs, n, w)) continue;
        /* a node on each future, all pointing at our own word, and sleep on it */
        for (k = 0; k < reg; k++) {
            parconc_future *f = fs[k];
            nodes[k].word = &word;
            parconc__ilock(&f->cb_lock_);
            if (f->fired_) word = 1;
            nodes[k].prev = NULL;
            nodes[k].next = (parconc__wait_node *)f->wait_nodes_;
            if (nodes[k].next) nodes[k].next->prev = &nodes[k];
            f->wait_nodes_ = &nodes[k];
            parconc__mutex_unlock_raw(&f->cb_lock_);
        }
        until = deadline;
        if (w || !reg) {
            uint64_t soon = parconc_now_ns() + (w ? 200000u : 1000000u);
            if (soon < until) until = soon;
        }
        if (!parconc__load(&word, PARCONC__ACQUIRE)) parconc__futex_wait(&word, 0, until);
        for (k = 0; k < reg; k++) {
            parconc_future *f = fs[k];
            parconc__ilock(&f->cb_lock_);
            if (nodes[k].prev) nodes[k].prev->next = nodes[k].next; else f->wait_nodes_ = nodes[k].next;
            if (nodes[k].next) nodes[k].next->prev = nodes[k].prev;
            parconc__mutex_unlock_raw(&f->cb_lock_);
        }
        /* a fired future may still be BUSY (callbacks running): the loop
           re-checks, sleeping on the state word through future_await */
        for (i = 0; i < reg; i++)
            if (parconc__load(&fs[i]->state_, PARCONC__ACQUIRE) & PARCONC__F_BUSY) {
                parconc__future_await_ex(fs[i], deadline, 0); /* only callbacks are left: no helping */
                break;
            }
    }
}

PARCONC_API int parconc_wait_any(parconc_future *const *fs, size_t n, size_t *index, int64_t timeout_ns)
{
    uint64_t deadline = parconc__deadline(timeout_ns);
    parconc__wait_node local[PARCONC__WAIT_ANY_LOCAL], *nodes;
    size_t i, room;
    int rc;
    if (!fs || n == 0 || !index) return PARCONC_EINVAL;
    for (i = 0; i < n; i++)
        if (!fs[i]) return PARCONC_EINVAL;
    for (i = 0; i < n; i++) /* settled already: no nodes needed */
        if (parconc__settled(fs[i])) { *index = i; return PARCONC_OK; }
    nodes = (parconc__wait_node *)parconc__frame_or_heap(local, PARCONC__WAIT_ANY_LOCAL, n, sizeof *nodes, &room);
    rc = parconc__wait_any_loop(fs, n, index, deadline, nodes, room == n ? n : 0);
    parconc__free_unless(nodes, local);
    return rc;
}

PARCONC_API int parconc_as_completed_init(parconc_as_completed *it, parconc_future **fs, size_t n)
{
    if (!it || (!fs && n)) return PARCONC_EINVAL;
    it->futures = fs;
    it->count = n;
    it->yielded = 0;
    return PARCONC_OK;
}

PARCONC_API int parconc_as_completed_next(parconc_as_completed *it, parconc_future **out, int64_t timeout_ns)
{
    size_t idx;
    int rc;
    parconc_future *tmp;
    if (!it || !out) return PARCONC_EINVAL;
    *out = NULL;
    if (it->yielded >= it->count) return PARCONC_EDONE;
    rc = parconc_wait_any(it->futures + it->yielded, it->count - it->yielded, &idx, timeout_ns);
    if (rc != PARCONC_OK) return rc;
    idx += it->yielded;
    tmp = it->futures[it->yielded];
    it->futures[it->yielded] = it->futures[idx];
    it->futures[idx] = tmp;
    *out = it->futures[it->yielded++];
    return PARCONC_OK;
}

/* ---- idle, pause, shutdown, destroy, stats ---- */

/* Is one of p's tasks on this thread's stack (run by a worker of p, or
   run by this thread for its own submission)?  Waiting there for p to go
   idle or stop would wait for ourselves. */
static int parconc__in_own_task(const parconc_pool *p)
{
    const parconc__here_frame *f;
    if (parconc__tls_worker && parconc__tls_worker->pool == p) return 1;
    for (f = parconc__tls_here_frames; f; f = f->outer)
        if (f->pool == p) return 1;
    return 0;
}
/* Idle, and every counted-out task's future settled: a worker between
   the two (see parconc__run_task) runs no user code and takes no lock, so
   this lasts a few instructions unless it was preempted; yield to it. */
static int parconc__pool_idle_settled(parconc_pool *p)
{
    int i;
    unsigned turn = 0;
    if (!parconc__pool_idle(p)) return 0;
    for (i = 0; i < p->nthreads; i++)
        while (parconc__load(&p->workers[i].settling, PARCONC__ACQUIRE)) parconc__backoff(&turn);
    while (parconc__load(&p->claiming, PARCONC__ACQUIRE)) parconc__backoff(&turn);
    return 1;
}

PARCONC_API int parconc_pool_wait_idle(parconc_pool *p, int64_t timeout_ns)
{
    uint64_t deadline = parconc__deadline(timeout_ns);
    if (!p) return PARCONC_EINVAL;
    if (parconc__pool_inherited(p)) return PARCONC_ESHUTDOWN; /* a child after fork: no workers there */
    if (parconc__in_own_task(p)) return PARCONC_EDEADLK;
    for (;;) {
        uint32_t seq = parconc__load(&p->idle_seq, PARCONC__SEQ_CST);
        int rc;
        if (parconc__pool_idle_settled(p)) return PARCONC_OK;
        if (deadline == PARCONC__DEADLINE_NOW) return PARCONC_ETIMEDOUT;
        parconc__fetch_add(&p->idle_waiters, 1u, PARCONC__SEQ_CST);
        rc = parconc__pool_idle(p) ? PARCONC_OK : parconc__futex_wait(&p->idle_seq, seq, deadline);
        parconc__fetch_sub(&p->idle_waiters, 1u, PARCONC__RELAXED);
        if (rc == PARCONC_ETIMEDOUT) return parconc__pool_idle_settled(p) ? PARCONC_OK : PARCONC_ETIMEDOUT;
    }
}

/* Takes every entry out of the ring; each ends CANCELED and the pool's
   reference to a future is dropped.  Used by shutdown CANCEL, and after
   the join, where only futures canceled while queued (canceling again
   changes nothing) and late arrivals of a racing submit are left. */
static void parconc__ring_drain(parconc_pool *p)
{
    parconc_task_fn fn;
    void *arg;
    size_t dropped = 0;
    while (p->ring && parconc__ring_pop(p, &fn, &arg)) {
        parconc__pool_dequeued(p);
        if (fn) { /* a task without a future: counted as canceled here */
            parconc__fetch_add(&p->canceled, (size_t)1, PARCONC__RELAXED);
            dropped++;
        } else {
            /* cancel() counts it in ring_dropped (or did when it was
               canceled before) */
            (void)parconc_future_cancel((parconc_future *)arg);
            parconc_future_release((parconc_future *)arg);
        }
    }
    if (dropped) {
        parconc__fetch_add(&p->ring_dropped, dropped, PARCONC__RELEASE);
        parconc__pool_counted_out(p);
    }
}

/* Cancels everything in the ring and the injection queue. */
static void parconc__pool_cancel_shared_queues(parconc_pool *p)
{
    parconc__ring_drain(p);
    for (;;) {
        parconc_future *f = NULL;
        int won = 0;
        parconc__ilock(&p->inj_lock);
        if (p->level_mask || p->waiting.head || p->timed.head) {
            /* canceled here, under the lock: once it is gone a worker may
               take, run and free the task (or its caller reuse the storage)
               before a cancel() would look at it.  Linked means PENDING:
               workers and cancel() change a linked task only under it. */
            f = p->level_mask ? p->levels[parconc__highest_bit(p->level_mask)].head
                : p->waiting.head ? p->waiting.head : p->timed.head;
            won = parconc__future_transition(f, PARCONC_PENDING, PARCONC_CANCELED);
            PARCONC_ASSERT(won);
            parconc__inj_unlink(p, f);
        }
        parconc__mutex_unlock_raw(&p->inj_lock);
        if (!f) break;
        if (won) parconc__cancel_settle(p, f, 1);
    }
}

/* After a submitter published its task: wake a worker if nobody spins,
   then handle a submission that raced with shutdown.  It passed the
   shutdown check, but the workers may be leaving: stop is set only once
   the pool was idle, so anything queued after that came late and no
   worker may take it.  The submitter's push, then the seq_cst fence in
   parconc__pool_wake, then this load of stop; the joiner stores stop,
   fences, joins and drains: either it finds the task or the submitter sees
   stop and drains it itself.  Either way the task ends CANCELED instead of
   PENDING for ever. */
static void parconc__pool_submitted(parconc_pool *p)
{
    parconc__pool_wake_one(p);
    if (parconc__load(&p->stop, PARCONC__SEQ_CST)) parconc__pool_cancel_shared_queues(p);
}

/* Empties worker i's deque: every task still in it ends CANCELED (a
   future already canceled stays so) and the pool's reference to a
   future is dropped. */
static void parconc__deque_cancel_all(parconc_pool *p, int i)
{
    parconc__task_ref t;
    size_t dropped = 0;
    while (parconc__deque_steal(&p->workers[i].deque, &t)) {
        parconc__pool_dequeued(p);
        if (t.fn) { /* no future: counted as canceled here */
            parconc__fetch_add(&p->canceled, (size_t)1, PARCONC__RELAXED);
            dropped++;
        } else { /* cancel() counts it out (a canceled one stays as it is) */
            parconc_future_cancel((parconc_future *)t.arg);
            parconc_future_release((parconc_future *)t.arg); /* the deque's (pool's) reference */
        }
    }
    if (dropped) {
        parconc__fetch_add(&p->spawn_dropped, dropped, PARCONC__RELEASE);
        parconc__pool_counted_out(p);
    }
}

/* Cancels everything still queued (ring, injection queue and deques). */
static void parconc__pool_cancel_queued(parconc_pool *p)
{
    int i;
    parconc__pool_cancel_shared_queues(p);
    for (i = 0; i < p->nthreads; i++) parconc__deque_cancel_all(p, i);
}

PARCONC_API int parconc_pool_resume(parconc_pool *p)
{
    if (!p) return PARCONC_EINVAL;
    if (parconc__pool_inherited(p)) return PARCONC_ESHUTDOWN; /* a child after fork: no workers there */
    parconc__store(&p->paused, 0u, PARCONC__SEQ_CST);
    parconc__futex_wake(&p->paused, INT_MAX);
    return PARCONC_OK;
}

PARCONC_API int parconc_pool_pause(parconc_pool *p, int64_t timeout_ns)
{
    uint64_t deadline = parconc__deadline(timeout_ns);
    if (!p) return PARCONC_EINVAL;
    if (parconc__pool_inherited(p)) return PARCONC_ESHUTDOWN; /* a child after fork: no workers there */
    if (parconc__in_own_task(p)) return PARCONC_EDEADLK; /* we would wait for ourselves */
    parconc__store(&p->paused, 1u, PARCONC__SEQ_CST);
    if (parconc__load(&p->shutdown, PARCONC__SEQ_CST)) { /* see parconc_pool_shutdown */
        parconc_pool_resume(p);
        return PARCONC_ESHUTDOWN;
    }
    parconc__pool_futex_wake(p, INT_MAX, 0); /* idle sleepers: come and park */
    for (;;) {
        uint32_t n = parconc__load(&p->parked, PARCONC__ACQUIRE);
        if (n >= (uint32_t)p->nthreads) return PARCONC_OK;
        if (deadline == PARCONC__DEADLINE_NOW) return PARCONC_ETIMEDOUT;
        if (parconc__futex_wait(&p->parked, n, deadline) == PARCONC_ETIMEDOUT)
            return parconc__load(&p->parked, PARCONC__ACQUIRE) >= (uint32_t)p->nthreads ? PARCONC_OK : PARCONC_ETIMEDOUT;
    }
}

PARCONC_API int parconc_pool_shutdown(parconc_pool *p, int mode, int64_t timeout_ns)
{
    int rc;
    if (!p || (mode != PARCONC_SHUTDOWN_DRAIN && mode != PARCONC_SHUTDOWN_CANCEL)) return PARCONC_EINVAL;
    if (parconc__pool_inherited(p)) return PARCONC_ESHUTDOWN; /* a child after fork: no workers there */
    if (parconc__in_own_task(p)) return PARCONC_EDEADLK;
    parconc__store(&p->shutdown, 1u, PARCONC__SEQ_CST);
    /* after the shutdown store: a pause racing with us sees it and undoes
       itself, or we see (and undo) its pause */
    parconc_pool_resume(p);
    /* blocked submitters must notice the shutdown */
    parconc__fetch_add(&p->space_seq, 1u, PARCONC__SEQ_CST);
    parconc__futex_wake(&p->space_seq, INT_MAX);
    if (mode == PARCONC_SHUTDOWN_CANCEL) parconc__pool_cancel_queued(p);
    rc = parconc_pool_wait_idle(p, timeout_ns);
    if (rc != PARCONC_OK) return rc;
    if (!p->joined) {
        int i;
        parconc__pool_join(p, p->nthreads);
        p->joined = 1;
        /* futures canceled while in a deque or the ring and never taken:
           drop the pool's reference (everything is terminal once idle;
           canceling again changes nothing); and whatever a submit that
           raced with us queued after the idle check ends CANCELED (see
           parconc__pool_submitted) */
        for (i = 0; i < p->nthreads; i++) parconc__deque_cancel_all(p, i);
        parconc__pool_cancel_shared_queues(p);
    }
    return PARCONC_OK;
}

PARCONC_API void parconc_pool_destroy(parconc_pool *p)
{
    if (!p) return;
    if (parconc__pool_inherited(p)) {
        /* a child after fork: no workers to join, and the parent's threads
           may have left its lists half-changed; free the block alone */
        if (p->own_memory) parconc__free_with(&p->alloc, p->memory_block);
        return;
    }
    if (parconc__in_own_task(p)) {
        (void)PARCONC__MISUSE(PARCONC_EDEADLK, "parconc_pool_destroy called from one of the pool's own tasks");
        return;
    }
    parconc_pool_shutdown(p, PARCONC_SHUTDOWN_DRAIN, PARCONC_FOREVER);
    {
        int i;
        parconc_future *f, *next;
        for (f = p->node_cache; f; f = next) { next = f->next_; parconc__future_block_free(f); }
        for (i = 0; i < p->nthreads; i++) {
            for (f = p->workers[i].stash; f; f = next) { next = f->next_; parconc__future_block_free(f); }
            parconc__deque_free_arrays(&p->workers[i].deque, &p->alloc);
        }
    }
    if (!p->own_memory) { /* the caller frees the block once we return: wait for every hold */
        uint32_t h;
        while ((h = parconc__load(&p->input_holds, PARCONC__ACQUIRE)) != 1u)
            parconc__futex_wait(&p->input_holds, h, PARCONC__DEADLINE_NEVER);
        return;
    }
    parconc__pool_input_release(p); /* frees the block, now or after the last waiting task's input */
}

PARCONC_API int parconc_pool_stats_get(parconc_pool *p, parconc_pool_stats *out)
{
    int i;
    if (!p || !out) return PARCONC_EINVAL;
    memset(out, 0, sizeof *out);
    out->canceled = parconc__load(&p->canceled, PARCONC__RELAXED);
    out->threads = p->nthreads;
    out->queued = parconc__load(&p->inj_count, PARCONC__RELAXED);
    if (p->ring) {
        size_t in_ring = parconc__load(&p->ring_tail, PARCONC__RELAXED) - parconc__load(&p->ring_head, PARCONC__RELAXED);
        out->queued += (intptr_t)in_ring > 0 ? in_ring : 0u;
    }
    for (i = 0; i < p->nthreads; i++) {
        parconc__worker *w = &p->workers[i];
        intptr_t in_deque = parconc__load(&w->deque.bottom, PARCONC__RELAXED) - parconc__load(&w->deque.top, PARCONC__RELAXED);
        out->steals += parconc__load(&w->steals, PARCONC__RELAXED);
        out->completed += parconc__load(&w->completed, PARCONC__RELAXED);
        out->failed += parconc__load(&w->failed, PARCONC__RELAXED);
        out->running += parconc__load(&w->running, PARCONC__RELAXED);
        out->queued += in_deque > 0 ? (uint64_t)in_deque : 0u;
    }
    for (i = 0; i < PARCONC__HERE_STRIPES; i++) {
        out->completed += parconc__load(&p->here[i].completed, PARCONC__RELAXED);
        out->failed += parconc__load(&p->here[i].failed, PARCONC__RELAXED);
    }
    /* every submitted task is in flight or has settled one way */
    out->submitted = out->completed + out->failed + out->canceled + parconc__pool_in_flight(p);
    return PARCONC_OK;
}

PARCONC_API int parconc_pool_worker_stats(parconc_pool *p, int index, parconc_worker_stats *out)
{
    parconc__worker *w;
    uint64_t since, now = parconc_now_ns();
    if (!p || !out || index < 0 || index >= p->nthreads) return PARCONC_EINVAL;
    w = &p->workers[index];
    since = parconc__u64_get(&w->busy_since);
    out->tasks_run = parconc__load(&w->tasks_run, PARCONC__RELAXED);
    out->steals = parconc__load(&w->steals, PARCONC__RELAXED);
    /* the open busy span counts too, so a live monitor sees current work */
    out->busy_ns = parconc__u64_get(&w->busy_ns) + (since && now > since ? now - since : 0);
    return PARCONC_OK;
}

/* ---- tracing (see "hooks and tracing") ---- */
PARCONC_API size_t parconc_trace_memory_size(size_t events)
{
    if (!events || events > (SIZE_MAX - sizeof(parconc__trace)) / sizeof(parconc__trace_event)) return 0;
    return sizeof(parconc__trace) + (events - 1) * sizeof(parconc__trace_event);
}

PARCONC_API int parconc_trace_start(parconc_pool *p, void *buffer, size_t size)
{
    parconc__trace *t = (parconc__trace *)buffer;
    void *none = NULL;
    int i;
    if (!p || !buffer || size < sizeof(parconc__trace) || ((uintptr_t)buffer & (sizeof(uint64_t) - 1))) return PARCONC_EINVAL;
    if (1 + (size - sizeof(parconc__trace)) / sizeof(parconc__trace_event) < (size_t)p->nthreads + 1u)
        return PARCONC_EINVAL; /* not even one event per worker */
    if (parconc__load(&p->trace, PARCONC__ACQUIRE)) return PARCONC_EBUSY;
    t->origin = parconc_now_ns();
    t->origin_ticks = PARCONC__TRACE_TICKS();
    t->end = t->origin;
    t->end_ticks = t->origin_ticks;
    t->capacity = 1 + (size - sizeof(parconc__trace)) / sizeof(parconc__trace_event);
    t->part = t->capacity / ((size_t)p->nthreads + 1u);
    t->others_next = 0;
    /* no event is being written (no trace runs): the counts are ours until
       the CAS below publishes the trace */
    for (i = 0; i < p->nthreads; i++) p->workers[i].trace_next = 0;
    if (!parconc__cas(&p->trace, &none, buffer, PARCONC__SEQ_CST, PARCONC__RELAXED)) return PARCONC_EBUSY;
    p->trace_last = buffer;
    parconc__fetch_or(&p->observe, PARCONC__OBSERVE_TRACE, PARCONC__RELAXED);
    return PARCONC_OK;
}

PARCONC_API int parconc_trace_stop(parconc_pool *p)
{
    int i;
    unsigned turn = 0;
    if (!p) return PARCONC_EINVAL;
    parconc__fetch_and(&p->observe, ~PARCONC__OBSERVE_TRACE, PARCONC__RELAXED);
    parconc__store(&p->trace, NULL, PARCONC__SEQ_CST);
    /* events in progress */
    for (i = 0; i < p->nthreads; i++)
        while (parconc__load(&p->workers[i].trace_busy, PARCONC__SEQ_CST)) parconc__backoff(&turn);
    while (parconc__load(&p->trace_writers, PARCONC__SEQ_CST)) parconc__backoff(&turn);
    if (p->trace_last) {
        parconc__trace *t = (parconc__trace *)p->trace_last;
        t->end = parconc_now_ns();
        t->end_ticks = PARCONC__TRACE_TICKS();
    }
    return PARCONC_OK;
}

/* Text out in pieces, without stdio. */
typedef struct parconc__text {
    char buf[256];
    size_t len;
    int rc;
    parconc_write_fn write;
    void *user;
} parconc__text;

static void parconc__text_flush(parconc__text *o)
{
    if (o->len && !o->rc) o->rc = o->write(o->buf, o->len, o->user);
    o->len = 0;
}
static void parconc__text_put(parconc__text *o, const char *s, size_t n)
{
    while (n--) {
        if (o->len == sizeof o->buf) parconc__text_flush(o);
        o->buf[o->len++] = *s++;
    }
}
static void parconc__text_str(parconc__text *o, const char *s) { parconc__text_put(o, s, strlen(s)); }
static void parconc__text_u64(parconc__text *o, uint64_t v)
{
    char d[20];
    size_t n = 0;
    do { d[n++] = (char)('0' + v % 10u); v /= 10u; } while (v);
    while (n) parconc__text_put(o, &d[--n], 1);
}
static void parconc__text_int(parconc__text *o, int v)
{
    if (v < 0) { parconc__text_put(o, "-", 1); parconc__text_u64(o, (uint64_t)(-(int64_t)v)); }
    else parconc__text_u64(o, (uint64_t)v);
}
/* ns as microseconds with three decimals (Chrome's unit) */
static void parconc__text_us(parconc__text *o, uint64_t ns)
{
    char frac[4];
    frac[0] = (char)('0' + ns / 100u % 10u);
    frac[1] = (char)('0' + ns / 10u % 10u);
    frac[2] = (char)('0' + ns % 10u);
    frac[3] = 0;
    parconc__text_u64(o, ns / 1000u);
    parconc__text_put(o, ".", 1);
    parconc__text_str(o, frac);
}
/* a JSON string: quotes, backslashes and control characters escaped */
static void parconc__text_json(parconc__text *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    parconc__text_put(o, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { parconc__text_put(o, "\\", 1); parconc__text_put(o, s, 1); }
        else if (c < 0x20) {
            char u[6] = {'\\', 'u', '0', '0', 0, 0};
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15u];
            parconc__text_put(o, u, 6);
        } else parconc__text_put(o, s, 1);
    }
    parconc__text_put(o, "\"", 1);
}

PARCONC_API int parconc_trace_write_chrome(parconc_pool *p, parconc_write_fn write, void *user)
{
    parconc__trace *t;
    parconc__text o;
    size_t i;
    int k;
    double ns_per_tick;
    if (!p || !write || !p->trace_last) return PARCONC_EINVAL;
    if (parconc__load(&p->trace, PARCONC__ACQUIRE)) return PARCONC_EBUSY;
    t = (parconc__trace *)p->trace_last;
    ns_per_tick = t->end_ticks > t->origin_ticks && t->end > t->origin
                      ? (double)(t->end - t->origin) / (double)(t->end_ticks - t->origin_ticks) : 1.0;
    o.len = 0;
    o.rc = 0;
    o.write = write;
    o.user = user;
    parconc__text_str(&o, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
    /* one named track per worker, and one for the other threads */
    for (k = -1; k < p->nthreads; k++) {
        if (k > -1) parconc__text_put(&o, ",", 1);
        parconc__text_str(&o, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":");
        parconc__text_int(&o, k);
        parconc__text_str(&o, ",\"args\":{\"name\":\"");
        if (k < 0) parconc__text_str(&o, "other threads");
        else { parconc__text_str(&o, "worker "); parconc__text_int(&o, k); }
        parconc__text_str(&o, "\"}}");
    }
    for (i = 0; i < t->part * ((size_t)p->nthreads + 1u); i++) {
        const parconc__trace_event *e = &t->events[i];
        size_t part = i / t->part, used = part < (size_t)p->nthreads ? p->workers[part].trace_next : t->others_next;
        if (i % t->part >= used) continue; /* stopped: no writer left, the counts are final */
        parconc__text_str(&o, ",\n{\"name\":");
        parconc__text_json(&o, e->name ? e->name : (e->kind == PARCONC__TRACE_CHUNK ? "parallel_for" : "task"));
        parconc__text_str(&o, e->kind == PARCONC__TRACE_CHUNK ? ",\"cat\":\"loop\"" : ",\"cat\":\"task\"");
        parconc__text_str(&o, ",\"ph\":\"X\",\"pid\":1,\"tid\":");
        parconc__text_int(&o, e->worker);
        parconc__text_str(&o, ",\"ts\":");
        parconc__text_us(&o, (uint64_t)((double)(e->begin > t->origin_ticks ? e->begin - t->origin_ticks : 0u) * ns_per_tick));
        parconc__text_str(&o, ",\"dur\":");
        parconc__text_us(&o, (uint64_t)((double)(e->end > e->begin ? e->end - e->begin : 0u) * ns_per_tick));
        parconc__text_put(&o, "}", 1);
    }
    parconc__text_str(&o, "]}\n");
    parconc__text_flush(&o);
    return o.rc;
}

/* ===================================================================== */
/* Groups, continuations, combinators, serial queues, timers >>impl-groups */
/* ===================================================================== */
/* A group is a token (a child of desc.parent, whose hook wakes the
   group's sleepers when it fires) and the count of its unsettled members
   in count_ (see "a group's count of unsettled members" with the
   futures).  A submit takes a slot in count_ first (waiting at the limit),
   then submits the task with its group set; a member counts out when it
   settles, whatever its state (run, canceled by its token at the claim,
   canceled by cancel() or a shutdown).  A submit that fails gives its
   slot back. */
#define PARCONC__GROUP_MAGIC 0x67726f75u

static int parconc__group_ok(const parconc_group *g)
{
    return g && g->magic_ == PARCONC__GROUP_MAGIC;
}

PARCONC_API int parconc_group_init(parconc_group *g, const parconc_group_desc *desc)
{
    if (!g || !desc || !desc->pool || desc->limit > PARCONC__G_COUNT) return PARCONC_EINVAL;
    memset(g, 0, sizeof *g);
    g->pool_ = desc->pool;
    g->limit_ = desc->limit ? (uint32_t)desc->limit : PARCONC__G_COUNT;
    g->keep_going_ = desc->keep_going;
    g->magic_ = PARCONC__GROUP_MAGIC;
    /* the hook is in place before the token is registered: a parent
       firing at once finds it (and nobody waits yet) */
    g->token_.hook_ = parconc__group_wake;
    g->token_.hook_arg_ = g;
    if (desc->parent) parconc__cancel_attach(&g->token_, desc->parent);
    return PARCONC_OK;
}

/* Takes a member slot: OK, ECANCELED, ETIMEDOUT at the deadline, EAGAIN
   (try: no waiting).  A waiter sets WAITERS, then checks the token and
   the count again before it sleeps (see parconc__group_wake). */
static int parconc__group_enter(parconc_group *g, uint64_t deadline, int try_only)
{
    parconc__worker *w = parconc__tls_worker;
    int help = w && w->pool == g->pool_;
    for (;;) {
        uint32_t c = parconc__load(&g->count_, PARCONC__SEQ_CST);
        uint64_t until;
        if (parconc__cancel_reason(&g->token_)) return PARCONC_ECANCELED;
        if ((c & PARCONC__G_COUNT) < g->limit_) {
            /* relaxed: a slot publishes nothing (the task is published by
               the submit that follows); the limit holds because every
               change of count_ is one RMW on the same word */
            if (parconc__cas_weak(&g->count_, &c, c + 1u, PARCONC__RELAXED, PARCONC__RELAXED)) return PARCONC_OK;
            continue;
        }
        if (try_only) return PARCONC_EAGAIN;
        if (deadline == PARCONC__DEADLINE_NOW || (deadline != PARCONC__DEADLINE_NEVER && parconc_now_ns() >= deadline))
            return PARCONC_ETIMEDOUT;
        if (help && parconc__tls_help_depth < PARCONC_HELP_DEPTH) {
            /* a task of the pool waiting for room: run queued ones (the
               members holding the slots may be among them) */
            int ran;
            parconc__tls_help_depth++;
            ran = parconc__run_one(g->pool_, w);
            parconc__tls_help_depth--;
            if (ran) continue;
        }
        if (!(c & PARCONC__G_WAITERS)) {
            /* set, then look at the token and the count again before sleeping */
            (void)parconc__cas(&g->count_, &c, c | PARCONC__G_WAITERS, PARCONC__SEQ_CST, PARCONC__RELAXED);
            continue;
        }
        until = parconc__cancel_earliest(&g->token_, NULL); /* a deadline token fires when checked */
        if (deadline < until) until = deadline;
        if (help) { uint64_t soon = parconc_now_ns() + 200000u; if (soon < until) until = soon; }
        parconc__futex_wait(&g->count_, c, until);
    }
}

static int parconc__group_submit(parconc_group *g, const parconc_task_desc *task, parconc_future **out,
                                 int try_only)
{
    parconc__ext x;
    int rc;
    if (out) *out = NULL;
    if (!parconc__group_ok(g) || !task || !task->fn) return PARCONC_EINVAL;
    rc = parconc__group_enter(g, parconc__deadline(task->timeout_ns), try_only);
    if (rc != PARCONC_OK) return rc;
    memset(&x, 0, sizeof x);
    x.group = g;
    rc = parconc__submit_ext(g->pool_, task, &x, out);
    if (rc != PARCONC_OK) parconc__group_leave(g);
    return rc;
}

PARCONC_API int parconc_group_submit_ex(parconc_group *g, const parconc_task_desc *task, parconc_future **out)
{
    return parconc__group_submit(g, task, out, 0);
}

PARCONC_API int parconc_group_submit(parconc_group *g, parconc_task_fn fn, void *arg, parconc_future **out)
{
    parconc_task_desc t;
    parconc__task_plain(&t, fn, arg, PARCONC_FOREVER);
    return parconc__group_submit(g, &t, out, 0);
}

PARCONC_API int parconc_group_try_submit(parconc_group *g, parconc_task_fn fn, void *arg, parconc_future **out)
{
    parconc_task_desc t;
    parconc__task_plain(&t, fn, arg, 0); /* the pool too: try once */
    return parconc__group_submit(g, &t, out, 1);
}

/* Is this thread running a member of g (its own wait would wait for
   itself)? */
static int parconc__in_group(const parconc_group *g)
{
    return parconc__tls_task && parconc__tls_task->group_ == g;
}

PARCONC_API int parconc_group_wait(parconc_group *g, int64_t timeout_ns)
{
    uint64_t deadline;
    parconc__worker *w = parconc__tls_worker;
    int help;
    if (!parconc__group_ok(g)) return PARCONC_EINVAL;
    if (parconc__in_group(g)) return PARCONC_EDEADLK;
    deadline = parconc__deadline(timeout_ns);
    help = deadline == PARCONC__DEADLINE_NEVER && w && w->pool == g->pool_;
    for (;;) {
        uint32_t c = parconc__load(&g->count_, PARCONC__ACQUIRE);
        uint64_t until = deadline;
        if (!(c & PARCONC__G_COUNT)) break;
        if (g->pool_ && parconc__pool_inherited(g->pool_)) return PARCONC_ESHUTDOWN;
        if (deadline == PARCONC__DEADLINE_NOW || (deadline != PARCONC__DEADLINE_NEVER && parconc_now_ns() >= deadline))
            return PARCONC_ETIMEDOUT;
        if (help && parconc__tls_help_depth < PARCONC_HELP_DEPTH) {
            int ran;
            parconc__tls_help_depth++;
            ran = parconc__run_one(g->pool_, w); /* help-while-waiting */
            parconc__tls_help_depth--;
            if (ran) continue;
        }
        if (!(c & PARCONC__G_WAITERS) &&
            !parconc__cas(&g->count_, &c, c | PARCONC__G_WAITERS, PARCONC__SEQ_CST, PARCONC__RELAXED))
            continue;
        if (help) { uint64_t soon = parconc_now_ns() + 200000u; if (soon < until) until = soon; }
        parconc__futex_wait(&g->count_, c | PARCONC__G_WAITERS, until);
    }
    {
        int32_t err = parconc__load(&g->error_, PARCONC__RELAXED); /* ordered by the acquire of count 0 */
        if (err) return err;
        if (parconc__load(&g->canceled_, PARCONC__RELAXED) || parconc__load(&g->token_.reason_, PARCONC__ACQUIRE))
            return PARCONC_ECANCELED;
    }
    return PARCONC_OK;
}

PARCONC_API int parconc_group_cancel(parconc_group *g)
{
    if (!parconc__group_ok(g)) return PARCONC_EINVAL;
    parconc__cancel_fire(&g->token_, PARCONC_ECANCELED);
    return PARCONC_OK;
}

PARCONC_API int parconc_group_destroy(parconc_group *g)
{
    if (!parconc__group_ok(g)) return PARCONC_EINVAL;
    if (parconc__load(&g->count_, PARCONC__ACQUIRE) & PARCONC__G_COUNT) return PARCONC_EBUSY;
    (void)parconc_cancel_destroy(&g->token_); /* no children: only unregisters */
    g->magic_ = 0;
    return PARCONC_OK;
}

/* ---- continuations ---- */
PARCONC_API int parconc_future_then_ex(parconc_future *f, parconc_pool *pool, parconc_then_fn fn, void *arg,
                                       parconc_future *storage, parconc_future **out)
{
    parconc_task_desc t;
    parconc__ext x;
    int rc;
    if (out) *out = NULL;
    if (!f || !pool || !fn || !out) return PARCONC_EINVAL;
    parconc__task_plain(&t, parconc__then_call, NULL, PARCONC_FOREVER); /* future_extend sets fn_/arg_ */
    t.storage = storage;
    memset(&x, 0, sizeof x);
    x.src = f;
    x.then_fn = fn;
    x.then_arg = arg;
    parconc_future_retain(f); /* released when the continuation settles */
    rc = parconc__submit_ext(pool, &t, &x, out);
    if (rc != PARCONC_OK) parconc_future_release(f);
    return rc;
}

PARCONC_API int parconc_future_then(parconc_future *f, parconc_pool *pool, parconc_then_fn fn, void *arg,
                                    parconc_future **out)
{
    return parconc_future_then_ex(f, pool, fn, arg, NULL, out);
}

/* ---- combinators ----
   The result is a promise with one registration on each input (each
   holding a reference to it).  when_all counts inputs down in deps_ (plus
   one held while registering, as for tasks with inputs) and settles on the
   last; when_any settles on the first (the promise's own CAS picks it). */
static void parconc__when_all_input(parconc_future_link *link, uint32_t st, int error)
{
    parconc_future *out = link->target_;
    parconc__link_free(link);
    if (st == PARCONC_FAILED) {
        int32_t none = 0;
        (void)parconc__cas(&out->ext_.all_.error, &none, (int32_t)error, PARCONC__RELAXED, PARCONC__RELAXED);
    } else if (st == PARCONC_CANCELED) {
        parconc__store(&out->ext_.all_.canceled, 1u, PARCONC__RELAXED);
    }
    /* acq_rel: the last input's callback sees the outcomes stored above */
    if (parconc__fetch_sub(&out->deps_, 1u, PARCONC__ACQ_REL) == 1u) {
        int32_t err = parconc__load(&out->ext_.all_.error, PARCONC__RELAXED);
        if (err) (void)parconc__promise_settle(out, PARCONC_FAILED, NULL, err);
        else if (parconc__load(&out->ext_.all_.canceled, PARCONC__RELAXED)) (void)parconc_future_cancel(out);
        else (void)parconc_future_complete(out, NULL);
    }
    parconc_future_release(out);
}

static void parconc__when_any_input(parconc_future_link *link, uint32_t st, int error)
{
    parconc_future *out = link->target_;
    size_t index = link->index_;
    (void)st;
    (void)error;
    parconc__link_free(link);
    /* EBUSY: not the first.  The result is the index, as documented. */
    (void)parconc_future_complete(out, (void *)(uintptr_t)index); /* NOLINT(performance-no-int-to-ptr) */
    parconc_future_release(out);
}

static int parconc__combine(parconc_future *const *fs, size_t n, const parconc_combine_desc *desc,
                            parconc_future **out, int all)
{
    parconc__links L;
    parconc_future *r;
    size_t i;
    int rc;
    if (out) *out = NULL;
    if (!out || (n && !fs) || (!all && !n) || n > PARCONC__G_COUNT) return PARCONC_EINVAL;
    for (i = 0; i < n; i++) if (!fs[i]) return PARCONC_EINVAL;
    if (desc && desc->storage) {
        r = desc->storage;
        parconc__future_setup(r, PARCONC__F_CALLER, 1);
    } else {
        r = (parconc_future *)parconc__malloc(sizeof *r);
        if (r) parconc__future_setup(r, PARCONC__F_HEAP, 1);
    }
    rc = r ? parconc__links_prepare(&L, desc ? desc->links : NULL, &r->dep_link_, n) : PARCONC_ENOMEM;
    if (rc != PARCONC_OK) {
        if (r && !(desc && desc->storage)) parconc__free(r);
        return rc;
    }
    r->deps_ = (uint32_t)n + 1u;
    r->ext_.all_.error = 0;
    r->ext_.all_.canceled = 0;
    *out = r;
    parconc__links_register(fs, n, &L, r, all ? parconc__when_all_input : parconc__when_any_input);
    if (all && parconc__fetch_sub(&r->deps_, 1u, PARCONC__ACQ_REL) == 1u) {
        /* every input was terminal already: settle here */
        int32_t err = parconc__load(&r->ext_.all_.error, PARCONC__RELAXED);
        if (err) (void)parconc__promise_settle(r, PARCONC_FAILED, NULL, err);
        else if (parconc__load(&r->ext_.all_.canceled, PARCONC__RELAXED)) (void)parconc_future_cancel(r);
        else (void)parconc_future_complete(r, NULL);
    }
    return PARCONC_OK;
}

PARCONC_API int parconc_when_all_ex(parconc_future *const *fs, size_t n, const parconc_combine_desc *desc,
                                    parconc_future **out)
{
    return parconc__combine(fs, n, desc, out, 1);
}
PARCONC_API int parconc_when_all(parconc_future *const *fs, size_t n, parconc_future **out)
{
    return parconc__combine(fs, n, NULL, out, 1);
}
PARCONC_API int parconc_when_any_ex(parconc_future *const *fs, size_t n, const parconc_combine_desc *desc,
                                    parconc_future **out)
{
    return parconc__combine(fs, n, desc, out, 0);
}
PARCONC_API int parconc_when_any(parconc_future *const *fs, size_t n, parconc_future **out)
{
    return parconc__combine(fs, n, NULL, out, 0);
}

/* ---- serial queues ----
   The queue's lock orders submits; each new task gets the last one as
   its input (a task with inputs, see "tasks with inputs") and becomes the
   last.  The queue holds one reference to its last task (none to caller
   storage, which is never freed), given back when the next one was
   submitted (that task's registration holds what it needs) or when the
   queue is destroyed. */
#define PARCONC__SERIAL_MAGIC 0x73657269u


static int parconc__serial_ok(const parconc_serial *s)
{
    return s && s->magic_ == PARCONC__SERIAL_MAGIC;
}

PARCONC_API int parconc_serial_init(parconc_serial *s, parconc_pool *pool)
{
    if (!s || !pool) return PARCONC_EINVAL;
    memset(s, 0, sizeof *s);
    s->pool_ = pool;
    s->magic_ = PARCONC__SERIAL_MAGIC;
    return PARCONC_OK;
}

PARCONC_API int parconc_serial_submit_ex(parconc_serial *s, const parconc_task_desc *task, parconc_future **out)
{
    parconc_task_desc t;
    parconc__ext x;
    parconc_future *prev, *f = NULL;
    int rc;
    if (out) *out = NULL;
    if (!parconc__serial_ok(s) || !task || !task->fn || task->after_count) return PARCONC_EINVAL;
    t = *task;
    t.after_links = NULL; /* the one input uses the task's own link (step_back reuses it) */
    memset(&x, 0, sizeof x);
    x.serial = 1;
    parconc__ilock(&s->lock_);
    prev = s->last_;
    /* storage handed back for the next task: the one it held has settled */
    if (prev && prev == task->storage) prev = NULL;
    x.src = prev; /* the new task's input and predecessor, one reference */
    if (prev && !(prev->flags_ & PARCONC__F_CALLER)) parconc_future_retain(prev);
    rc = parconc__submit_ext(s->pool_, &t, &x, &f);
    if (rc != PARCONC_OK && prev && !(prev->flags_ & PARCONC__F_CALLER)) parconc_future_release(prev);
    if (rc == PARCONC_OK) {
        prev = s->last_;
        s->last_ = f; /* submit's reference (if any) is the queue's */
        if (out) {
            if (!(f->flags_ & PARCONC__F_CALLER)) parconc_future_retain(f);
            *out = f;
        }
    }
    parconc__mutex_unlock_raw(&s->lock_);
    if (rc == PARCONC_OK && prev && !(prev->flags_ & PARCONC__F_CALLER)) parconc_future_release(prev);
    return rc;
}

PARCONC_API int parconc_serial_submit(parconc_serial *s, parconc_task_fn fn, void *arg, parconc_future **out)
{
    parconc_task_desc t;
    parconc__task_plain(&t, fn, arg, PARCONC_FOREVER);
    return parconc_serial_submit_ex(s, &t, out);
}

PARCONC_API int parconc_serial_wait(parconc_serial *s, int64_t timeout_ns)
{
    parconc_future *cur;
    uint64_t deadline = parconc__deadline(timeout_ns);
    if (!parconc__serial_ok(s)) return PARCONC_EINVAL;
    parconc__ilock(&s->lock_);
    cur = s->last_;
    if (cur && !(cur->flags_ & PARCONC__F_CALLER)) parconc_future_retain(cur);
    parconc__mutex_unlock_raw(&s->lock_);
    /* the last task, and, when it was canceled before its turn, the one
       it still holds, and so on back (see parconc__serial_step_back) */
    while (cur) {
        parconc_future *next;
        int rc = parconc__future_await(cur, deadline);
        if (rc != PARCONC_OK) { parconc__serial_drop(cur); return rc; }
        parconc__ilock(&s->pool_->inj_lock);
        next = cur->ext_.then_.src;
        if (next && !(next->flags_ & PARCONC__F_CALLER)) parconc_future_retain(next);
        parconc__mutex_unlock_raw(&s->pool_->inj_lock);
        parconc__serial_drop(cur);
        cur = next;
    }
    return PARCONC_OK;
}

PARCONC_API int parconc_serial_destroy(parconc_serial *s)
{
    if (!parconc__serial_ok(s)) return PARCONC_EINVAL;
    if (s->last_ && !(s->last_->flags_ & PARCONC__F_CALLER)) parconc_future_release(s->last_);
    s->last_ = NULL;
    s->magic_ = 0;
    return PARCONC_OK;
}

/* ---- periodic timers ----
   A timer's runs are delayed tasks in its two futures, used in turn.  A
   run calls fn, then, unless the timer was stopped, arms the next run in
   the other future: the run before it, which armed it and may still be
   settling (so it waits for that first; at the start the other future is
   a settled promise).  stopped_ and armed_ change only under lock_: a run
   sees a stop before it arms, and a stop finds the run it must cancel or
   wait for.  Runs never overlap: each is armed at the end of the one
   before it. */
static void *parconc__timer_run(void *arg);

static int parconc__timer_arm(parconc_timer *t, parconc_future *run, uint64_t at)
{
    parconc_task_desc d;
    uint64_t now = parconc_now_ns();
    parconc_future *out;
    int rc;
    parconc__task_plain(&d, parconc__timer_run, t, PARCONC_FOREVER);
    d.storage = run;
    d.delay_ns = at > now ? (int64_t)(at - now) : 1; /* due no earlier than at */
    rc = parconc__submit_ext(t->pool_, &d, NULL, &out);
    t->armed_ = rc == PARCONC_OK ? run : NULL;
    return rc;
}

static void *parconc__timer_run(void *arg)
{
    parconc_timer *t = (parconc_timer *)arg;
    (void)t->fn_(t->arg_);
    parconc__ilock(&t->lock_);
    if (!t->stopped_) {
        uint64_t now = parconc_now_ns(), at;
        parconc_future *next;
        if (t->mode_ == PARCONC_TIMER_FIXED_RATE) {
            at = t->next_ + t->period_;
            if (at <= now) at += ((now - at) / t->period_ + 1u) * t->period_; /* no catching up */
        } else {
            at = now + t->period_;
        }
        t->next_ = at;
        t->which_ ^= 1u;
        next = &t->runs_[t->which_];
        (void)parconc__future_await_ex(next, PARCONC__DEADLINE_NEVER, 0); /* the run before ours */
        if (parconc__timer_arm(t, next, at) != PARCONC_OK) t->stopped_ = 1; /* the pool shut down */
    }
    parconc__mutex_unlock_raw(&t->lock_);
    return NULL;
}

PARCONC_API int parconc_timer_start(parconc_timer *t, parconc_pool *p, int64_t first_ns, int64_t period_ns, int mode,
                                    parconc_task_fn fn, void *arg)
{
    int rc;
    if (!t || !p || !fn || period_ns <= 0 || first_ns < 0 ||
        (mode != PARCONC_TIMER_FIXED_RATE && mode != PARCONC_TIMER_FIXED_DELAY))
        return PARCONC_EINVAL;
    memset(t, 0, sizeof *t);
    t->pool_ = p;
    t->fn_ = fn;
    t->arg_ = arg;
    t->period_ = (uint64_t)period_ns;
    t->mode_ = mode;
    (void)parconc_future_init(&t->runs_[1]); /* "the run before the first": settled */
    (void)parconc_future_complete(&t->runs_[1], NULL);
    t->next_ = parconc_now_ns() + (uint64_t)first_ns;
    parconc__ilock(&t->lock_);
    rc = parconc__timer_arm(t, &t->runs_[0], t->next_);
    if (rc != PARCONC_OK) t->stopped_ = 1;
    parconc__mutex_unlock_raw(&t->lock_);
    return rc;
}

PARCONC_API int parconc_timer_stop(parconc_timer *t)
{
    parconc_future *armed;
    if (!t || !t->pool_) return PARCONC_EINVAL;
    parconc__ilock(&t->lock_);
    t->stopped_ = 1;
    armed = t->armed_;
    parconc__mutex_unlock_raw(&t->lock_);
    if (armed && armed == parconc__tls_task) return PARCONC_OK; /* our own run: it arms nothing now */
    if (armed && parconc_future_cancel(armed) != PARCONC_OK)
        (void)parconc__future_await_ex(armed, PARCONC__DEADLINE_NEVER, 0); /* running: until it ends */
    (void)parconc__future_await_ex(&t->runs_[0], PARCONC__DEADLINE_NEVER, 0); /* and the one before it */
    (void)parconc__future_await_ex(&t->runs_[1], PARCONC__DEADLINE_NEVER, 0);
    return PARCONC_OK;
}

/* ===================================================================== */
/* Work division                                       >>impl-division */
/* ===================================================================== */

PARCONC_API void parconc_split(size_t n, size_t parts, size_t index, size_t *begin, size_t *end)
{
    size_t q, r, b;
    if (!begin || !end) return;
    if (parts == 0 || index >= parts) { *begin = *end = 0; return; }
    q = n / parts;
    r = n % parts;
    /* index * q <= (parts - 1) * q <= n: no overflow anywhere */
    b = index * q + (index < r ? index : r);
    *begin = b;
    *end = b + q + (index < r ? 1 : 0);
}

PARCONC_API int parconc_split_checked(size_t n, size_t parts, size_t index, size_t *begin, size_t *end)
{
    if (!begin || !end || parts == 0 || index >= parts) return PARCONC_EINVAL;
    parconc_split(n, parts, index, begin, end);
    return PARCONC_OK;
}

/* A loop lives on the caller's stack; participants (the caller, id 0, and
   up to 63 helper tasks, ids 1..) claim ranges from it until none is left.
   Helper tasks use futures in caller storage (no allocation); when the
   caller runs out of work it cancels the helpers that never started and
   waits for the others, so nothing refers to the loop after it returns.
   Claims are one fetch_add (STATIC, DYNAMIC) or one CAS (GUIDED, AUTO) on
   `next`.  AUTO times every chunk and sizes the next ones so that a chunk
   takes about PARCONC__AUTO_TARGET_NS: small enough that a long item only
   holds up its own participant, large enough to amortise the claim. */
#define PARCONC__FOR_MAX_PARTICIPANTS 64
#define PARCONC__AUTO_TARGET_NS 50000u
#define PARCONC__INLINE_NS 20000u      /* loops cheaper than this run inline */
#define PARCONC__HELPER_COST_NS 5000u  /* rough cost of one helper task start */

typedef struct parconc__loop {
    size_t n, chunk, participants;
    parconc_range_fn fn;
    void *arg;
    int schedule;
    /* `next` is the one word every participant writes per chunk: alone on
       its cache line, so a claim moves one line between cores and the
       fields above, read on every claim, stay shared in every cache */
    char pad_before_next_[PARCONC_CACHELINE];
    size_t next;              /* atomic: next item (block for STATIC) */
    char pad_after_next_[PARCONC_CACHELINE - sizeof(size_t)];
    size_t done;              /* atomic: items finished (only with progress) */
    uint32_t stop;            /* atomic: parconc_for_stop was called */
    uint32_t next_id;         /* atomic: helper ids */
    uint32_t progress_busy;   /* atomic: a progress call is running */
    parconc__u64 last_report; /* written under progress_busy */
    uint32_t est_q4;          /* atomic: AUTO cost per item in 1/16 ns (32-bit so any
                                 thread may write it on any target) */
    const parconc_for_desc *desc;
    parconc_cancel *cancel;   /* desc->cancel */
    parconc_pool *pool;       /* the pool it runs on (NULL: the caller alone) */
    parconc_pool *traced;     /* the pool, when a trace was running at the loop's start */
    uint64_t interval;
} parconc__loop;

/* The loops this thread is taking part in, innermost first (one frame on
   the stack of each participation). */
typedef struct parconc__loop_frame {
    parconc__loop *loop;
    const struct parconc__loop_frame *outer;
} parconc__loop_frame;
static PARCONC__THREAD_LOCAL const parconc__loop_frame *parconc__tls_loops;
static int parconc__in_loop_body(void)
{
    return parconc__tls_loops != NULL;
}
/* Is this thread inside the body of a loop that runs on p?  A worker that
   joined such a loop is counted in p->loop_users until its part is done,
   and the loop's caller may already have taken it off p->loop_slot: a loop
   published from here would wait, when it ends, for loop_users to drain,
   its own count included.  Loops nested in a body on the same pool
   therefore queue helper tasks instead. */
static int parconc__in_loop_body_on(const parconc_pool *p)
{
    const parconc__loop_frame *f;
    for (f = parconc__tls_loops; f; f = f->outer)
        if (f->loop->pool == p) return 1;
    return 0;
}
/* stop: 1 after parconc_for_stop, or the (negative) reason of the loop's
   token once a participant saw it fired; the token is looked at before
   each chunk (one load without deadlines), so none starts after it. */
static int parconc__loop_stopped(parconc__loop *L)
{
    if (parconc__load(&L->stop, PARCONC__RELAXED)) return 1;
    if (L->cancel) {
        int r = parconc__cancel_reason(L->cancel);
        if (r) {
            uint32_t none = 0;
            (void)parconc__cas(&L->stop, &none, (uint32_t)r, PARCONC__RELAXED, PARCONC__RELAXED);
            return 1;
        }
    }
    return 0;
}

/* What the loop returns: OK, ECANCELED (parconc_for_stop) or the token's reason. */
static int parconc__loop_result(parconc__loop *L)
{
    uint32_t s = parconc__load(&L->stop, PARCONC__RELAXED);
    if (!s) return PARCONC_OK;
    return s == 1u ? PARCONC_ECANCELED : (int)(int32_t)s;
}
/* In a child process that forked inside loop bodies: every loop this
   thread takes part in starts no new chunk here (the parent runs them). */
static void parconc__loop_forget_all(void)
{
    const parconc__loop_frame *f;
    for (f = parconc__tls_loops; f; f = f->outer) parconc__store(&f->loop->stop, 1u, PARCONC__RELAXED);
    parconc__tls_loops = NULL;
}

PARCONC_API int parconc_for_stop(void)
{
    parconc__loop *L = parconc__tls_loops ? parconc__tls_loops->loop : NULL;
    uint32_t none = 0;
    if (!L) return PARCONC_EINVAL;
    (void)parconc__cas(&L->stop, &none, 1u, PARCONC__RELAXED, PARCONC__RELAXED); /* a token's reason stays */
    return PARCONC_OK;
}

/* AUTO's estimate of the cost of one item, in 1/16 ns (integers only: a
   Cortex-M3 or M4F has no double-precision unit, and software floating
   point made each estimate cost more than a small chunk).  0: none yet;
   else at least 8 (0.5 ns) and at most UINT32_MAX (about 268 s). */
#define PARCONC__EST_SHIFT 4
static uint32_t parconc__loop_estimate(parconc__loop *L)
{
    return parconc__load(&L->est_q4, PARCONC__RELAXED);
}

static void parconc__loop_learn(parconc__loop *L, size_t items, uint64_t ns)
{
    /* exponential moving average of the cost per item, weight 1/4 */
    uint64_t sample, old = parconc__loop_estimate(L), d;
    sample = ns > (UINT64_MAX >> PARCONC__EST_SHIFT) ? UINT64_MAX : (ns << PARCONC__EST_SHIFT) / (items ? items : 1);
    if (sample > UINT32_MAX) sample = UINT32_MAX;
    d = old ? (old * 3u + sample) / 4u : sample;
    if (d < 8u) d = 8u;
    parconc__store(&L->est_q4, (uint32_t)d, PARCONC__RELAXED);
}

/* Items that take about `ns` at the estimated cost (at least 1). */
static uint64_t parconc__loop_items_for(parconc__loop *L, uint64_t ns)
{
    uint32_t est = parconc__loop_estimate(L);
    uint64_t k;
    if (!est) return 1;
    k = (ns << PARCONC__EST_SHIFT) / est;
    return k ? k : 1;
}

/* DYNAMIC claims with one fetch_add of the chunk, which each participant
   may do once more after `next` passed n: safe while n + c * (k + 1) fits
   in a size_t (computed so that huge chunks cannot wrap the test itself).
   Otherwise the CAS loop below claims, which never passes n. */
static int parconc__loop_add_fits(size_t n, size_t c, size_t k)
{
    return c <= (SIZE_MAX - n) / (k + 1);
}

/* Claims the next range; 0 when nothing is left (or the loop stopped). */
static int parconc__loop_claim(parconc__loop *L, size_t *b, size_t *e)
{
    size_t s, c, n = L->n, k = L->participants;
    if (parconc__loop_stopped(L)) return 0;
    if (L->schedule == PARCONC_STATIC) {
        for (;;) { /* block k of K; empty blocks (n < K) are skipped */
            size_t blk = parconc__fetch_add(&L->next, (size_t)1, PARCONC__RELAXED);
            if (blk >= k) return 0;
            parconc_split(n, k, blk, b, e);
            if (*b < *e) return 1;
        }
    }
    if (L->schedule == PARCONC_DYNAMIC) {
        c = L->chunk ? L->chunk : 1;
        if (parconc__loop_add_fits(n, c, k)) {
            s = parconc__fetch_add(&L->next, c, PARCONC__RELAXED);
            if (s >= n) return 0;
            *b = s;
            *e = n - s < c ? n : s + c;
            return 1;
        }
    }
    s = parconc__load(&L->next, PARCONC__RELAXED);
    do {
        size_t left;
        if (s >= n) return 0;
        left = n - s;
        if (L->schedule == PARCONC_GUIDED) {
            c = left / (2 * k);
            if (c < (L->chunk ? L->chunk : 1)) c = L->chunk ? L->chunk : 1;
        } else if (L->schedule == PARCONC_AUTO) {
            uint64_t want = parconc__loop_items_for(L, PARCONC__AUTO_TARGET_NS);
            size_t cap = left / (2 * k);
            c = want >= (uint64_t)SIZE_MAX ? SIZE_MAX : (size_t)want;
            if (c > cap) c = cap; /* never more than a fair share of what is left */
            if (c < 1) c = 1;
        } else {
            c = L->chunk ? L->chunk : 1;
        }
        if (c > left) c = left;
    } while (!parconc__cas_weak(&L->next, &s, s + c, PARCONC__RELAXED, PARCONC__RELAXED));
    *b = s;
    *e = s + c;
    return 1;
}

static void parconc__loop_progress(parconc__loop *L, size_t items)
{
    const parconc_for_desc *d = L->desc;
    size_t done;
    uint64_t now;
    uint32_t zero = 0;
    if (!d || !d->progress) return;
    done = parconc__fetch_add(&L->done, items, PARCONC__ACQ_REL) + items;
    if (done == L->n) { /* the final report: exactly once, after any other */
        unsigned turn = 0;
        while (!parconc__cas(&L->progress_busy, &zero, 1u, PARCONC__ACQUIRE, PARCONC__RELAXED)) {
            zero = 0;
            parconc__backoff(&turn);
        }
        d->progress(L->n, L->n, d->progress_user);
        parconc__store(&L->progress_busy, 0u, PARCONC__RELEASE);
        return;
    }
    now = parconc_now_ns();
    if (now - parconc__u64_get(&L->last_report) < L->interval) return;
    if (!parconc__cas(&L->progress_busy, &zero, 1u, PARCONC__ACQUIRE, PARCONC__RELAXED)) return; /* someone reports */
    if (now - parconc__u64_get(&L->last_report) >= L->interval) {
        size_t seen = parconc__load(&L->done, PARCONC__ACQUIRE);
        parconc__u64_set(&L->last_report, now);
        if (seen < L->n) d->progress(seen, L->n, d->progress_user);
    }
    parconc__store(&L->progress_busy, 0u, PARCONC__RELEASE);
}

/* What one parconc_now_ns() costs, measured once (a relaxed cache: any
   racing first measurement is as good as another). */
static uint64_t parconc__clock_cost_ns(void)
{
    static uint32_t cost_plus_one; /* 0: not measured yet */
    uint32_t c = parconc__load(&cost_plus_one, PARCONC__RELAXED);
    if (c == 0) {
        uint64_t t0 = parconc_now_ns(), last = t0;
        int i;
        for (i = 0; i < 16; i++) last = parconc_now_ns();
        c = (uint32_t)((last - t0) / 16u) + 1u;
        parconc__store(&cost_plus_one, c, PARCONC__RELAXED);
    }
    return c - 1u;
}

static void parconc__loop_run_range(parconc__loop *L, size_t b, size_t e, size_t id)
{
    parconc__loop_frame frame;
    uint64_t traced_from = L->traced ? PARCONC__TRACE_TICKS() | 1u : 0u;
    frame.loop = L;
    frame.outer = parconc__tls_loops;
    parconc__tls_loops = &frame;
    if (L->schedule == PARCONC_AUTO) {
        uint64_t t0 = parconc_now_ns(), ns, clock_ns;
        L->fn(b, e, id, L->arg);
        ns = parconc_now_ns() - t0;
        /* the clock's own cost is not the items' (a 1-item probe of an
           empty body would otherwise read as two clock reads an item) */
        clock_ns = parconc__clock_cost_ns();
        parconc__loop_learn(L, e - b, ns > clock_ns ? ns - clock_ns : 0);
    } else {
        L->fn(b, e, id, L->arg);
    }
    parconc__tls_loops = frame.outer;
    if (traced_from) {
        parconc__worker *w = parconc__tls_worker;
        parconc__trace_record(L->traced, w && w->pool == L->traced ? w : NULL, "parallel_for", traced_from,
                              PARCONC__TRACE_CHUNK);
    }
    parconc__loop_progress(L, e - b);
}

static void parconc__loop_participate(parconc__loop *L, size_t id)
{
    size_t b, e;
    if (parconc__tls_worker) parconc__tls_worker->woken = 0; /* a loop helper: no lone-task rule */
    if (L->schedule == PARCONC_DYNAMIC && !(L->desc && L->desc->progress) && !L->traced) {
        /* hot path for fine-grained dynamic loops: one fetch_add and one
           call per chunk, the thread-local loop pointer set once */
        size_t c = L->chunk ? L->chunk : 1, n = L->n;
        if (parconc__loop_add_fits(n, c, L->participants)) {
            parconc__loop_frame frame;
            parconc_range_fn fn = L->fn;
            void *arg = L->arg;
            frame.loop = L;
            frame.outer = parconc__tls_loops;
            parconc__tls_loops = &frame;
            while (!parconc__loop_stopped(L)) {
                size_t s = parconc__fetch_add(&L->next, c, PARCONC__RELAXED);
                if (s >= n) break;
                fn(s, n - s < c ? n : s + c, id, arg);
            }
            parconc__tls_loops = frame.outer;
            return;
        }
    }
    while (parconc__loop_claim(L, &b, &e)) parconc__loop_run_range(L, b, e, id);
}

/* ---- the pool's loop slot ---------------------------------------------------
   A parallel_for publishes its loop in p->loop_slot with the number of helper
   places (loop_wanted); idle and spinning workers join it with a few atomic
   operations: no task, no queue lock, like an OpenMP team picking up a
   parallel region.  One loop at a time; others, and loops nested in a body
   on the same pool (see parconc__in_loop_body_on), use helper tasks.

   Lifetime (the loop is on the caller's stack): a worker increments
   loop_users BEFORE it reads loop_slot and decrements it when it is done
   with the loop; the caller clears loop_wanted and loop_slot, then waits
   for loop_users == 0.  All seq_cst: a worker counted after the caller saw
   zero must have read loop_slot after it was cleared, so it never touches
   the loop.  A worker may read a newer loop than the one whose place it
   took; the id check below keeps worker indices within the loop's count. */
static int parconc__pool_try_loop(parconc_pool *p)
{
    parconc__loop *L;
    uint32_t want;
    int joined = 0;
    parconc__fetch_add(&p->loop_users, 1u, PARCONC__SEQ_CST);
    L = (parconc__loop *)parconc__load(&p->loop_slot, PARCONC__SEQ_CST);
    want = parconc__load(&p->loop_wanted, PARCONC__SEQ_CST);
    while (L && want && !parconc__cas_weak(&p->loop_wanted, &want, want - 1u, PARCONC__SEQ_CST, PARCONC__SEQ_CST)) {}
    if (L && want) {
        uint32_t id = parconc__fetch_add(&L->next_id, 1u, PARCONC__RELAXED);
        if (id < L->participants) parconc__loop_participate(L, id);
        joined = 1;
    }
    /* release: our work in the loop happens before the caller's return */
    parconc__fetch_sub(&p->loop_users, 1u, PARCONC__SEQ_CST);
    return joined;
}

static int parconc__loop_publish(parconc_pool *p, parconc__loop *L, uint32_t helpers)
{
    void *expected = NULL;
    if (!parconc__cas(&p->loop_slot, &expected, (void *)L, PARCONC__SEQ_CST, PARCONC__RELAXED)) return 0;
    parconc__store(&p->loop_wanted, helpers, PARCONC__SEQ_CST);
    parconc__pool_wake(p, helpers, 0); /* as for tasks; no lone-task rule for helpers */
    return 1;
}

static void parconc__loop_unpublish(parconc_pool *p)
{
    int spins = 0;
    if (parconc__pool_inherited(p)) return; /* a child that forked inside the loop: no workers to wait for */
    parconc__store(&p->loop_wanted, 0u, PARCONC__SEQ_CST);
    parconc__store(&p->loop_slot, (void *)NULL, PARCONC__SEQ_CST);
    while (parconc__load(&p->loop_users, PARCONC__SEQ_CST) != 0) { /* workers finishing a chunk */
        if (++spins < 200) parconc__cpu_relax();
        else parconc_sleep_ns(20000);
    }
}

static void *parconc__loop_helper(void *arg)
{
    parconc__loop *L = (parconc__loop *)arg;
    parconc__loop_participate(L, parconc__fetch_add(&L->next_id, 1u, PARCONC__RELAXED));
    return NULL;
}

/* ---- RESPAWN: a fresh thread per chunk, at most K alive ---- */
typedef struct parconc__respawn_slot {
    parconc__loop *loop;
    size_t b, e, id;
    parconc_thread thread;
    int live;
} parconc__respawn_slot;

static void *parconc__respawn_main(void *arg)
{
    parconc__respawn_slot *s = (parconc__respawn_slot *)arg;
    parconc__loop_run_range(s->loop, s->b, s->e, s->id);
    return NULL;
}

/* Live threads at once: one slot each, PARCONC__RESPAWN_LOCAL in the
   frame, the rest (up to the loop's participants) from the heap. */
#define PARCONC__RESPAWN_LOCAL 8
static void parconc__loop_respawn(parconc__loop *L)
{
    parconc__respawn_slot local[PARCONC__RESPAWN_LOCAL], *slots;
    size_t k, next_slot = 0, i, b, e;
    slots = (parconc__respawn_slot *)parconc__frame_or_heap(local, PARCONC__RESPAWN_LOCAL, L->participants,
                                                            sizeof *slots, &k);
    memset(slots, 0, k * sizeof *slots);
    /* chunks come from the DYNAMIC claim with the respawn chunk size */
    L->schedule = PARCONC_DYNAMIC;
    while (parconc__loop_claim(L, &b, &e)) {
        parconc__respawn_slot *s = &slots[next_slot];
        if (s->live) { parconc_thread_join(s->thread, NULL); s->live = 0; } /* oldest thread first */
        s->loop = L;
        s->b = b;
        s->e = e;
        s->id = next_slot;
        if (parconc_thread_create(&s->thread, parconc__respawn_main, s, NULL) == PARCONC_OK) s->live = 1;
        else parconc__loop_run_range(L, b, e, next_slot); /* out of threads: run it here */
        next_slot = (next_slot + 1) % k;
    }
    for (i = 0; i < k; i++)
        if (slots[i].live) parconc_thread_join(slots[i].thread, NULL);
    L->schedule = PARCONC_RESPAWN;
    parconc__free_unless(slots, local);
}

static int parconc__loop_setup(parconc__loop *L, parconc_pool *p, size_t n, parconc_range_fn fn, void *arg,
                               const parconc_for_desc *desc)
{
    size_t k;
    memset(L, 0, sizeof *L);
    if (!fn) return PARCONC_EINVAL;
    if (desc && (desc->schedule < PARCONC_AUTO || desc->schedule > PARCONC_RESPAWN || desc->max_workers < 0))
        return PARCONC_EINVAL;
    L->n = n;
    L->fn = fn;
    L->arg = arg;
    L->desc = desc;
    L->cancel = desc ? desc->cancel : NULL;
    L->pool = p;
    L->traced = p && (parconc__load(&p->observe, PARCONC__RELAXED) & PARCONC__OBSERVE_TRACE) ? p : NULL;
    L->schedule = desc ? desc->schedule : PARCONC_AUTO;
    L->chunk = desc ? desc->chunk : 0;
    L->interval = desc && desc->progress_interval_ns > 0 ? (uint64_t)desc->progress_interval_ns : 100000000u;
    L->next_id = 1;
    k = p ? (size_t)p->loop_team : 1;
    if (L->schedule == PARCONC_RESPAWN && !p) k = 1;
    if (desc && desc->max_workers > 0 && (size_t)desc->max_workers < k) k = (size_t)desc->max_workers;
    if (k > PARCONC__FOR_MAX_PARTICIPANTS) k = PARCONC__FOR_MAX_PARTICIPANTS;
    if (k > n) k = n ? n : 1;
    L->participants = k;
    if (L->schedule == PARCONC_RESPAWN) {
        /* a thread per chunk costs tens of us: default 4 chunks per thread,
           and never more than 64 per thread whatever chunk says */
        size_t floor_chunk = n / (64 * k) + 1;
        if (!L->chunk) L->chunk = n / (4 * k) ? n / (4 * k) : 1;
        if (L->chunk < floor_chunk) L->chunk = floor_chunk;
    }
    return PARCONC_OK;
}

/* Runs a set-up loop with helpers from p when the pool's loop slot is
   taken (a loop inside a loop's body, or two loops at once): the helpers
   are queued as tasks instead, at most PARCONC__FOR_QUEUED_HELPERS of
   them, whose futures live in this frame (PARCONC__FOR_QUEUED_LOCAL) or on
   the heap (kept out of parconc__loop_execute's frame, so a loop that
   publishes needs no such stack). */
#define PARCONC__FOR_QUEUED_HELPERS 15
#define PARCONC__FOR_QUEUED_LOCAL 4
static PARCONC__NOINLINE void parconc__loop_with_queued_helpers(parconc__loop *L, parconc_pool *p)
{
    parconc_future local[PARCONC__FOR_QUEUED_LOCAL], *helpers;
    size_t i, nh, room, want = L->participants - 1;
    if (want > PARCONC__FOR_QUEUED_HELPERS) want = PARCONC__FOR_QUEUED_HELPERS;
    helpers = (parconc_future *)parconc__frame_or_heap(local, PARCONC__FOR_QUEUED_LOCAL, want, sizeof *helpers, &room);
    nh = parconc__pool_submit_many(p, parconc__loop_helper, L, helpers, room);
    parconc__loop_participate(L, 0);
    /* out of work: helpers that never started never will (cancel ends
       them); the started ones are waited for, as are the canceled ones,
       which settle at once */
    for (i = 0; i < nh; i++) (void)parconc_future_cancel(&helpers[i]);
    for (i = 0; i < nh; i++) parconc_future_wait(&helpers[i], PARCONC_FOREVER);
    parconc__free_unless(helpers, local);
}

static int parconc__loop_execute(parconc__loop *L, parconc_pool *p)
{
    int published = 0;
    if (L->n == 0) return PARCONC_OK;
    if (parconc__loop_stopped(L)) return parconc__loop_result(L); /* its token fired before */
    if (L->schedule == PARCONC_RESPAWN && L->participants > 1) {
        parconc__loop_respawn(L);
        return parconc__loop_result(L);
    }
    if (L->schedule == PARCONC_AUTO && L->participants > 1) {
        /* probe: run a few items here and time them; a loop that costs
           less than a few helper starts runs inline */
        size_t b, e, probe = L->n / (64 * L->participants);
        if (probe < 1) probe = 1;
        if (probe > 64) probe = 64;
        b = 0;
        e = probe;
        parconc__store(&L->next, probe, PARCONC__RELAXED);
        parconc__loop_run_range(L, b, e, 0);
        if ((uint64_t)(L->n - probe) < parconc__loop_items_for(L, PARCONC__INLINE_NS)) L->participants = 1;
    }
    if (p && L->participants > 1 && !parconc__loop_stopped(L)) {
        published = !parconc__in_loop_body_on(p) && parconc__loop_publish(p, L, (uint32_t)(L->participants - 1));
        if (!published) {
            parconc__loop_with_queued_helpers(L, p);
            return parconc__loop_result(L);
        }
    }
    parconc__loop_participate(L, 0);
    if (published) parconc__loop_unpublish(p);
    return parconc__loop_result(L);
}

PARCONC_API int parconc_parallel_for(parconc_pool *p, size_t n, parconc_range_fn fn, void *arg,
                                     const parconc_for_desc *desc)
{
    parconc__loop L;
    int rc;
    if (p && parconc__pool_inherited(p)) p = NULL; /* a child after fork: no workers here */
    rc = parconc__loop_setup(&L, p, n, fn, arg, desc);
    if (rc != PARCONC_OK) return rc;
    return parconc__loop_execute(&L, p);
}

/* ---- reduce: fixed blocks, combined in block order ---- */
#define PARCONC__REDUCE_MAX_PARTIAL 256
#define PARCONC__REDUCE_BLOCKS_PER_WORKER 4

typedef struct parconc__reduce {
    parconc_reduce_fn fn;
    void *arg;
    size_t n, blocks, partial_size;
    unsigned char *partials; /* blocks * partial_size, each starting as the identity */
} parconc__reduce;

static void parconc__reduce_blocks(size_t b, size_t e, size_t worker, void *arg)
{
    parconc__reduce *R = (parconc__reduce *)arg;
    (void)worker;
    for (; b < e; b++) {
        size_t ib, ie;
        parconc_split(R->n, R->blocks, b, &ib, &ie);
        if (ib < ie) R->fn(ib, ie, R->partials + b * R->partial_size, R->arg);
    }
}

PARCONC_API int parconc_parallel_reduce(parconc_pool *p, size_t n, parconc_reduce_fn fn, parconc_combine_fn combine,
                                        void *result, size_t partial_size, void *arg, const parconc_for_desc *desc)
{
    parconc__reduce R;
    parconc__loop L;
    parconc_for_desc d;
    size_t i, k;
    int rc;
    /* up to 256 bytes of partials (32 blocks of 8 bytes: 8 workers) live
       on the stack, aligned for any scalar; more take one heap block (or,
       with PARCONC_NO_MALLOC, fewer blocks: a fixed rule, so the result
       stays the same every run) */
    union {
        unsigned char bytes[256];
        long double ld;
        double d;
        uint64_t u;
        void *ptr;
    } storage;
    unsigned char *big = NULL;
    if (!fn || !combine || !result || partial_size == 0 || partial_size > PARCONC__REDUCE_MAX_PARTIAL) return PARCONC_EINVAL;
    if (desc) d = *desc; else memset(&d, 0, sizeof d);
    if (d.schedule < PARCONC_AUTO || d.schedule > PARCONC_RESPAWN) return PARCONC_EINVAL;
    if (n == 0) return PARCONC_OK;
    if (p && parconc__pool_inherited(p)) p = NULL; /* a child after fork: no workers here */
    k = p ? (size_t)p->loop_team : 1;
    if (d.max_workers > 0 && (size_t)d.max_workers < k) k = (size_t)d.max_workers;
    if (k > PARCONC__FOR_MAX_PARTICIPANTS) k = PARCONC__FOR_MAX_PARTICIPANTS;
    R.fn = fn;
    R.arg = arg;
    R.n = n;
    R.partial_size = partial_size;
    R.blocks = k * PARCONC__REDUCE_BLOCKS_PER_WORKER;
    if (R.blocks > n) R.blocks = n;
#ifdef PARCONC_NO_MALLOC
    if (R.blocks * partial_size > sizeof storage.bytes) R.blocks = sizeof storage.bytes / partial_size;
#endif
    if (R.blocks * partial_size <= sizeof storage.bytes) {
        R.partials = storage.bytes;
    } else {
        /* Never fall back to fewer blocks here: that would change the
           result of a floating-point reduction on an unlucky run. */
        big = (unsigned char *)parconc__malloc(R.blocks * partial_size);
        if (!big) return PARCONC_ENOMEM;
        R.partials = big;
    }
    for (i = 0; i < R.blocks; i++) memcpy(R.partials + i * partial_size, result, partial_size);
    /* blocks are handed out one at a time (dynamic): balance without
       changing which items form a block */
    d.schedule = d.schedule == PARCONC_RESPAWN ? PARCONC_RESPAWN : PARCONC_DYNAMIC;
    d.chunk = 1;
    rc = parconc__loop_setup(&L, p, R.blocks, parconc__reduce_blocks, &R, &d);
    if (rc == PARCONC_OK) rc = parconc__loop_execute(&L, p);
    if (rc == PARCONC_OK)
        for (i = 0; i < R.blocks; i++) combine(result, R.partials + i * partial_size, arg);
    parconc__free(big);
    return rc;
}

/* ---- advisor ---- */
PARCONC_API int parconc_for_advise(const parconc_pool *p, size_t n, double ns_per_item, parconc_for_advice *out)
{
    double total, k_max, k_useful;
    size_t chunk;
    if (!out || !(ns_per_item >= 0 && ns_per_item <= DBL_MAX)) return PARCONC_EINVAL; /* NaN, inf */
    memset(out, 0, sizeof *out);
    total = (double)n * ns_per_item;
    k_max = p ? (double)p->loop_team : 1;
    if (k_max > PARCONC__FOR_MAX_PARTICIPANTS) k_max = PARCONC__FOR_MAX_PARTICIPANTS;
    if (n <= 1 || k_max <= 1 || total < (double)PARCONC__INLINE_NS) {
        out->workers = 1;
        out->chunk = n;
        out->expected_speedup = 1.0;
        out->reason = n <= 1 ? "one item or none: nothing to divide"
                    : k_max <= 1 ? "no pool (or a pool of 0 helpers): runs on the calling thread"
                                 : "the whole loop costs less than starting helpers would: runs inline";
        return PARCONC_OK;
    }
    /* each helper must have at least a few helper-starts' worth of work */
    k_useful = total / (4.0 * PARCONC__HELPER_COST_NS);
    if (k_useful > (double)n) k_useful = (double)n;
    out->workers = (int)(k_useful < k_max ? (k_useful < 1 ? 1 : k_useful) : k_max);
    chunk = n / (2 * (size_t)out->workers); /* a fair share at most */
    if (ns_per_item > 0 && (double)PARCONC__AUTO_TARGET_NS / ns_per_item < (double)chunk)
        chunk = (size_t)((double)PARCONC__AUTO_TARGET_NS / ns_per_item); /* below a size_t: the conversion is defined */
    if (chunk < 1) chunk = 1;
    out->chunk = chunk;
    /* total / (total / w + cost * (w - 1)), in a form that stays finite
       when total overflowed to infinity */
    out->expected_speedup =
        out->workers / (1.0 + PARCONC__HELPER_COST_NS * out->workers * (out->workers - 1) / total);
    out->reason = out->workers < (int)k_max
                      ? "too little work for every thread: fewer helpers, each with enough to pay for its start"
                      : chunk == 1 ? "items are expensive: one at a time balances best"
                                   : "enough work for every thread; chunks of ~50 us amortise claiming and bound imbalance";
    return PARCONC_OK;
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
