/* parconc_cuda.h under nvcc: the header as CUDA C++, the device-side
   grid-stride macro and the PARCONC_CUDA_LAUNCH macro. */
#define PARCONC_IMPLEMENTATION
#define PARCONC_CUDA_IMPLEMENTATION
#include "../../parconc.h"
#include "../../parconc_cuda.h"
#include "../harness.h"

__global__ void square_all(const double *in, double *out, size_t n)
{
    PARCONC_CUDA_GRID_STRIDE(i, n) out[i] = in[i] * in[i];
}

static int gpu_present(void)
{
    int n;
    return parconc_cuda_device_count(&n) == PARCONC_OK;
}

static void test_launch_macro_without_gpu(void)
{
    double *in = NULL, *out = NULL;
    size_t n = 100;
    if (gpu_present()) PT_SKIP("a device is present: see test_launch_macro_on_gpu");
    /* no device: the macro reports it, nothing is launched, nothing crashes */
    PT_CHECK_EQ(PARCONC_CUDA_LAUNCH(square_all, n, 0, in, out, n), PARCONC_ENODEV);
}

static void test_launch_macro_on_gpu(void)
{
    static const size_t ns[] = { 1, 255, 256, 257, 10000000 };
    size_t k;
    if (!gpu_present()) PT_SKIP("no CUDA device or driver on this machine");
    for (k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        size_t n = ns[k], i, bad = 0;
        double *h = (double *)malloc(n * sizeof(double)), *in, *out;
        for (i = 0; i < n; i++) h[i] = (double)(i % 4096);
        PT_CHECK_EQ(PARCONC_CUDA_CHECK(cudaMalloc(&in, n * sizeof(double))), PARCONC_OK);
        PT_CHECK_EQ(PARCONC_CUDA_CHECK(cudaMalloc(&out, n * sizeof(double))), PARCONC_OK);
        cudaMemcpy(in, h, n * sizeof(double), cudaMemcpyHostToDevice);
        PT_CHECK_EQ(PARCONC_CUDA_LAUNCH(square_all, n, 0, in, out, n), PARCONC_OK);
        cudaMemcpy(h, out, n * sizeof(double), cudaMemcpyDeviceToHost);
        for (i = 0; i < n; i++)
            if (h[i] != (double)(i % 4096) * (double)(i % 4096)) bad++;
        PT_CHECK_EQ(bad, 0);
        cudaFree(in);
        cudaFree(out);
        free(h);
    }
}

int main(int argc, char **argv)
{
    static const pt_test tests[] = {
        PT_TEST(test_launch_macro_without_gpu),
        PT_TEST(test_launch_macro_on_gpu),
    };
    return pt_main(tests, PT_COUNT(tests), argc, argv);
}
