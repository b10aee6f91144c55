/* port_freertos.c - parconc's port layer (PARCONC_PORT_CUSTOM) on
   FreeRTOS V11, for Cortex-M3/M4 and any other FreeRTOS port.

   A port is an example to copy: every function below says which kernel
   call it stands on and why the contract holds.  Kernel configuration it
   needs (FreeRTOSConfig.h in this folder has all of it):
     configSUPPORT_STATIC_ALLOCATION 1 and configSUPPORT_DYNAMIC_ALLOCATION 1
     configUSE_C_RUNTIME_TLS_SUPPORT 1 with the three TLS hooks below
     configTASK_NOTIFICATION_ARRAY_ENTRIES >= 2 (index 1 is parconc's)
     INCLUDE_vTaskDelete, INCLUDE_vTaskSuspend (portMAX_DELAY = forever),
     INCLUDE_xTaskGetSchedulerState, INCLUDE_xTaskGetCurrentTaskHandle,
     INCLUDE_uxTaskPriorityGet
   Options: PORT_FREERTOS_TICK_CLOCK 1 makes the clock count ticks only
   (for cores without SysTick; its resolution is then one tick).

   Threads are tasks.  A thread's record (result, join semaphore) comes from
   pvPortMalloc, its stack from xTaskCreate, and join gives both back at
   once; parconc itself allocates nothing.  Stack sizes are in bytes here and become words for FreeRTOS;
   the TLS block is carved from the top of each stack and counted on top of
   the size asked for. */
#define PARCONC_PORT_CUSTOM
#include "../../parconc.h"
#include "FreeRTOS.h"
#include "task.h"
#include "semphr.h"
#include "port_freertos.h"
#include <string.h>

#define PORT_NOTIFY_INDEX 1 /* task notification slot used by wait/wake */
#define PORT_DEFAULT_STACK 4096u

#ifndef PORT_FREERTOS_TICK_CLOCK
#define PORT_FREERTOS_TICK_CLOCK 0
#endif

/* ===================================================================== */
/* Thread-local storage                                                  */
/* ===================================================================== */
/* ARM EABI TLS (variant 1): the compiler reads the thread pointer with
   __aeabi_read_tp and finds a __thread variable at a fixed offset from it;
   the block is 8 bytes of control block, then a copy of .tdata, then .tbss
   zeroed.  Every task needs its own block: parconc keeps per-thread state
   (the worker a thread is, the task it runs) there. */
extern char __tls_start[], __tdata_end[], __tls_end[];
void *port_freertos_tp; /* the running task's block; switched with the task (global: read from assembly) */
static uint64_t port_boot_tls[32]; /* start-up code and main before the scheduler */

uint32_t port_freertos_tls_size(void) { return (uint32_t)(8 + (__tls_end - __tls_start) + 7) & ~7u; }

static void port_tls_fill(void *block)
{
    size_t init = (size_t)(__tdata_end - __tls_start), all = (size_t)(__tls_end - __tls_start);
    memcpy((char *)block + 8, __tls_start, init);
    memset((char *)block + 8 + init, 0, all - init);
}

void *port_freertos_tls_init(void **block, void *top_of_stack)
{
    uintptr_t b = ((uintptr_t)top_of_stack - port_freertos_tls_size()) & ~(uintptr_t)7;
    *block = (void *)b;
    port_tls_fill(*block);
    return (void *)((b - 1) & ~(uintptr_t)portBYTE_ALIGNMENT_MASK);
}

void port_freertos_tls_set(void *block) { port_freertos_tp = block; }

void port_freertos_boot(void)
{
    if (port_freertos_tls_size() > sizeof port_boot_tls) for (;;) {} /* grow port_boot_tls */
    port_tls_fill(port_boot_tls);
    port_freertos_tp = port_boot_tls;
}

/* The ABI lets __aeabi_read_tp change r0 only (callers keep values in
   r1-r3 and ip across it), so it is written in assembly: one load. */
