/*
 * Preloaded into the agent (LD_PRELOAD) by the chaos suite's kill scenario: every rename waits
 * GETAPP_CHAOS_RENAME_DELAY_US microseconds before it runs. That widens the window in which the agent moves a release's
 * files into artsDirPath, so a kill -9 can land there, without touching the agent.
 *
 * It replaces `strace --inject=rename:delay_enter=...`, which once left a thread of a restarted agent in a ptrace stop
 * for good (strace itself no longer answered SIGTERM); the runtime then waited forever to suspend that thread for a GC
 * and the agent never listened. A sleep inside the process has no tracer to get stuck.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

static long delay_us;

__attribute__((constructor)) static void read_delay(void)
{
    const char *text = getenv("GETAPP_CHAOS_RENAME_DELAY_US");
    delay_us = text != NULL ? strtol(text, NULL, 10) : 0;
}

static void wait_before_rename(void)
{
    if (delay_us <= 0)
    {
        return;
    }

    int saved = errno;
    struct timespec left = { delay_us / 1000000, (delay_us % 1000000) * 1000 };
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
    {
    }

    errno = saved;
}

int rename(const char *from, const char *to)
{
    static int (*real)(const char *, const char *);
    if (real == NULL)
    {
        real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    }

    wait_before_rename();
    return real(from, to);
}

int renameat(int fromdir, const char *from, int todir, const char *to)
{
    static int (*real)(int, const char *, int, const char *);
    if (real == NULL)
    {
        real = (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
    }

    wait_before_rename();
    return real(fromdir, from, todir, to);
}

int renameat2(int fromdir, const char *from, int todir, const char *to, unsigned int flags)
{
    static int (*real)(int, const char *, int, const char *, unsigned int);
    if (real == NULL)
    {
        real = (int (*)(int, const char *, int, const char *, unsigned int))dlsym(RTLD_NEXT, "renameat2");
    }

    wait_before_rename();
    return real(fromdir, from, todir, to, flags);
}
