/* bench_scale.c - scaling curves, parconc and its peers side by side in
   one process, at 1, 2, 4, ... threads up to the CPU count:

     rwlock   read-only, 1% and 10% writes (20-iteration read section, 20
              iterations outside) for every parconc policy, glibc's
              pthread_rwlock and Concurrency Kit's ck_pflock (when
              <ck_pflock.h> was found at build time); writers only and
              alternating write/read against glibc
     mutex    contended, tiny critical section, against pthread_mutex
     uncont.  lock + unlock with a second thread alive (glibc takes a
              no-atomic path while a process has one thread)
     tasks    empty tasks from 1 and 2 submitters against the classic
              mutex+condvar pool and OpenMP tasks
     loops    empty 1000-item loops for every schedule against OpenMP's
              matching schedule, AUTO also against pthreadpool (when
              <pthreadpool.h> was found)
     fib      fib(32) with a serial cutoff at 18 (submit + future_get)
              against OpenMP tasks

   Each figure is the median of a few runs, the implementations alternating
   inside each run.  Tables on stdout; build/bench_scale.csv has one row per
   (benchmark, case, implementation, threads) for `make plots`.
   Usage: bench_scale [--quick] [--only locks|tasks|loops|fib] [max_threads] */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "bench_common.h"
#include "classic_pool.h"
#include "submitters.h"
#include <omp.h>
#include <pthread.h>
#ifdef BENCH_HAVE_CK
#include <ck_pflock.h>
#endif
#ifdef BENCH_HAVE_PTHREADPOOL
#include <pthreadpool.h>
#endif

#define MS 1000000LL
#define MAX_T 256
#define REPS 3

static int quick;
static FILE *csv;
/* the case text may hold commas ("dynamic,1"): written as spaces */
static void csv_row(const char *bench, const char *what, const char *impl, int threads, double v, const char *unit)
{
    char c[96];
    size_t i;
    for (i = 0; what[i] && i < sizeof c - 1; i++) c[i] = what[i] == ',' ? ' ' : what[i];
    c[i] = 0;
    if (csv) fprintf(csv, "%s,%s,%s,%d,%.4f,%s\n", bench, c, impl, threads, v, unit);
}
static double now_s(void) { return (double)parconc_now_ns() / 1e9; }
static double median3(double *v, int n) { return bench_median(v, n); }

/* ===================================================================== */
/* Locks                                                                  */
/* ===================================================================== */
enum { L_FAIR, L_PREFER_READERS, L_PREFER_WRITERS, L_GLIBC, L_CK, L_PC_MUTEX, L_PT_MUTEX, L_COUNT };
static const char *lock_names[L_COUNT] = { "parconc FAIR", "parconc PREFER_READERS", "parconc PREFER_WRITERS",
                                           "glibc rwlock", "ck_pflock", "parconc mutex", "pthread_mutex" };
static const char *lock_short[L_COUNT] = { "FAIR", "PREF_RD", "PREF_WR", "glibc", "ck", "mutex", "pthread" };

typedef struct lock_run {
    int kind, threads;
    int write_permille; /* -1: alternate write and read */
    int start, stop, ready;
    parconc_rwlock rw;
    pthread_rwlock_t prw;
    parconc_mutex m;
    pthread_mutex_t pm;
#ifdef BENCH_HAVE_CK
    ck_pflock_t ck;
#endif
    volatile long shared[8];
    long ops[MAX_T * 16];
} lock_run;
static lock_run g_l;

