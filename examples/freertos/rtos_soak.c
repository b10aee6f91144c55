/* rtos_soak.c - parconc under mixed priorities for SOAK_SECONDS (make rtos
   sets it), on QEMU mps2 boards.

   Priorities (FreeRTOS, higher runs first):
     6  monitor: wakes each second, checks that every task moved, even the
        lowest (nothing in parconc may keep a waiting task busy on the CPU)
     5  interrupt consumer: takes a semaphore a 1 kHz timer interrupt posts
     4  submitter: batches of tasks with futures in caller storage, and
        parallel_for over a shared array, each result checked
     3  pool workers (parconc_pool_desc.priority) and a writer under the
        rwlock
     2  two readers under the rwlock, timed mutex waits (never early)
     1  the lowest: mutex-protected increments
   At the end every thread is joined and the totals must add up: each task
   ran once, each interrupt post was taken once.  Exit status: failures. */
#include "rtos_common.h"

#ifndef SOAK_SECONDS
#define SOAK_SECONDS 10
#endif
#define MS 1000000ll
#define BATCH 8
#define ITEMS 256

static volatile int stop;
static parconc_pool *pool;
static unsigned char pool_memory[12288] __attribute__((aligned(64)));
static parconc_mutex mtx = PARCONC_MUTEX_INIT;
static parconc_rwlock rw;
static parconc_sem irq_sem;
static volatile uint32_t irq_posts, irq_taken;
static uint32_t shared_a, shared_b; /* equal whenever the rwlock is not write-held */
static uint32_t task_runs_total, low_total;
static uint8_t visits[ITEMS];
static volatile uint32_t moved[6]; /* per role: iterations (1..5), index 0 unused */

static void timer_irq(void)
{
    if (parconc_sem_post(&irq_sem) == PARCONC_OK) irq_posts++;
}

static void *irq_consumer(void *arg)
{
    (void)arg;
    while (!stop) {
        int rc = parconc_sem_timedwait(&irq_sem, 500 * MS);
        if (rc == PARCONC_OK) irq_taken++;
        else CHECK(rc == PARCONC_ETIMEDOUT && stop); /* 1 kHz: a 500 ms gap is a lost post */
        moved[5]++;
    }
    return NULL;
}

static void *count_task(void *arg)
{
    parconc_mutex_lock(&mtx);
    task_runs_total++;
    parconc_mutex_unlock(&mtx);
    return arg;
}

static void visit(size_t b, size_t e, size_t worker, void *arg)
{
    (void)worker; (void)arg;
    for (; b < e; b++) visits[b]++;
}

static void *submitter(void *arg)
{
    static parconc_future futs[BATCH];
    uint32_t submitted = 0, rounds = 0;
    (void)arg;
    while (!stop) {
        int i;
        for (i = 0; i < BATCH; i++) {
            parconc_task_desc d;
            memset(&d, 0, sizeof d);
            d.fn = count_task;
            d.arg = (void *)(intptr_t)(i + 1);
            d.storage = &futs[i];
            d.timeout_ns = PARCONC_FOREVER;
            CHECK(parconc_pool_submit_ex(pool, &d, NULL) == PARCONC_OK);
            submitted++;
        }
        for (i = 0; i < BATCH; i++) {
            void *r = NULL;
            CHECK(parconc_future_get(&futs[i], &r, PARCONC_FOREVER) == PARCONC_OK && (intptr_t)r == i + 1);
        }
        if (++rounds % 4 == 0) {
            parconc_for_desc fd;
            size_t k;
            int bad = 0;
            memset(&fd, 0, sizeof fd);
            fd.schedule = rounds % 8 ? PARCONC_AUTO : PARCONC_DYNAMIC;
            memset(visits, 0, sizeof visits);
            CHECK(parconc_parallel_for(pool, ITEMS, visit, NULL, &fd) == PARCONC_OK);
            for (k = 0; k < ITEMS; k++) bad += visits[k] != 1;
            CHECK(bad == 0);
        }
        moved[4]++;
        vTaskDelay(1);
    }
    return (void *)(uintptr_t)submitted;
}

