/* Kernel of examples/cuda_pipeline.c (C host code launches it by name). */
#include "../parconc.h"
#include "../parconc_cuda.h"

extern "C" __global__ void pipeline_scale(float *v, float factor, size_t n)
{
    PARCONC_CUDA_GRID_STRIDE(i, n) v[i] = v[i] * factor + 1.0f;
}