static void l_rd(int k)
{
    switch (k) {
    case L_GLIBC: pthread_rwlock_rdlock(&g_l.prw); break;
#ifdef BENCH_HAVE_CK
    case L_CK: ck_pflock_read_lock(&g_l.ck); break;
#endif
    default: parconc_rwlock_rdlock(&g_l.rw); break;
    }
}
static void l_rdu(int k)
{
    switch (k) {
    case L_GLIBC: pthread_rwlock_unlock(&g_l.prw); break;
#ifdef BENCH_HAVE_CK
    case L_CK: ck_pflock_read_unlock(&g_l.ck); break;
#endif
    default: parconc_rwlock_rdunlock(&g_l.rw); break;
    }
}
static void l_wr(int k)
{
    switch (k) {
    case L_GLIBC: pthread_rwlock_wrlock(&g_l.prw); break;
#ifdef BENCH_HAVE_CK
    case L_CK: ck_pflock_write_lock(&g_l.ck); break;
#endif
    case L_PC_MUTEX: parconc_mutex_lock(&g_l.m); break;
    case L_PT_MUTEX: pthread_mutex_lock(&g_l.pm); break;
    default: parconc_rwlock_wrlock(&g_l.rw); break;
    }
}
static void l_wru(int k)
{
    switch (k) {
    case L_GLIBC: pthread_rwlock_unlock(&g_l.prw); break;
#ifdef BENCH_HAVE_CK
    case L_CK: ck_pflock_write_unlock(&g_l.ck); break;
#endif
    case L_PC_MUTEX: parconc_mutex_unlock(&g_l.m); break;
    case L_PT_MUTEX: pthread_mutex_unlock(&g_l.pm); break;
    default: parconc_rwlock_wrunlock(&g_l.rw); break;
    }
}

static void *lock_worker(void *arg)
{
    int id = (int)(intptr_t)arg, k = g_l.kind, pm = g_l.write_permille;
    uint32_t x = 2463534242u + (uint32_t)id * 7919u;
    long ops = 0, i;
    __atomic_fetch_add(&g_l.ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&g_l.start, __ATOMIC_ACQUIRE)) __asm__ __volatile__("" ::: "memory");
    while (!__atomic_load_n(&g_l.stop, __ATOMIC_RELAXED)) {
        int n;
        for (n = 0; n < 16; n++) {
            int write;
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            write = pm < 0 ? (int)((ops + n) & 1) : (int)(x % 1000u) < pm;
            if (write) {
                l_wr(k);
                g_l.shared[0]++;
                l_wru(k);
            } else {
                long s = 0;
                l_rd(k);
                for (i = 0; i < 20; i++) s += g_l.shared[i & 7];
                l_rdu(k);
                (void)s;
            }
            for (i = 0; i < 20; i++) __asm__ __volatile__("" ::: "memory");
        }
        ops += 16;
    }
    g_l.ops[id * 16] = ops;
    return NULL;
}

static double lock_run_once(int kind, int threads, int write_permille, int64_t dur)
{
    parconc_thread t[MAX_T];
    int i, made = 0;
    long total = 0;
    memset(&g_l, 0, sizeof g_l);
    g_l.kind = kind;
    g_l.threads = threads;
    g_l.write_permille = write_permille;
    if (kind <= L_PREFER_WRITERS) parconc_rwlock_init(&g_l.rw, kind);
    pthread_rwlock_init(&g_l.prw, NULL);
    pthread_mutex_init(&g_l.pm, NULL);
#ifdef BENCH_HAVE_CK
    ck_pflock_init(&g_l.ck);
#endif
    for (i = 0; i < threads; i++)
        if (parconc_thread_create(&t[i], lock_worker, (void *)(intptr_t)i, NULL) == PARCONC_OK) made++;
    while (__atomic_load_n(&g_l.ready, __ATOMIC_ACQUIRE) < made) parconc_thread_yield();
    __atomic_store_n(&g_l.start, 1, __ATOMIC_RELEASE);
    parconc_sleep_ns(dur);
    __atomic_store_n(&g_l.stop, 1, __ATOMIC_RELAXED);
    for (i = 0; i < made; i++) { parconc_thread_join(t[i], NULL); total += g_l.ops[i * 16]; }
    pthread_rwlock_destroy(&g_l.prw);
    pthread_mutex_destroy(&g_l.pm);
    return (double)total / ((double)dur / 1e9) / 1e6;
}

