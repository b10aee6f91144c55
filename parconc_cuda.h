/* parconc_cuda.h - CUDA kernel-launch helpers for parconc           v0.1.0

   Usable from plain C host code (the CUDA runtime API is C) and from .cu
   files under nvcc.  Ties GPU work into parconc: stream futures that sit
   next to pool futures in one parconc_wait_all, launch configurations
   from the occupancy API, multi-GPU division with parconc_split.

   HOW TO INCLUDE (after parconc.h)
       #define PARCONC_IMPLEMENTATION         (parconc.h, once)
       #define PARCONC_CUDA_IMPLEMENTATION    (this file, once)
       #include "parconc.h"
       #include "parconc_cuda.h"
   Host code: cc -I/usr/local/cuda/include ... -L/usr/local/cuda/lib64 -lcudart
   Device helpers (grid-stride loop, block split, launch macro) exist only
   under nvcc (__CUDACC__).

   ERRORS
   Every helper returns a parconc code: PARCONC_OK, PARCONC_ENODEV (no GPU or
   no driver), PARCONC_EINVAL, PARCONC_ENOMEM, PARCONC_ERANGE (a grid larger
   than the device allows: reported, never silently not launched),
   PARCONC_EDEVICE (any other CUDA error).  PARCONC_CUDA_CHECK(expr)
   evaluates a cudaError_t expression; on failure it calls the error
   handler with the expression, file, line, cudaGetErrorName and
   cudaGetErrorString, and yields the mapped parconc code.  The default
   handler logs through the parconc logger.  Nothing here calls exit() or
   cudaDeviceReset().

   REFERENCE
   parconc_cuda_result(err)                  cudaError_t -> parconc code
   parconc_cuda_set_error_handler(fn, user)  NULL: back to the logger
   parconc_cuda_device_count(&n)             ENODEV when there is none
   parconc_cuda_device_info(dev, &info)      cached attributes per device
   parconc_cuda_config(kernel, n, mode, smem, &cfg)  occupancy-based
       PARCONC_CUDA_COVER     grid = ceil(n / block): one thread per item
       PARCONC_CUDA_SATURATE  grid = SMs x active blocks per SM (<= cover),
                              for grid-stride kernels
   parconc_cuda_launch(kernel, &cfg, args, stream)   cudaLaunchKernel + check
   parconc_cuda_set_debug_sync(on)           synchronise after every launch
   parconc_cuda_timer_start/stop(&t, stream, &ms)    event pair
   parconc_cuda_stream_future(stream, &f)    completes when the stream's work
                                             so far is done
   parconc_cuda_future_wait(f, stream, t)    ... and surfaces device errors
   parconc_cuda_graph_begin/end/launch       stream capture (thread-local mode)
   parconc_cuda_for_devices(pool, n, fn, arg) n split over the GPUs

   LICENSE: as parconc.h (MIT or public domain). */

#ifndef PARCONC_H_INCLUDED
#error "parconc_cuda.h: include parconc.h first"
#endif

#ifndef PARCONC_CUDA_H_INCLUDED
#define PARCONC_CUDA_H_INCLUDED

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { PARCONC_CUDA_COVER = 0, PARCONC_CUDA_SATURATE = 1 };

/* A kernel's host stub as the runtime wants it (const void *), without the
   function-to-object pointer cast ISO C warns about. */
#define PARCONC_CUDA_KERNEL(fn) ((const void *)(uintptr_t)(fn))

typedef void (*parconc_cuda_error_handler)(cudaError_t err, const char *expr, const char *file, int line, void *user);

typedef struct parconc_cuda_device_info {
    int sm_count, max_threads_per_block, max_threads_per_sm, warp_size;
    unsigned max_grid_x;
    char name[256];
} parconc_cuda_device_info;

typedef struct parconc_cuda_launch_config {
    unsigned grid, block;      /* 1-D launch */
    size_t shared_bytes;
    int active_blocks_per_sm;
    uint64_t n;
} parconc_cuda_launch_config;

typedef struct parconc_cuda_timer { cudaEvent_t start, stop; cudaStream_t stream; } parconc_cuda_timer;

typedef struct parconc_cuda_graph { cudaStream_t stream; cudaGraph_t graph; cudaGraphExec_t exec; } parconc_cuda_graph;

/* fn(device, begin, end, arg) handles items [begin, end) on `device`
   (already current); returns a parconc code. */
