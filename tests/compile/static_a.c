/* Compile check: two files each hold a PARCONC_STATIC copy; they must link. */
#define PARCONC_STATIC
#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"

int static_b_cpu_count(void);

int main(void)
{
    return parconc_cpu_count() == static_b_cpu_count() ? 0 : 1;
}
