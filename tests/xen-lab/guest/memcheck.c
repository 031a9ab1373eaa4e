/*
 * memcheck: the oracle inside a real guest. Fills a working set with a pattern every byte of which can be
 * recomputed, then keeps verifying and rewriting pages in a seeded pseudo-random order. Each page's pattern
 * depends on its index and on how often it was rewritten, so a stale page (an old copy delivered by a pager or
 * a migration) is caught as surely as a corrupted one. Reports go to the console (stdout), one line every
 * few seconds, so a lab can read them from xenconsoled's log:
 *
 *   MEMCHECK start pages=4096 seed=42
 *   MEMCHECK tick 12 t=24s verified=51234 rewritten=51234 mismatches=0
 *   MEMCHECK MISMATCH page=17 word=3 expected=... found=... (at most 20 of these are printed)
 *
 * usage: memcheck [MiB] [seed] [cpu] [duty]
 *   cpu:  run only on that vCPU, so a guest with several vCPUs runs one checker on each and every vCPU writes and
 *         reads its memory (-1: anywhere)
 *   duty: percent of each 100 ms the checker works, sleeping the rest (default 100). Under software emulation a
 *         vCPU that never idles takes a whole host thread from dom0, whose JVM then starts in minutes.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096
#define WORDS (PAGE / 8)

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t expected(uint64_t page, uint64_t gen, uint64_t word)
{
    return mix((page << 24) ^ (gen << 12) ^ word ^ 0x9e3779b97f4a7c15ULL);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 16;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;
    uint64_t pages = mib * 256;
    int cpu = argc > 3 ? atoi(argv[3]) : -1;
    int duty = argc > 4 ? atoi(argv[4]) : 100;
    if (duty < 1 || duty > 100)
        duty = 100;
    if (cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (sched_setaffinity(0, sizeof one, &one) != 0) {
            perror("MEMCHECK sched_setaffinity");
            return 1;
        }
    }
    uint64_t *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    uint32_t *gen = calloc(pages, sizeof *gen);
    if (mem == MAP_FAILED || gen == NULL || pages == 0) {
        printf("MEMCHECK FAILED cannot allocate %llu MiB\n", (unsigned long long)mib);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (uint64_t p = 0; p < pages; p++)
        for (uint64_t w = 0; w < WORDS; w++)
            mem[p * WORDS + w] = expected(p, 0, w);
    printf("MEMCHECK start pages=%llu seed=%llu cpu=%d duty=%d%%\n", (unsigned long long)pages,
           (unsigned long long)seed, cpu, duty);

    uint64_t state = seed, verified = 0, mismatches = 0, ticks = 0;
    double start = now(), next = start + 2, window = start;
    for (;;) {
        state = mix(state + 1);
        uint64_t p = state % pages;
        uint64_t *page = mem + p * WORDS;
        for (uint64_t w = 0; w < WORDS; w++) {
            uint64_t want = expected(p, gen[p], w);
            if (page[w] != want) {
                if (mismatches < 20)
                    printf("MEMCHECK MISMATCH page=%llu word=%llu gen=%u expected=%016llx found=%016llx\n",
                           (unsigned long long)p, (unsigned long long)w, gen[p], (unsigned long long)want,
                           (unsigned long long)page[w]);
                mismatches++;
            }
        }
        verified++;
        gen[p]++;
        for (uint64_t w = 0; w < WORDS; w++)
            page[w] = expected(p, gen[p], w);
        if (duty < 100 && (verified & 15) == 0 && now() - window >= duty / 1000.0) {
            /* this 100 ms window's work is done: sleep out the rest of it */
            double rest = window + 0.1 - now();
            if (rest > 0) {
                struct timespec ts = {0, (long)(rest * 1e9)};
                nanosleep(&ts, NULL);
            }
            window = now();
        }
        if ((verified & 255) == 0 && now() >= next) {
            ticks++;
            printf("MEMCHECK tick %llu t=%.0fs cpu=%d verified=%llu mismatches=%llu\n", (unsigned long long)ticks,
                   now() - start, cpu, (unsigned long long)verified, (unsigned long long)mismatches);
            next = now() + 2;
        }
    }
}
