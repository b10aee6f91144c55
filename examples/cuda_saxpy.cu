/* cuda_saxpy.cu - y = a*x + y on the GPU with parconc_cuda.h: the launch
   configuration comes from the occupancy API, the launch is checked, the
   kernel is timed with an event pair, and the result is checked on the
   host.  Without a GPU it says so and exits 0. */
#define PARCONC_IMPLEMENTATION
#define PARCONC_CUDA_IMPLEMENTATION
#include "../parconc.h"
#include "../parconc_cuda.h"
#include <stdio.h>
#include <stdlib.h>

__global__ void saxpy(float a, const float *x, float *y, size_t n)
{
    PARCONC_CUDA_GRID_STRIDE(i, n) y[i] = a * x[i] + y[i];
}

int main(void)
{
    const size_t n = 1 << 24;
    int devices, rc;
    float *x, *y, *h, ms = 0;
    size_t i, bad = 0;
    parconc_cuda_timer t;
    if (parconc_cuda_device_count(&devices) != PARCONC_OK) {
        printf("cuda_saxpy: skipped (no CUDA device or driver)\n");
        return 0;
    }
    h = (float *)malloc(n * sizeof(float));
    for (i = 0; i < n; i++) h[i] = (float)(i % 100);
    if (PARCONC_CUDA_CHECK(cudaMalloc(&x, n * sizeof(float))) || PARCONC_CUDA_CHECK(cudaMalloc(&y, n * sizeof(float)))) return 1;
    cudaMemcpy(x, h, n * sizeof(float), cudaMemcpyHostToDevice);
    cudaMemcpy(y, h, n * sizeof(float), cudaMemcpyHostToDevice);
    parconc_cuda_timer_start(&t, 0);
    rc = PARCONC_CUDA_LAUNCH(saxpy, n, 0, 2.0f, x, y, n);
    parconc_cuda_timer_stop(&t, &ms);
    if (rc != PARCONC_OK) { printf("launch: %s\n", parconc_strerror(rc)); return 1; }
    cudaMemcpy(h, y, n * sizeof(float), cudaMemcpyDeviceToHost);
    for (i = 0; i < n; i++)
        if (h[i] != 3.0f * (float)(i % 100)) bad++;
    printf("saxpy over %zu floats: %.3f ms (%.1f GB/s), %zu wrong\n", n, ms, 3.0 * n * sizeof(float) / (ms * 1e6), bad);
    cudaFree(x);
    cudaFree(y);
    free(h);
    return bad ? 1 : 0;
}
