/*
 * Linked into the Native AOT executable (GetApp.Agent.csproj, target CompileHugePageData); runs before the runtime.
 *
 * Before Main, the runtime writes the type data it keeps compressed in the file (MethodTables, dispatch maps: 6.7 MB,
 * the ".hydrated" section) into the executable's zero-filled writable segment. Every 4 KiB page of it is a page fault,
 * about 1,600 of them, which on a small VM or a board with a slow MMU path was the largest single part of the start
 * (docs/BENCHMARKS.md, API at scale). Asking for transparent huge pages on that range lets the kernel back each whole
 * 2 MiB stretch with one fault. The range is written in full at every start, so this holds no more memory than before.
 *
 * Where the kernel has no transparent huge pages, or they are off ("never"), madvise fails or does nothing: the start
 * is as before. Nothing here can stop the agent from starting.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static int advise_main_program_bss(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;

    /* The first object is the executable itself (an empty name). */
    if (info->dlpi_name != NULL && info->dlpi_name[0] != '\0')
        return 1;

    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++)
    {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD || (segment->p_flags & PF_W) == 0 || segment->p_memsz <= segment->p_filesz)
            continue;

        /* The zero-filled part past the file's bytes: .bss and .hydrated, an anonymous mapping of its own. */
        uintptr_t start = info->dlpi_addr + segment->p_vaddr + segment->p_filesz;
        uintptr_t end = info->dlpi_addr + segment->p_vaddr + segment->p_memsz;
        start = (start + page - 1) & ~(page - 1);
        end = (end + page - 1) & ~(page - 1);
        if (end > start)
            (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
    }

    return 1;
}

__attribute__((constructor)) static void getapp_hugepage_data(void)
{
    dl_iterate_phdr(advise_main_program_bss, NULL);
}