static int have_ck(void)
{
#ifdef BENCH_HAVE_CK
    return 1;
#else
    return 0;
#endif
}

/* one table: rows = thread counts, columns = kinds; ratios of the first
   kind against each of the others */
static void lock_table(const char *bench, const char *what, const int *kinds, int nk, int write_permille,
                       const int *tc, int ntc, int64_t dur)
{
    int ti, ki, r;
    printf("\n%s (Mops/s, higher is better)\n\n| threads |", what);
    for (ki = 0; ki < nk; ki++) printf(" %22s |", lock_names[kinds[ki]]);
    for (ki = 1; ki < nk; ki++) printf(" %s vs %-13s |", lock_short[kinds[0]], lock_short[kinds[ki]]);
    printf("\n|---------|");
    for (ki = 0; ki < 2 * nk - 1; ki++) printf("------------------------|");
    printf("\n");
    for (ti = 0; ti < ntc; ti++) {
        double v[L_COUNT][REPS], med[L_COUNT];
        for (r = 0; r < REPS; r++)
            for (ki = 0; ki < nk; ki++) v[kinds[ki]][r] = lock_run_once(kinds[ki], tc[ti], write_permille, dur);
        printf("| %7d |", tc[ti]);
        for (ki = 0; ki < nk; ki++) {
            med[kinds[ki]] = median3(v[kinds[ki]], REPS);
            printf(" %22.2f |", med[kinds[ki]]);
            csv_row(bench, what, lock_names[kinds[ki]], tc[ti], med[kinds[ki]], "Mops/s");
        }
        for (ki = 1; ki < nk; ki++) printf(" %21.2fx |", med[kinds[ki]] > 0 ? med[kinds[0]] / med[kinds[ki]] : 0.0);
        printf("\n");
        fflush(stdout);
    }
}

/* ---- uncontended lock + unlock with a second thread alive ---- */
static int idle_stop;
static void *idle_thread(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&idle_stop, __ATOMIC_RELAXED)) parconc_sleep_ns(MS);
    return NULL;
}
static volatile long usink;
static double uncontended(int kind, int write, long iters)
{
    uint64_t t0;
    long i;
    t0 = parconc_now_ns();
    if (write)
        for (i = 0; i < iters; i++) { l_wr(kind); usink++; l_wru(kind); }
    else
        for (i = 0; i < iters; i++) { l_rd(kind); usink++; l_rdu(kind); }
    return (double)(parconc_now_ns() - t0) / (double)iters;
}
static void uncontended_table(void)
{
    static const struct { const char *what; int kinds[3]; int nk; int write; } rows[3] = {
        { "mutex lock+unlock", { L_PC_MUTEX, L_PT_MUTEX, 0 }, 2, 1 },
        { "rwlock read lock+unlock", { L_FAIR, L_GLIBC, L_CK }, 3, 0 },
        { "rwlock write lock+unlock", { L_FAIR, L_GLIBC, L_CK }, 3, 1 },
    };
    parconc_thread t;
    long iters = quick ? 1000000 : 5000000;
    int i, k, r;
    idle_stop = 0;
    parconc_thread_create(&t, idle_thread, NULL, NULL);
    printf("\nUncontended lock + unlock, a second thread alive (ns per pair, lower is better)\n\n"
           "| %-26s | %14s | %14s | %14s | %8s | %8s |\n|----------------------------|----------------|----------------|----------------|----------|----------|\n",
           "operation", "parconc", "glibc", "ck_pflock", "vs glibc", "vs ck");
    for (i = 0; i < 3; i++) {
        double v[3][REPS * 2 + 1], med[3] = { 0, 0, 0 };
        memset(&g_l, 0, sizeof g_l);
        pthread_rwlock_init(&g_l.prw, NULL);
        pthread_mutex_init(&g_l.pm, NULL);
#ifdef BENCH_HAVE_CK
        ck_pflock_init(&g_l.ck);
#endif
        for (k = 0; k < rows[i].nk; k++) uncontended(rows[i].kinds[k], rows[i].write, iters / 10);
        for (r = 0; r < REPS * 2 + 1; r++)
            for (k = 0; k < rows[i].nk; k++)
                v[k][r] = (rows[i].kinds[k] == L_CK && !have_ck()) ? 0 : uncontended(rows[i].kinds[k], rows[i].write, iters);
        for (k = 0; k < rows[i].nk; k++) {
            med[k] = bench_median(v[k], REPS * 2 + 1);
            csv_row("uncontended", rows[i].what, lock_names[rows[i].kinds[k]], 1, med[k], "ns");
        }
        printf("| %-26s | %14.2f | %14.2f | %14.2f | %7.2fx | %7.2fx |\n", rows[i].what, med[0], med[1], med[2],
               med[1] > 0 ? med[0] / med[1] : 0.0, med[2] > 0 ? med[0] / med[2] : 0.0);
    }
    __atomic_store_n(&idle_stop, 1, __ATOMIC_RELAXED);
    parconc_thread_join(t, NULL);
}

