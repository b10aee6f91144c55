/* cuda_pipeline.c - plain C host code: the CPU pool prepares batches, the
   GPU processes them, futures tie the two.  Batch k is filled by a pool
   task; when its future completes, the main thread queues copy-in, kernel
   and copy-out on the batch's own stream and takes a stream future; one
   parconc_wait_all waits for every GPU future.  Without a GPU it says so
   and exits 0. */
#define PARCONC_IMPLEMENTATION
#define PARCONC_CUDA_IMPLEMENTATION
#include "../parconc.h"
#include "../parconc_cuda.h"
#include <stdio.h>
#include <stdlib.h>

void pipeline_scale(float *v, float factor, size_t n); /* from cuda_pipeline_kernels.cu */

enum { BATCHES = 8 };
#define BATCH_ITEMS ((size_t)1 << 20)

typedef struct batch {
    int index;
    float *host, *dev;
    cudaStream_t stream;
    parconc_future prepared, on_gpu; /* caller storage: no allocation */
} batch;

static void *prepare(void *arg) /* CPU side: make the input */
{
    batch *b = (batch *)arg;
    size_t i;
    for (i = 0; i < BATCH_ITEMS; i++) b->host[i] = (float)(b->index * 10 + (int)(i % 10));
    return NULL;
}

int main(void)
{
    batch b[BATCHES];
    parconc_future *gpu[BATCHES];
    parconc_pool *pool;
    parconc_task_desc t;
    int devices, k, rc = 0;
    size_t i, bad = 0;
    if (parconc_cuda_device_count(&devices) != PARCONC_OK) {
        printf("cuda_pipeline: skipped (no CUDA device or driver)\n");
        return 0;
    }
    if (parconc_pool_create(&pool, NULL) != PARCONC_OK) return 1;
    for (k = 0; k < BATCHES; k++) { /* 1. the CPU prepares every batch in parallel */
        b[k].index = k;
        if (PARCONC_CUDA_CHECK(cudaMallocHost((void **)&b[k].host, BATCH_ITEMS * sizeof(float))) ||
            PARCONC_CUDA_CHECK(cudaMalloc((void **)&b[k].dev, BATCH_ITEMS * sizeof(float))) ||
            PARCONC_CUDA_CHECK(cudaStreamCreate(&b[k].stream)))
            return 1;
        memset(&t, 0, sizeof t);
        t.fn = prepare;
        t.arg = &b[k];
        t.storage = &b[k].prepared;
        parconc_pool_submit_ex(pool, &t, NULL);
    }
    for (k = 0; k < BATCHES; k++) { /* 2. each batch goes to the GPU as soon as it is ready */
        parconc_cuda_launch_config cfg;
        void *args[3];
        float factor = 2.0f;
        size_t n = BATCH_ITEMS;
        parconc_future_wait(&b[k].prepared, PARCONC_FOREVER);
        cudaMemcpyAsync(b[k].dev, b[k].host, n * sizeof(float), cudaMemcpyHostToDevice, b[k].stream);
        args[0] = &b[k].dev; args[1] = &factor; args[2] = &n;
        rc |= parconc_cuda_config(PARCONC_CUDA_KERNEL(pipeline_scale), n, PARCONC_CUDA_SATURATE, 0, &cfg);
        rc |= parconc_cuda_launch(PARCONC_CUDA_KERNEL(pipeline_scale), &cfg, args, b[k].stream);
        cudaMemcpyAsync(b[k].host, b[k].dev, n * sizeof(float), cudaMemcpyDeviceToHost, b[k].stream);
        rc |= parconc_cuda_stream_future_in(b[k].stream, &b[k].on_gpu);
        gpu[k] = &b[k].on_gpu;
    }
    /* 3. one wait for all GPU work */
    rc |= parconc_wait_all(gpu, BATCHES, 30000000000LL);
    for (k = 0; k < BATCHES; k++) {
        for (i = 0; i < BATCH_ITEMS; i++)
            if (b[k].host[i] != 2.0f * (float)(k * 10 + (int)(i % 10)) + 1.0f) bad++;
        cudaFreeHost(b[k].host);
        cudaFree(b[k].dev);
        cudaStreamDestroy(b[k].stream);
    }
    parconc_pool_destroy(pool);
    printf("%d batches of %zu floats: CPU-prepared, GPU-processed, %zu wrong, rc %d\n", BATCHES, BATCH_ITEMS, bad, rc);
    return bad || rc ? 1 : 0;
}
