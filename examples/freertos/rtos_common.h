/* rtos_common.h - what the two board programs share: parconc's
   configuration (no heap, no stdio, a custom port, futures in caller
   storage so no submission ring, waits inside tasks nested at most twice
   on small stacks), a failure counter that names the line, the pools they
   make, and starting main's work as a FreeRTOS task.  Each program is one
   file and includes this once: it holds the implementation. */
#ifndef RTOS_COMMON_H
#define RTOS_COMMON_H
#define PARCONC_IMPLEMENTATION
#define PARCONC_PORT_CUSTOM
#define PARCONC_NO_MALLOC
#define PARCONC_NO_STDIO
#define PARCONC_POOL_RING 0
#define PARCONC_HELP_DEPTH 2
#include "../../parconc.h"
#include "FreeRTOS.h"
#include "task.h"
#include "board.h"

static volatile int rtos_failures;

#define CHECK(cond) do { if (!(cond)) rtos_fail(__LINE__, #cond); } while (0)

static void rtos_fail(int line, const char *what)
{
    rtos_failures++;
    board_puts("  FAILED line ");
    board_put_u64((uint64_t)line);
    board_puts(": ");
    board_puts(what);
    board_puts("\n");
}

static void rtos_line(const char *label, uint64_t value, const char *unit)
{
    board_puts(label);
    board_put_u64(value);
    board_puts(unit);
}

/* Two workers on caller memory, a bounded queue of 16 that makes a
   submitter wait for room, 16-slot deques. */
static void rtos_pool_desc(parconc_pool_desc *desc, void *memory, size_t size, size_t stack_size, int priority)
{
    memset(desc, 0, sizeof *desc);
    desc->threads = 2;
    desc->queue_capacity = 16;
    desc->block_when_full = 1;
    desc->deque_capacity = 16;
    desc->memory = memory;
    desc->memory_size = size;
    desc->stack_size = stack_size;
    desc->priority = priority;
}

static void (*rtos_body)(void);

static void rtos_main_task(void *arg)
{
    (void)arg;
    rtos_body();
    board_exit(rtos_failures);
}

/* Runs body as a task of priority `prio` with a 16 KB stack; never returns. */
static int rtos_run(void (*body)(void), UBaseType_t prio)
{
    rtos_body = body;
    if (xTaskCreate(rtos_main_task, "main", 16384 / sizeof(StackType_t), NULL, prio, NULL) != pdPASS) return 90;
    vTaskStartScheduler();
    return 91; /* only when the kernel could not start */
}

#endif