/* ===================================================================== */
/* Tasks                                                                  */
/* ===================================================================== */
static void settle(void) { parconc_sleep_ns(20 * MS); }

static void task_table(const int *wc, int nwc)
{
    long n = quick ? 50000 : 200000;
    int s, wi, r;
    for (s = 1; s <= 2; s++) {
        char what[64];
        snprintf(what, sizeof what, "empty tasks, %d submitter%s", s, s > 1 ? "s" : "");
        printf("\n%s (M tasks/s, higher is better; x = workers, plus the submitters)\n\n"
               "| workers | %10s | %12s | %12s | %9s | %9s |\n|---------|------------|--------------|--------------|-----------|-----------|\n",
               what, "parconc", "classic pool", "OpenMP tasks", "vs classic", "vs OpenMP");
        for (wi = 0; wi < nwc; wi++) {
            int w = wc[wi];
            double a[REPS], b[REPS], c[REPS], ma, mb, mc;
            parconc_pool *pc;
            parconc_pool_desc d;
            classic_pool *cl = classic_create(w);
            submit_job jp, jc;
            memset(&d, 0, sizeof d);
            d.threads = w;
            if (parconc_pool_create(&pc, &d) != PARCONC_OK) { printf("pool_create failed\n"); exit(1); }
            memset(&jp, 0, sizeof jp); jp.pc = pc; jp.n = n / s;
            memset(&jc, 0, sizeof jc); jc.cl = cl; jc.n = n / s;
            for (r = 0; r < REPS; r++) {
                a[r] = run_submitters(pc_submitter, &jp, s) / 1e6;
                b[r] = run_submitters(cl_submitter, &jc, s) / 1e6;
                c[r] = omp_tasks_throughput(n / s, s, w + s) / 1e6;
                settle();
            }
            ma = bench_median(a, REPS); mb = bench_median(b, REPS); mc = bench_median(c, REPS);
            printf("| %7d | %10.2f | %12.2f | %12.2f | %8.2fx | %8.2fx |\n", w, ma, mb, mc, ma / mb, ma / mc);
            fflush(stdout);
            csv_row("tasks", what, "parconc", w, ma, "Mtasks/s");
            csv_row("tasks", what, "classic pool", w, mb, "Mtasks/s");
            csv_row("tasks", what, "OpenMP tasks", w, mc, "Mtasks/s");
            parconc_pool_destroy(pc);
            classic_destroy(cl);
        }
    }
}

/* ===================================================================== */
/* Loops                                                                  */
/* ===================================================================== */
static void empty_range(size_t b, size_t e, size_t w, void *a) { (void)b; (void)e; (void)w; (void)a; }
#ifdef BENCH_HAVE_PTHREADPOOL
static void pp_empty(void *ctx, size_t i) { (void)ctx; __asm__ __volatile__("" ::"r"(i)); }
#endif

