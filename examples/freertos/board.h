/* board.h - what the QEMU mps2 boards give the test programs: a console
   and an exit status over semihosting, the CMSDK timer 0 interrupt, and
   the start-up TLS block. */
#ifndef BOARD_H
#define BOARD_H
#include <stdint.h>

void board_puts(const char *s);                 /* the host's stdout */
void board_put_u64(uint64_t v);                 /* a decimal number */
void board_exit(int status);                    /* ends QEMU with this status */
/* Starts timer 0 at hz interrupts a second; each calls handler (from the
   interrupt, at a priority that may use FreeRTOS's FromISR calls). */
void board_timer_start(uint32_t hz, void (*handler)(void));
void board_timer_stop(void);

#endif
