/* STREAM triad peer: speedup's stream workload (src/workloads/stream) as an OpenMP C triad on
 * all cores, built with -O3 -march=native -fopenmp (peers/build.sh), after McCalpin's stream.c.
 *
 * Same problem: three f32 arrays of N elements, b[i] = i mod 1024, c[i] = (7i mod 1000) / 4,
 * a[i] = b[i] + 3 c[i], REPS triads per timed run, counted as speedup (and STREAM) count it:
 * 12 bytes per element per triad (write-allocate traffic not counted). The arrays are first
 * touched by the threads that later sweep them (the same static schedule), as STREAM does, and
 * one untimed triad runs first, as speedup's run does. Every a[i] is a small multiple of 1/4, so
 * the checksum, sum(a) in f64, is exact: equal to speedup's reference whatever the rounding.
 * Threads: OMP_NUM_THREADS, else every core (speedup's rayon row uses every core too). */
#include "common.h"

#include <math.h>
#include <omp.h>

static void triad(float *restrict a, const float *restrict b, const float *restrict c, int64_t n) {
    const float s = 3.0f;
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; i++) a[i] = b[i] + s * c[i];
}

int main(int argc, char **argv) {
    if (argc < 2) usage_error("stream", "usage: stream N[:REPS] [RUNS]; got no size", "");
    const char *size = argv[1], *p;
    uint64_t n = parse_count(size, &p), triads = 10;
    if (p != size && *p == ':') {
        const char *q = p + 1;
        triads = parse_count(q, &p);
        if (p == q) usage_error("stream", "size must be N or N:REPS, got", size);
    }
    if (p == size || *p != '\0' || n == 0 || n > 0xffffffffull || triads == 0 || triads > 10000)
        usage_error("stream", "size must be N[:REPS] with 1 <= N < 2^32, 1 <= REPS <= 10000, got", size);
    int runs = parse_reps(argc, argv, 5, "stream");
    size_t bytes = ((size_t)n * sizeof(float) + 63) / 64 * 64;
    float *a = aligned_alloc(64, bytes), *b = aligned_alloc(64, bytes), *c = aligned_alloc(64, bytes);
    if (!a || !b || !c) usage_error("stream", "out of memory for size", size);
    int64_t len = (int64_t)n;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < len; i++) {
        a[i] = NAN;
        b[i] = (float)(i % 1024);
        c[i] = (float)((i * 7) % 1000) * 0.25f;
    }
    triad(a, b, c, len);
    double *seconds = malloc((size_t)runs * sizeof *seconds);
    for (int r = 0; r < runs; r++) {
        double start = now_seconds();
        for (uint64_t t = 0; t < triads; t++) triad(a, b, c, len);
        seconds[r] = now_seconds() - start;
    }
    double sum = 0.0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
    for (int64_t i = 0; i < len; i++) sum += a[i];
    char checksum[40], threads[32];
    snprintf(checksum, sizeof checksum, "%.17g", sum);
    snprintf(threads, sizeof threads, "threads=%d", omp_get_max_threads());
    report("stream", NATIVE_ISA, size, runs, seconds, 12.0 * (double)n * (double)triads, "bytes", checksum,
           threads);
    return 0;
}