static double omp_loop(int sched, int threads, int calls)
{
    double t0 = now_s();
    int c;
    for (c = 0; c < calls; c++) {
        if (sched == PARCONC_DYNAMIC) {
            #pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
            for (int i = 0; i < 1000; i++) __asm__ __volatile__("" ::"r"(i));
        } else if (sched == PARCONC_GUIDED) {
            #pragma omp parallel for schedule(guided) num_threads(threads)
            for (int i = 0; i < 1000; i++) __asm__ __volatile__("" ::"r"(i));
        } else {
            #pragma omp parallel for schedule(static) num_threads(threads)
            for (int i = 0; i < 1000; i++) __asm__ __volatile__("" ::"r"(i));
        }
    }
    return (now_s() - t0) / calls * 1e6;
}
static double pc_loop(parconc_pool *p, int sched, int calls)
{
    parconc_for_desc d;
    double t0;
    int c;
    memset(&d, 0, sizeof d);
    d.schedule = sched;
    d.chunk = sched == PARCONC_DYNAMIC ? 1 : 0;
    t0 = now_s();
    for (c = 0; c < calls; c++) parconc_parallel_for(p, 1000, empty_range, NULL, &d);
    return (now_s() - t0) / calls * 1e6;
}

static void loop_table(const int *tc, int ntc)
{
    static const int sched[4] = { PARCONC_AUTO, PARCONC_STATIC, PARCONC_DYNAMIC, PARCONC_GUIDED };
    static const char *names[4] = { "auto", "static", "dynamic,1", "guided" };
    static const char *omp_names[4] = { "static", "static", "dynamic,1", "guided" };
    int calls = quick ? 1000 : 5000, si, ti, r;
    for (si = 0; si < 4; si++) {
        char what[64];
        snprintf(what, sizeof what, "empty 1000-item loop, %s", names[si]);
        printf("\n%s (us per call, lower is better; OpenMP %s)\n\n| threads | %10s | %10s | %12s | %9s | %9s |\n"
               "|---------|------------|------------|--------------|-----------|-----------|\n",
               what, omp_names[si], "parconc", "OpenMP", "pthreadpool", "vs OpenMP", "vs pthrpool");
        for (ti = 0; ti < ntc; ti++) {
            int t = tc[ti];
            double a[REPS], b[REPS], c[REPS], ma, mb, mc = 0;
            parconc_pool *p;
            parconc_pool_desc d;
#ifdef BENCH_HAVE_PTHREADPOOL
            pthreadpool_t pp = si == 0 ? pthreadpool_create((size_t)t) : NULL;
#endif
            if (t < 2) continue;
            memset(&d, 0, sizeof d);
            d.threads = t - 1; /* + the caller = t participants, like OpenMP's team */
            if (parconc_pool_create(&p, &d) != PARCONC_OK) { printf("pool_create failed\n"); exit(1); }
            for (r = 0; r < REPS; r++) {
                settle();
                a[r] = pc_loop(p, sched[si], calls);
                b[r] = omp_loop(sched[si], t, calls);
                c[r] = 0;
#ifdef BENCH_HAVE_PTHREADPOOL
                if (pp) {
                    double t0;
                    int k;
                    settle();
                    t0 = now_s();
                    for (k = 0; k < calls; k++) pthreadpool_parallelize_1d(pp, pp_empty, NULL, 1000, 0);
                    c[r] = (now_s() - t0) / calls * 1e6;
                }
#endif
            }
            ma = bench_median(a, REPS); mb = bench_median(b, REPS);
            mc = bench_median(c, REPS);
            printf("| %7d | %10.2f | %10.2f | %12.2f | %8.2fx | %8.2fx |\n", t, ma, mb, mc, ma / mb, mc > 0 ? ma / mc : 0.0);
            fflush(stdout);
            csv_row("loops", what, "parconc", t, ma, "us/call");
            csv_row("loops", what, "OpenMP", t, mb, "us/call");
            if (mc > 0) csv_row("loops", what, "pthreadpool", t, mc, "us/call");
#ifdef BENCH_HAVE_PTHREADPOOL
            if (pp) pthreadpool_destroy(pp);
#endif
            parconc_pool_destroy(p);
        }
    }
    /* a default pool (desc.threads = 0) against pthreadpool's default
       (one thread per CPU): what a user who sets nothing gets */
    {
        parconc_pool *p;
        parconc_pool_desc d;
        double a[REPS], c[REPS], ma, mc;
        memset(&d, 0, sizeof d);
        parconc_pool_create(&p, &d);
#ifdef BENCH_HAVE_PTHREADPOOL
        pthreadpool_t pp = pthreadpool_create(0);
#endif
        for (r = 0; r < REPS; r++) {
            settle();
            a[r] = pc_loop(p, PARCONC_AUTO, calls) * 1000.0 / 1000.0; /* us per call = ns per item */
            c[r] = 0;
#ifdef BENCH_HAVE_PTHREADPOOL
            {
                double t0 = now_s();
                int k;
                for (k = 0; k < calls; k++) pthreadpool_parallelize_1d(pp, pp_empty, NULL, 1000, 0);
                c[r] = (now_s() - t0) / calls * 1e6;
            }
#endif
        }
        ma = bench_median(a, REPS); mc = bench_median(c, REPS);
        printf("\nempty 1000-item loop, AUTO on a default pool vs pthreadpool's default: %.2f vs %.2f ns/item (%.2fx)\n", ma, mc,
               mc > 0 ? ma / mc : 0.0);
        csv_row("loops_default", "AUTO, default pool", "parconc", parconc_cpu_count(), ma, "ns/item");
        if (mc > 0) csv_row("loops_default", "AUTO, default pool", "pthreadpool", parconc_cpu_count(), mc, "ns/item");
#ifdef BENCH_HAVE_PTHREADPOOL
        pthreadpool_destroy(pp);
#endif
        parconc_pool_destroy(p);
    }
}

