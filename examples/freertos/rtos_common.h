/* rtos_common.h - what the two board programs share: a failure counter
   that names the line, and starting main's work as a FreeRTOS task. */
#ifndef RTOS_COMMON_H
#define RTOS_COMMON_H
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
