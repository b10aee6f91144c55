/* Compile check for PARCONC_NO_STDIO / PARCONC_NO_MALLOC builds: the object
   must not reference stdio or the heap (checked with nm by the script). */
#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"

int embedded_entry(void);
int embedded_entry(void)
{
    return parconc_cpu_count();
}
