/* parconc_cuda.h from plain C host code: no-device checks always run; GPU
   checks are skipped (with the reason) when there is no device. */
#define PARCONC_IMPLEMENTATION
#define PARCONC_CUDA_IMPLEMENTATION
#include "../../parconc.h"
#include "../../parconc_cuda.h"
#include "../harness.h"

/* kernels from kernels.cu (host stubs, plain C names) */
void pc_vec_add(const float *a, const float *b, float *c, size_t n);
void pc_saxpy(float a, const float *x, float *y, size_t n);
void pc_fill_pattern(float *x, float *y, size_t n);
void pc_mark_cover(unsigned char *seen, size_t n);
void pc_block_owner(unsigned *owner, size_t n);
void pc_add_one(int *p);
void pc_spin(long long ns);

static int have_gpu(void)
{
    int n;
    return parconc_cuda_device_count(&n) == PARCONC_OK;
}
#define NEED_GPU() do { if (!have_gpu()) PT_SKIP("no CUDA device or driver on this machine"); } while (0)

static int handler_calls;
static cudaError_t handler_err;
static int handler_line;
static void count_handler(cudaError_t err, const char *expr, const char *file, int line, void *user)
{
    (void)expr; (void)file; (void)user;
    handler_calls++;
    handler_err = err;
    handler_line = line;
}

static void test_error_mapping(void)
{
    PT_CHECK_EQ(parconc_cuda_result(cudaSuccess), PARCONC_OK);
    PT_CHECK_EQ(parconc_cuda_result(cudaErrorNoDevice), PARCONC_ENODEV);
    PT_CHECK_EQ(parconc_cuda_result(cudaErrorInsufficientDriver), PARCONC_ENODEV);
    PT_CHECK_EQ(parconc_cuda_result(cudaErrorMemoryAllocation), PARCONC_ENOMEM);
    PT_CHECK_EQ(parconc_cuda_result(cudaErrorInvalidValue), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cuda_result(cudaErrorNotReady), PARCONC_EBUSY);
    PT_CHECK_EQ(parconc_cuda_result(cudaErrorIllegalAddress), PARCONC_EDEVICE);
    PT_CHECK(strcmp(parconc_strerror(PARCONC_EDEVICE), "device error") == 0);
}

static void test_check_macro_calls_handler(void)
{
    int line;
    handler_calls = 0;
    parconc_cuda_set_error_handler(count_handler, NULL);
    line = __LINE__; PT_CHECK_EQ(PARCONC_CUDA_CHECK(cudaErrorInvalidValue), PARCONC_EINVAL);
    PT_CHECK_EQ(PARCONC_CUDA_CHECK(cudaSuccess), PARCONC_OK);
    PT_CHECK_EQ(handler_calls, 1);
    PT_CHECK_EQ(handler_err, cudaErrorInvalidValue);
    PT_CHECK_EQ(handler_line, line);
    parconc_cuda_set_error_handler(NULL, NULL);
}

