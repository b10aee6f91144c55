/* FreeRTOSConfig.h - kernel configuration for the parconc tests on QEMU's
   mps2-an385 (Cortex-M3) and mps2-an386 (Cortex-M4F), 25 MHz, 1 kHz tick.
   The lines marked "parconc port" are what port_freertos.c needs. */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

#define configCPU_CLOCK_HZ                      25000000u
#define configTICK_RATE_HZ                      1000u
#define configUSE_PREEMPTION                    1
#define configUSE_TIME_SLICING                  1
#define configUSE_PORT_OPTIMISED_TASK_SELECTION 0
#define configMAX_PRIORITIES                    8
#define configMINIMAL_STACK_SIZE                256   /* words */
#define configMAX_TASK_NAME_LEN                 16
#define configTICK_TYPE_WIDTH_IN_BITS           TICK_TYPE_WIDTH_32_BITS
#define configIDLE_SHOULD_YIELD                 1
#define configUSE_MUTEXES                       1
#define configUSE_RECURSIVE_MUTEXES             0
#define configUSE_COUNTING_SEMAPHORES           1
#define configQUEUE_REGISTRY_SIZE               0
#define configUSE_TIMERS                        0
#define configUSE_IDLE_HOOK                     0
#define configUSE_TICK_HOOK                     0
#define configCHECK_FOR_STACK_OVERFLOW          2
#define configUSE_MALLOC_FAILED_HOOK            1
#define configRECORD_STACK_HIGH_ADDRESS         1
#define configTOTAL_HEAP_SIZE                   (160u * 1024u)

#define configSUPPORT_STATIC_ALLOCATION         1     /* parconc port: join semaphores */
#define configSUPPORT_DYNAMIC_ALLOCATION        1     /* parconc port: task stacks */
#define configTASK_NOTIFICATION_ARRAY_ENTRIES   2     /* parconc port: index 1 */
#define INCLUDE_vTaskDelete                     1     /* parconc port */
#define INCLUDE_vTaskSuspend                    1     /* parconc port: portMAX_DELAY blocks forever */
#define INCLUDE_xTaskGetSchedulerState          1     /* parconc port */
#define INCLUDE_xTaskGetCurrentTaskHandle       1     /* parconc port */
#define INCLUDE_uxTaskPriorityGet               1     /* parconc port */
#define INCLUDE_vTaskPrioritySet                1
#define INCLUDE_vTaskDelay                      1
#define INCLUDE_xTaskDelayUntil                 1
#define INCLUDE_uxTaskGetStackHighWaterMark     1

/* parconc port: each task's TLS block comes from the top of its stack */
#define configUSE_C_RUNTIME_TLS_SUPPORT         1
#define configTLS_BLOCK_TYPE                    void *
#define configINIT_TLS_BLOCK(block, top)        do { (top) = (StackType_t *)port_freertos_tls_init(&(block), (void *)(top)); } while (0)
#define configSET_TLS_BLOCK(block)              port_freertos_tls_set(block)
#define configDEINIT_TLS_BLOCK(block)           do { } while (0)

/* Cortex-M interrupt priorities (QEMU models 3 priority bits) */
#define configPRIO_BITS                         3
#define configKERNEL_INTERRUPT_PRIORITY         (7u << (8 - configPRIO_BITS))
#define configMAX_SYSCALL_INTERRUPT_PRIORITY    (5u << (8 - configPRIO_BITS))

#ifndef __ASSEMBLER__
#include "port_freertos.h"
void board_assert_failed(const char *file, int line);
#endif
#define configASSERT(x) do { if (!(x)) board_assert_failed(__FILE__, __LINE__); } while (0)

#endif
