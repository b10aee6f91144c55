/* bench/classic_pool.h - the baseline: a classic thread pool, the design of
   the most-used small C pools (one mutex, one condition variable, a FIFO
   linked list, malloc per task).  Written here for side-by-side runs. */
#ifndef CLASSIC_POOL_H
#define CLASSIC_POOL_H
#include <pthread.h>
#include <stdlib.h>

typedef struct classic_job { void (*fn)(void *); void *arg; struct classic_job *next; } classic_job;
typedef struct classic_pool {
    pthread_mutex_t lock;
    pthread_cond_t has_work, idle;
    classic_job *head, *tail;
    int pending, stop, nthreads;
    pthread_t *threads;
} classic_pool;

static void *classic_worker(void *arg)
{
    classic_pool *p = (classic_pool *)arg;
    for (;;) {
        classic_job *j;
        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->stop) pthread_cond_wait(&p->has_work, &p->lock);
        if (!p->head) { pthread_mutex_unlock(&p->lock); return NULL; }
        j = p->head;
        p->head = j->next;
        if (!p->head) p->tail = NULL;
        pthread_mutex_unlock(&p->lock);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&p->lock);
        if (--p->pending == 0) pthread_cond_broadcast(&p->idle);
        pthread_mutex_unlock(&p->lock);
    }
}

static classic_pool *classic_create(int n)
{
    classic_pool *p = (classic_pool *)calloc(1, sizeof *p);
    int i;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->has_work, NULL);
    pthread_cond_init(&p->idle, NULL);
    p->nthreads = n;
    p->threads = (pthread_t *)calloc((size_t)n, sizeof(pthread_t));
    for (i = 0; i < n; i++) pthread_create(&p->threads[i], NULL, classic_worker, p);
    return p;
}

static void classic_submit(classic_pool *p, void (*fn)(void *), void *arg)
{
    classic_job *j = (classic_job *)malloc(sizeof *j);
    j->fn = fn;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->tail) p->tail->next = j; else p->head = j;
    p->tail = j;
    p->pending++;
    pthread_cond_signal(&p->has_work);
    pthread_mutex_unlock(&p->lock);
}

static void classic_wait(classic_pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->pending) pthread_cond_wait(&p->idle, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

static void classic_destroy(classic_pool *p)
{
    int i;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->has_work);
    pthread_mutex_unlock(&p->lock);
    for (i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    free(p->threads);
    free(p);
}
#endif