static void test_config_arithmetic(void)
{
    parconc_cuda_launch_config c;
    /* cover: ceil(n / block) */
    PT_CHECK_EQ(parconc_cuda_config_from(1, PARCONC_CUDA_COVER, 256, 8, 132, 2147483647u, &c), PARCONC_OK);
    PT_CHECK(c.grid == 1 && c.block == 256);
    PT_CHECK_EQ(parconc_cuda_config_from(256, PARCONC_CUDA_COVER, 256, 8, 132, 2147483647u, &c), PARCONC_OK);
    PT_CHECK_EQ(c.grid, 1);
    PT_CHECK_EQ(parconc_cuda_config_from(257, PARCONC_CUDA_COVER, 256, 8, 132, 2147483647u, &c), PARCONC_OK);
    PT_CHECK_EQ(c.grid, 2);
    PT_CHECK_EQ(parconc_cuda_config_from(10000000, PARCONC_CUDA_COVER, 1024, 2, 132, 2147483647u, &c), PARCONC_OK);
    PT_CHECK_EQ(c.grid, 9766);
    /* 2^31 + 5 items of 256 threads: 8388609 blocks, fine on x */
    PT_CHECK_EQ(parconc_cuda_config_from(2147483653ull, PARCONC_CUDA_COVER, 256, 8, 132, 2147483647u, &c), PARCONC_OK);
    PT_CHECK_EQ(c.grid, 8388609u);
    /* n near 2^64 does not wrap; too many blocks is an error, not a no-launch */
    PT_CHECK_EQ(parconc_cuda_config_from(UINT64_MAX, PARCONC_CUDA_COVER, 1024, 2, 132, 2147483647u, &c), PARCONC_ERANGE);
    PT_CHECK_EQ(parconc_cuda_config_from(65536ull * 128 + 1, PARCONC_CUDA_COVER, 128, 2, 132, 65535u, &c), PARCONC_ERANGE);
    /* saturate: SMs x active blocks, never more than cover */
    PT_CHECK_EQ(parconc_cuda_config_from(10000000, PARCONC_CUDA_SATURATE, 256, 8, 132, 2147483647u, &c), PARCONC_OK);
    PT_CHECK_EQ(c.grid, 1056);
    PT_CHECK_EQ(parconc_cuda_config_from(1000, PARCONC_CUDA_SATURATE, 256, 8, 132, 2147483647u, &c), PARCONC_OK);
    PT_CHECK_EQ(c.grid, 4);
    PT_CHECK_EQ(parconc_cuda_config_from(UINT64_MAX, PARCONC_CUDA_SATURATE, 1024, 2, 132, 2147483647u, &c), PARCONC_OK);
    PT_CHECK_EQ(c.grid, 264);
    /* bad input */
    PT_CHECK_EQ(parconc_cuda_config_from(0, PARCONC_CUDA_COVER, 256, 8, 132, 65535u, &c), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cuda_config_from(10, PARCONC_CUDA_COVER, 0, 8, 132, 65535u, &c), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cuda_config_from(10, 7, 256, 8, 132, 65535u, &c), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cuda_config_from(10, PARCONC_CUDA_COVER, 256, 8, 132, 65535u, NULL), PARCONC_EINVAL);
}

/* Without a GPU, every entry point says ENODEV (or EINVAL for bad input)
   and nothing crashes. */
