/* dag_build.c - a build as a graph of tasks with inputs
   (parconc_task_desc.after): each target is submitted once, up front, and
   runs when every target it depends on is built, like make -j or OpenMP's
   depend clause.  The program checks that every target was built once,
   after its inputs, and that inside a target each input's result is
   already there (future_get with a 0 timeout answers).  Exits 1 on any
   wrong answer. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

enum { UTIL, PARSE, LEX, CODEGEN, OPT, LINKER, DOCS, TESTS, N };
static const char *name[N] = {"util.o", "parse.o", "lex.o", "codegen.o", "opt.o", "app", "docs", "tests"};
/* inputs of each target, -1 ended */
static const int inputs[N][4] = {
    {-1}, {UTIL, LEX, -1}, {UTIL, -1}, {PARSE, -1}, {PARSE, -1}, {CODEGEN, OPT, UTIL, -1}, {PARSE, -1}, {LINKER, -1},
};
static parconc_future *built[N];
static int order[N], step, wrong;

static void *build(void *arg)
{
    int t = (int)(intptr_t)arg, i;
    for (i = 0; inputs[t][i] >= 0; i++) /* every input is settled: get(f, 0) answers */
        if (parconc_future_get(built[inputs[t][i]], NULL, 0) == PARCONC_ETIMEDOUT) __atomic_fetch_add(&wrong, 1, __ATOMIC_RELAXED);
    order[t] = __atomic_add_fetch(&step, 1, __ATOMIC_SEQ_CST);
    printf("  built %s\n", name[t]);
    return NULL;
}

int main(void)
{
    parconc_pool *pool;
    int t, i, ok = 1;
    if (parconc_pool_create(&pool, NULL) != PARCONC_OK) return 1;
    for (t = 0; t < N; t++) { /* in an order where every input already has a future */
        static const int submit_order[N] = {UTIL, LEX, PARSE, CODEGEN, OPT, LINKER, DOCS, TESTS};
        int target = submit_order[t];
        parconc_future *deps[4];
        parconc_task_desc d = {0};
        for (i = 0; inputs[target][i] >= 0; i++) deps[i] = built[inputs[target][i]];
        d.fn = build;
        d.arg = (void *)(intptr_t)target;
        d.after = deps;
        d.after_count = (size_t)i;
        if (parconc_pool_submit_ex(pool, &d, &built[target]) != PARCONC_OK) return 1;
    }
    parconc_pool_wait_idle(pool, PARCONC_FOREVER);
    for (t = 0; t < N; t++) {
        ok &= parconc_future_state(built[t]) == PARCONC_DONE && order[t] > 0;
        for (i = 0; inputs[t][i] >= 0; i++) ok &= order[inputs[t][i]] < order[t];
        parconc_future_release(built[t]);
    }
    ok &= step == N && wrong == 0;
    parconc_pool_destroy(pool);
    puts(ok ? "OK: every target once, after its inputs" : "WRONG");
    return ok ? 0 : 1;
}