__asm__(".text\n .thumb\n .syntax unified\n .global __aeabi_read_tp\n .type __aeabi_read_tp, %function\n"
        ".thumb_func\n__aeabi_read_tp:\n ldr r0, =port_freertos_tp\n ldr r0, [r0]\n bx lr\n .ltorg\n");

/* ===================================================================== */
/* Threads                                                               */
/* ===================================================================== */
typedef struct port_thread {
    TaskHandle_t task;
    void *(*fn)(void *);
    void *arg;
    void *result;
    StaticSemaphore_t done_storage;
    SemaphoreHandle_t done; /* given once fn has returned */
    int detached, ended;    /* under a critical section */
} port_thread;

static int port_scheduler_running(void) { return xTaskGetSchedulerState() != taskSCHEDULER_NOT_STARTED; }

static void port_thread_main(void *p)
{
    port_thread *t = (port_thread *)p;
    void *r = t->fn(t->arg);
    int detached;
    taskENTER_CRITICAL();
    t->result = r;
    t->ended = 1;
    detached = t->detached;
    taskEXIT_CRITICAL();
    if (detached) {
        vPortFree(t);
        vTaskDelete(NULL); /* the idle task frees the stack and the TCB */
    }
    /* Joinable: the joiner deletes this task, which frees its stack at
       once (a task deleting itself waits for the idle task to free it,
       and a program that starts and joins threads without ever idling
       would run out of heap).  Nothing here touches t after the give. */
    xSemaphoreGive(t->done);
    for (;;) vTaskSuspend(NULL);
}

/* priority: 0 is the creator's priority (tskIDLE_PRIORITY + 1 before the
   scheduler runs), else 1..configMAX_PRIORITIES-1. */
int parconc_port_thread_create(void **handle, void *(*fn)(void *), void *arg, const parconc_port_thread_attr *attr)
{
    size_t bytes = attr->stack_size ? attr->stack_size : PORT_DEFAULT_STACK;
    UBaseType_t prio;
    port_thread *t;
    if (attr->priority < 0 || attr->priority >= configMAX_PRIORITIES) return PARCONC_EINVAL;
    prio = attr->priority ? (UBaseType_t)attr->priority
         : port_scheduler_running() ? uxTaskPriorityGet(NULL) : tskIDLE_PRIORITY + 1;
    bytes += port_freertos_tls_size() + sizeof(StackType_t) - 1;
    t = (port_thread *)pvPortMalloc(sizeof *t);
    if (!t) return PARCONC_ENOMEM;
    memset(t, 0, sizeof *t);
    t->fn = fn;
    t->arg = arg;
    t->done = xSemaphoreCreateBinaryStatic(&t->done_storage);
    if (xTaskCreate(port_thread_main, attr->name ? attr->name : "parconc",
                    (configSTACK_DEPTH_TYPE)(bytes / sizeof(StackType_t)), t, prio, &t->task) != pdPASS) {
        vPortFree(t);
        return PARCONC_ENOMEM;
    }
    *handle = t;
    return PARCONC_OK;
}

int parconc_port_thread_join(void *handle, void **result)
{
    port_thread *t = (port_thread *)handle;
    if (t->task == xTaskGetCurrentTaskHandle()) return PARCONC_EDEADLK;
    xSemaphoreTake(t->done, portMAX_DELAY);
    if (result) *result = t->result;
    vTaskDelete(t->task); /* between its give and its suspend, or suspended */
    vPortFree(t);
    return PARCONC_OK;
}

int parconc_port_thread_detach(void *handle)
{
    port_thread *t = (port_thread *)handle;
    int ended;
    taskENTER_CRITICAL();
    ended = t->ended;
    if (!ended) t->detached = 1;
    taskEXIT_CRITICAL();
    if (ended) return parconc_port_thread_join(handle, NULL); /* it gives `done` next */
    return PARCONC_OK;
}

uintptr_t parconc_port_thread_self(void)
{
    return port_scheduler_running() ? (uintptr_t)xTaskGetCurrentTaskHandle() : 1u;
}

