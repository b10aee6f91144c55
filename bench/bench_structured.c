/* bench_structured.c - what structured concurrency costs, each against a
   baseline run in the same process:
     - a continuation link (parconc_future_then) against a plain submit
       with a future;
     - a group submit (parconc_group_submit + group_wait) against plain
       submits (with and without futures) + wait_idle;
     - a graph of 10 000 tasks with random inputs (parconc_task_desc.after)
       against OpenMP tasks with depend clauses;
     - how late a delayed task starts (parconc_pool_submit_after) against
       a thread that sleeps for the same time;
     - a trace's cost per task: one worker running empty children of its
       own, with a trace running against the same without.
   Medians of BENCH_REPEATS alternating runs; `--quick` for a short run. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "bench_common.h"
#include <omp.h>

#define MS 1000000LL

static void *empty(void *arg) { return arg; }
static void *then_empty(parconc_future *done, void *arg) { (void)done; return arg; }

/* ns per link: a chain of n continuations built on a pending promise,
   then released and run to the end */
static double then_chain_ns(parconc_pool *p, int n)
{
    parconc_future *head, *cur, *next;
    int64_t t0 = parconc_now_ns();
    int i;
    parconc_future_create(&head);
    cur = head;
    parconc_future_retain(head);
    for (i = 0; i < n; i++) {
        parconc_future_then(cur, p, then_empty, NULL, &next);
        parconc_future_release(cur);
        cur = next;
    }
    parconc_future_complete(head, NULL);
    parconc_future_release(head);
    parconc_future_wait(cur, PARCONC_FOREVER);
    parconc_future_release(cur);
    return (double)(parconc_now_ns() - t0) / n;
}

/* ns per continuation: n continuations of one finished future (a fan-out) */
static double then_fan_ns(parconc_pool *p, int n, parconc_future **outs)
{
    parconc_future *src;
    int64_t t0 = parconc_now_ns();
    int i;
    parconc_future_create(&src);
    parconc_future_complete(src, NULL);
    for (i = 0; i < n; i++) parconc_future_then(src, p, then_empty, NULL, &outs[i]);
    parconc_wait_all(outs, (size_t)n, PARCONC_FOREVER);
    for (i = 0; i < n; i++) parconc_future_release(outs[i]);
    parconc_future_release(src);
    return (double)(parconc_now_ns() - t0) / n;
}

/* ns per task: n plain submits with a future, then wait for all */
static double submit_future_ns(parconc_pool *p, int n, parconc_future **outs)
{
    int64_t t0 = parconc_now_ns();
    int i;
    for (i = 0; i < n; i++) parconc_pool_submit(p, empty, NULL, &outs[i]);
    parconc_wait_all(outs, (size_t)n, PARCONC_FOREVER);
    for (i = 0; i < n; i++) parconc_future_release(outs[i]);
    return (double)(parconc_now_ns() - t0) / n;
}

static double submit_plain_ns(parconc_pool *p, int n)
{
    int64_t t0 = parconc_now_ns();
    int i;
    for (i = 0; i < n; i++) parconc_pool_submit(p, empty, NULL, NULL);
    parconc_pool_wait_idle(p, PARCONC_FOREVER);
    return (double)(parconc_now_ns() - t0) / n;
}

static double group_ns(parconc_pool *p, int n)
{
    parconc_group g;
    parconc_group_desc d;
    int64_t t0 = parconc_now_ns();
    int i;
    memset(&d, 0, sizeof d);
    d.pool = p;
    parconc_group_init(&g, &d);
    for (i = 0; i < n; i++) parconc_group_submit(&g, empty, NULL, NULL);
    parconc_group_wait(&g, PARCONC_FOREVER);
    parconc_group_destroy(&g);
    return (double)(parconc_now_ns() - t0) / n;
}

