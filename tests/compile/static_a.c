/* Compile check: two files each hold a PARCONC_STATIC_API copy; they must link. */
#define PARCONC_STATIC_API
#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"

int static_b_cpu_count(void);

int main(void)
{
    /* the option macro is gone; the schedule constant of the same name works */
    return parconc_cpu_count() == static_b_cpu_count() && PARCONC_STATIC == 1 ? 0 : 1;
}
