/* bench/submitters.h - empty-task throughput from 1 or 2 submitting
   threads, the same code for the parconc pool, the classic pool and
   OpenMP tasks (bench_pool and bench_scale; built with -fopenmp).  Include after parconc.h and
   classic_pool.h. */
#ifndef BENCH_SUBMITTERS_H
#define BENCH_SUBMITTERS_H

static void *pc_empty(void *arg) { (void)arg; return NULL; }
static void classic_empty(void *arg) { (void)arg; }

typedef struct submit_job { parconc_pool *pc; classic_pool *cl; long n; } submit_job;
static void *pc_submitter(void *arg)
{
    submit_job *j = (submit_job *)arg;
    long i;
    for (i = 0; i < j->n; i++) parconc_pool_submit(j->pc, pc_empty, NULL, NULL);
    return NULL;
}
static void *cl_submitter(void *arg)
{
    submit_job *j = (submit_job *)arg;
    long i;
    for (i = 0; i < j->n; i++) classic_submit(j->cl, classic_empty, NULL);
    return NULL;
}

/* tasks per second: `submitters` threads each submit job->n, then wait idle */
static double run_submitters(void *(*fn)(void *), submit_job *job, int submitters)
{
    parconc_thread t[2];
    uint64_t t0 = parconc_now_ns();
    int i;
    if (submitters == 1) fn(job);
    else {
        for (i = 0; i < submitters; i++) parconc_thread_create(&t[i], fn, job, NULL);
        for (i = 0; i < submitters; i++) parconc_thread_join(t[i], NULL);
    }
    if (job->pc) parconc_pool_wait_idle(job->pc, PARCONC_FOREVER); else classic_wait(job->cl);
    return (double)(job->n * submitters) / ((double)(parconc_now_ns() - t0) / 1e9);
}

/* The same with OpenMP tasks: a team of `threads`; `submitters` of its
   threads create the tasks, the rest (and they, at the barrier) run them.
   Tasks per second. */
static double omp_tasks_throughput(long n, int submitters, int threads)
{
    uint64_t t0 = parconc_now_ns();
    #pragma omp parallel num_threads(threads)
    {
        #pragma omp for schedule(static)
        for (int s = 0; s < submitters; s++) {
            for (long i = 0; i < n; i++) {
                #pragma omp task
                { __asm__ __volatile__("" ::: "memory"); }
            }
        }
        #pragma omp taskwait
    }
    return (double)(n * submitters) / ((double)(parconc_now_ns() - t0) / 1e9);
}
#endif
