/* bench_for.c - parconc_parallel_for vs OpenMP's parallel for, same run.
   Overhead of an empty 1000-iteration loop, load imbalance (triangular,
   one long item among short ones) vs the ideal, and a memory-bound triad.
   Tables on stdout (medians), CSV in build/bench_for.csv. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "bench_common.h"
#include <omp.h>

static volatile double sink_d;
static void empty_range(size_t b, size_t e, size_t w, void *a) { (void)b; (void)e; (void)w; (void)a; }

/* busy work of about `units` x 100 ns */
static void spin_units(size_t units)
{
    volatile double x = 1.0;
    size_t i;
    for (i = 0; i < units * 25; i++) x = x * 1.0000001 + 1e-9;
    sink_d = x;
}

static void triangular(size_t b, size_t e, size_t w, void *a) { (void)w; (void)a; for (; b < e; b++) spin_units(b / 10); }
static size_t long_index;
static void one_long(size_t b, size_t e, size_t w, void *a)
{
    (void)w; (void)a;
    for (; b < e; b++) spin_units(b == long_index ? 100000 : 10); /* 10 ms vs 1 us */
}

typedef struct triad { double *a, *b, *c, s; } triad;
static void triad_range(size_t b, size_t e, size_t w, void *arg)
{
    triad *t = (triad *)arg;
    (void)w;
    for (; b < e; b++) t->a[b] = t->b[b] + t->s * t->c[b];
}

static double now_s(void) { return (double)parconc_now_ns() / 1e9; }
/* libgomp's idle threads keep spinning for a while after a parallel
   region; let them go to sleep before timing parconc on the same cores. */
