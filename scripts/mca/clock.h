// Shared by the stand-alone timings in this folder: this thread's CPU time, and the core's clock
// from a chain of dependent adds (one a cycle on every x86 core since the Pentium Pro).
#ifndef SPEEDUP_MCA_CLOCK_H
#define SPEEDUP_MCA_CLOCK_H
#include <stdint.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// Cycles per second of this thread: one add a cycle on a dependent chain, best of three.
static double clock_hz(void) {
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        uint64_t x = rep, n = 200000000ULL;
        double t0 = now();
        for (uint64_t i = 0; i < n; i++)
            __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
        double hz = 4.0 * n / (now() - t0);
        if (hz > best) best = hz;
    }
    return best;
}
#endif
