/* Kernels for the CUDA tests and examples, callable from C through
   cudaLaunchKernel (extern "C": the host stub has the plain C name). */
#include "../../parconc.h"
#include "../../parconc_cuda.h"

extern "C" __global__ void pc_vec_add(const float *a, const float *b, float *c, size_t n)
{
    PARCONC_CUDA_GRID_STRIDE(i, n) c[i] = a[i] + b[i];
}

extern "C" __global__ void pc_saxpy(float a, const float *x, float *y, size_t n)
{
    PARCONC_CUDA_GRID_STRIDE(i, n) y[i] = a * x[i] + y[i];
}

/* x[i] = i % 1000, y[i] = 1: inputs made on the device (no 8 GiB copies) */
extern "C" __global__ void pc_fill_pattern(float *x, float *y, size_t n)
{
    PARCONC_CUDA_GRID_STRIDE(i, n) { x[i] = (float)(i % 1000); y[i] = 1.0f; }
}

/* one thread per item, no grid-stride: the COVER configuration must reach all */
extern "C" __global__ void pc_mark_cover(unsigned char *seen, size_t n)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) seen[i] += 1;
}

/* each block marks its parconc_split share with its block index */
extern "C" __global__ void pc_block_owner(unsigned *owner, size_t n)
{
    size_t b, e, i;
    parconc_cuda_block_split(n, &b, &e);
    for (i = b + threadIdx.x; i < e; i += blockDim.x) owner[i] = blockIdx.x;
}

extern "C" __global__ void pc_add_one(int *p)
{
    if (threadIdx.x == 0 && blockIdx.x == 0) *p += 1;
}

/* sleeps on the device for about `ns` (for futures that are still pending) */
extern "C" __global__ void pc_spin(long long ns)
{
    long long start = clock64();
    while ((clock64() - start) < ns) {}
}
