/* continuations.c - a pipeline built from continuations and combinators:
   nothing blocks a thread while it waits.  "Download" three pages (tasks),
   parse each as soon as it arrives (parconc_future_then), wait for all
   parsed pages (parconc_when_all) and then count the words
   (another then); a race between two mirrors uses parconc_when_any.
   Only main waits, once, at the end.  Exits 1 on any wrong answer. */
#define PARCONC_IMPLEMENTATION
#include "../parconc.h"
#include <stdio.h>
#include <string.h>

#define MS 1000000LL
static const char *pages[3] = {"the quick brown fox", "jumps over", "the lazy dog"};

static void *download(void *arg)
{
    size_t i = (size_t)(uintptr_t)arg;
    parconc_sleep_ns((int64_t)(3 - i) * 10 * MS); /* the last page comes first */
    return (void *)pages[i];
}

/* then: count the words of the page `done` produced */
static void *parse(parconc_future *done, void *arg)
{
    void *page;
    size_t words = 0;
    const char *s;
    (void)arg;
    if (parconc_future_get(done, &page, 0) != PARCONC_OK) return parconc_task_fail(PARCONC_EINVAL);
    for (s = (const char *)page; *s; s++) words += (*s != ' ' && (s[1] == ' ' || s[1] == '\0'));
    return (void *)(uintptr_t)words;
}

static parconc_future *parsed[3];
static void *total(parconc_future *all, void *arg)
{
    size_t i, sum = 0;
    (void)arg;
    if (parconc_future_state(all) != PARCONC_DONE) return parconc_task_fail(PARCONC_ECANCELED);
    for (i = 0; i < 3; i++) {
        void *n;
        parconc_future_get(parsed[i], &n, 0);
        sum += (size_t)(uintptr_t)n;
    }
    return (void *)(uintptr_t)sum;
}

static void *mirror(void *arg)
{
    parconc_sleep_ns((int64_t)(uintptr_t)arg * MS);
    return arg;
}

int main(void)
{
    parconc_pool *pool;
    parconc_future *dl[3], *all, *count, *m[2], *first;
    void *r;
    size_t i;
    int ok = 1;
    parconc_pool_desc pd = {0};
    pd.threads = 6; /* every download and mirror starts at once, whatever the machine */
    if (parconc_pool_create(&pool, &pd) != PARCONC_OK) return 1;
    for (i = 0; i < 3; i++) {
        parconc_pool_submit(pool, download, (void *)(uintptr_t)i, &dl[i]);
        parconc_future_then(dl[i], pool, parse, NULL, &parsed[i]);
    }
    parconc_when_all(parsed, 3, &all);
    parconc_future_then(all, pool, total, NULL, &count);
    /* the race: the faster mirror answers */
    parconc_pool_submit(pool, mirror, (void *)(uintptr_t)50, &m[0]);
    parconc_pool_submit(pool, mirror, (void *)(uintptr_t)5, &m[1]);
    parconc_when_any(m, 2, &first);

    parconc_future_get(count, &r, PARCONC_FOREVER);
    printf("words in all pages: %zu\n", (size_t)(uintptr_t)r);
    ok &= (size_t)(uintptr_t)r == 9;
    parconc_future_get(first, &r, PARCONC_FOREVER);
    printf("faster mirror: #%zu\n", (size_t)(uintptr_t)r);
    ok &= (size_t)(uintptr_t)r == 1;

    for (i = 0; i < 3; i++) { parconc_future_release(dl[i]); parconc_future_release(parsed[i]); }
    parconc_future_release(all);
    parconc_future_release(count);
    parconc_future_release(first);
    parconc_future_wait(m[0], PARCONC_FOREVER);
    parconc_future_release(m[0]);
    parconc_future_release(m[1]);
    parconc_pool_destroy(pool);
    puts(ok ? "OK" : "WRONG");
    return ok ? 0 : 1;
}
