/* port_freertos.h - the parconc port for FreeRTOS (V11): declarations the
   kernel's configuration and the start-up code need.  See port_freertos.c. */
#ifndef PORT_FREERTOS_H
#define PORT_FREERTOS_H
#include <stdint.h>

/* Call once from the reset handler, before main and before any code that
   uses parconc or another __thread variable: gives the start-up code its
   own TLS block (tasks get theirs from configINIT_TLS_BLOCK). */
void port_freertos_boot(void);

/* The kernel's TLS hooks (FreeRTOSConfig.h wires them up):
   configINIT_TLS_BLOCK carves a task's TLS block from the top of its stack
   and returns the new top; configSET_TLS_BLOCK makes a block current at
   each context switch. */
void *port_freertos_tls_init(void **block, void *top_of_stack);
void port_freertos_tls_set(void *block);
extern void *port_freertos_tp; /* the running task's TLS block */
/* Bytes a task's TLS block takes from its stack (the TLS segment + 8). */
uint32_t port_freertos_tls_size(void);

#endif