/* ===================================================================== */
/* Fork-join                                                              */
/* ===================================================================== */
#define FIB_CUTOFF 18
static long fib_serial(long n) { return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2); }
static void *pc_fib(void *arg)
{
    long n = (long)(intptr_t)arg, b;
    parconc_future *f;
    void *r;
    if (n < FIB_CUTOFF) return (void *)(intptr_t)fib_serial(n);
    if (parconc_pool_submit(parconc_pool_current(), pc_fib, (void *)(intptr_t)(n - 1), &f) != PARCONC_OK) abort();
    b = (long)(intptr_t)pc_fib((void *)(intptr_t)(n - 2));
    parconc_future_get(f, &r, PARCONC_FOREVER);
    parconc_future_release(f);
    return (void *)(intptr_t)((long)(intptr_t)r + b);
}
static long omp_fib(long n)
{
    long a, b;
    if (n < FIB_CUTOFF) return fib_serial(n);
    #pragma omp task shared(a)
    a = omp_fib(n - 1);
    b = omp_fib(n - 2);
    #pragma omp taskwait
    return a + b;
}
static void fib_table(const int *tc, int ntc)
{
    int fibn = quick ? 28 : 32, ti, r;
    long want = fib_serial(fibn);
    printf("\nfib(%d), cutoff %d, submit + future_get (ms, lower is better; x = pool workers = OpenMP team)\n\n"
           "| threads | %10s | %10s | %9s |\n|---------|------------|------------|-----------|\n",
           fibn, FIB_CUTOFF, "parconc", "OpenMP", "vs OpenMP");
    for (ti = 0; ti < ntc; ti++) {
        int t = tc[ti];
        double a[REPS], b[REPS], ma, mb;
        parconc_pool *p;
        parconc_pool_desc d;
        memset(&d, 0, sizeof d);
        d.threads = t;
        parconc_pool_create(&p, &d);
        for (r = 0; r < REPS; r++) {
            parconc_future *f;
            void *res;
            long v = 0;
            double t0;
            settle();
            t0 = now_s();
            parconc_pool_submit(p, pc_fib, (void *)(intptr_t)fibn, &f);
            parconc_future_get(f, &res, PARCONC_FOREVER);
            parconc_future_release(f);
            a[r] = (now_s() - t0) * 1e3;
            t0 = now_s();
            #pragma omp parallel num_threads(t)
            {
                #pragma omp single
                v = omp_fib(fibn);
            }
            b[r] = (now_s() - t0) * 1e3;
            if ((long)(intptr_t)res != want || v != want) { printf("fib mismatch\n"); exit(1); }
        }
        ma = bench_median(a, REPS); mb = bench_median(b, REPS);
        printf("| %7d | %10.2f | %10.2f | %8.2fx |\n", t, ma, mb, ma / mb);
        fflush(stdout);
        csv_row("fib", "fib", "parconc", t, ma, "ms");
        csv_row("fib", "fib", "OpenMP", t, mb, "ms");
        parconc_pool_destroy(p);
    }
}

