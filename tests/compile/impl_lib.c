#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"