/* ---- the graph: task i has up to 4 inputs among the tasks before it ---- */
#define DAG_N 10000
static int dag_in[DAG_N][4], dag_nin[DAG_N];
static volatile int spin_sink;
static int work_iters;
static void spin_work(void)
{
    int i, x = 0;
    for (i = 0; i < work_iters; i++) x += i * i;
    spin_sink = x;
}
static void make_dag(void)
{
    unsigned seed = 2024;
    int i, k;
    for (i = 0; i < DAG_N; i++) {
        dag_nin[i] = i ? 1 + (int)(((seed = seed * 1103515245u + 12345u) >> 16) % 4) : 0;
        for (k = 0; k < dag_nin[i]; k++) {
            unsigned x = (seed = seed * 1103515245u + 12345u) >> 16;
            int back = 1 + (int)(x % 64);
            dag_in[i][k] = i - back < 0 ? 0 : i - back;
        }
    }
}
static void *dag_task(void *arg) { (void)arg; spin_work(); return NULL; }

static double dag_parconc_ms(parconc_pool *p, parconc_future **f)
{
    int64_t t0 = parconc_now_ns();
    int i, k;
    for (i = 0; i < DAG_N; i++) {
        parconc_task_desc t;
        parconc_future *ins[4];
        memset(&t, 0, sizeof t);
        for (k = 0; k < dag_nin[i]; k++) ins[k] = f[dag_in[i][k]];
        t.fn = dag_task;
        t.after = ins;
        t.after_count = (size_t)dag_nin[i];
        parconc_pool_submit_ex(p, &t, &f[i]);
    }
    parconc_pool_wait_idle(p, PARCONC_FOREVER);
    for (i = 0; i < DAG_N; i++) parconc_future_release(f[i]);
    return (double)(parconc_now_ns() - t0) / 1e6;
}

static double dag_omp_ms(int threads)
{
    static char slot[DAG_N];
    int64_t t0 = parconc_now_ns();
#pragma omp parallel num_threads(threads)
#pragma omp single
    {
        int i;
        for (i = 0; i < DAG_N; i++) {
            /* missing inputs repeat the first (a duplicate in-dependence is harmless) */
            char *a = &slot[dag_in[i][0]], *b = &slot[dag_in[i][dag_nin[i] > 1]],
                 *c = &slot[dag_in[i][dag_nin[i] > 2 ? 2 : 0]], *d = &slot[dag_in[i][dag_nin[i] > 3 ? 3 : 0]];
            if (!dag_nin[i]) {
#pragma omp task depend(out: slot[i])
                spin_work();
            } else {
#pragma omp task depend(in: a[0], b[0], c[0], d[0]) depend(out: slot[i])
                spin_work();
            }
        }
    }
    return (double)(parconc_now_ns() - t0) / 1e6;
}

/* ---- a trace's cost: 100 000 children a task submits to its own worker ---- */
static parconc_pool *own_pool;
static void *own_root(void *arg)
{
    int i;
    for (i = 0; i < 100000; i++) parconc_pool_submit(own_pool, empty, NULL, NULL);
    return arg;
}
static double own_children_ns(parconc_pool *one)
{
    int64_t t0 = parconc_now_ns();
    own_pool = one;
    parconc_pool_submit(one, own_root, NULL, NULL);
    parconc_pool_wait_idle(one, PARCONC_FOREVER);
    return (double)(parconc_now_ns() - t0) / 100000;
}