int main(int argc, char **argv)
{
    int cpus = parconc_cpu_count(), max_t, tc[16], ntc = 0, wc[16], nwc = 0, t, i;
    int64_t dur;
    const char *only = "";
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
    }
    max_t = argc > 1 && atoi(argv[argc - 1]) > 0 ? atoi(argv[argc - 1]) : cpus;
    if (max_t > MAX_T) max_t = MAX_T;
    dur = quick ? 60 * MS : 200 * MS;
    for (t = 1; t < max_t && ntc < 15; t *= 2) tc[ntc++] = t;
    tc[ntc++] = max_t;
    /* workers: up to one less than the CPUs (the submitter takes one) */
    for (t = 1; t < max_t - 1 && nwc < 15; t *= 2) wc[nwc++] = t;
    wc[nwc++] = max_t > 1 ? max_t - 1 : 1;
    csv = fopen("build/bench_scale.csv", "w");
    if (csv) fprintf(csv, "benchmark,case,implementation,threads,value,unit\n");
    printf("parconc %s scaling benchmarks: %d CPUs usable, up to %d threads, medians of %d runs%s%s\n", PARCONC_VERSION_STRING, cpus,
           max_t, REPS, have_ck() ? "" : " (no ck_pflock: <ck_pflock.h> not found at build time)",
#ifdef BENCH_HAVE_PTHREADPOOL
           ""
#else
           " (no pthreadpool: <pthreadpool.h> not found at build time)"
#endif
    );
    if (!*only || strcmp(only, "locks") == 0) {
        uncontended_table();
        int all[5] = { L_FAIR, L_PREFER_READERS, L_PREFER_WRITERS, L_GLIBC, L_CK }, nall = have_ck() ? 5 : 4;
        int fw[2] = { L_FAIR, L_GLIBC }, mx[2] = { L_PC_MUTEX, L_PT_MUTEX };
        lock_table("rwlock", "rwlock read-only", all, nall, 0, tc, ntc, dur);
        lock_table("rwlock", "rwlock 1% writes", all, nall, 10, tc, ntc, dur);
        lock_table("rwlock", "rwlock 10% writes", all, nall, 100, tc, ntc, dur);
        lock_table("rwlock", "rwlock writes only", fw, 2, 1000, tc, ntc, dur);
        lock_table("rwlock", "rwlock alternating write/read", fw, 2, -1, tc, ntc, dur);
        lock_table("mutex", "mutex contended", mx, 2, 1000, tc, ntc, dur);
    }
    if (!*only || strcmp(only, "tasks") == 0) task_table(wc, nwc);
    if (!*only || strcmp(only, "loops") == 0) loop_table(tc, ntc);
    if (!*only || strcmp(only, "fib") == 0) fib_table(tc, ntc);
    if (csv) fclose(csv);
    return 0;
}
