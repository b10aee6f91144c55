/* stub_port.c - a link-only PARCONC_PORT_CUSTOM port for the Cortex-M4
   firmware sample.  Each function says what an RTOS port puts there; as
   written it has one thread and no scheduler, so thread creation reports
   PARCONC_EAGAIN (the sample then runs its work on the calling thread).

   A real port: FreeRTOS (examples/freertos/port_freertos.c, run under QEMU
   by `make rtos`), Zephyr (k_thread_create / k_futex_wait), or
   any POSIX layer (see tests/port/port_posix.c). */
#define PARCONC_PORT_CUSTOM
#include "../../parconc.h"

/* The RTOS tick: a real port reads its timer; this one counts calls, so
   time still moves forward and timed waits end. */
static volatile uint64_t fake_clock_ns;

int parconc_port_thread_create(void **handle, void *(*fn)(void *), void *arg,
                               const parconc_port_thread_attr *attr)
{
    (void)handle; (void)fn; (void)arg; (void)attr;
    return PARCONC_EAGAIN; /* RTOS: create a task running fn(arg) */
}

int parconc_port_thread_join(void *handle, void **result)
{
    (void)handle; (void)result;
    return PARCONC_EINVAL; /* RTOS: wait on the task's exit semaphore */
}

int parconc_port_thread_detach(void *handle)
{
    (void)handle;
    return PARCONC_EINVAL; /* RTOS: mark the task to free itself */
}

uintptr_t parconc_port_thread_self(void) { return 1; /* RTOS: current task handle */ }

void parconc_port_thread_yield(void) { /* RTOS: taskYIELD() */ }

uint64_t parconc_port_now_ns(void)
{
    fake_clock_ns += 1000;
    return fake_clock_ns;
}

uint64_t parconc_port_clock_resolution_ns(void) { return 1000; /* RTOS: its timer's period */ }

int parconc_port_wait(uint32_t *addr, uint32_t expected, uint64_t deadline_ns)
{
    /* RTOS: in a critical section, re-check *addr == expected and block the
       task on addr until woken or the deadline.  One thread: nobody can
       change the word, so the only way out is the deadline. */
    if (__atomic_load_n(addr, __ATOMIC_ACQUIRE) != expected) return PARCONC_OK;
    while (deadline_ns != UINT64_MAX && parconc_port_now_ns() < deadline_ns) {}
    return deadline_ns == UINT64_MAX ? PARCONC_OK : PARCONC_ETIMEDOUT;
}

void parconc_port_wake(uint32_t *addr, int n) { (void)addr; (void)n; /* RTOS: unblock n waiters on addr */ }

int parconc_port_cpu_count(void) { return 1; }

/* Thread-local storage on ARM EABI: the compiler reads the thread pointer
   with __aeabi_read_tp; an RTOS returns the current task's TLS block.  One
   thread here: one static block (laid out as the ABI's TCB + .tdata/.tbss). */
static unsigned char tls_block[8 + 512] __attribute__((aligned(8)));
void *__aeabi_read_tp(void);
void *__aeabi_read_tp(void) { return tls_block; }
