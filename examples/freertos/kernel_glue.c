/* kernel_glue.c - what FreeRTOS asks of the application: memory for the
   idle task, and the hooks for failed allocations, stack overflow and
   failed assertions (each ends the run with a status of its own). */
#include "FreeRTOS.h"
#include "task.h"
#include "board.h"

void vApplicationGetIdleTaskMemory(StaticTask_t **tcb, StackType_t **stack, configSTACK_DEPTH_TYPE *words)
{
    static StaticTask_t idle_tcb;
    static StackType_t idle_stack[configMINIMAL_STACK_SIZE];
    *tcb = &idle_tcb;
    *stack = idle_stack;
    *words = configMINIMAL_STACK_SIZE;
}

void vApplicationMallocFailedHook(void)
{
    board_puts("kernel: out of heap\n");
    board_exit(102);
}

void vApplicationStackOverflowHook(TaskHandle_t task, char *name)
{
    (void)task;
    board_puts("kernel: stack overflow in task ");
    board_puts(name);
    board_puts("\n");
    board_exit(101);
}

void board_assert_failed(const char *file, int line)
{
    board_puts("kernel: assertion failed at ");
    board_puts(file);
    board_puts(":");
    board_put_u64((uint64_t)line);
    board_puts("\n");
    board_exit(103);
}