static void test_no_device_answers(void)
{
    parconc_cuda_launch_config c;
    parconc_cuda_device_info info;
    parconc_cuda_timer t;
    parconc_future *f = NULL;
    parconc_cuda_graph g;
    parconc_pool *pool;
    int n = -1, rc;
    if (have_gpu()) PT_SKIP("a device is present: the no-device answers cannot be seen");
    PT_CHECK_EQ(parconc_cuda_device_count(&n), PARCONC_ENODEV);
    PT_CHECK_EQ(n, 0);
    PT_CHECK_EQ(parconc_cuda_device_info_get(0, &info), PARCONC_ENODEV);
    PT_CHECK_EQ(parconc_cuda_config(PARCONC_CUDA_KERNEL(pc_saxpy), 100, PARCONC_CUDA_COVER, 0, &c), PARCONC_ENODEV);
    rc = parconc_cuda_timer_start(&t, 0);
    PT_CHECK_EQ(rc, PARCONC_ENODEV);
    rc = parconc_cuda_stream_future(0, &f);
    PT_CHECK_EQ(rc, PARCONC_ENODEV);
    PT_CHECK(f != NULL && parconc_future_state(f) == PARCONC_FAILED); /* settled, not hanging */
    PT_CHECK_EQ(parconc_future_get(f, NULL, 0), PARCONC_ENODEV);
    parconc_future_release(f);
    PT_CHECK_EQ(parconc_cuda_graph_begin(&g, 0), PARCONC_ENODEV);
    PT_CHECK_EQ(parconc_pool_create(&pool, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_cuda_for_devices(pool, 100, NULL, NULL), PARCONC_EINVAL);
    parconc_pool_destroy(pool);
}

static void test_bad_input(void)
{
    parconc_cuda_launch_config c;
    memset(&c, 0, sizeof c);
    PT_CHECK_EQ(parconc_cuda_device_count(NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cuda_device_info_get(-1, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cuda_config(NULL, 10, PARCONC_CUDA_COVER, 0, &c), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_saxpy), &c, NULL, 0), PARCONC_EINVAL); /* grid 0 */
    PT_CHECK_EQ(parconc_cuda_launch(NULL, &c, NULL, 0), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cuda_stream_future(0, NULL), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cuda_future_wait(NULL, 0, 0), PARCONC_EINVAL);
    PT_CHECK_EQ(parconc_cuda_graph_launch(NULL, 0), PARCONC_EINVAL);
}

/* ---- with a GPU ---- */
static int run_vec_add(size_t n)
{
    float *a, *b, *c, *ha;
    parconc_cuda_launch_config cfg;
    size_t i;
    int rc, bad = 0;
    void *args[4];
    ha = (float *)malloc(n * sizeof(float) * 3);
    if (!ha) return -1;
    for (i = 0; i < n; i++) { ha[i] = (float)i; ha[n + i] = (float)(2 * i); }
    if (PARCONC_CUDA_CHECK(cudaMalloc((void **)&a, n * sizeof(float))) != PARCONC_OK) { free(ha); return -1; }
    cudaMalloc((void **)&b, n * sizeof(float));
    cudaMalloc((void **)&c, n * sizeof(float));
    cudaMemcpy(a, ha, n * sizeof(float), cudaMemcpyHostToDevice);
    cudaMemcpy(b, ha + n, n * sizeof(float), cudaMemcpyHostToDevice);
    rc = parconc_cuda_config(PARCONC_CUDA_KERNEL(pc_vec_add), n, PARCONC_CUDA_SATURATE, 0, &cfg);
    args[0] = &a; args[1] = &b; args[2] = &c; args[3] = &n;
    if (rc == PARCONC_OK) rc = parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_vec_add), &cfg, args, 0);
    if (rc == PARCONC_OK) rc = PARCONC_CUDA_CHECK(cudaMemcpy(ha + 2 * n, c, n * sizeof(float), cudaMemcpyDeviceToHost));
    for (i = 0; rc == PARCONC_OK && i < n; i++)
        if (ha[2 * n + i] != (float)(3 * i)) { bad++; break; }
    cudaFree(a); cudaFree(b); cudaFree(c);
    free(ha);
    return rc != PARCONC_OK ? -1 : bad;
}

static void test_gpu_vec_add_sizes(void)
{
    static const size_t ns[] = { 1, 255, 256, 257, 10000000 };
    size_t i;
    NEED_GPU();
    for (i = 0; i < PT_COUNT(ns); i++) PT_CHECK_EQ(run_vec_add(ns[i]), 0);
}

/* saxpy with the COVER configuration, checked element by element; the
   2^31 + 5 case needs 64-bit indices everywhere */
static long long run_saxpy(size_t n)
{
    float *x, *y, *hy;
    parconc_cuda_launch_config cfg;
    float a = 2.0f;
    size_t i, off, chunk = 16u << 20;
    long long bad = 0;
    void *args[4];
    int rc;
    if (PARCONC_CUDA_CHECK(cudaMalloc((void **)&x, n * sizeof(float))) != PARCONC_OK) return -1;
    if (PARCONC_CUDA_CHECK(cudaMalloc((void **)&y, n * sizeof(float))) != PARCONC_OK) { cudaFree(x); return -1; }
    rc = parconc_cuda_config(PARCONC_CUDA_KERNEL(pc_fill_pattern), n, PARCONC_CUDA_SATURATE, 0, &cfg);
    args[0] = &x; args[1] = &y; args[2] = &n;
    if (rc == PARCONC_OK) rc = parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_fill_pattern), &cfg, args, 0);
    if (rc == PARCONC_OK) rc = parconc_cuda_config(PARCONC_CUDA_KERNEL(pc_saxpy), n, PARCONC_CUDA_COVER, 0, &cfg);
    args[0] = &a; args[1] = &x; args[2] = &y; args[3] = &n;
    if (rc == PARCONC_OK) rc = parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_saxpy), &cfg, args, 0);
    hy = (float *)malloc(chunk * sizeof(float));
    for (off = 0; rc == PARCONC_OK && off < n; off += chunk) {
        size_t len = n - off < chunk ? n - off : chunk;
        rc = PARCONC_CUDA_CHECK(cudaMemcpy(hy, y + off, len * sizeof(float), cudaMemcpyDeviceToHost));
        for (i = 0; rc == PARCONC_OK && i < len; i++)
            if (hy[i] != 2.0f * (float)((off + i) % 1000) + 1.0f) bad++;
    }
    free(hy);
    cudaFree(x);
    cudaFree(y);
    return rc != PARCONC_OK ? -1 : bad;
}