typedef int (*parconc_cuda_device_fn)(int device, size_t begin, size_t end, void *arg);

PARCONC_API int parconc_cuda_result(cudaError_t err);
PARCONC_API void parconc_cuda_set_error_handler(parconc_cuda_error_handler fn, void *user);
PARCONC_API int parconc_cuda_check(cudaError_t err, const char *expr, const char *file, int line);
#define PARCONC_CUDA_CHECK(expr) parconc_cuda_check((expr), #expr, __FILE__, __LINE__)

PARCONC_API int parconc_cuda_device_count(int *count);
PARCONC_API int parconc_cuda_device_info_get(int device, parconc_cuda_device_info *out);
/* Pure arithmetic behind parconc_cuda_config (testable without a GPU). */
PARCONC_API int parconc_cuda_config_from(uint64_t n, int mode, unsigned block, int active_blocks_per_sm,
                                        int sm_count, unsigned max_grid_x, parconc_cuda_launch_config *out);
PARCONC_API int parconc_cuda_config(const void *kernel, uint64_t n, int mode, size_t shared_bytes, parconc_cuda_launch_config *out);
PARCONC_API int parconc_cuda_launch(const void *kernel, const parconc_cuda_launch_config *cfg, void **args, cudaStream_t stream);
PARCONC_API void parconc_cuda_set_debug_sync(int on);

PARCONC_API int parconc_cuda_timer_start(parconc_cuda_timer *t, cudaStream_t stream);
PARCONC_API int parconc_cuda_timer_stop(parconc_cuda_timer *t, float *ms);

PARCONC_API int parconc_cuda_stream_future(cudaStream_t stream, parconc_future **out);
PARCONC_API int parconc_cuda_stream_future_in(cudaStream_t stream, parconc_future *storage);
PARCONC_API int parconc_cuda_future_wait(parconc_future *f, cudaStream_t stream, int64_t timeout_ns);

PARCONC_API int parconc_cuda_graph_begin(parconc_cuda_graph *g, cudaStream_t stream);
PARCONC_API int parconc_cuda_graph_end(parconc_cuda_graph *g);
PARCONC_API int parconc_cuda_graph_launch(parconc_cuda_graph *g, cudaStream_t stream);
PARCONC_API void parconc_cuda_graph_destroy(parconc_cuda_graph *g);

