#define PARCONC_STATIC_API
#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"

int static_b_cpu_count(void)
{
    return parconc_cpu_count();
}