static void test_gpu_saxpy_sizes_including_2_pow_31_plus_5(void)
{
    static const size_t ns[] = { 1, 255, 256, 257, 10000000, 2147483653u };
    size_t i;
    NEED_GPU();
    for (i = 0; i < PT_COUNT(ns); i++) {
        long long bad = run_saxpy(ns[i]);
        if (bad != 0) printf("n = %zu: %lld wrong ", ns[i], bad);
        PT_CHECK_EQ(bad, 0);
    }
}

static void test_gpu_cover_and_block_split(void)
{
    size_t n = 1000003, i;
    unsigned char *seen, *hs;
    unsigned *owner, *ho;
    parconc_cuda_launch_config cfg;
    void *args[2];
    NEED_GPU();
    cudaMalloc((void **)&seen, n);
    cudaMemset(seen, 0, n);
    PT_CHECK_EQ(parconc_cuda_config(PARCONC_CUDA_KERNEL(pc_mark_cover), n, PARCONC_CUDA_COVER, 0, &cfg), PARCONC_OK);
    args[0] = &seen; args[1] = &n;
    PT_CHECK_EQ(parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_mark_cover), &cfg, args, 0), PARCONC_OK);
    hs = (unsigned char *)malloc(n);
    cudaMemcpy(hs, seen, n, cudaMemcpyDeviceToHost);
    for (i = 0; i < n; i++) PT_CHECK_EQ(hs[i], 1);
    /* block split: block k owns exactly parconc_split(n, grid, k) */
    cudaMalloc((void **)&owner, n * sizeof(unsigned));
    cfg.grid = 37; cfg.block = 128;
    args[0] = &owner;
    PT_CHECK_EQ(parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_block_owner), &cfg, args, 0), PARCONC_OK);
    ho = (unsigned *)malloc(n * sizeof(unsigned));
    cudaMemcpy(ho, owner, n * sizeof(unsigned), cudaMemcpyDeviceToHost);
    {
        size_t k, b, e;
        for (k = 0; k < 37; k++) {
            parconc_split(n, 37, k, &b, &e);
            for (i = b; i < e; i++) PT_CHECK_EQ(ho[i], k);
        }
    }
    cudaFree(seen); cudaFree(owner); free(hs); free(ho);
}

static void *cpu_task(void *arg) { return (void *)((uintptr_t)arg * 2); }

