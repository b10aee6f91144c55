/* bench_locks.c - parconc locks against pthreads, side by side in one run.
   Prints markdown tables (medians of BENCH_REPEATS runs) and writes
   build/bench_locks.csv.  Ratios: parconc / pthreads (for times lower is
   better, for throughputs higher is better). */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include "bench_common.h"
#include <pthread.h>

#define MS 1000000LL
static volatile long sink;

/* ---------- uncontended lock + unlock, ns per pair ---------- */

#define UNCONTENDED(name, lock_stmt, unlock_stmt)                         \
    static double name(long iters)                                        \
    {                                                                     \
        uint64_t t0 = parconc_now_ns();                                   \
        long i;                                                           \
        for (i = 0; i < iters; i++) { lock_stmt; sink++; unlock_stmt; }   \
        return (double)(parconc_now_ns() - t0) / (double)iters;           \
    }

static parconc_mutex pm = PARCONC_MUTEX_INIT;
static parconc_rmutex prm = PARCONC_RMUTEX_INIT;
static parconc_rwlock prw = PARCONC_RWLOCK_INIT;
static pthread_mutex_t xm = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t xrm;
static pthread_rwlock_t xrw = PTHREAD_RWLOCK_INITIALIZER;

UNCONTENDED(u_pc_mutex, parconc_mutex_lock(&pm), parconc_mutex_unlock(&pm))
UNCONTENDED(u_px_mutex, pthread_mutex_lock(&xm), pthread_mutex_unlock(&xm))
UNCONTENDED(u_pc_rmutex, parconc_rmutex_lock(&prm), parconc_rmutex_unlock(&prm))
UNCONTENDED(u_px_rmutex, pthread_mutex_lock(&xrm), pthread_mutex_unlock(&xrm))
UNCONTENDED(u_pc_rd, parconc_rwlock_rdlock(&prw), parconc_rwlock_rdunlock(&prw))
UNCONTENDED(u_px_rd, pthread_rwlock_rdlock(&xrw), pthread_rwlock_unlock(&xrw))
UNCONTENDED(u_pc_wr, parconc_rwlock_wrlock(&prw), parconc_rwlock_wrunlock(&prw))
UNCONTENDED(u_px_wr, pthread_rwlock_wrlock(&xrw), pthread_rwlock_unlock(&xrw))

/* glibc's locks take a no-atomic path while a process has a single
   thread; no concurrent program is in that case, so the uncontended rows
   run with this second thread alive (asleep). */
static int second_stop;
static void *second_thread(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&second_stop, __ATOMIC_RELAXED)) parconc_sleep_ns(1000000);
    return NULL;
}

static void side_by_side(const char *what, double (*ours)(long), double (*base)(long), long iters)
{
    double a[BENCH_REPEATS], b[BENCH_REPEATS];
    int r;
    ours(iters / 10); base(iters / 10); /* warm up */
    for (r = 0; r < BENCH_REPEATS; r++) { a[r] = ours(iters); b[r] = base(iters); }
    bench_row("uncontended", what, bench_median(a, BENCH_REPEATS), bench_median(b, BENCH_REPEATS), "ns/pair");
}

/* ---------- contended throughput ---------- */

typedef struct contended { int use_parconc; int stop; long ops[16]; int ready; } contended;
static contended g_c;
static long shared_counter;

static void *contended_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    long ops = 0;
    __atomic_fetch_add(&g_c.ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&g_c.stop, __ATOMIC_RELAXED)) {
        int k;
        for (k = 0; k < 64; k++) {
            if (g_c.use_parconc) { parconc_mutex_lock(&pm); shared_counter++; parconc_mutex_unlock(&pm); }
            else { pthread_mutex_lock(&xm); shared_counter++; pthread_mutex_unlock(&xm); }
        }
        ops += 64;
    }
    g_c.ops[id] = ops;
    return NULL;
}

static double contended_run(int use_parconc, int threads, int64_t dur)
{
    parconc_thread t[16];
    int i;
    long total = 0;
    memset(&g_c, 0, sizeof g_c);
    g_c.use_parconc = use_parconc;
    for (i = 0; i < threads; i++) parconc_thread_create(&t[i], contended_worker, (void *)(intptr_t)i, NULL);
    while (__atomic_load_n(&g_c.ready, __ATOMIC_ACQUIRE) < threads) parconc_thread_yield();
    parconc_sleep_ns(dur);
    __atomic_store_n(&g_c.stop, 1, __ATOMIC_RELAXED);
    for (i = 0; i < threads; i++) { parconc_thread_join(t[i], NULL); total += g_c.ops[i]; }
    return (double)total / ((double)dur / 1e9) / 1e6; /* Mops/s */
}

