// Where the AVX2 strip loop's cycles go with no memory at all (docs/performance.md, "Fewer
// shifts"): the throughput of each kind of vector operation the loop uses, then cycles per row
// of the loop's 25 operations with every operand in registers, in four forms of its neighbour
// step (src/life/cpu/strip.rs, `sums`):
//   shifts:  west = (c << 1) | (w >> 31), east = (c >> 1) | (e << 31)   (main before kernel5)
//   compare: west = (c + c) - (0 > w), east as above                     (kernel5)
//   mul:     as compare, with e << 31 as e * 2^31 (vpmulld, off the shift pipes)
//   logic:   the three shifts replaced by logic operations (wrong cells; the op mix's floor)
// Build and run:
//   gcc -O2 -mavx2 -o /tmp/strip_dag scripts/mca/strip_dag.c && /tmp/strip_dag
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "clock.h"
#include "strip_ops.h"

// Eight independent operations a trip, `n` trips: operations per cycle.
#define X8(op) op op op op op op op op
#define THROUGHPUT(name, ins)                                                                   \
    {                                                                                           \
        long n = 50000000;                                                                      \
        double best = 1e9;                                                                      \
        for (int k = 0; k < 3; k++) {                                                           \
            double t0 = now();                                                                  \
            __asm__ volatile("mov %0, %%rcx\n1:\n\t" X8(ins "\n\t") "dec %%rcx\n\tjnz 1b\n"     \
                             : : "r"(n) : "rcx", "xmm3", "memory");                             \
            double t = now() - t0;                                                              \
            if (t < best) best = t;                                                             \
        }                                                                                       \
        printf("  %-9s %.2f a cycle\n", name, 8.0 * n / (best * hz));                           \
    }

enum { SHIFTS, COMPARE, MUL, LOGIC };

static inline __attribute__((always_inline)) Sums sums(int form, __m256i w, __m256i c, __m256i e,
                                                       __m256i zero, __m256i top) {
    __m256i west, east;
    switch (form) {
    case SHIFTS:
        west = _mm256_or_si256(_mm256_add_epi32(c, c), _mm256_srli_epi32(w, 31));
        east = _mm256_or_si256(_mm256_srli_epi32(c, 1), _mm256_slli_epi32(e, 31));
        break;
    case COMPARE:
        west = _mm256_sub_epi32(_mm256_add_epi32(c, c), _mm256_cmpgt_epi32(zero, w));
        east = _mm256_or_si256(_mm256_srli_epi32(c, 1), _mm256_slli_epi32(e, 31));
        break;
    case MUL:
        west = _mm256_sub_epi32(_mm256_add_epi32(c, c), _mm256_cmpgt_epi32(zero, w));
        east = _mm256_or_si256(_mm256_srli_epi32(c, 1), _mm256_mullo_epi32(e, top));
        break;
    default:
        west = _mm256_or_si256(_mm256_or_si256(c, w), _mm256_xor_si256(w, c));
        east = _mm256_or_si256(_mm256_xor_si256(c, e), _mm256_and_si256(e, w));
    }
    return sums_of(west, c, east);
}

// Cycles per row of the loop in `form`, three rows a trip as in the Rust loop; the empty asm
// statements stop the compiler from hoisting the rows' sums out of the loop, and one result a
// trip is folded into an accumulator in place of the stores.
static inline __attribute__((always_inline)) double dag(int form, double hz) {
    __m256i zero = _mm256_setzero_si256(), top = _mm256_set1_epi32((int)0x80000000u);
    __asm__ volatile("" : "+x"(zero), "+x"(top));
    __m256i x = _mm256_set1_epi32(0x12345678), y = _mm256_set1_epi32(0x9abcdef0),
            z = _mm256_set1_epi32(0x0f1e2d3c), acc = _mm256_setzero_si256();
    long n = 20000000;
    double best = 1e9;
    for (int k = 0; k < 3; k++) {
        Sums a = sums(form, x, y, z, zero, top), m = sums(form, y, z, x, zero, top);
        double t0 = now();
        for (long i = 0; i < n; i++) {
            __asm__ volatile("" : "+x"(x), "+x"(y), "+x"(z));
            Sums b = sums(form, x, y, z, zero, top);
            acc = _mm256_xor_si256(acc, next(a, m, b));
            __asm__ volatile("" : "+x"(x), "+x"(y), "+x"(z));
            Sums c = sums(form, y, z, x, zero, top);
            __m256i r1 = next(m, b, c);
            __asm__ volatile("" : "+x"(x), "+x"(y), "+x"(z), "+x"(r1));
            Sums d = sums(form, z, x, y, zero, top);
            __m256i r2 = next(b, c, d);
            __asm__ volatile("" : "+x"(r2));
            a = c;
            m = d;
        }
        double t = now() - t0;
        if (t < best) best = t;
    }
    volatile int sink = _mm256_extract_epi32(acc, 0);
    (void)sink;
    return best * hz / n / 3;
}

int main(void) {
    double hz = clock_hz();
    printf("clock (dependent adds): %.2f GHz\noperations per cycle, independent:\n", hz / 1e9);
    THROUGHPUT("vpxor", "vpxor %%ymm1, %%ymm2, %%ymm3")
    THROUGHPUT("vpaddd", "vpaddd %%ymm1, %%ymm2, %%ymm3")
    THROUGHPUT("vpsubd", "vpsubd %%ymm1, %%ymm2, %%ymm3")
    THROUGHPUT("vpcmpgtd", "vpcmpgtd %%ymm1, %%ymm2, %%ymm3")
    THROUGHPUT("vpsrld", "vpsrld $1, %%ymm1, %%ymm3")
    THROUGHPUT("vpslld", "vpslld $31, %%ymm1, %%ymm3")
    THROUGHPUT("vpmulld", "vpmulld %%ymm1, %%ymm2, %%ymm3")
    const char *names[] = {"shifts (3 a row)", "compare (2 shifts)", "mul (1 shift)",
                           "logic (no shifts)"};
    printf("the loop's 25 operations a row, operands in registers:\n");
    // Constant forms, so each loop is compiled for its own.
    double cycles[] = {dag(SHIFTS, hz), dag(COMPARE, hz), dag(MUL, hz), dag(LOGIC, hz)};
    for (int form = SHIFTS; form <= LOGIC; form++)
        printf("  %-19s %.2f cycles a row\n", names[form], cycles[form]);
    return 0;
}
