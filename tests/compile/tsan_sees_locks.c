/* Compile check under -fsanitize=thread: TSan must recognise parconc
   mutexes as locks (the __tsan_mutex_* annotations): taking A then B and
   later B then A is reported as a lock-order inversion by TSan's own
   detector, which only knows about locks it was told of. */
#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"

int main(void)
{
    parconc_mutex a = PARCONC_MUTEX_INIT, b = PARCONC_MUTEX_INIT;
    parconc_mutex_lock(&a);
    parconc_mutex_lock(&b);
    parconc_mutex_unlock(&b);
    parconc_mutex_unlock(&a);
    parconc_mutex_lock(&b);
    parconc_mutex_lock(&a);
    parconc_mutex_unlock(&a);
    parconc_mutex_unlock(&b);
    return 0;
}