/* ---------- rwlock: 3 readers + 1 writer ---------- */

typedef struct rwmix { int kind; int stop; long reads, writes; parconc_rwlock pc; pthread_rwlock_t px; } rwmix;
static rwmix g_rw;

static void rw_rd(void) { if (g_rw.kind < 3) parconc_rwlock_rdlock(&g_rw.pc); else pthread_rwlock_rdlock(&g_rw.px); }
static void rw_rdu(void) { if (g_rw.kind < 3) parconc_rwlock_rdunlock(&g_rw.pc); else pthread_rwlock_unlock(&g_rw.px); }
static void rw_wr(void) { if (g_rw.kind < 3) parconc_rwlock_wrlock(&g_rw.pc); else pthread_rwlock_wrlock(&g_rw.px); }
static void rw_wru(void) { if (g_rw.kind < 3) parconc_rwlock_wrunlock(&g_rw.pc); else pthread_rwlock_unlock(&g_rw.px); }

static void *rw_reader(void *arg)
{
    long n = 0;
    (void)arg;
    while (!__atomic_load_n(&g_rw.stop, __ATOMIC_RELAXED)) {
        volatile int spin;
        rw_rd();
        for (spin = 0; spin < 100; spin++) {}
        rw_rdu();
        n++;
    }
    __atomic_fetch_add(&g_rw.reads, n, __ATOMIC_RELAXED);
    return NULL;
}
static void *rw_writer(void *arg)
{
    long n = 0;
    (void)arg;
    while (!__atomic_load_n(&g_rw.stop, __ATOMIC_RELAXED)) {
        rw_wr();
        sink++;
        rw_wru();
        n++;
    }
    __atomic_fetch_add(&g_rw.writes, n, __ATOMIC_RELAXED);
    return NULL;
}

/* kind: 0..2 parconc policy, 3 pthread default, 4 pthread prefer-writer */
static void rw_run(int kind, int64_t dur, double *reads_s, double *writes_s)
{
    parconc_thread t[4];
    int i;
    memset(&g_rw, 0, sizeof g_rw);
    g_rw.kind = kind;
    if (kind < 3) parconc_rwlock_init(&g_rw.pc, kind);
    else {
        pthread_rwlockattr_t a;
        pthread_rwlockattr_init(&a);
        if (kind == 4) pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&g_rw.px, &a);
        pthread_rwlockattr_destroy(&a);
    }
    for (i = 0; i < 3; i++) parconc_thread_create(&t[i], rw_reader, NULL, NULL);
    parconc_thread_create(&t[3], rw_writer, NULL, NULL);
    parconc_sleep_ns(dur);
    __atomic_store_n(&g_rw.stop, 1, __ATOMIC_RELAXED);
    for (i = 0; i < 4; i++) parconc_thread_join(t[i], NULL);
    *reads_s = (double)g_rw.reads / ((double)dur / 1e9);
    *writes_s = (double)g_rw.writes / ((double)dur / 1e9);
    if (kind >= 3) pthread_rwlock_destroy(&g_rw.px);
}

/* ---------- timed-lock lateness ---------- */

static void *hold_forever_pc(void *arg) { (void)arg; parconc_mutex_lock(&pm); while (!__atomic_load_n(&g_c.stop, __ATOMIC_RELAXED)) parconc_sleep_ns(MS); parconc_mutex_unlock(&pm); return NULL; }
static void *hold_forever_px(void *arg) { (void)arg; pthread_mutex_lock(&xm); while (!__atomic_load_n(&g_c.stop, __ATOMIC_RELAXED)) parconc_sleep_ns(MS); pthread_mutex_unlock(&xm); return NULL; }