static void test_gpu_stream_futures_mixed_with_pool(void)
{
    cudaStream_t s;
    parconc_pool *pool;
    parconc_future *all[4], *gpu;
    parconc_future gpu2;
    int *d, h = 0, i;
    long long spin_cycles = 20000000; /* ~10 ms */
    void *args[1];
    parconc_cuda_launch_config one;
    NEED_GPU();
    PT_CHECK_EQ(PARCONC_CUDA_CHECK(cudaStreamCreate(&s)), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_create(&pool, NULL), PARCONC_OK);
    cudaMalloc((void **)&d, sizeof(int));
    cudaMemsetAsync(d, 0, sizeof(int), s);
    one.grid = 1; one.block = 1; one.shared_bytes = 0;
    args[0] = &spin_cycles;
    PT_CHECK_EQ(parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_spin), &one, args, s), PARCONC_OK);
    args[0] = &d;
    for (i = 0; i < 5; i++) PT_CHECK_EQ(parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_add_one), &one, args, s), PARCONC_OK);
    PT_CHECK_EQ(parconc_cuda_stream_future(s, &gpu), PARCONC_OK);
    PT_CHECK_EQ(parconc_future_state(gpu), PARCONC_PENDING); /* the spin is still running */
    PT_CHECK_EQ(parconc_cuda_stream_future_in(s, &gpu2), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_submit(pool, cpu_task, (void *)21, &all[0]), PARCONC_OK);
    PT_CHECK_EQ(parconc_pool_submit(pool, cpu_task, (void *)50, &all[1]), PARCONC_OK);
    all[2] = gpu;
    all[3] = &gpu2;
    PT_CHECK_EQ(parconc_wait_all(all, 4, 10000000000LL), PARCONC_OK);
    for (i = 0; i < 4; i++) PT_CHECK_EQ(parconc_future_state(all[i]), PARCONC_DONE);
    PT_CHECK_EQ(parconc_cuda_future_wait(gpu, s, 0), PARCONC_OK);
    cudaMemcpy(&h, d, sizeof(int), cudaMemcpyDeviceToHost);
    PT_CHECK_EQ(h, 5); /* all stream work before the future was done */
    {
        void *r;
        PT_CHECK_EQ(parconc_future_get(all[0], &r, 0), PARCONC_OK);
        PT_CHECK_EQ((uintptr_t)r, 42);
    }
    parconc_future_release(all[0]);
    parconc_future_release(all[1]);
    parconc_future_release(gpu);
    parconc_pool_destroy(pool);
    cudaFree(d);
    cudaStreamDestroy(s);
}

static void test_gpu_graph_replay_equals_plain(void)
{
    cudaStream_t s;
    parconc_cuda_graph g;
    parconc_cuda_launch_config one;
    int *d, h = 0, i;
    void *args[1];
    NEED_GPU();
    cudaStreamCreate(&s);
    cudaMalloc((void **)&d, sizeof(int));
    cudaMemset(d, 0, sizeof(int));
    one.grid = 1; one.block = 1; one.shared_bytes = 0;
    args[0] = &d;
    for (i = 0; i < 10; i++) parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_add_one), &one, args, s); /* plain: +10 */
    PT_CHECK_EQ(parconc_cuda_graph_begin(&g, s), PARCONC_OK);
    for (i = 0; i < 10; i++) PT_CHECK_EQ(parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_add_one), &one, args, s), PARCONC_OK);
    PT_CHECK_EQ(parconc_cuda_graph_end(&g), PARCONC_OK);
    for (i = 0; i < 3; i++) PT_CHECK_EQ(parconc_cuda_graph_launch(&g, s), PARCONC_OK); /* +30 */
    cudaStreamSynchronize(s);
    cudaMemcpy(&h, d, sizeof(int), cudaMemcpyDeviceToHost);
    PT_CHECK_EQ(h, 40);
    parconc_cuda_graph_destroy(&g);
    cudaFree(d);
    cudaStreamDestroy(s);
}

