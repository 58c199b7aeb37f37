// Shared by strip_loop.c and strip_dag.c: a row's horizontal sums from its west and east
// neighbours (the 2-sum `o2`, `t2` and the 3-sum with the cell `o3`, `t3`), and the middle row's
// next state under B3/S23 from three rows' sums: the operations of src/life/cpu/strip.rs's
// `sums` (after the neighbours) and `next`.
#ifndef SPEEDUP_MCA_STRIP_OPS_H
#define SPEEDUP_MCA_STRIP_OPS_H
#include <immintrin.h>

typedef struct { __m256i o2, t2, o3, t3, c; } Sums;

// The sums of the cells `c` given their west and east neighbours.
static inline __attribute__((always_inline)) Sums sums_of(__m256i west, __m256i c, __m256i east) {
    Sums s;
    s.o2 = _mm256_xor_si256(west, east);
    s.t2 = _mm256_and_si256(west, east);
    s.o3 = _mm256_xor_si256(s.o2, c);
    s.t3 = _mm256_or_si256(_mm256_and_si256(s.o2, c), s.t2);
    s.c = c;
    return s;
}

// The middle row's next state: n = s0 + 2(c1 + t) + 4 c2 by two full adders, then n is 3, or
// 2 with the cell alive.
static inline __attribute__((always_inline)) __m256i next(Sums a, Sums m, Sums b) {
    __m256i p = _mm256_xor_si256(a.o3, b.o3), s0 = _mm256_xor_si256(p, m.o2);
    __m256i c1 = _mm256_or_si256(_mm256_and_si256(a.o3, b.o3), _mm256_and_si256(p, m.o2));
    __m256i q = _mm256_xor_si256(a.t3, b.t3), t = _mm256_xor_si256(q, m.t2);
    __m256i c2 = _mm256_or_si256(_mm256_and_si256(a.t3, b.t3), _mm256_and_si256(q, m.t2));
    return _mm256_and_si256(_mm256_andnot_si256(c2, _mm256_xor_si256(c1, t)),
                            _mm256_or_si256(s0, m.c));
}
#endif