static void lateness(int use_parconc, int samples, double *median_us, double *p99_us)
{
    double *late = (double *)malloc(sizeof(double) * (size_t)samples);
    parconc_thread t;
    int i;
    memset(&g_c, 0, sizeof g_c);
    parconc_thread_create(&t, use_parconc ? hold_forever_pc : hold_forever_px, NULL, NULL);
    parconc_sleep_ns(5 * MS);
    for (i = 0; i < samples; i++) {
        uint64_t t0 = parconc_now_ns();
        if (use_parconc) parconc_mutex_timedlock(&pm, MS);
        else {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += MS;
            if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
            pthread_mutex_clocklock(&xm, CLOCK_MONOTONIC, &ts);
        }
        late[i] = ((double)(parconc_now_ns() - t0) - (double)MS) / 1e3;
    }
    __atomic_store_n(&g_c.stop, 1, __ATOMIC_RELAXED);
    parconc_thread_join(t, NULL);
    *median_us = bench_median(late, samples);
    *p99_us = bench_percentile(late, samples, 0.99);
    free(late);
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    long iters = quick ? 1000000 : 10000000;
    int64_t dur = quick ? 100 * MS : 300 * MS;
    pthread_mutexattr_t ra;
    int i, threads[2] = { 2, 4 };
    const char *names[5] = { "FAIR", "PREFER_READERS", "PREFER_WRITERS", "glibc default", "glibc PREFER_WRITER_NONREC" };
    pthread_mutexattr_init(&ra);
    pthread_mutexattr_settype(&ra, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&xrm, &ra);
    bench_csv_open("build/bench_locks.csv");
    printf("parconc %s lock benchmarks: %d CPUs usable, medians of %d runs\n", PARCONC_VERSION_STRING, parconc_cpu_count(), BENCH_REPEATS);

    bench_header("Uncontended lock + unlock, a second thread alive (lower is better)", "pthreads");
    {
        parconc_thread second;
        parconc_thread_create(&second, second_thread, NULL, NULL);
        side_by_side("mutex vs pthread_mutex", u_pc_mutex, u_px_mutex, iters);
        side_by_side("rmutex vs recursive pthread_mutex", u_pc_rmutex, u_px_rmutex, iters);
        side_by_side("rwlock read vs pthread_rwlock", u_pc_rd, u_px_rd, iters);
        side_by_side("rwlock write vs pthread_rwlock", u_pc_wr, u_px_wr, iters);
        __atomic_store_n(&second_stop, 1, __ATOMIC_RELAXED);
        parconc_thread_join(second, NULL);
    }

    bench_header("Contended mutex throughput, tiny critical section (higher is better)", "pthreads");
    for (i = 0; i < 2; i++) {
        double a[BENCH_REPEATS], b[BENCH_REPEATS];
        char what[64];
        int r;
        for (r = 0; r < BENCH_REPEATS; r++) { a[r] = contended_run(1, threads[i], dur); b[r] = contended_run(0, threads[i], dur); }
        snprintf(what, sizeof what, "%d threads", threads[i]);
        bench_row("contended", what, bench_median(a, BENCH_REPEATS), bench_median(b, BENCH_REPEATS), "Mops/s");
    }

    printf("\nrwlock, 3 readers + 1 writer (medians; reads/s and writes/s)\n\n| %-28s | %14s | %14s |\n|------------------------------|----------------|----------------|\n",
           "lock / policy", "reads/s", "writes/s");
    {
        double rd[5], wr[5];
        int k;
        for (k = 0; k < 5; k++) {
            double rs[BENCH_REPEATS], ws[BENCH_REPEATS];
            int r;
            for (r = 0; r < BENCH_REPEATS; r++) rw_run(k, dur, &rs[r], &ws[r]);
            rd[k] = bench_median(rs, BENCH_REPEATS);
            wr[k] = bench_median(ws, BENCH_REPEATS);
            printf("| %-28s | %14.0f | %14.0f |\n", names[k], rd[k], wr[k]);
            if (bench_csv) fprintf(bench_csv, "rwlock_3r1w,%s,%.1f,%.1f,reads/s|writes/s,0\n", names[k], rd[k], wr[k]);
        }
        printf("\nFAIR vs glibc default: writes %.0fx, reads %.2fx\n", wr[3] > 0 ? wr[0] / wr[3] : -1.0, rd[0] / rd[3]);
    }

    bench_header("Timed lock lateness past a 1 ms timeout (lower is better)", "pthreads");
    {
        double pm_med, pm_p99, px_med, px_p99;
        int samples = quick ? 50 : 300;
        lateness(1, samples, &pm_med, &pm_p99);
        lateness(0, samples, &px_med, &px_p99);
        bench_row("lateness", "timedlock median vs clocklock", pm_med, px_med, "us");
        bench_row("lateness", "timedlock p99 vs clocklock", pm_p99, px_p99, "us");
    }
    if (bench_csv) fclose(bench_csv);
    return 0;
}
