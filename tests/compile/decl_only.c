/* Compile check: a file that only includes the declarations (no
   implementation, no platform headers), linked against impl_lib.c. */
#include "../../parconc.h"
#ifdef _PTHREAD_H
#error "the declaration part must not include pthread.h"
#endif

int main(void)
{
    return parconc_strerror(PARCONC_EINVAL)[0] != '\0' && parconc_cpu_count() >= 1 ? 0 : 1;
}
