/* bench_pool.c - parconc pool vs a classic mutex+condvar pool, one thread
   per task, and OpenMP tasks, side by side.  Tables on stdout (medians),
   CSV in build/bench_pool.csv. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "bench_common.h"
#include "classic_pool.h"
#include "submitters.h"
#include <omp.h>

#define MS 1000000LL
static long counter;

/* ---------- throughput (bench/submitters.h) ---------- */


/* One pool task submits n empty fire-and-forget tasks (OpenMP's 1-
   submitter case is the same shape: one team thread creates the tasks). */
static void *pc_spawner(void *arg)
{
    long i, n = (long)(intptr_t)arg;
    parconc_pool *p = parconc_pool_current();
    for (i = 0; i < n; i++) parconc_pool_submit(p, pc_empty, NULL, NULL);
    return NULL;
}
static double spawn_in_task(parconc_pool *p, long n)
{
    uint64_t t0 = parconc_now_ns();
    parconc_pool_submit(p, pc_spawner, (void *)(intptr_t)n, NULL);
    parconc_pool_wait_idle(p, PARCONC_FOREVER);
    return (double)n / ((double)(parconc_now_ns() - t0) / 1e9);
}

static void *thread_empty(void *arg) { (void)arg; return NULL; }
static double thread_per_task_throughput(long n)
{
    uint64_t t0 = parconc_now_ns();
    long i;
    for (i = 0; i < n; i++) {
        parconc_thread t;
        parconc_thread_create(&t, thread_empty, NULL, NULL);
        parconc_thread_join(t, NULL);
    }
    return (double)n / ((double)(parconc_now_ns() - t0) / 1e9);
}

/* ---------- submit-to-start latency on an idle pool ---------- */
static uint64_t started_at;
static void *pc_mark(void *arg) { (void)arg; __atomic_store_n(&started_at, parconc_now_ns(), __ATOMIC_RELEASE); return NULL; }
static void classic_mark(void *arg) { (void)arg; __atomic_store_n(&started_at, parconc_now_ns(), __ATOMIC_RELEASE); }

/* The submitter blocks (as a real caller would) instead of spinning, so it
   does not compete with the woken worker for a core; the latency is the
   task's own start time minus the submit time.  busy: the submitter keeps
   running after the submit instead (it polls for the start), as a caller
   that goes on with its own work does; on 2 cores the woken worker may be
   queued behind it, and then only wake-up preemption lets it start. */
static void latency(parconc_pool *pc, classic_pool *cl, int samples, int busy, double *med, double *p99, double *call_med)
{
    double *v = (double *)malloc(sizeof(double) * (size_t)samples);
    double *call = (double *)malloc(sizeof(double) * (size_t)samples);
    int i;
    for (i = 0; i < samples; i++) {
        uint64_t t0;
        parconc_sleep_ns(2 * MS); /* let every worker go back to sleep */
        __atomic_store_n(&started_at, 0, __ATOMIC_RELAXED);
        t0 = parconc_now_ns();
        if (busy) {
            if (pc) parconc_pool_submit(pc, pc_mark, NULL, NULL);
            else classic_submit(cl, classic_mark, NULL);
            /* how long the submit call kept the caller: on a 2-CPU VM the
               woken worker usually runs on the caller's CPU */
            call[i] = (double)(parconc_now_ns() - t0) / 1e3;
            while (!__atomic_load_n(&started_at, __ATOMIC_ACQUIRE)) __asm__ __volatile__("" ::: "memory");
        } else if (pc) {
            parconc_future *f;
            parconc_pool_submit(pc, pc_mark, NULL, &f);
            call[i] = (double)(parconc_now_ns() - t0) / 1e3;
            parconc_future_wait(f, PARCONC_FOREVER);
            parconc_future_release(f);
        } else {
            classic_submit(cl, classic_mark, NULL);
            call[i] = (double)(parconc_now_ns() - t0) / 1e3;
            classic_wait(cl);
        }
        v[i] = (double)(__atomic_load_n(&started_at, __ATOMIC_ACQUIRE) - t0) / 1e3;
    }
    *med = bench_median(v, samples);
    *p99 = bench_percentile(v, samples, 0.99);
    *call_med = bench_median(call, samples);
    free(v);
    free(call);
}