/* taskYIELD lets tasks of the same priority run, never lower ones: parconc
   never waits for another thread by yielding alone (it sleeps after a few
   yields), so a lower-priority holder still gets the CPU. */
void parconc_port_thread_yield(void)
{
    if (port_scheduler_running() && !xPortIsInsideInterrupt()) taskYIELD();
}

int parconc_port_cpu_count(void)
{
#ifdef configNUMBER_OF_CORES
    return configNUMBER_OF_CORES;
#else
    return 1;
#endif
}

/* ===================================================================== */
/* Clock                                                                 */
/* ===================================================================== */
/* 64 bits that never wrap: the kernel's tick count and its overflow count
   (vTaskInternalSetTimeOutState reads both at once) make a 64-bit tick;
   on Cortex-M the SysTick down-counter adds the time into the current tick
   (resolution 1/configCPU_CLOCK_HZ).  Read with interrupts masked, so the
   tick interrupt cannot run in between; a tick that is due but not yet
   counted shows as SysTick's pending bit.  While the scheduler is suspended
   the kernel holds ticks back: the largest value handed out is kept so the
   clock never goes back (it stands still instead). */
#define PORT_TICK_NS (1000000000u / configTICK_RATE_HZ)
#define PORT_SYST_LOAD (*(volatile uint32_t *)0xE000E014u)
#define PORT_SYST_VAL (*(volatile uint32_t *)0xE000E018u)
#define PORT_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define PORT_PENDSTSET (1u << 26)
static uint64_t port_last_ns;

uint64_t parconc_port_now_ns(void)
{
    TimeOut_t t;
    uint64_t ticks, ns;
    UBaseType_t mask = portSET_INTERRUPT_MASK_FROM_ISR(); /* from a task or an interrupt */
    vTaskInternalSetTimeOutState(&t);
    ticks = ((uint64_t)(uint32_t)t.xOverflowCount << 32) | (uint32_t)t.xTimeOnEntering;
    ns = ticks * PORT_TICK_NS;
#if !PORT_FREERTOS_TICK_CLOCK
    {
        uint32_t load = PORT_SYST_LOAD, val = PORT_SYST_VAL;
        if (PORT_ICSR & PORT_PENDSTSET) { /* wrapped, not yet counted */
            val = PORT_SYST_VAL;
            ns += PORT_TICK_NS;
        }
        ns += (uint64_t)(load - val) * 1000000000u / configCPU_CLOCK_HZ;
    }
#endif
    if (ns < port_last_ns) ns = port_last_ns;
    port_last_ns = ns;
    portCLEAR_INTERRUPT_MASK_FROM_ISR(mask);
    return ns;
}

uint64_t parconc_port_clock_resolution_ns(void)
{
    return PORT_FREERTOS_TICK_CLOCK ? PORT_TICK_NS : (1000000000u + configCPU_CLOCK_HZ - 1) / configCPU_CLOCK_HZ;
}

/* ===================================================================== */
/* Wait and wake                                                         */
/* ===================================================================== */
/* A parking list: a waiter puts a record on its stack into the bucket of
   its word and blocks on its task notification (slot PORT_NOTIFY_INDEX).
   Checking the word and linking the record happen in one critical section,
   and wake unlinks and notifies inside one too, so a wake either finds the
   record or comes before the check (which then sees the new value): none
   is lost.  A notification given to a task that has just timed out stays
   pending; the next wait clears it before it links, so it can only make a
   wait return early, which the contract allows.  wake works from an
   interrupt (interrupt-masking critical section, FromISR notify); wait
   blocks and must not be called from one. */
typedef struct port_waiter {
    uint32_t *addr;
    TaskHandle_t task;
    struct port_waiter *next;
    volatile int woken;
} port_waiter;

#define PORT_BUCKETS 16u
static port_waiter *port_buckets[PORT_BUCKETS];

static port_waiter **port_bucket(const uint32_t *addr) { return &port_buckets[((uintptr_t)addr >> 2) % PORT_BUCKETS]; }

