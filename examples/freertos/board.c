/* board.c - start-up code for QEMU's mps2-an385 (Cortex-M3) and
   mps2-an386 (Cortex-M4F): the vector table, the reset handler (copies
   .data, clears .bss, turns the FPU on, prepares the start-up TLS block),
   semihosting for the console and the exit status, and CMSDK timer 0. */
#include <string.h>
#include "board.h"
#include "port_freertos.h"

/* ---- semihosting (QEMU -semihosting) ---- */
static int board_semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void board_puts(const char *s) { board_semihost(0x04, s); /* SYS_WRITE0 */ }

void board_put_u64(uint64_t v)
{
    char buf[21], *p = buf + sizeof buf - 1;
    *p = '\0';
    do { *--p = (char)('0' + v % 10u); v /= 10u; } while (v);
    board_puts(p);
}

void board_exit(int status)
{
    /* SYS_EXIT_EXTENDED: { ADP_Stopped_ApplicationExit, status } */
    uint32_t block[2] = { 0x20026u, (uint32_t)status };
    board_semihost(0x20, block);
    for (;;) {}
}

/* ---- CMSDK APB timer 0 (IRQ 8) ---- */
#define TIMER0_CTRL   (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE  (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define TIMER0_INTCLR (*(volatile uint32_t *)0x4000000Cu)
#define NVIC_ISER0    (*(volatile uint32_t *)0xE000E100u)
#define NVIC_ICER0    (*(volatile uint32_t *)0xE000E180u)
#define NVIC_IPR(n)   (*(volatile uint8_t *)(0xE000E400u + (n)))
#define TIMER0_IRQ 8
#define BOARD_CLOCK_HZ 25000000u

static void (*volatile timer_handler)(void);

static void board_timer0_irq(void)
{
    TIMER0_INTCLR = 1u;
    if (timer_handler) timer_handler();
}

void board_timer_start(uint32_t hz, void (*handler)(void))
{
    timer_handler = handler;
    NVIC_IPR(TIMER0_IRQ) = 0xE0u; /* below configMAX_SYSCALL_INTERRUPT_PRIORITY: may call FromISR */
    TIMER0_RELOAD = BOARD_CLOCK_HZ / hz - 1u;
    TIMER0_VALUE = BOARD_CLOCK_HZ / hz - 1u;
    TIMER0_CTRL = 1u | 8u; /* enable, interrupt enable */
    NVIC_ISER0 = 1u << TIMER0_IRQ;
}

void board_timer_stop(void)
{
    TIMER0_CTRL = 0u;
    NVIC_ICER0 = 1u << TIMER0_IRQ;
    timer_handler = 0;
}

/* ---- faults: report and stop with a status the test runner sees ---- */
static void board_fault(void)
{
    board_puts("board: fault (hard, memory, bus or usage)\n");
    board_exit(100);
}

/* ---- reset ---- */
extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[], __stack_top[];
extern void xPortPendSVHandler(void), xPortSysTickHandler(void), vPortSVCHandler(void);
int main(void);
void board_reset(void);

void board_reset(void)
{
    memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
    memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
#if defined(__ARM_FP)
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: CP10 and CP11 full access */
    __asm__ volatile("dsb\n isb");
#endif
    port_freertos_boot();
    board_exit(main());
}

typedef void (*board_vector)(void);
__attribute__((section(".vectors"), used)) static const board_vector board_vectors[16 + 16] = {
    (board_vector)(uintptr_t)__stack_top, board_reset,
    board_fault, board_fault, board_fault, board_fault, board_fault, /* NMI, hard, mem, bus, usage */
    0, 0, 0, 0,
    vPortSVCHandler, 0, 0, xPortPendSVHandler, xPortSysTickHandler,
    0, 0, 0, 0, 0, 0, 0, 0, board_timer0_irq, /* external 0..8: UARTs, timer 0 */
};
