/* What every peer shares: size parsing in speedup's own notation, a monotonic clock, best-of-N
 * timing, and the one-line report the script and tests/peers.rs read.
 *
 * A peer is run as `PEER SIZE [REPS]`, SIZE in the notation of the matching speedup workload
 * (e.g. `mandelbrot 2048x2048:1000 5`). It prints one line of key=value fields:
 *
 *   peer=mandelbrot isa=avx2 size=2048x2048:1000 reps=5 best_seconds=0.1 median_seconds=0.1
 *   work=1038585326 unit=pixel-iterations throughput=9.9e9 checksum=1038585326
 *
 * throughput is work / best_seconds (best against best, like the script compares), in the unit
 * speedup's row for that workload uses. checksum is what tests/peers.rs compares with speedup's
 * own result for the same problem. Bad arguments: one line on stderr, exit 2. */
#ifndef PEERS_COMMON_H
#define PEERS_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline void usage_error(const char *peer, const char *message, const char *text) {
    fprintf(stderr, "%s: %s '%s'\n", peer, message, text);
    exit(2);
}

/* A count in speedup's notation: a whole number (underscores allowed) or BASE^EXP. Returns 0
 * with *end_ok = 0 when it is not one. `end` receives where the number stopped. */
static inline uint64_t parse_count(const char *text, const char **end) {
    uint64_t value = 0;
    const char *p = text;
    int digits = 0;
    for (; (*p >= '0' && *p <= '9') || *p == '_'; p++) {
        if (*p == '_') continue;
        value = value * 10 + (uint64_t)(*p - '0');
        digits++;
    }
    if (digits == 0) {
        *end = text;
        return 0;
    }
    if (*p == '^') {
        const char *q = p + 1;
        unsigned exp = 0;
        int exp_digits = 0;
        for (; *q >= '0' && *q <= '9'; q++, exp_digits++) exp = exp * 10 + (unsigned)(*q - '0');
        if (exp_digits == 0 || exp > 63) {
            *end = text;
            return 0;
        }
        uint64_t base = value;
        value = 1;
        for (unsigned i = 0; i < exp; i++) value *= base;
        p = q;
    }
    *end = p;
    return value;
}

/* REPS from argv[2] (default `fallback`), at least 1. */
static inline int parse_reps(int argc, char **argv, int fallback, const char *peer) {
    if (argc < 3) return fallback;
    char *end;
    long reps = strtol(argv[2], &end, 10);
    if (*end != '\0' || reps < 1 || reps > 100000) usage_error(peer, "REPS must be 1..100000, got", argv[2]);
    return (int)reps;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Best and median of `n` run times (sorts them). */
static inline void best_and_median(double *seconds, int n, double *best, double *median) {
    qsort(seconds, (size_t)n, sizeof seconds[0], compare_doubles);
    *best = seconds[0];
    *median = n % 2 ? seconds[n / 2] : 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]);
}

/* The report line. `checksum` is preformatted (an exact integer or a float with its digits);
 * `extra` is more key=value fields, or "". */
static inline void report(const char *peer, const char *isa, const char *size, int reps,
                          double *seconds, double work, const char *unit, const char *checksum,
                          const char *extra) {
    double best, median;
    best_and_median(seconds, reps, &best, &median);
    printf("peer=%s isa=%s size=%s reps=%d best_seconds=%.6e median_seconds=%.6e work=%.17g "
           "unit=%s throughput=%.6e checksum=%s%s%s\n",
           peer, isa, size, reps, best, median, work, unit, work / best, checksum, *extra ? " " : "",
           extra);
}

/* The widest vector level a -march=native build targets, for the report's isa field. */
#if defined(__AVX512F__)
#define NATIVE_ISA "avx512"
#elif defined(__AVX2__)
#define NATIVE_ISA "avx2"
#elif defined(__SSE2__)
#define NATIVE_ISA "sse2"
#elif defined(__ARM_NEON)
#define NATIVE_ISA "neon"
#else
#define NATIVE_ISA "scalar"
#endif

/* SplitMix64 (Vigna), exactly speedup's src/random.rs. */
typedef struct { uint64_t state; } splitmix64;

static inline uint64_t splitmix64_next(splitmix64 *rng) {
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#endif
