/* mpi_hybrid.c - hybrid distributed + shared-memory division of one job.
   The n items are split over MPI ranks with parconc_split (block split:
   the first n % ranks ranks get one more item), and each rank divides its
   part over its own thread pool with parconc_parallel_reduce.  Rank 0
   combines the partial sums and checks the result against the closed form.
   Build: make mpi      Run: mpirun -np 2 build/mpi/mpi_hybrid */
#define PARCONC_IMPLEMENTATION
#include "../../parconc.h"
#include <mpi.h>
#include <stdio.h>

typedef struct part { unsigned long long offset; } part;

static void sum_squares(size_t b, size_t e, void *partial, void *arg)
{
    const part *p = (const part *)arg;
    unsigned long long *acc = (unsigned long long *)partial, i;
    for (i = p->offset + b; i < p->offset + e; i++) *acc += (i % 1000) * (i % 1000);
}

static void add(void *into, const void *from, void *arg)
{
    (void)arg;
    *(unsigned long long *)into += *(const unsigned long long *)from;
}

int main(int argc, char **argv)
{
    const size_t n = 10000000;
    int rank = 0, ranks = 1, rc;
    size_t begin, end;
    unsigned long long local = 0, total = 0, expect = 0, k;
    parconc_pool *pool;
    part p;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    /* 1. across ranks: a pure block split, no communication needed */
    parconc_split(n, (size_t)ranks, (size_t)rank, &begin, &end);
    /* 2. inside the rank: a pool and a deterministic reduction */
    if (parconc_pool_create(&pool, NULL) != PARCONC_OK) MPI_Abort(MPI_COMM_WORLD, 2);
    p.offset = begin;
    rc = parconc_parallel_reduce(pool, end - begin, sum_squares, add, &local, sizeof local, &p, NULL);
    parconc_pool_destroy(pool);
    printf("rank %d of %d: items [%zu, %zu) on %d threads -> %llu\n", rank, ranks, begin, end, parconc_cpu_count(), local);
    fflush(stdout);
    /* 3. combine */
    MPI_Reduce(&local, &total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        for (k = 0; k < 1000; k++) expect += k * k;
        expect *= n / 1000;
        printf("total %llu, expected %llu: %s\n", total, expect, total == expect && rc == PARCONC_OK ? "OK" : "WRONG");
    }
    MPI_Finalize();
    return rank == 0 && (total != expect || rc != PARCONC_OK) ? 1 : 0;
}
