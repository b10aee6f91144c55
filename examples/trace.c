/* trace.c - a timeline of a pool at work: a recursive fork-join and a
   parallel_for are traced (parconc_trace_start, in a static buffer: no
   heap, no stdio inside parconc) and written as Chrome trace JSON, one
   track per worker.  Open the file in chrome://tracing or
   https://ui.perfetto.dev.  Writes argv[1], or build/trace.json (or
   trace.json when there is no build/ directory); checks that every task
   and every loop chunk is there.  Exits 1 on any wrong answer. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>
#include <string.h>

static parconc_pool *pool;
static int tasks; /* submitted */

static void *fib(void *arg)
{
    long n = (long)(intptr_t)arg;
    parconc_task_desc d = {0};
    parconc_future *f;
    void *a;
    long b;
    if (n < 2) return arg;
    d.fn = fib;
    d.arg = (void *)(intptr_t)(n - 1);
    d.name = "fib"; /* the name on the timeline */
    __atomic_add_fetch(&tasks, 1, __ATOMIC_RELAXED);
    parconc_pool_submit_ex(pool, &d, &f);
    b = (long)(intptr_t)fib((void *)(intptr_t)(n - 2));
    parconc_future_get(f, &a, PARCONC_FOREVER);
    parconc_future_release(f);
    return (void *)(intptr_t)((long)(intptr_t)a + b);
}

static volatile double work_sink; /* keeps the work from being optimised away */
static void work(size_t b, size_t e, size_t worker, void *arg)
{
    double x = 0;
    size_t i;
    (void)worker;
    (void)arg;
    for (i = b * 2000; i < e * 2000; i++) x += (double)i * 0.5;
    work_sink = x;
}

static int to_file(const char *data, size_t len, void *user)
{
    return fwrite(data, 1, len, (FILE *)user) == len ? 0 : PARCONC_EDEVICE;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (s = strstr(s, what); s; s = strstr(s + 1, what)) n++;
    return n;
}

int main(int argc, char **argv)
{
    static uint64_t buffer[(256 * 1024) / sizeof(uint64_t)];
    static char text[1 << 20];
    const char *path = argc > 1 ? argv[1] : "build/trace.json";
    parconc_for_desc fd = {0};
    parconc_future *f;
    void *r;
    FILE *out;
    size_t len;
    int ok = 1;
    if (parconc_pool_create(&pool, NULL) != PARCONC_OK) return 1;
    if (parconc_trace_start(pool, buffer, sizeof buffer) != PARCONC_OK) return 1;
    {
        parconc_task_desc d = {0};
        d.fn = fib;
        d.arg = (void *)(intptr_t)12;
        d.name = "fib";
        tasks = 1;
        parconc_pool_submit_ex(pool, &d, &f);
    }
    parconc_future_get(f, &r, PARCONC_FOREVER);
    parconc_future_release(f);
    fd.schedule = PARCONC_DYNAMIC;
    fd.chunk = 50;
    parconc_parallel_for(pool, 1000, work, NULL, &fd);
    parconc_trace_stop(pool);

    out = fopen(path, "w+");
    if (!out && argc <= 1) out = fopen(path = "trace.json", "w+");
    if (!out) { perror(path); return 1; }
    ok &= parconc_trace_write_chrome(pool, to_file, out) == PARCONC_OK;
    rewind(out);
    len = fread(text, 1, sizeof text - 1, out);
    text[len] = 0;
    fclose(out);
    printf("fib(12) = %ld with %d tasks, and a loop of 20 chunks: %zu task events, %zu chunk events -> %s\n",
           (long)(intptr_t)r, tasks, count(text, "\"cat\":\"task\""), count(text, "\"cat\":\"loop\""), path);
    ok &= (long)(intptr_t)r == 144;
    ok &= count(text, "\"cat\":\"task\"") == (size_t)tasks; /* every task */
    ok &= count(text, "\"cat\":\"loop\"") == 20;
    parconc_pool_destroy(pool);
    puts(ok ? "OK" : "WRONG");
    return ok ? 0 : 1;
}
