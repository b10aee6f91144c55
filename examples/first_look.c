/* first_look.c - the README's first example: a pool, a future and a
   parallel_for.  Prints 144; exits 1 unless every item was doubled once. */
#define PARCONC_IMPLEMENTATION          /* in exactly one .c file */
#include "../parconc.h"
#include <stdio.h>

static void *square(void *arg) { intptr_t x = (intptr_t)arg; return (void *)(x * x); }
static void scale(size_t begin, size_t end, size_t worker, void *arg)
{
    double *v = arg;
    for (size_t i = begin; i < end; i++) v[i] *= 2.0;
    (void)worker;
}

int main(void)
{
    static double v[1000000];
    parconc_pool *pool;
    parconc_future *f;
    void *r;
    for (size_t i = 0; i < 1000000; i++) v[i] = (double)i;         /* (not in the README) */
    parconc_pool_create(&pool, NULL);                               /* one thread per CPU */
    parconc_pool_submit(pool, square, (void *)(intptr_t)12, &f);    /* a task and its future */
    parconc_parallel_for(pool, 1000000, scale, v, NULL);            /* a loop, AUTO schedule */
    if (parconc_future_get(f, &r, PARCONC_FOREVER) == PARCONC_OK) printf("%d\n", (int)(intptr_t)r);
    parconc_future_release(f);
    parconc_pool_destroy(pool);
    for (size_t i = 0; i < 1000000; i++)
        if (v[i] != 2.0 * (double)i) return 1; /* every item doubled exactly once */
    return r == (void *)(intptr_t)144 ? 0 : 1;
}