PARCONC_API int parconc_cuda_for_devices(parconc_pool *pool, size_t n, parconc_cuda_device_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

/* ---- device side (nvcc only) ------------------------------------------ */
#ifdef __CUDACC__
/* for (size_t i = ...; i < n; i += whole grid): 64-bit indices */
#define PARCONC_CUDA_GRID_STRIDE(i, n) \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (size_t)(n); i += (size_t)blockDim.x * gridDim.x)

/* This block's share of n items, the same block split as parconc_split. */
__device__ static inline void parconc_cuda_block_split(size_t n, size_t *begin, size_t *end)
{
    size_t parts = gridDim.x, index = blockIdx.x, q = n / parts, r = n % parts;
    *begin = index * q + (index < r ? index : r);
    *end = *begin + q + (index < r ? 1 : 0);
}

/* Launch kernel over n items with the occupancy-chosen configuration
   (COVER) on stream; evaluates to a parconc code (launch checked). */
#define PARCONC_CUDA_LAUNCH(kernel, n, stream, ...)                                              \
    ([&]() -> int {                                                                            \
        parconc_cuda_launch_config cfg_;                                                              \
        int rc_ = parconc_cuda_config(PARCONC_CUDA_KERNEL(kernel), (n), PARCONC_CUDA_COVER, 0, &cfg_); \
        if (rc_ != PARCONC_OK) return rc_;                                                     \
        kernel<<<cfg_.grid, cfg_.block, 0, (stream)>>>(__VA_ARGS__);                            \
        return parconc_cuda_check(cudaGetLastError(), #kernel "<<<>>>", __FILE__, __LINE__);     \
    }())
#endif

#endif /* PARCONC_CUDA_H_INCLUDED */

/* ######################################################################### */
#if defined(PARCONC_CUDA_IMPLEMENTATION) && !defined(PARCONC_CUDA_IMPL_INCLUDED)
#define PARCONC_CUDA_IMPL_INCLUDED

#ifndef PARCONC_IMPL_INCLUDED
#error "parconc_cuda.h: PARCONC_CUDA_IMPLEMENTATION needs PARCONC_IMPLEMENTATION in the same file"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* parconc_cuda.h uses only the public API of parconc.h. */
static parconc_cuda_error_handler parconc__cuda_handler;
static void *parconc__cuda_handler_user;
static int parconc__cuda_debug_sync;

PARCONC_API int parconc_cuda_result(cudaError_t err)
{
    switch (err) {
    case cudaSuccess: return PARCONC_OK;
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice:
    case cudaErrorDevicesUnavailable: return PARCONC_ENODEV;
    case cudaErrorMemoryAllocation: return PARCONC_ENOMEM;
    case cudaErrorInvalidValue:
    case cudaErrorInvalidConfiguration:
    case cudaErrorInvalidDeviceFunction: return PARCONC_EINVAL;
    case cudaErrorNotReady: return PARCONC_EBUSY;
    case cudaErrorLaunchTimeout: return PARCONC_ETIMEDOUT;
    case cudaErrorNotSupported: return PARCONC_ENOTSUP;
    default: return PARCONC_EDEVICE;
    }
}

PARCONC_API void parconc_cuda_set_error_handler(parconc_cuda_error_handler fn, void *user)
{
    parconc__cuda_handler_user = user;
    parconc__cuda_handler = fn;
}

/* Appends s to buf (capacity cap, *len used so far), truncating. */
static void parconc__cuda_cat(char *buf, size_t cap, size_t *len, const char *s)
{
    while (s && *s && *len + 1 < cap) buf[(*len)++] = *s++;
    buf[*len] = '\0';
}

PARCONC_API int parconc_cuda_check(cudaError_t err, const char *expr, const char *file, int line)
{
    if (err == cudaSuccess) return PARCONC_OK;
    if (parconc__cuda_handler) {
        parconc__cuda_handler(err, expr, file, line, parconc__cuda_handler_user);
    } else {
        char msg[512];
        size_t len = 0;
        parconc__cuda_cat(msg, sizeof msg, &len, expr);
        parconc__cuda_cat(msg, sizeof msg, &len, " failed: ");
        parconc__cuda_cat(msg, sizeof msg, &len, cudaGetErrorName(err));
        parconc__cuda_cat(msg, sizeof msg, &len, " (");
        parconc__cuda_cat(msg, sizeof msg, &len, cudaGetErrorString(err));
        parconc__cuda_cat(msg, sizeof msg, &len, ")");
        parconc_log(PARCONC_LOG_ERROR, parconc_cuda_result(err), msg, file, line);
    }
    return parconc_cuda_result(err);
}

PARCONC_API int parconc_cuda_device_count(int *count)
{
    int n = 0;
    cudaError_t e;
    if (!count) return PARCONC_EINVAL;
    *count = 0;
    e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) { (void)cudaGetLastError(); return parconc_cuda_result(e); }
    if (n <= 0) return PARCONC_ENODEV;
    *count = n;
    return PARCONC_OK;
}

/* Attributes are cached per device (they never change): the config call on
   a hot path costs an uncontended lock, no driver query, after the first. */
#define PARCONC__CUDA_MAX_DEVICES 64
static parconc_cuda_device_info parconc__cuda_info[PARCONC__CUDA_MAX_DEVICES];
static int parconc__cuda_info_ready[PARCONC__CUDA_MAX_DEVICES]; /* under the lock */
static parconc_mutex parconc__cuda_info_lock = PARCONC_MUTEX_INIT;

PARCONC_API int parconc_cuda_device_info_get(int device, parconc_cuda_device_info *out)
{
    int count, rc, v;
    struct cudaDeviceProp prop;
    if (!out || device < 0 || device >= PARCONC__CUDA_MAX_DEVICES) return PARCONC_EINVAL;
    parconc_mutex_lock(&parconc__cuda_info_lock);
    if (parconc__cuda_info_ready[device]) {
        *out = parconc__cuda_info[device];
        parconc_mutex_unlock(&parconc__cuda_info_lock);
        return PARCONC_OK;
    }
    parconc_mutex_unlock(&parconc__cuda_info_lock);
    rc = parconc_cuda_device_count(&count);
    if (rc != PARCONC_OK) return rc;
    if (device >= count) return PARCONC_EINVAL;
    parconc_mutex_lock(&parconc__cuda_info_lock);
    if (!parconc__cuda_info_ready[device]) {
        parconc_cuda_device_info *i = &parconc__cuda_info[device];
        memset(i, 0, sizeof *i);
        cudaDeviceGetAttribute(&i->sm_count, cudaDevAttrMultiProcessorCount, device);
        cudaDeviceGetAttribute(&i->max_threads_per_block, cudaDevAttrMaxThreadsPerBlock, device);
        cudaDeviceGetAttribute(&i->max_threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, device);
        cudaDeviceGetAttribute(&i->warp_size, cudaDevAttrWarpSize, device);
        v = 0;
        cudaDeviceGetAttribute(&v, cudaDevAttrMaxGridDimX, device);
        i->max_grid_x = (unsigned)v;
        if (cudaGetDeviceProperties(&prop, device) == cudaSuccess) {
            memcpy(i->name, prop.name, sizeof i->name - 1);
        }
        parconc__cuda_info_ready[device] = 1;
    }
    *out = parconc__cuda_info[device];
    parconc_mutex_unlock(&parconc__cuda_info_lock);
    return PARCONC_OK;
}

PARCONC_API int parconc_cuda_config_from(uint64_t n, int mode, unsigned block, int active_blocks_per_sm,
                                        int sm_count, unsigned max_grid_x, parconc_cuda_launch_config *out)
{
    uint64_t cover, grid;
    if (!out || n == 0 || block == 0 || (mode != PARCONC_CUDA_COVER && mode != PARCONC_CUDA_SATURATE)) return PARCONC_EINVAL;
    memset(out, 0, sizeof *out);
    cover = n / block + (n % block != 0); /* no overflow: n + block - 1 could wrap */
    if (mode == PARCONC_CUDA_COVER) {
        if (cover > max_grid_x) return PARCONC_ERANGE; /* too big for one launch: say so */
        grid = cover;
    } else {
        grid = (uint64_t)(sm_count > 0 ? sm_count : 1) * (uint64_t)(active_blocks_per_sm > 0 ? active_blocks_per_sm : 1);
        if (grid > cover) grid = cover;
        if (grid > max_grid_x) grid = max_grid_x;
    }
    out->grid = (unsigned)grid;
    out->block = block;
    out->active_blocks_per_sm = active_blocks_per_sm;
    out->n = n;
    return PARCONC_OK;
}

/* Block size: the one (a multiple of the warp size) that gives the most
   resident threads per SM, larger on ties: what cudaOccupancyMaxPotential-
   BlockSize does in C++, rebuilt on the C occupancy call. */
PARCONC_API int parconc_cuda_config(const void *kernel, uint64_t n, int mode, size_t shared_bytes, parconc_cuda_launch_config *out)
{
    int device, rc, best_active = 0, b;
    unsigned best_block = 0;
    long best_threads = -1;
    parconc_cuda_device_info info;
    struct cudaFuncAttributes attr;
    if (!kernel || !out) return PARCONC_EINVAL;
    rc = parconc_cuda_check(cudaGetDevice(&device), "cudaGetDevice", __FILE__, __LINE__);
    if (rc != PARCONC_OK) return rc;
    rc = parconc_cuda_device_info_get(device, &info);
    if (rc != PARCONC_OK) return rc;
    rc = parconc_cuda_check(cudaFuncGetAttributes(&attr, kernel), "cudaFuncGetAttributes", __FILE__, __LINE__);
    if (rc != PARCONC_OK) return rc;
    for (b = attr.maxThreadsPerBlock; b >= info.warp_size; b -= info.warp_size) {
        int active = 0;
        if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&active, kernel, b, shared_bytes) != cudaSuccess) continue;
        if ((long)active * b > best_threads) {
            best_threads = (long)active * b;
            best_block = (unsigned)b;
            best_active = active;
        }
    }
    if (!best_block) return PARCONC_EINVAL;
    rc = parconc_cuda_config_from(n, mode, best_block, best_active, info.sm_count, info.max_grid_x, out);
    out->shared_bytes = shared_bytes;
    return rc;
}