static void settle(void) { parconc_sleep_ns(20000000); }

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int threads = parconc_cpu_count(), r, si;
    parconc_pool *p;
    parconc_pool_desc pd;
    static const int pc_sched[3] = { PARCONC_STATIC, PARCONC_DYNAMIC, PARCONC_GUIDED };
    static const char *names[3] = { "static", "dynamic,1", "guided" };
    int calls = quick ? 2000 : 20000;
    memset(&pd, 0, sizeof pd);
    pd.threads = threads - 1 > 0 ? threads - 1 : 1; /* + the caller = one per CPU, like OpenMP */
    parconc_pool_create(&p, &pd);
    omp_set_num_threads(pd.threads + 1);
    bench_csv_open("build/bench_for.csv");
    printf("parconc %s parallel_for benchmarks: %d participants (pool %d + caller), %d CPUs, medians of %d runs\n",
           PARCONC_VERSION_STRING, pd.threads + 1, pd.threads, threads, BENCH_REPEATS);

    bench_header("Empty 1000-iteration loop, per call (lower is better)", "OpenMP");
    for (si = 0; si < 3; si++) {
        double a[BENCH_REPEATS], b[BENCH_REPEATS];
        char what[64];
        for (r = 0; r < BENCH_REPEATS; r++) {
            parconc_for_desc d;
            double t0;
            int c;
            memset(&d, 0, sizeof d);
            d.schedule = pc_sched[si];
            d.chunk = 1;
            settle();
            t0 = now_s();
            for (c = 0; c < calls; c++) parconc_parallel_for(p, 1000, empty_range, NULL, &d);
            a[r] = (now_s() - t0) / calls * 1e6;
            t0 = now_s();
            for (c = 0; c < calls; c++) {
                if (si == 0) {
                    #pragma omp parallel for schedule(static)
                    for (int i = 0; i < 1000; i++) __asm__ __volatile__("" ::"r"(i));
                } else if (si == 1) {
                    #pragma omp parallel for schedule(dynamic, 1)
                    for (int i = 0; i < 1000; i++) __asm__ __volatile__("" ::"r"(i));
                } else {
                    #pragma omp parallel for schedule(guided)
                    for (int i = 0; i < 1000; i++) __asm__ __volatile__("" ::"r"(i));
                }
            }
            b[r] = (now_s() - t0) / calls * 1e6;
        }
        snprintf(what, sizeof what, "%s", names[si]);
        bench_row("overhead", what, bench_median(a, BENCH_REPEATS), bench_median(b, BENCH_REPEATS), "us/call");
    }

    /* imbalance: time of each schedule vs the ideal (serial time / participants) */
    {
        size_t n_tri = quick ? 2000 : 6000, n_long = quick ? 5000 : 20000;
        const char *loads[2] = { "triangular", "one long + many short" };
        int li;
        printf("\nLoad imbalance: time / ideal (ideal = serial time / %d participants; lower is better, 1.00 = perfect)\n\n",
               pd.threads + 1);
        printf("| %-24s | %8s | %8s | %8s | %8s | %8s | %8s |\n|--------------------------|----------|----------|----------|----------|----------|----------|\n",
               "load", "auto", "static", "dynamic", "guided", "respawn", "omp dyn");
        for (li = 0; li < 2; li++) {
            size_t n = li == 0 ? n_tri : n_long;
            parconc_range_fn fn = li == 0 ? triangular : one_long;
            double serial, ideal, res[6];
            int k;
            long_index = n / 3;
            {
                double t0 = now_s();
                fn(0, n, 0, NULL);
                serial = now_s() - t0;
            }
            ideal = serial / (pd.threads + 1);
            for (k = 0; k < 5; k++) {
                double v[BENCH_REPEATS];
                for (r = 0; r < BENCH_REPEATS; r++) {
                    parconc_for_desc d;
                    double t0;
                    memset(&d, 0, sizeof d);
                    d.schedule = k == 0 ? PARCONC_AUTO : k == 1 ? PARCONC_STATIC : k == 2 ? PARCONC_DYNAMIC : k == 3 ? PARCONC_GUIDED : PARCONC_RESPAWN;
                    d.chunk = k == 2 ? 1 : 0;
                    t0 = now_s();
                    parconc_parallel_for(p, n, fn, NULL, &d);
                    v[r] = now_s() - t0;
                }
                res[k] = bench_median(v, BENCH_REPEATS) / ideal;
            }
            settle();
            {
                double v[BENCH_REPEATS];
                for (r = 0; r < BENCH_REPEATS; r++) {
                    double t0 = now_s();
                    #pragma omp parallel for schedule(dynamic, 1)
                    for (long i = 0; i < (long)n; i++) fn((size_t)i, (size_t)i + 1, 0, NULL);
                    v[r] = now_s() - t0;
                }
                res[5] = bench_median(v, BENCH_REPEATS) / ideal;
            }
            printf("| %-24s | %8.2f | %8.2f | %8.2f | %8.2f | %8.2f | %8.2f |\n", loads[li], res[0], res[1], res[2], res[3], res[4], res[5]);
            if (bench_csv)
                /* parconc's AUTO against OpenMP's dynamic,1, in the CSV's six columns */
                fprintf(bench_csv, "imbalance,%s,%.3f,%.3f,time/ideal,%.4f\n", loads[li], res[0], res[5],
                        res[5] != 0 ? res[0] / res[5] : 0);
        }
    }

    bench_header("Memory-bound triad a[i] = b[i] + s*c[i], 3 x 64 MiB (higher is better)", "OpenMP");
    {
        size_t n = (quick ? 16u : 64u) * 1024 * 1024 / sizeof(double), i;
        triad t;
        double a[BENCH_REPEATS], b[BENCH_REPEATS], bytes = 3.0 * (double)n * sizeof(double);
        t.a = (double *)malloc(n * sizeof(double));
        t.b = (double *)malloc(n * sizeof(double));
        t.c = (double *)malloc(n * sizeof(double));
        t.s = 3.0;
        /* first touch in parallel, the same way both will run */
        #pragma omp parallel for schedule(static)
        for (long j = 0; j < (long)n; j++) { t.a[j] = 0; t.b[j] = 1; t.c[j] = 2; }
        for (r = 0; r < BENCH_REPEATS; r++) {
            parconc_for_desc d;
            double t0;
            memset(&d, 0, sizeof d);
            d.schedule = PARCONC_STATIC;
            settle();
            t0 = now_s();
            parconc_parallel_for(p, n, triad_range, &t, &d);
            a[r] = bytes / (now_s() - t0) / 1e9;
            t0 = now_s();
            #pragma omp parallel for schedule(static)
            for (long j = 0; j < (long)n; j++) t.a[j] = t.b[j] + t.s * t.c[j];
            b[r] = bytes / (now_s() - t0) / 1e9;
        }
        for (i = 0; i < n; i++) if (t.a[i] != 7.0) { printf("triad wrong\n"); return 1; }
        bench_row("triad", "static, GB/s", bench_median(a, BENCH_REPEATS), bench_median(b, BENCH_REPEATS), "GB/s");
        free(t.a); free(t.b); free(t.c);
    }
    parconc_pool_destroy(p);
    if (bench_csv) fclose(bench_csv);
    return 0;
}
