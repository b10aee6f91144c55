/* group_crawl.c - a task group walks a tree of "directories" in parallel
   and stops at the first error, like Go's errgroup or asyncio's TaskGroup.
   Every directory is a group member that submits its children to the same
   group; one directory is unreadable, so its task fails, the group cancels
   the rest (queued members end CANCELED without running, running ones see
   parconc_task_canceled()), and parconc_group_wait reports that error.
   A second walk with keep_going visits every readable directory.
   Exits 1 on any wrong answer. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>

#define FANOUT 4
#define DEPTH 6            /* 1 + 4 + ... + 4^6 = 5461 directories */
#define BROKEN 5           /* a directory on the third level: its 341-directory subtree is out of reach */
#define READABLE (5461 - 341)

static parconc_group group;
static int visited;

static void *crawl(void *arg)
{
    size_t dir = (size_t)(uintptr_t)arg, c;
    if (parconc_task_canceled()) return NULL; /* the walk was called off */
    if (dir == BROKEN) return parconc_task_fail(PARCONC_EPERM); /* "permission denied" */
    __atomic_fetch_add(&visited, 1, __ATOMIC_RELAXED);
    for (c = 1; c <= FANOUT; c++) {
        size_t child = dir * FANOUT + c;
        if (child >= 5461) break;
        if (parconc_group_submit(&group, crawl, (void *)(uintptr_t)child, NULL) != PARCONC_OK) break; /* canceled */
    }
    return NULL;
}

static int walk(parconc_pool *pool, int keep_going)
{
    parconc_group_desc d = {0};
    int rc;
    d.pool = pool;
    d.keep_going = keep_going;
    parconc_group_init(&group, &d);
    visited = 0;
    parconc_group_submit(&group, crawl, (void *)(uintptr_t)0, NULL);
    rc = parconc_group_wait(&group, PARCONC_FOREVER);
    parconc_group_destroy(&group);
    return rc;
}

int main(void)
{
    parconc_pool *pool;
    int rc, ok = 1;
    if (parconc_pool_create(&pool, NULL) != PARCONC_OK) return 1;
    rc = walk(pool, 0);
    printf("first error stops the walk: %s after %d of %d readable directories\n", parconc_strerror(rc), visited, READABLE);
    ok &= rc == PARCONC_EPERM && visited <= READABLE;
    rc = walk(pool, 1);
    printf("keep_going visits the rest:  %s after %d of %d\n", parconc_strerror(rc), visited, READABLE);
    ok &= rc == PARCONC_EPERM && visited == READABLE;
    parconc_pool_destroy(pool);
    puts(ok ? "OK" : "WRONG");
    return ok ? 0 : 1;
}