static void *writer(void *arg)
{
    (void)arg;
    while (!stop) {
        parconc_rwlock_wrlock(&rw);
        shared_a++;
        taskYIELD();
        shared_b++;
        parconc_rwlock_wrunlock(&rw);
        moved[3]++;
        vTaskDelay(1);
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    while (!stop) {
        uint64_t t0;
        int rc;
        parconc_rwlock_rdlock(&rw);
        CHECK(shared_a == shared_b);
        parconc_rwlock_rdunlock(&rw);
        t0 = parconc_now_ns();
        rc = parconc_mutex_timedlock(&mtx, 200000);
        if (rc == PARCONC_OK) parconc_mutex_unlock(&mtx);
        else CHECK(rc == PARCONC_ETIMEDOUT && parconc_now_ns() - t0 >= 200000u);
        moved[2]++;
        vTaskDelay(1);
    }
    return NULL;
}

static void *lowest(void *arg)
{
    (void)arg;
    while (!stop) {
        parconc_mutex_lock(&mtx);
        low_total++;
        parconc_mutex_unlock(&mtx);
        moved[1]++;
    }
    return NULL;
}

static parconc_thread start(parconc_thread_fn fn, int priority)
{
    parconc_thread t;
    parconc_thread_opts o;
    memset(&o, 0, sizeof o);
    o.priority = priority;
    o.stack_size = 2048;
    CHECK(parconc_thread_create(&t, fn, NULL, &o) == PARCONC_OK);
    return t;
}

static void soak(void)
{
    parconc_pool_desc desc;
    parconc_thread t[6];
    uint32_t last[6], second;
    void *submitted = NULL;
    int i;
    rtos_pool_desc(&desc, pool_memory, sizeof pool_memory, 2048, 3);
    CHECK(parconc_pool_create(&pool, &desc) == PARCONC_OK);
    CHECK(parconc_rwlock_init(&rw, PARCONC_RW_FAIR) == PARCONC_OK);
    CHECK(parconc_sem_init(&irq_sem, 0) == PARCONC_OK);
    if (!pool) return;
    board_timer_start(1000, timer_irq);
    t[0] = start(irq_consumer, 5);
    t[1] = start(submitter, 4);
    t[2] = start(writer, 3);
    t[3] = start(reader, 2);
    t[4] = start(reader, 2);
    t[5] = start(lowest, 1);
    for (i = 1; i < 6; i++) last[i] = moved[i];
    for (second = 1; second <= SOAK_SECONDS; second++) {
        vTaskDelay(configTICK_RATE_HZ);
        for (i = 1; i < 6; i++) {
            if (moved[i] == last[i]) {
                rtos_line("  no progress at priority ", (uint64_t)i, "");
                rtos_line(" in second ", second, "\n");
                rtos_fail(__LINE__, "every priority moves every second");
            }
            last[i] = moved[i];
        }
    }
    stop = 1;
    for (i = 0; i < 6; i++) CHECK(parconc_thread_join(t[i], i == 1 ? &submitted : NULL) == PARCONC_OK);
    board_timer_stop();
    CHECK(parconc_pool_wait_idle(pool, PARCONC_FOREVER) == PARCONC_OK);
    CHECK(task_runs_total == (uint32_t)(uintptr_t)submitted); /* each task ran exactly once */
    CHECK(irq_posts == irq_taken + parconc_sem_value(&irq_sem)); /* each post taken once */
    CHECK(irq_posts >= (uint32_t)SOAK_SECONDS * 500u); /* 1 kHz, less when the emulator falls behind */
    parconc_pool_destroy(pool);
    rtos_line("  ", (uint64_t)SOAK_SECONDS, " s:");
    rtos_line(" tasks ", (uint64_t)task_runs_total, ",");
    rtos_line(" interrupt posts ", (uint64_t)irq_posts, ",");
    rtos_line(" writer ", (uint64_t)moved[3], ",");
    rtos_line(" readers ", (uint64_t)moved[2], ",");
    rtos_line(" lowest ", (uint64_t)low_total, "\n");
    rtos_line("rtos_soak: ", (uint64_t)rtos_failures, " failed checks\n");
}

int main(void) { return rtos_run(soak, 6); }
