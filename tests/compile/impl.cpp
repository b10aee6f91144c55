/* Compile check: the whole implementation, as C or C++ (see tests/compile_checks.sh). */
#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"

int main(void)
{
    return parconc_cpu_count() >= 1 ? 0 : 1;
}
