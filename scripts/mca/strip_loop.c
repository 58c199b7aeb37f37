// The AVX2 strip loop of src/life/cpu/strip.rs (B3/S23, 8 words = 256 cells a vector, three rows
// a trip), timed on its own: the core's clock from a chain of dependent adds, then cycles per
// vector-row walking strips down rows of 128 words (a 4096-wide grid) at three layouts:
//   - 24 rows, 512 bytes apart: every line in L1;
//   - 96 rows, 512 bytes apart: the rows fall in 8 of L1's 64 sets and evict each other;
//   - 96 rows, 576 bytes apart (an odd number of lines): every set, rows from L2.
// Build and run (docs/performance.md, "Life on the CPU: the window, the cache sets"):
//   gcc -O2 -mavx2 -o /tmp/strip_loop scripts/mca/strip_loop.c && /tmp/strip_loop
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "strip_ops.h"

static inline __attribute__((always_inline)) Sums sums(const uint32_t *p) {
    __m256i w = _mm256_loadu_si256((const void *)(p - 1)), c = _mm256_loadu_si256((const void *)p),
            e = _mm256_loadu_si256((const void *)(p + 1));
    __m256i west = _mm256_or_si256(_mm256_add_epi32(c, c), _mm256_srli_epi32(w, 31));
    __m256i east = _mm256_or_si256(_mm256_srli_epi32(c, 1), _mm256_slli_epi32(e, 31));
    return sums_of(west, c, east);
}

enum { WPR = 128 };

// Seconds per vector-row, best of 5, walking the interior strips of `rows` rows `stride` apart.
static double walk(int rows, int stride) {
    uint32_t *in = aligned_alloc(4096, 4 * (size_t)stride * (rows + 2) + 4096);
    uint32_t *out = aligned_alloc(4096, 4 * (size_t)stride * rows + 4096);
    for (int i = 0; i < stride * (rows + 2); i++) in[i] = (uint32_t)rand() * 2654435761u;
    long reps = 2000000 / rows;
    double best = 1e9;
    for (int k = 0; k < 5; k++) {
        double t0 = now();
        for (long r = 0; r < reps; r++)
            for (int at = 8; at + 8 < WPR; at += 8) {
                Sums a = sums(in + at), m = sums(in + stride + at);
                for (int y = 0; y + 3 <= rows; y += 3) {
                    Sums b = sums(in + (y + 2) * stride + at);
                    _mm256_storeu_si256((void *)(out + y * stride + at), next(a, m, b));
                    Sums c = sums(in + (y + 3) * stride + at);
                    _mm256_storeu_si256((void *)(out + (y + 1) * stride + at), next(m, b, c));
                    Sums d = sums(in + (y + 4) * stride + at);
                    _mm256_storeu_si256((void *)(out + (y + 2) * stride + at), next(b, c, d));
                    a = c;
                    m = d;
                }
            }
        double t = now() - t0;
        if (t < best) best = t;
    }
    volatile uint32_t sink = out[stride + 9];
    (void)sink;
    free(in);
    free(out);
    return best / ((double)reps * ((WPR - 16) / 8) * rows);
}

int main(void) {
    double hz = clock_hz();
    printf("clock (dependent adds): %.2f GHz; the loop's bound, 25 vector ALU ops on 4 pipes: "
           "6.25 cycles per 256 cells = %.3g cell-updates/s\n",
           hz / 1e9, 256 / 6.25 * hz);
    int cases[3][2] = {{24, 128}, {96, 128}, {96, 144}};
    for (int i = 0; i < 3; i++) {
        double s = walk(cases[i][0], cases[i][1]);
        printf("%3d rows %4d bytes apart: %5.2f cycles per vector-row, %.3g cell-updates/s "
               "(%.0f%% of the bound)\n",
               cases[i][0], cases[i][1] * 4, s * hz, 256 / s, 100 * 6.25 / (s * hz));
    }
    return 0;
}
