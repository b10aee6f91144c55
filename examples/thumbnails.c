/* thumbnails.c - make 200 images (generated PPM files in a temp dir),
   downscale each 4x to a thumbnail, first serially then with a pool; print
   real and user time for both and check the two sets of outputs are the
   same, byte for byte.  Cleans up its temp dir. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>
#include <stdlib.h>
#ifndef _WIN32
#include <sys/resource.h>
#include <unistd.h>
#endif

enum { IMAGES = 200, W = 256, H = 256, F = 4 };
static char dir[200];

static void path(char *out, size_t cap, const char *kind, int i) { snprintf(out, cap, "%s/%s%03d.ppm", dir, kind, i); }

static int make_image(int i)
{
    char p[300];
    FILE *f;
    int x, y;
    path(p, sizeof p, "img", i);
    if (!(f = fopen(p, "wb"))) return -1;
    fprintf(f, "P6\n%d %d\n255\n", W, H);
    for (y = 0; y < H; y++)
        for (x = 0; x < W; x++) {
            unsigned char px[3] = { (unsigned char)(x + i), (unsigned char)(y * 2 + i), (unsigned char)((x ^ y) + i) };
            fwrite(px, 1, 3, f);
        }
    return fclose(f);
}

/* read img<i>, box-filter F x F, write <kind><i> */
static void *thumbnail(void *arg)
{
    int i = (int)(intptr_t)arg & 0xffff, parallel = (int)(intptr_t)arg >> 16, x, y, c, dx, dy, w, h, maxv;
    static const char *kinds[2] = { "serial", "pool" };
    unsigned char *in, out[(W / F) * (H / F) * 3];
    char p[300];
    FILE *f;
    path(p, sizeof p, "img", i);
    if (!(f = fopen(p, "rb"))) return parconc_task_fail(PARCONC_EINVAL);
    if (fscanf(f, "P6 %d %d %d", &w, &h, &maxv) != 3 || w != W || h != H) { fclose(f); return parconc_task_fail(PARCONC_EINVAL); }
    fgetc(f);
    in = (unsigned char *)malloc(W * H * 3);
    if (fread(in, 1, W * H * 3, f) != W * H * 3) { fclose(f); free(in); return parconc_task_fail(PARCONC_EINVAL); }
    fclose(f);
    for (y = 0; y < H / F; y++)
        for (x = 0; x < W / F; x++)
            for (c = 0; c < 3; c++) {
                int sum = 0;
                for (dy = 0; dy < F; dy++)
                    for (dx = 0; dx < F; dx++) sum += in[((y * F + dy) * W + x * F + dx) * 3 + c];
                out[(y * (W / F) + x) * 3 + c] = (unsigned char)(sum / (F * F));
            }
    free(in);
    path(p, sizeof p, kinds[parallel], i);
    if (!(f = fopen(p, "wb"))) return parconc_task_fail(PARCONC_EINVAL);
    fprintf(f, "P6\n%d %d\n255\n", W / F, H / F);
    fwrite(out, 1, sizeof out, f);
    fclose(f);
    return NULL;
}

/* CPU time the process spent in user mode, ms */
static double user_ms(void)
{
#ifdef _WIN32
    FILETIME created, ended, kernel, user;
    GetProcessTimes(GetCurrentProcess(), &created, &ended, &kernel, &user);
    return (double)(((uint64_t)user.dwHighDateTime << 32) | user.dwLowDateTime) / 1e4;
#else
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3;
#endif
}

static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int ca, cb, same = fa && fb;
    while (same && (ca = fgetc(fa)) != EOF) { cb = fgetc(fb); same = ca == cb; }
    if (same) same = fgetc(fb) == EOF;
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* a fresh directory for the images (dir) */
static int make_temp_dir(void)
{
#ifdef _WIN32
    char base[MAX_PATH];
    DWORD n = GetTempPathA(sizeof base, base);
    if (n == 0 || n >= sizeof base) return 0;
    snprintf(dir, sizeof dir, "%sparconc-thumbs-%lu", base, (unsigned long)GetCurrentProcessId());
    return CreateDirectoryA(dir, NULL) != 0;
#else
    snprintf(dir, sizeof dir, "/tmp/parconc-thumbs-XXXXXX");
    return mkdtemp(dir) != NULL;
#endif
}

static void remove_temp_dir(void)
{
#ifdef _WIN32
    RemoveDirectoryA(dir);
#else
    rmdir(dir);
#endif
}

int main(void)
{
    parconc_pool *pool;
    parconc_future *f[IMAGES];
    uint64_t t0;
    double u0;
    int i, ok = 1;
    char a[300], b[300];
    if (!make_temp_dir()) return 1;
    for (i = 0; i < IMAGES; i++) if (make_image(i) != 0) return 1;
    t0 = parconc_now_ns(); u0 = user_ms();
    for (i = 0; i < IMAGES; i++) ok &= thumbnail((void *)(intptr_t)i) == NULL;
    printf("serial: real %.0f ms, user %.0f ms\n", (double)(parconc_now_ns() - t0) / 1e6, user_ms() - u0);
    parconc_pool_create(&pool, NULL);
    t0 = parconc_now_ns(); u0 = user_ms();
    for (i = 0; i < IMAGES; i++) parconc_pool_submit(pool, thumbnail, (void *)(intptr_t)(i | 1 << 16), &f[i]);
    for (i = 0; i < IMAGES; i++) { ok &= parconc_future_get(f[i], NULL, PARCONC_FOREVER) == PARCONC_OK; parconc_future_release(f[i]); }
    printf("pool (%d threads): real %.0f ms, user %.0f ms\n", parconc_pool_threads(pool), (double)(parconc_now_ns() - t0) / 1e6, user_ms() - u0);
    parconc_pool_destroy(pool);
    for (i = 0; i < IMAGES; i++) {
        path(a, sizeof a, "serial", i);
        path(b, sizeof b, "pool", i);
        ok &= same_file(a, b);
        remove(a); remove(b);
        path(a, sizeof a, "img", i);
        remove(a);
    }
    remove_temp_dir();
    printf("%d thumbnails, serial == pool: %s\n", IMAGES, ok ? "OK" : "WRONG");
    return ok ? 0 : 1;
}