/* ---------- fib fork-join ---------- */
static void *pc_fib(void *arg)
{
    long n = (long)(intptr_t)arg;
    parconc_future *f;
    void *r;
    long b;
    if (n < 2) return (void *)(intptr_t)n;
    parconc_pool_submit(parconc_pool_current(), pc_fib, (void *)(intptr_t)(n - 1), &f);
    b = (long)(intptr_t)pc_fib((void *)(intptr_t)(n - 2));
    parconc_future_get(f, &r, PARCONC_FOREVER);
    parconc_future_release(f);
    return (void *)(intptr_t)((long)(intptr_t)r + b);
}

static long omp_fib(long n)
{
    long a, b;
    if (n < 2) return n;
    #pragma omp task shared(a)
    a = omp_fib(n - 1);
    b = omp_fib(n - 2);
    #pragma omp taskwait
    return a + b;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int threads = parconc_cpu_count(), r, s;
    long n = quick ? 50000 : 200000;
    int fibn = quick ? 20 : 25;
    parconc_pool *pc, *pr;
    parconc_pool_desc d;
    classic_pool *cl;
    memset(&d, 0, sizeof d);
    d.threads = threads;
    parconc_pool_create(&pc, &d);
    d.caller_runs_when_full = 1; /* the same pool with caller-runs: a full queue makes submit run the task */
    parconc_pool_create(&pr, &d);
    cl = classic_create(threads);
    bench_csv_open("build/bench_pool.csv");
    printf("parconc %s pool benchmarks: %d worker threads, %d CPUs, medians of %d runs\n", PARCONC_VERSION_STRING,
           threads, parconc_cpu_count(), BENCH_REPEATS);

    bench_header("Empty-task throughput, submit + complete (higher is better)", "baseline");
    for (s = 1; s <= 2; s++) {
        double a[BENCH_REPEATS], b[BENCH_REPEATS], c[BENCH_REPEATS], e[BENCH_REPEATS];
        char what[80];
        submit_job jp, jc, je;
        memset(&jp, 0, sizeof jp); jp.pc = pc; jp.n = n / s;
        memset(&jc, 0, sizeof jc); jc.cl = cl; jc.n = n / s;
        memset(&je, 0, sizeof je); je.pc = pr; je.n = n / s;
        for (r = 0; r < BENCH_REPEATS; r++) {
            a[r] = run_submitters(pc_submitter, &jp, s) / 1e6;
            b[r] = run_submitters(cl_submitter, &jc, s) / 1e6;
            c[r] = omp_tasks_throughput(n / s, s, threads) / 1e6;
            parconc_sleep_ns(20 * MS); /* libgomp's threads spin a while after a region */
            e[r] = run_submitters(pc_submitter, &je, s) / 1e6;
        }
        snprintf(what, sizeof what, "%d submitter(s) vs classic pool", s);
        bench_row("throughput", what, bench_median(a, BENCH_REPEATS), bench_median(b, BENCH_REPEATS), "Mtasks/s");
        snprintf(what, sizeof what, "%d submitter(s) vs OpenMP tasks", s);
        bench_row("throughput", what, bench_median(a, BENCH_REPEATS), bench_median(c, BENCH_REPEATS), "Mtasks/s");
        /* libgomp runs a task in the submitting thread once 64 per thread
           are queued; caller_runs_when_full is the same policy, opt-in */
        snprintf(what, sizeof what, "%d subm. caller-runs vs OpenMP", s);
        bench_row("throughput", what, bench_median(e, BENCH_REPEATS), bench_median(c, BENCH_REPEATS), "Mtasks/s");
    }
    {
        double a[BENCH_REPEATS], c[BENCH_REPEATS], e[BENCH_REPEATS];
        for (r = 0; r < BENCH_REPEATS; r++) {
            a[r] = spawn_in_task(pc, n) / 1e6;
            c[r] = omp_tasks_throughput(n, 1, threads) / 1e6;
            parconc_sleep_ns(20 * MS);
            e[r] = spawn_in_task(pr, n) / 1e6;
        }
        bench_row("throughput", "spawned by a task vs OpenMP tasks", bench_median(a, BENCH_REPEATS),
                  bench_median(c, BENCH_REPEATS), "Mtasks/s");
        bench_row("throughput", "spawned, caller-runs vs OpenMP", bench_median(e, BENCH_REPEATS),
                  bench_median(c, BENCH_REPEATS), "Mtasks/s");
    }
    {
        double a[BENCH_REPEATS], t[BENCH_REPEATS];
        submit_job jp;
        memset(&jp, 0, sizeof jp); jp.pc = pc; jp.n = 20000;
        for (r = 0; r < BENCH_REPEATS; r++) {
            a[r] = run_submitters(pc_submitter, &jp, 1) / 1e6;
            t[r] = thread_per_task_throughput(quick ? 500 : 2000) / 1e6;
        }
        bench_row("throughput", "1 submitter vs thread per task", bench_median(a, BENCH_REPEATS), bench_median(t, BENCH_REPEATS), "Mtasks/s");
    }

    bench_header("Submit-to-start latency on an idle pool (lower is better)", "classic");
    {
        double pm, pp, cm, cp, pcall, ccall;
        int samples = quick ? 100 : 500;
        latency(pc, NULL, samples, 0, &pm, &pp, &pcall);
        latency(NULL, cl, samples, 0, &cm, &cp, &ccall);
        bench_row("latency", "median", pm, cm, "us");
        bench_row("latency", "p99", pp, cp, "us");
        bench_row("latency", "submit call returns, median", pcall, ccall, "us");
        latency(pc, NULL, samples, 1, &pm, &pp, &pcall);
        latency(NULL, cl, samples, 1, &cm, &cp, &ccall);
        bench_row("latency", "median, submitter keeps running", pm, cm, "us");
        bench_row("latency", "p99, submitter keeps running", pp, cp, "us");
        bench_row("latency", "submit call returns, keeps running", pcall, ccall, "us");
    }

    bench_header("Fork-join fib (lower is better)", "OpenMP");
    {
        double a[BENCH_REPEATS], b[BENCH_REPEATS];
        char what[64];
        for (r = 0; r < BENCH_REPEATS; r++) {
            uint64_t t0 = parconc_now_ns();
            parconc_future *f;
            void *res;
            long v;
            parconc_pool_submit(pc, pc_fib, (void *)(intptr_t)fibn, &f);
            parconc_future_get(f, &res, PARCONC_FOREVER);
            parconc_future_release(f);
            a[r] = (double)(parconc_now_ns() - t0) / 1e6;
            t0 = parconc_now_ns();
            #pragma omp parallel num_threads(threads)
            #pragma omp single
            v = omp_fib(fibn);
            b[r] = (double)(parconc_now_ns() - t0) / 1e6;
            parconc_sleep_ns(20 * MS);
            if ((long)(intptr_t)res != v) { printf("fib mismatch\n"); return 1; }
        }
        snprintf(what, sizeof what, "fib(%d) vs omp task", fibn);
        bench_row("fib", what, bench_median(a, BENCH_REPEATS), bench_median(b, BENCH_REPEATS), "ms");
    }
    parconc_pool_destroy(pc);
    parconc_pool_destroy(pr);
    classic_destroy(cl);
    if (bench_csv) fclose(bench_csv);
    (void)counter;
    return 0;
}