/* ---- lateness: a 1 ms delayed task vs a thread sleeping 1 ms ---- */
static int64_t late_due, late_ran;
static void *late_task(void *arg) { (void)arg; late_ran = parconc_now_ns(); return NULL; }
static double delayed_lateness_us(parconc_pool *p)
{
    parconc_future *f;
    late_due = parconc_now_ns() + MS;
    parconc_pool_submit_after(p, MS, late_task, NULL, &f);
    parconc_future_wait(f, PARCONC_FOREVER);
    parconc_future_release(f);
    return (double)(late_ran - late_due) / 1e3;
}
static double sleep_lateness_us(void)
{
    int64_t due = parconc_now_ns() + MS;
    parconc_sleep_ns(MS);
    return (double)(parconc_now_ns() - due) / 1e3;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int threads = parconc_cpu_count(), n = quick ? 20000 : 100000, r, w;
    parconc_pool *p;
    parconc_pool_desc d;
    parconc_future **outs = (parconc_future **)malloc((size_t)(n > DAG_N ? n : DAG_N) * sizeof *outs);
    memset(&d, 0, sizeof d);
    d.threads = threads;
    if (!outs || parconc_pool_create(&p, &d) != PARCONC_OK) return 1;
    bench_csv_open("build/bench_structured.csv");
    printf("parconc %s structured concurrency: %d worker threads, %d CPUs, medians of %d runs\n",
           PARCONC_VERSION_STRING, threads, parconc_cpu_count(), BENCH_REPEATS);

    bench_header("Continuations and groups, empty tasks, one submitter (lower is better)", "baseline");
    {
        double a[BENCH_REPEATS], b[BENCH_REPEATS], c[BENCH_REPEATS], e[BENCH_REPEATS], g[BENCH_REPEATS];
        for (r = 0; r < BENCH_REPEATS; r++) {
            b[r] = submit_future_ns(p, n, outs);
            a[r] = then_chain_ns(p, n);
            c[r] = then_fan_ns(p, n, outs);
            e[r] = submit_plain_ns(p, n);
            g[r] = group_ns(p, n);
        }
        bench_row("then", "then chain link vs submit+future", bench_median(a, BENCH_REPEATS),
                  bench_median(b, BENCH_REPEATS), "ns/task");
        bench_row("then", "then fan-out vs submit+future", bench_median(c, BENCH_REPEATS),
                  bench_median(b, BENCH_REPEATS), "ns/task");
        bench_row("group", "group submit vs plain submit", bench_median(g, BENCH_REPEATS),
                  bench_median(e, BENCH_REPEATS), "ns/task");
        bench_row("group", "group submit vs submit+future", bench_median(g, BENCH_REPEATS),
                  bench_median(b, BENCH_REPEATS), "ns/task");
    }

    make_dag();
    bench_header("Graph of 10 000 tasks, 1-4 random inputs each (lower is better)", "OpenMP depend");
    for (w = 0; w <= 1; w++) {
        double a[BENCH_REPEATS], b[BENCH_REPEATS];
        char what[64];
        work_iters = w ? 2000 : 0;
        for (r = 0; r < BENCH_REPEATS; r++) {
            a[r] = dag_parconc_ms(p, outs);
            b[r] = dag_omp_ms(threads + 1); /* the submitting thread takes part in OpenMP */
            parconc_sleep_ns(20 * MS); /* libgomp's threads spin a while after a region */
        }
        snprintf(what, sizeof what, "DAG, %s tasks", w ? "~1 us" : "empty");
        bench_row("dag", what, bench_median(a, BENCH_REPEATS), bench_median(b, BENCH_REPEATS), "ms");
    }
    bench_header("A trace's cost: one worker running 100 000 empty children of its own, medians of 21 (lower is better)",
                 "no trace");
    {
        static uint64_t trace_buf[(8u << 20) / sizeof(uint64_t)];
        double a[21], b[21];
        parconc_pool *one;
        parconc_pool_desc d1;
        memset(&d1, 0, sizeof d1);
        d1.threads = 1;
        d1.deque_capacity = (size_t)1 << 17; /* all children in its own deque: no submitter, no wake-ups */
        parconc_pool_create(&one, &d1);
        memset(trace_buf, 0, sizeof trace_buf); /* its pages present: a first touch is the kernel's cost */
        for (r = 0; r < 21; r++) {
            b[r] = own_children_ns(one);
            parconc_trace_start(one, trace_buf, sizeof trace_buf);
            a[r] = own_children_ns(one);
            parconc_trace_stop(one);
        }
        bench_row("trace", "empty task, trace on vs off", bench_median(a, 21), bench_median(b, 21), "ns/task");
        parconc_pool_destroy(one);
    }

    bench_header("Lateness of a 1 ms delay, median of 101 (lower is better)", "sleep");
    {
        double a[101], b[101];
        for (r = 0; r < 101; r++) {
            a[r] = delayed_lateness_us(p);
            b[r] = sleep_lateness_us();
        }
        bench_row("timer", "submit_after vs thread sleep", bench_median(a, 101), bench_median(b, 101), "us");
        bench_row("timer", "p99: submit_after vs thread sleep", bench_percentile(a, 101, 0.99),
                  bench_percentile(b, 101, 0.99), "us");
    }
    parconc_pool_destroy(p);
    free(outs);
    return 0;
}