static void port_unlink(port_waiter *w)
{
    port_waiter **pp = port_bucket(w->addr);
    while (*pp && *pp != w) pp = &(*pp)->next;
    if (*pp) *pp = w->next;
}

/* Ticks to block so that at least `ns` have passed when it ends: a delay of
   k ticks may end just after k-1 periods, hence the +1. */
static TickType_t port_ticks_for(uint64_t ns)
{
    uint64_t k = ns / PORT_TICK_NS + 2u;
    return k >= (uint64_t)portMAX_DELAY ? portMAX_DELAY - 1u : (TickType_t)k;
}

int parconc_port_wait(uint32_t *addr, uint32_t expected, uint64_t deadline_ns)
{
    port_waiter w;
    uint64_t now;
    if (!port_scheduler_running()) {
        /* one thread and no scheduler: nobody else can change the word */
        if (__atomic_load_n(addr, __ATOMIC_ACQUIRE) != expected) return PARCONC_OK;
        while (deadline_ns != UINT64_MAX && parconc_port_now_ns() < deadline_ns) {}
        return deadline_ns == UINT64_MAX ? PARCONC_OK : PARCONC_ETIMEDOUT;
    }
    w.addr = addr;
    w.task = xTaskGetCurrentTaskHandle();
    w.woken = 0;
    taskENTER_CRITICAL();
    /* acquire: a caller that returns because the word changed sees what
       its waker wrote before changing it (the caller re-checks its
       condition with its own atomics too) */
    if (__atomic_load_n(addr, __ATOMIC_ACQUIRE) != expected) {
        taskEXIT_CRITICAL();
        return PARCONC_OK;
    }
    ulTaskNotifyValueClearIndexed(NULL, PORT_NOTIFY_INDEX, 0xFFFFFFFFu); /* a stale give */
    w.next = *port_bucket(addr);
    *port_bucket(addr) = &w;
    taskEXIT_CRITICAL();
    if (deadline_ns == UINT64_MAX) {
        ulTaskNotifyTakeIndexed(PORT_NOTIFY_INDEX, pdTRUE, portMAX_DELAY);
    } else {
        now = parconc_port_now_ns();
        if (now < deadline_ns) ulTaskNotifyTakeIndexed(PORT_NOTIFY_INDEX, pdTRUE, port_ticks_for(deadline_ns - now));
    }
    taskENTER_CRITICAL();
    if (!w.woken) port_unlink(&w);
    taskEXIT_CRITICAL();
    if (deadline_ns != UINT64_MAX && parconc_port_now_ns() >= deadline_ns) return PARCONC_ETIMEDOUT;
    return PARCONC_OK;
}

static int port_wake_locked(uint32_t *addr, int n, BaseType_t *higher_woken)
{
    port_waiter **pp = port_bucket(addr);
    int woke = 0;
    while (*pp && woke < n) {
        port_waiter *w = *pp;
        if (w->addr != addr) { pp = &w->next; continue; }
        *pp = w->next;
        w->woken = 1;
        if (higher_woken) vTaskNotifyGiveIndexedFromISR(w->task, PORT_NOTIFY_INDEX, higher_woken);
        else xTaskNotifyGiveIndexed(w->task, PORT_NOTIFY_INDEX);
        woke++;
    }
    return woke;
}

void parconc_port_wake(uint32_t *addr, int n)
{
    if (xPortIsInsideInterrupt()) {
        BaseType_t higher_woken = pdFALSE;
        UBaseType_t mask = taskENTER_CRITICAL_FROM_ISR();
        port_wake_locked(addr, n, &higher_woken);
        taskEXIT_CRITICAL_FROM_ISR(mask);
        portYIELD_FROM_ISR(higher_woken);
    } else if (port_scheduler_running()) {
        taskENTER_CRITICAL();
        port_wake_locked(addr, n, NULL);
        taskEXIT_CRITICAL(); /* a woken task of higher priority runs here */
    }
}