PARCONC_API void parconc_cuda_set_debug_sync(int on) { parconc__cuda_debug_sync = on; }

PARCONC_API int parconc_cuda_launch(const void *kernel, const parconc_cuda_launch_config *cfg, void **args, cudaStream_t stream)
{
    dim3 grid, block;
    int rc;
    if (!kernel || !cfg || cfg->grid == 0 || cfg->block == 0) return PARCONC_EINVAL;
    grid.x = cfg->grid; grid.y = 1; grid.z = 1;
    block.x = cfg->block; block.y = 1; block.z = 1;
    rc = parconc_cuda_check(cudaLaunchKernel(kernel, grid, block, args, cfg->shared_bytes, stream), "cudaLaunchKernel", __FILE__, __LINE__);
    if (rc == PARCONC_OK) rc = parconc_cuda_check(cudaGetLastError(), "cudaLaunchKernel (launch)", __FILE__, __LINE__);
    if (rc == PARCONC_OK && parconc__cuda_debug_sync)
        rc = parconc_cuda_check(cudaStreamSynchronize(stream), "cudaStreamSynchronize (debug sync)", __FILE__, __LINE__);
    return rc;
}

PARCONC_API int parconc_cuda_timer_start(parconc_cuda_timer *t, cudaStream_t stream)
{
    int rc;
    if (!t) return PARCONC_EINVAL;
    memset(t, 0, sizeof *t);
    t->stream = stream;
    rc = PARCONC_CUDA_CHECK(cudaEventCreate(&t->start));
    if (rc != PARCONC_OK) return rc;
    rc = PARCONC_CUDA_CHECK(cudaEventCreate(&t->stop));
    if (rc != PARCONC_OK) { cudaEventDestroy(t->start); return rc; }
    return PARCONC_CUDA_CHECK(cudaEventRecord(t->start, stream));
}

