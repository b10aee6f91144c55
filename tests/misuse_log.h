/* tests/misuse_log.h - counts the misuse reports the library sends to the
   logger (it returns the documented code and logs an ERROR).  Include after
   parconc.h and harness.h; install misuse_logger in main(). */
#ifndef PT_MISUSE_LOG_H
#define PT_MISUSE_LOG_H
static int misuse_reports;
static void count_misuse(void *user, int level, int code, const char *message, const char *file, int line)
{
    (void)user; (void)code; (void)message; (void)file; (void)line;
    if (level == PARCONC_LOG_ERROR) __atomic_fetch_add(&misuse_reports, 1, __ATOMIC_RELAXED);
}
static const parconc_logger misuse_logger = { count_misuse, NULL };
#endif
