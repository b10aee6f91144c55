/* port_posix.c - a complete PARCONC_PORT_CUSTOM port over pthreads and the
   Linux futex.  It proves the port layer: `make test` builds the whole test
   suite against it (variant "port"), so every module runs on nothing but
   these ten functions.  It doubles as the reference for writing a port to
   an RTOS, and has one test hook: fail the k-th thread creation.

   Build it as its own file, or #include it after parconc.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#ifndef PARCONC_PORT_CUSTOM
#define PARCONC_PORT_CUSTOM 1
#endif
#include "../../parconc.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

/* Test hooks (tests/test_faults.c): port_posix_fail_thread(k) makes the
   k-th creation from now fail; port_posix_threads_live() counts threads not
   yet joined or detached.  When > 0, the thread creation that brings the count of
   creations to this number fails with PARCONC_EAGAIN (1 = the next one). */
static long port_posix_fail_thread_at;
static long port_posix_threads_created;
static long port_posix_live; /* created and not yet joined or detached */

long port_posix_threads_live(void) { return __atomic_load_n(&port_posix_live, __ATOMIC_SEQ_CST); }

void port_posix_fail_thread(long kth)
{
    __atomic_store_n(&port_posix_threads_created, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&port_posix_fail_thread_at, kth, __ATOMIC_SEQ_CST);
}

int parconc_port_thread_create(void **handle, void *(*fn)(void *), void *arg,
                               const parconc_port_thread_attr *a)
{
    size_t stack_size = a->stack_size;
    const char *name = a->name;
    pthread_attr_t attr;
    pthread_t *h;
    long fail_at = __atomic_load_n(&port_posix_fail_thread_at, __ATOMIC_SEQ_CST);
    int e;
    if (fail_at > 0 && __atomic_add_fetch(&port_posix_threads_created, 1, __ATOMIC_SEQ_CST) == fail_at)
        return PARCONC_EAGAIN;
    if (a->priority) return PARCONC_EINVAL; /* this port has one priority */
    /* the handle is a heap copy of pthread_t: a port owns its handles */
    h = (pthread_t *)malloc(sizeof *h);
    if (!h) return PARCONC_ENOMEM;
    pthread_attr_init(&attr);
    if (stack_size) {
        if (stack_size < (size_t)PTHREAD_STACK_MIN) stack_size = (size_t)PTHREAD_STACK_MIN;
        pthread_attr_setstacksize(&attr, stack_size);
    }
    e = pthread_create(h, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    if (e) {
        free(h);
        return e == EAGAIN ? PARCONC_EAGAIN : PARCONC_ENOMEM;
    }
    if (name && name[0]) { /* Linux keeps 15 bytes of a name */
        char n15[16];
        size_t n = strlen(name) < 15 ? strlen(name) : 15;
        memcpy(n15, name, n);
        n15[n] = '\0';
        pthread_setname_np(*h, n15);
    }
    __atomic_add_fetch(&port_posix_live, 1, __ATOMIC_SEQ_CST);
    *handle = h;
    return PARCONC_OK;
}

int parconc_port_thread_join(void *handle, void **result)
{
    pthread_t *h = (pthread_t *)handle;
    int e;
    if (pthread_equal(*h, pthread_self())) return PARCONC_EDEADLK;
    e = pthread_join(*h, result);
    if (e) return PARCONC_EINVAL;
    free(h);
    __atomic_sub_fetch(&port_posix_live, 1, __ATOMIC_SEQ_CST);
    return PARCONC_OK;
}

int parconc_port_thread_detach(void *handle)
{
    pthread_t *h = (pthread_t *)handle;
    int e = pthread_detach(*h);
    free(h);
    __atomic_sub_fetch(&port_posix_live, 1, __ATOMIC_SEQ_CST);
    return e ? PARCONC_EINVAL : PARCONC_OK;
}

uintptr_t parconc_port_thread_self(void) { return (uintptr_t)pthread_self(); }

void parconc_port_thread_yield(void) { sched_yield(); }

uint64_t parconc_port_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t parconc_port_clock_resolution_ns(void)
{
    struct timespec ts;
    clock_getres(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int parconc_port_wait(uint32_t *addr, uint32_t expected, uint64_t deadline_ns)
{
    struct timespec ts, *tsp = NULL;
    if (deadline_ns != UINT64_MAX) {
        ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
        ts.tv_nsec = (long)(deadline_ns % 1000000000u);
        tsp = &ts;
    }
    if (syscall(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, tsp, NULL,
                FUTEX_BITSET_MATCH_ANY) == -1 && errno == ETIMEDOUT)
        return PARCONC_ETIMEDOUT;
    return PARCONC_OK;
}

void parconc_port_wake(uint32_t *addr, int n)
{
    syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL, NULL, 0);
}

int parconc_port_cpu_count(void)
{
    cpu_set_t set;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return n > 0 ? (int)n : 1;
}