PARCONC_API int parconc_cuda_timer_stop(parconc_cuda_timer *t, float *ms)
{
    int rc;
    if (!t || !ms) return PARCONC_EINVAL;
    rc = PARCONC_CUDA_CHECK(cudaEventRecord(t->stop, t->stream));
    if (rc == PARCONC_OK) rc = PARCONC_CUDA_CHECK(cudaEventSynchronize(t->stop));
    if (rc == PARCONC_OK) rc = PARCONC_CUDA_CHECK(cudaEventElapsedTime(ms, t->start, t->stop));
    cudaEventDestroy(t->start);
    cudaEventDestroy(t->stop);
    return rc;
}

/* ---- stream -> future ----------------------------------------------------
   The host function only completes the future: no CUDA call, no
   allocation (the future was made before).  CUDA skips host functions
   after a device error, so parconc_cuda_future_wait polls the stream while
   it waits and fails the future with the device's error instead of
   waiting forever. */
static void CUDART_CB parconc__cuda_host_fn(void *user)
{
    parconc_future_complete((parconc_future *)user, NULL);
}

PARCONC_API int parconc_cuda_stream_future_in(cudaStream_t stream, parconc_future *storage)
{
    int rc;
    if (!storage) return PARCONC_EINVAL;
    parconc_future_init(storage);
    rc = PARCONC_CUDA_CHECK(cudaLaunchHostFunc(stream, parconc__cuda_host_fn, storage));
    if (rc != PARCONC_OK) parconc_future_fail(storage, rc);
    return rc;
}

PARCONC_API int parconc_cuda_stream_future(cudaStream_t stream, parconc_future **out)
{
    parconc_future *f;
    int rc;
    if (!out) return PARCONC_EINVAL;
    *out = NULL;
    rc = parconc_future_create(&f);
    if (rc != PARCONC_OK) return rc;
    /* the host function uses the caller's reference: release it only after
       the future settled (wait returned) */
    rc = PARCONC_CUDA_CHECK(cudaLaunchHostFunc(stream, parconc__cuda_host_fn, f));
    if (rc != PARCONC_OK) parconc_future_fail(f, rc);
    *out = f;
    return rc;
}

PARCONC_API int parconc_cuda_future_wait(parconc_future *f, cudaStream_t stream, int64_t timeout_ns)
{
    /* the deadline on parconc_now_ns(); UINT64_MAX: none (FOREVER, or too far) */
    uint64_t now = parconc_now_ns(), deadline;
    if (!f) return PARCONC_EINVAL;
    deadline = timeout_ns == PARCONC_FOREVER || (timeout_ns > 0 && (uint64_t)timeout_ns > UINT64_MAX - now)
                   ? UINT64_MAX
                   : now + (uint64_t)(timeout_ns > 0 ? timeout_ns : 0);
    for (;;) {
        uint64_t left = deadline == UINT64_MAX ? UINT64_MAX : (now = parconc_now_ns()) < deadline ? deadline - now : 0;
        int64_t slice = left > 1000000u ? 1000000 : (int64_t)left;
        cudaError_t e;
        int rc = parconc_future_wait(f, slice);
        /* settled: get() answers OK, the failure's code, or ECANCELED */
        if (rc != PARCONC_ETIMEDOUT) return rc == PARCONC_OK || rc == PARCONC_ECANCELED ? parconc_future_get(f, NULL, 0) : rc;
        e = cudaStreamQuery(stream);
        if (e != cudaSuccess && e != cudaErrorNotReady) {
            int code = parconc_cuda_check(e, "stream work", __FILE__, __LINE__);
            parconc_future_fail(f, code);
            return code;
        }
        if (left == 0) return PARCONC_ETIMEDOUT;
    }
}

