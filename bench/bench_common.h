/* bench/bench_common.h - shared helpers for the benchmarks: medians, a
   thread team that starts together, CSV output next to the tables. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_REPEATS 5

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double bench_percentile(double *v, int n, double p)
{
    int i;
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

static FILE *bench_csv;
static void bench_csv_open(const char *path)
{
    bench_csv = fopen(path, "w");
    if (bench_csv) fprintf(bench_csv, "benchmark,case,parconc,baseline,unit,ratio\n");
}
static void bench_row(const char *bench, const char *what, double ours, double base, const char *unit)
{
    double ratio = base != 0 ? ours / base : 0;
    char field[64];
    size_t i;
    printf("| %-34s | %12.2f | %12.2f | %-8s | %6.2fx |\n", what, ours, base, unit, ratio);
    /* the CSV's case field: a comma in a name ("dynamic,1") would start a
       new column for every reader that splits on commas */
    for (i = 0; what[i] && i + 1 < sizeof field; i++) field[i] = what[i] == ',' ? ' ' : what[i];
    field[i] = '\0';
    if (bench_csv) fprintf(bench_csv, "%s,%s,%.4f,%.4f,%s,%.4f\n", bench, field, ours, base, unit, ratio);
}
static void bench_header(const char *title, const char *baseline)
{
    printf("\n%s\n\n| %-34s | %12s | %12s | %-8s | %7s |\n|%s|%s|%s|%s|%s|\n", title, "case", "parconc", baseline, "unit",
           "ratio", "------------------------------------", "--------------", "--------------", "----------", "---------");
}
#endif
