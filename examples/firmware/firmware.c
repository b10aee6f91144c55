/* firmware.c - parconc in a firmware-style build (Cortex-M4, `make cross`).

   No heap after start-up (PARCONC_NO_MALLOC: the header does not even
   reference malloc), no stdio (PARCONC_NO_STDIO), no pthreads
   (PARCONC_PORT_CUSTOM: threads, clock and wait/wake come from the RTOS
   through stub_port.c).  The pool lives in a static buffer, every task's
   future in caller storage, and the locks are plain structs.

   What it does: a sensor-fusion style frame step.  Four filter tasks run on
   the pool, each publishing into a shared table under a mutex; a
   parallel_for scales a sample buffer; a reader-writer lock guards the
   configuration; a wait group joins the tasks.  main() returns 0 when every
   result is right.  With the link-only stub port (no scheduler) the pool
   cannot start threads, so main() takes the documented fallback: the same
   work on the calling thread (parallel_for with a NULL pool). */
#define PARCONC_IMPLEMENTATION
#define PARCONC_PORT_CUSTOM
#define PARCONC_NO_MALLOC
#define PARCONC_NO_STDIO
/* every task here has its future in caller storage, which never uses the
   FIFO pool's submission ring: leave it out (it would take 12 KB of the
   8 KB pool buffer, and pool creation would fail) */
#define PARCONC_POOL_RING 0
#include "../../parconc.h"

#define WORKERS 2
#define FILTERS 4
#define SAMPLES 256

static unsigned char pool_memory[8192] __attribute__((aligned(64)));
static parconc_future filter_futures[FILTERS];
static parconc_mutex table_lock = PARCONC_MUTEX_INIT;
static parconc_rwlock config_lock;
static parconc_waitgroup filters_done;
static int filter_table[FILTERS];
static int gain = 3;
static int samples[SAMPLES];

static void *run_filter(void *arg)
{
    int id = (int)(intptr_t)arg, g;
    parconc_rwlock_rdlock(&config_lock);
    g = gain;
    parconc_rwlock_rdunlock(&config_lock);
    parconc_mutex_lock(&table_lock);
    filter_table[id] = (id + 1) * g;
    parconc_mutex_unlock(&table_lock);
    parconc_waitgroup_done(&filters_done);
    return NULL;
}

static void scale(size_t begin, size_t end, size_t worker, void *arg)
{
    size_t i;
    (void)worker;
    for (i = begin; i < end; i++) samples[i] *= *(const int *)arg;
}

int main(void)
{
    parconc_pool_desc desc;
    parconc_pool *pool = NULL;
    int i, ok = 1, two = 2;

    parconc_rwlock_init(&config_lock, PARCONC_RW_FAIR);
    parconc_waitgroup_add(&filters_done, FILTERS);
    for (i = 0; i < SAMPLES; i++) samples[i] = i;

    memset(&desc, 0, sizeof desc);
    desc.threads = WORKERS;
    desc.queue_capacity = 16;
    desc.deque_capacity = 16;
    desc.memory = pool_memory;
    desc.memory_size = sizeof pool_memory;
    if (parconc_pool_memory_size(&desc) > sizeof pool_memory) return 2;

    if (parconc_pool_create(&pool, &desc) == PARCONC_OK) {
        for (i = 0; i < FILTERS; i++) {
            parconc_task_desc t;
            memset(&t, 0, sizeof t);
            t.fn = run_filter;
            t.arg = (void *)(intptr_t)i;
            t.storage = &filter_futures[i];
            if (parconc_pool_submit_ex(pool, &t, NULL) != PARCONC_OK) return 3;
        }
    } else {
        for (i = 0; i < FILTERS; i++) run_filter((void *)(intptr_t)i); /* no scheduler */
    }
    if (parconc_parallel_for(pool, SAMPLES, scale, &two, NULL) != PARCONC_OK) return 4;
    if (parconc_waitgroup_wait(&filters_done) != PARCONC_OK) return 5;
    if (pool) {
        if (parconc_wait_all((parconc_future *const[]){ &filter_futures[0], &filter_futures[1],
                                                         &filter_futures[2], &filter_futures[3] },
                             FILTERS, PARCONC_FOREVER) != PARCONC_OK) return 6;
        parconc_pool_destroy(pool);
    }
    for (i = 0; i < FILTERS; i++) ok &= filter_table[i] == (i + 1) * gain;
    for (i = 0; i < SAMPLES; i++) ok &= samples[i] == 2 * i;
    return ok ? 0 : 1;
}