/* ---- graphs ---------------------------------------------------------------
   Capture in cudaStreamCaptureModeThreadLocal: other pool threads may keep
   making CUDA calls while this thread captures. */
PARCONC_API int parconc_cuda_graph_begin(parconc_cuda_graph *g, cudaStream_t stream)
{
    if (!g) return PARCONC_EINVAL;
    memset(g, 0, sizeof *g);
    g->stream = stream;
    return PARCONC_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
}

PARCONC_API int parconc_cuda_graph_end(parconc_cuda_graph *g)
{
    int rc;
    if (!g) return PARCONC_EINVAL;
    rc = PARCONC_CUDA_CHECK(cudaStreamEndCapture(g->stream, &g->graph));
    if (rc == PARCONC_OK) rc = PARCONC_CUDA_CHECK(cudaGraphInstantiate(&g->exec, g->graph, 0));
    return rc;
}

PARCONC_API int parconc_cuda_graph_launch(parconc_cuda_graph *g, cudaStream_t stream)
{
    if (!g || !g->exec) return PARCONC_EINVAL;
    return PARCONC_CUDA_CHECK(cudaGraphLaunch(g->exec, stream));
}

PARCONC_API void parconc_cuda_graph_destroy(parconc_cuda_graph *g)
{
    if (!g) return;
    if (g->exec) cudaGraphExecDestroy(g->exec);
    if (g->graph) cudaGraphDestroy(g->graph);
    memset(g, 0, sizeof *g);
}

/* ---- multi-GPU ------------------------------------------------------------- */
typedef struct parconc__cuda_dev_job {
    parconc_cuda_device_fn fn;
    void *arg;
    int device;
    size_t begin, end;
} parconc__cuda_dev_job;

static void *parconc__cuda_dev_task(void *arg)
{
    parconc__cuda_dev_job *j = (parconc__cuda_dev_job *)arg;
    int rc = PARCONC_CUDA_CHECK(cudaSetDevice(j->device)); /* once per task */
    if (rc == PARCONC_OK) rc = j->fn(j->device, j->begin, j->end, j->arg);
    return rc == PARCONC_OK ? NULL : parconc_task_fail(rc);
}

PARCONC_API int parconc_cuda_for_devices(parconc_pool *pool, size_t n, parconc_cuda_device_fn fn, void *arg)
{
    parconc__cuda_dev_job jobs[PARCONC__CUDA_MAX_DEVICES];
    parconc_future futures[PARCONC__CUDA_MAX_DEVICES];
    int count, d, rc, first_error = PARCONC_OK;
    if (!pool || !fn) return PARCONC_EINVAL;
    rc = parconc_cuda_device_count(&count);
    if (rc != PARCONC_OK) return rc;
    if (count > PARCONC__CUDA_MAX_DEVICES) count = PARCONC__CUDA_MAX_DEVICES;
    for (d = 0; d < count; d++) {
        parconc_task_desc t;
        jobs[d].fn = fn;
        jobs[d].arg = arg;
        jobs[d].device = d;
        parconc_split(n, (size_t)count, (size_t)d, &jobs[d].begin, &jobs[d].end);
        memset(&t, 0, sizeof t);
        t.fn = parconc__cuda_dev_task;
        t.arg = &jobs[d];
        t.storage = &futures[d];
        t.timeout_ns = PARCONC_FOREVER; /* a full blocking pool: wait for room */
        rc = parconc_pool_submit_ex(pool, &t, NULL);
        if (rc != PARCONC_OK) { count = d; first_error = rc; break; }
    }
    for (d = 0; d < count; d++) {
        rc = parconc_future_get(&futures[d], NULL, PARCONC_FOREVER);
        if (rc != PARCONC_OK && first_error == PARCONC_OK) first_error = rc;
    }
    return first_error;
}

#ifdef __cplusplus
}
#endif

#endif /* PARCONC_CUDA_IMPLEMENTATION */
