#define PARCONC_IMPLEMENTATION
#include <parconc.h>
#include <stdio.h>

static void *twice(void *arg) { return (void *)((uintptr_t)arg * 2); }

int main(void)
{
    parconc_pool *p;
    parconc_future *f;
    void *r = NULL;
    if (parconc_pool_create(&p, NULL) != PARCONC_OK) return 1;
    parconc_pool_submit(p, twice, (void *)21, &f);
    parconc_future_get(f, &r, PARCONC_FOREVER);
    parconc_future_release(f);
    parconc_pool_destroy(p);
    printf("consumer: %lu\n", (unsigned long)(uintptr_t)r);
    return (uintptr_t)r == 42 ? 0 : 1;
}
