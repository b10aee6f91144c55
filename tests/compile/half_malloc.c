/* Must NOT compile: PARCONC_MALLOC without PARCONC_FREE. */
#define PARCONC_MALLOC(sz) my_alloc(sz)
#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"
