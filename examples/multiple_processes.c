/* multiple_processes.c - the job of multiple_threads.c over processes:
   fork() gives each worker its own copy of memory, so results must come
   back through pipes.  Prints wall and CPU time (children's CPU included). */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N = 2000000, PARTS = 4 };

static int is_prime(long n)
{
    long d;
    if (n < 2) return 0;
    for (d = 2; d * d <= n; d++) if (n % d == 0) return 0;
    return 1;
}

int main(void)
{
    int fds[PARTS][2];
    pid_t pid[PARTS];
    long total = 0;
    size_t part;
    struct rusage ru;
    uint64_t t0 = parconc_now_ns();
    for (part = 0; part < PARTS; part++) {
        if (pipe(fds[part]) != 0) return 1;
        pid[part] = fork();
        if (pid[part] == 0) { /* child: its own copy of everything */
            size_t b, e, i;
            long count = 0;
            parconc_split(N, PARTS, part, &b, &e);
            for (i = b; i < e; i++) count += is_prime((long)i);
            if (write(fds[part][1], &count, sizeof count) != (ssize_t)sizeof count) _exit(1);
            _exit(0);
        }
        close(fds[part][1]);
    }
    for (part = 0; part < PARTS; part++) {
        long count = 0;
        if (read(fds[part][0], &count, sizeof count) != (ssize_t)sizeof count) return 1;
        close(fds[part][0]);
        waitpid(pid[part], NULL, 0);
        total += count;
    }
    getrusage(RUSAGE_CHILDREN, &ru);
    printf("processes: %ld primes below %d; wall %.0f ms, CPU %.0f ms (children)\n", total, N,
           (double)(parconc_now_ns() - t0) / 1e6, ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3);
    return total == 148933 ? 0 : 1;
}