typedef struct multi { float *host_out; } multi;
static int device_part(int device, size_t b, size_t e, void *arg)
{
    multi *m = (multi *)arg;
    size_t n = e - b, i;
    float *x, *y;
    float a = 3.0f;
    void *args[4];
    parconc_cuda_launch_config cfg;
    int rc, cur = -1;
    cudaGetDevice(&cur);
    if (cur != device) return PARCONC_EINVAL;
    if (n == 0) return PARCONC_OK;
    rc = PARCONC_CUDA_CHECK(cudaMalloc((void **)&x, n * sizeof(float)));
    if (rc != PARCONC_OK) return rc;
    cudaMalloc((void **)&y, n * sizeof(float));
    args[0] = &x; args[1] = &y; args[2] = &n;
    parconc_cuda_config(PARCONC_CUDA_KERNEL(pc_fill_pattern), n, PARCONC_CUDA_SATURATE, 0, &cfg);
    parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_fill_pattern), &cfg, args, 0);
    args[0] = &a; args[1] = &x; args[2] = &y; args[3] = &n;
    parconc_cuda_config(PARCONC_CUDA_KERNEL(pc_saxpy), n, PARCONC_CUDA_SATURATE, 0, &cfg);
    rc = parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_saxpy), &cfg, args, 0);
    if (rc == PARCONC_OK) rc = PARCONC_CUDA_CHECK(cudaMemcpy(m->host_out + b, y, n * sizeof(float), cudaMemcpyDeviceToHost));
    cudaFree(x);
    cudaFree(y);
    (void)i;
    return rc;
}

static void test_gpu_multi_device_split(void)
{
    parconc_pool *pool;
    multi m;
    size_t n = 3000001, i, bad = 0;
    int count;
    NEED_GPU();
    parconc_cuda_device_count(&count);
    m.host_out = (float *)malloc(n * sizeof(float));
    PT_CHECK_EQ(parconc_pool_create(&pool, NULL), PARCONC_OK);
    PT_CHECK_EQ(parconc_cuda_for_devices(pool, n, device_part, &m), PARCONC_OK);
    /* each device saw its own indices from 0: value = 3 * (local % 1000) + 1 */
    {
        int d;
        for (d = 0; d < count; d++) {
            size_t b, e;
            parconc_split(n, (size_t)count, (size_t)d, &b, &e);
            for (i = b; i < e; i++)
                if (m.host_out[i] != 3.0f * (float)((i - b) % 1000) + 1.0f) bad++;
        }
    }
    PT_CHECK_EQ(bad, 0);
    printf("(%d device%s) ", count, count == 1 ? "" : "s");
    parconc_pool_destroy(pool);
    free(m.host_out);
}

static void test_gpu_timer_and_info(void)
{
    parconc_cuda_timer t;
    parconc_cuda_device_info info;
    parconc_cuda_launch_config one;
    long long cycles = 2000000;
    void *args[1];
    float ms = -1;
    NEED_GPU();
    PT_CHECK_EQ(parconc_cuda_device_info_get(0, &info), PARCONC_OK);
    PT_CHECK(info.sm_count > 0 && info.warp_size == 32 && info.max_grid_x >= 65535u);
    printf("(%s, %d SMs) ", info.name, info.sm_count);
    one.grid = 1; one.block = 1; one.shared_bytes = 0;
    args[0] = &cycles;
    PT_CHECK_EQ(parconc_cuda_timer_start(&t, 0), PARCONC_OK);
    PT_CHECK_EQ(parconc_cuda_launch(PARCONC_CUDA_KERNEL(pc_spin), &one, args, 0), PARCONC_OK);
    PT_CHECK_EQ(parconc_cuda_timer_stop(&t, &ms), PARCONC_OK);
    PT_CHECK(ms > 0.0f && ms < 1000.0f);
}

int main(int argc, char **argv)
{
    static const pt_test tests[] = {
        PT_TEST(test_error_mapping),
        PT_TEST(test_check_macro_calls_handler),
        PT_TEST(test_config_arithmetic),
        PT_TEST(test_no_device_answers),
        PT_TEST(test_bad_input),
        PT_TEST(test_gpu_vec_add_sizes),
        PT_TEST(test_gpu_saxpy_sizes_including_2_pow_31_plus_5),
        PT_TEST(test_gpu_cover_and_block_split),
        PT_TEST(test_gpu_stream_futures_mixed_with_pool),
        PT_TEST(test_gpu_graph_replay_equals_plain),
        PT_TEST(test_gpu_multi_device_split),
        PT_TEST(test_gpu_timer_and_info),
    };
    return pt_main(tests, PT_COUNT(tests), argc, argv);
}
