/* bench_cuda.cu - needs a GPU.  Launch overhead of 10 tiny kernels, plain
   launches vs one graph replay; saxpy GB/s with the occupancy-chosen
   configuration vs a fixed 256-thread block vs a device-to-device memcpy
   (the bandwidth ceiling).  Medians of 5 runs; CSV in build/bench_cuda.csv. */
#define PARCONC_IMPLEMENTATION
#define PARCONC_CUDA_IMPLEMENTATION
#include "../parconc.h"
#include "../parconc_cuda.h"
#include "bench_common.h"

__global__ void tiny(int *p) { if (threadIdx.x == 0) atomicAdd(p, 1); }
__global__ void saxpy(float a, const float *x, float *y, size_t n) { PARCONC_CUDA_GRID_STRIDE(i, n) y[i] = a * x[i] + y[i]; }

int main(void)
{
    int devices, r, i, *d;
    cudaStream_t s;
    parconc_cuda_device_info info;
    const size_t n = (size_t)1 << 28; /* 1 GiB per array */
    float *x, *y;
    double plain[BENCH_REPEATS], graph[BENCH_REPEATS], occ[BENCH_REPEATS], fixed[BENCH_REPEATS], copy[BENCH_REPEATS];
    if (parconc_cuda_device_count(&devices) != PARCONC_OK) { printf("bench_cuda: skipped (no CUDA device)\n"); return 0; }
    parconc_cuda_device_info_get(0, &info);
    cudaStreamCreate(&s);
    cudaMalloc(&d, sizeof(int));
    bench_csv_open("build/bench_cuda.csv");
    printf("parconc %s CUDA benchmarks on %s (%d SMs), medians of %d runs\n", PARCONC_VERSION_STRING, info.name, info.sm_count, BENCH_REPEATS);
    for (r = 0; r < BENCH_REPEATS; r++) {
        parconc_cuda_graph g;
        const int reps = 2000;
        uint64_t t0;
        t0 = parconc_now_ns();
        for (int k = 0; k < reps; k++)
            for (i = 0; i < 10; i++) tiny<<<1, 32, 0, s>>>(d);
        cudaStreamSynchronize(s);
        plain[r] = (double)(parconc_now_ns() - t0) / (reps * 10.0) / 1e3;
        parconc_cuda_graph_begin(&g, s);
        for (i = 0; i < 10; i++) tiny<<<1, 32, 0, s>>>(d);
        parconc_cuda_graph_end(&g);
        t0 = parconc_now_ns();
        for (int k = 0; k < reps; k++) parconc_cuda_graph_launch(&g, s);
        cudaStreamSynchronize(s);
        graph[r] = (double)(parconc_now_ns() - t0) / (reps * 10.0) / 1e3;
        parconc_cuda_graph_destroy(&g);
    }
    bench_header("Launch overhead per tiny kernel, 10 per batch (lower is better)", "plain");
    bench_row("launch", "graph replay vs plain launch", bench_median(graph, BENCH_REPEATS), bench_median(plain, BENCH_REPEATS), "us/kernel");

    cudaMalloc(&x, n * sizeof(float));
    cudaMalloc(&y, n * sizeof(float));
    cudaMemset(x, 0, n * sizeof(float));
    cudaMemset(y, 0, n * sizeof(float));
    for (r = 0; r < BENCH_REPEATS; r++) {
        parconc_cuda_launch_config cfg;
        float ms;
        parconc_cuda_timer t;
        double bytes = 3.0 * n * sizeof(float);
        parconc_cuda_config(PARCONC_CUDA_KERNEL(saxpy), n, PARCONC_CUDA_SATURATE, 0, &cfg);
        parconc_cuda_timer_start(&t, s);
        saxpy<<<cfg.grid, cfg.block, 0, s>>>(2.0f, x, y, n);
        parconc_cuda_timer_stop(&t, &ms);
        occ[r] = bytes / (ms * 1e6);
        parconc_cuda_timer_start(&t, s);
        saxpy<<<(unsigned)((n + 255) / 256), 256, 0, s>>>(2.0f, x, y, n);
        parconc_cuda_timer_stop(&t, &ms);
        fixed[r] = bytes / (ms * 1e6);
        parconc_cuda_timer_start(&t, s);
        cudaMemcpyAsync(y, x, n * sizeof(float), cudaMemcpyDeviceToDevice, s);
        parconc_cuda_timer_stop(&t, &ms);
        copy[r] = 2.0 * n * sizeof(float) / (ms * 1e6);
    }
    bench_header("saxpy over 2^28 floats, GB/s (higher is better)", "D2D copy");
    bench_row("saxpy", "occupancy (saturate) vs copy", bench_median(occ, BENCH_REPEATS), bench_median(copy, BENCH_REPEATS), "GB/s");
    bench_row("saxpy", "fixed 256 (cover) vs copy", bench_median(fixed, BENCH_REPEATS), bench_median(copy, BENCH_REPEATS), "GB/s");
    cudaFree(x); cudaFree(y); cudaFree(d);
    cudaStreamDestroy(s);
    if (bench_csv) fclose(bench_csv);
    return 0;
}
