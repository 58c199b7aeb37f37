//! Vectors of f32 and u32 lanes for the CPU kernels: a small trait of our own ([`Simd`]) that
//! each kernel is written against once, one implementation of it per instruction-set level, and
//! the one place ([`dispatch`]) where an [`Isa`] becomes code compiled for it. Mandelbrot and
//! N-body use the f32 lanes, Monte Carlo and SHA-256 the u32 lanes' integer operations; x86's
//! SHA extensions, a capability beside the levels, have their token and entry in
//! `x86_64/sha.rs`.
//!
//! The layout follows memchr's `arch/`: the algorithm lives once, generic over the vector type
//! (a kernel's `cpu.rs`); each level is a thin layer of intrinsics (`x86_64/{sse2,avx2,avx512}.rs`,
//! `aarch64/neon.rs`, and [`portable`] for the scalar level and for tests); [`dispatch`] calls the
//! kernel through a function compiled with `#[target_feature]` for the level, so the whole
//! row or block loop, not one operation, is compiled for it. (A `#[target_feature]` function does
//! not inline into an ordinary caller, so the loop must be inside it.)
//!
//! A value of a type implementing [`Simd`] is a *token*: it exists only where the CPU runs that
//! level (its constructor checks [`Isa::is_supported`]), which is what makes its safe methods
//! sound. Google Highway's descriptors and pulp's `Simd` tokens work the same way.
//!
//! # Writing a kernel
//!
//! Implement [`SimdKernel`] with `#[inline(always)]` on `run` and on every generic function it
//! calls: that is what makes the body compile inside the level's `#[target_feature]` function
//! (an ordinary generic function called from there could be left out of line and compiled for
//! the baseline, calling each intrinsic through a function call). Then
//! `dispatch(isa, kernel)`. Tests run the same body at 16 lanes through
//! [`portable::Portable`]`<16>`, so the AVX-512 instantiation differs only by its intrinsic
//! layer, which this machine may lack.

#[cfg(target_arch = "aarch64")]
pub(crate) mod aarch64;
pub(crate) mod bytes;
pub(crate) mod portable;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86_64;

use crate::isa::Isa;

/// Vectors of one instruction-set level. Every method works lane by lane unless it says
/// otherwise; `F32` holds [`Simd::LANES`] f32 lanes, `U32` as many u32 lanes, `Mask` one flag
/// per lane.
///
/// # Safety
///
/// A value of the implementing type may exist only on a CPU that runs the level's
/// instructions: the methods call them without further checks.
pub(crate) unsafe trait Simd: Copy + Send + Sync + 'static {
    /// Lanes per vector.
    const LANES: usize;
    /// A vector of f32.
    type F32: Copy;
    /// A vector of u32.
    type U32: Copy;
    /// One flag per lane.
    type Mask: Copy;

    /// Every lane `x`.
    fn splat(self, x: f32) -> Self::F32;
    /// The first [`Simd::LANES`] values of `from` (panics if it is shorter).
    fn load(self, from: &[f32]) -> Self::F32;
    /// Writes the lanes to the first [`Simd::LANES`] elements of `to` (panics if it is shorter).
    fn store(self, v: Self::F32, to: &mut [f32]);
    /// `a + b`.
    fn add(self, a: Self::F32, b: Self::F32) -> Self::F32;
    /// `a - b`.
    fn sub(self, a: Self::F32, b: Self::F32) -> Self::F32;
    /// `a * b`.
    fn mul(self, a: Self::F32, b: Self::F32) -> Self::F32;
    /// `a * b + c`: rounded once where the level has FMA (AVX2, AVX-512, NEON), else a
    /// multiply then an add (scalar, SSE2).
    fn mul_add(self, a: Self::F32, b: Self::F32, c: Self::F32) -> Self::F32;
    /// `c - a * b`: rounded once where the level has FMA, else a multiply then a subtraction.
    fn neg_mul_add(self, a: Self::F32, b: Self::F32, c: Self::F32) -> Self::F32;
    /// An estimate of `1 / sqrt(x)` with a relative error below 2⁻¹¹ (the hardware's
    /// `rsqrt` where it has one); [`Simd::rsqrt`] refines it.
    fn rsqrt_estimate(self, x: Self::F32) -> Self::F32;
    /// The sum of the lanes, added in lane order (so every run of a kernel adds alike).
    fn sum(self, v: Self::F32) -> f32;
    /// `if a > b { a } else { b }`, exactly (x86's `maxps` operand order): where either is
    /// NaN, `b`. (Not IEEE `maxNum`, which would return `a` where `b` is NaN.)
    fn max(self, a: Self::F32, b: Self::F32) -> Self::F32;

    /// Where `!(a > b)`: true for `a <= b` and where either is NaN, as Rust's `!(a > b)`.
    fn not_greater(self, a: Self::F32, b: Self::F32) -> Self::Mask;
    /// Where `a > b`: false where either is NaN.
    fn greater(self, a: Self::F32, b: Self::F32) -> Self::Mask;
    /// Every lane set.
    fn all_set(self) -> Self::Mask;
    /// Lanes set in both.
    fn and(self, a: Self::Mask, b: Self::Mask) -> Self::Mask;
    /// Lanes set in either.
    fn or(self, a: Self::Mask, b: Self::Mask) -> Self::Mask;
    /// Whether any lane is set.
    fn any(self, m: Self::Mask) -> bool;

    /// Every lane 0.
    fn zero_u32(self) -> Self::U32;
    /// `v` in the lanes set in `m`, a NaN elsewhere.
    fn nan_where_clear(self, v: Self::F32, m: Self::Mask) -> Self::F32;
    /// `count + 1` in the lanes set in `m`, `count` elsewhere.
    fn increment(self, count: Self::U32, m: Self::Mask) -> Self::U32;
    /// `count + by` (wrapping) in the lanes set in `m`, `count` elsewhere.
    fn add_where(self, count: Self::U32, m: Self::Mask, by: Self::U32) -> Self::U32;
    /// Writes the lanes to the first [`Simd::LANES`] elements of `to` (panics if it is shorter).
    fn store_u32(self, v: Self::U32, to: &mut [u32]);

    // The u32 lanes' integer operations (Monte Carlo's generator, SHA-256's compression), all
    // wrapping.

    /// Every lane `x`.
    fn splat_u32(self, x: u32) -> Self::U32;
    /// The first [`Simd::LANES`] values of `from` (panics if it is shorter).
    fn load_u32(self, from: &[u32]) -> Self::U32;
    /// `a + b`, wrapping.
    fn add_u32(self, a: Self::U32, b: Self::U32) -> Self::U32;
    /// `a - b`, wrapping.
    fn sub_u32(self, a: Self::U32, b: Self::U32) -> Self::U32;
    /// All ones in the lanes where `a > b` read as signed 32-bit integers, zero elsewhere
    /// (`pcmpgtd`). The Life strip kernel moves a word's top cell to the next word's bit 0 as
    /// `0 > w`, off the shift ports (src/life/cpu/strip.rs, `sums`).
    fn greater_i32(self, a: Self::U32, b: Self::U32) -> Self::U32;
    /// `a * b`, the low 32 bits.
    fn mul_u32(self, a: Self::U32, b: Self::U32) -> Self::U32;
    /// `a ^ b`.
    fn xor_u32(self, a: Self::U32, b: Self::U32) -> Self::U32;
    /// `a & b`.
    fn and_u32(self, a: Self::U32, b: Self::U32) -> Self::U32;
    /// `a | b`.
    fn or_u32(self, a: Self::U32, b: Self::U32) -> Self::U32;
    /// `!a & b`.
    fn andnot_u32(self, a: Self::U32, b: Self::U32) -> Self::U32;
    /// `a >> N`, logical (1 ≤ N ≤ 31).
    fn shr_u32<const N: i32>(self, a: Self::U32) -> Self::U32;
    /// `a << N` (1 ≤ N ≤ 31).
    fn shl_u32<const N: i32>(self, a: Self::U32) -> Self::U32;
    /// `a` rotated right by `R`; `L` must be `32 - R` (stable Rust cannot compute it from `R`),
    /// which [`rotr!`](crate::simd::rotr) writes for the caller.
    #[inline(always)]
    fn rotr_u32<const R: i32, const L: i32>(self, a: Self::U32) -> Self::U32 {
        self.or_u32(self.shr_u32::<R>(a), self.shl_u32::<L>(a))
    }
    /// Each lane as two signed 16-bit halves: `lo(a)·lo(b) + hi(a)·hi(b)` in 32 bits (x86's
    /// `pmaddwd`).
    fn madd16(self, a: Self::U32, b: Self::U32) -> Self::U32;
    /// The lanes moved up one place, `first` into lane 0: `[first, v[0], .., v[LANES - 2]]`.
    /// The Life strip kernel makes a row's first vector's west neighbours with it (`vpermd` +
    /// `vpblendd` on AVX2, `valignd` on AVX-512, a byte shift on SSE2, `ext` on NEON).
    fn shift_in_first_u32(self, v: Self::U32, first: u32) -> Self::U32;
    /// The lanes moved down one place, `last` into the top lane: `[v[1], .., v[LANES - 1],
    /// last]` (a row's last vector's east neighbours).
    fn shift_in_last_u32(self, v: Self::U32, last: u32) -> Self::U32;
    /// `v` with `x` ORed into its top lane, the other lanes as they are.
    fn or_last_lane_u32(self, v: Self::U32, x: u32) -> Self::U32;
    /// `a ^ b ^ c`.
    #[inline(always)]
    fn xor3(self, a: Self::U32, b: Self::U32, c: Self::U32) -> Self::U32 {
        self.xor_u32(self.xor_u32(a, b), c)
    }
    /// SHA-2's choose: the bits of `f` where `e` is set, of `g` where it is clear.
    #[inline(always)]
    fn choose(self, e: Self::U32, f: Self::U32, g: Self::U32) -> Self::U32 {
        self.xor_u32(self.and_u32(e, f), self.andnot_u32(e, g))
    }
    /// SHA-2's majority of `a`, `b` and `c`, bit by bit.
    #[inline(always)]
    fn majority(self, a: Self::U32, b: Self::U32, c: Self::U32) -> Self::U32 {
        let ab = self.and_u32(a, b);
        self.or_u32(ab, self.or_u32(self.and_u32(a, c), self.and_u32(b, c)))
    }

    /// `1 / sqrt(x)`: [`Simd::rsqrt_estimate`] refined by one Newton–Raphson step,
    /// y ← y·(1.5 − ½x·y²), which squares the relative error (2⁻¹¹ becomes about 2⁻²², a few
    /// units in the last place): the GPU's `inverseSqrt` is allowed 2.
    #[inline(always)]
    fn rsqrt(self, x: Self::F32) -> Self::F32 {
        let y = self.rsqrt_estimate(x);
        let half_x_y = self.mul(self.mul(self.splat(0.5), x), y);
        self.mul(y, self.neg_mul_add(half_x_y, y, self.splat(1.5)))
    }
}

/// `rotr!(s, v, R)`: the u32 lanes `v` rotated right by the constant `R`, with the vectors `s`.
macro_rules! rotr {
    ($s:expr, $v:expr, $r:literal) => {
        $s.rotr_u32::<$r, { 32 - $r }>($v)
    };
}
pub(crate) use rotr;

/// A kernel written once over [`Simd`]: [`dispatch`] runs it at any level.
pub(crate) trait SimdKernel {
    /// What the kernel returns.
    type Output;
    /// Runs the kernel with the vectors `s`. Implementations must be `#[inline(always)]` (see
    /// the module docs).
    fn run<S: Simd>(self, s: S) -> Self::Output;
}

/// Runs `kernel` compiled for `isa`.
///
/// # Panics
///
/// If this CPU cannot run `isa` (callers get their level from [`Isa::for_kernel`] or from
/// [`Isa::detected`], which only name levels it can).
pub(crate) fn dispatch<K: SimdKernel>(isa: Isa, kernel: K) -> K::Output {
    let missing = || -> ! {
        panic!(
            "this CPU cannot run {isa} code (it has {:?})",
            Isa::detected()
        )
    };
    match isa {
        Isa::Scalar => kernel.run(portable::Portable::<1>),
        #[cfg(target_arch = "x86_64")]
        Isa::Sse2 => x86_64::run_sse2(kernel),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => match x86_64::Avx2::new() {
            Some(s) => x86_64::run_avx2(s, kernel),
            None => missing(),
        },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => match x86_64::Avx512::new() {
            Some(s) => x86_64::run_avx512(s, kernel),
            None => missing(),
        },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => match aarch64::Neon::new() {
            Some(s) => aarch64::run_neon(s, kernel),
            None => missing(),
        },
        #[allow(unreachable_patterns)]
        _ => missing(),
    }
}

#[cfg(test)]
mod tests {
    use super::portable::Portable;
    use super::*;

    /// Every lane of every level this CPU runs, and the portable vectors at 16 lanes, against
    /// plain f32 arithmetic: each operation of the trait once.
    struct Operations;

    impl SimdKernel for Operations {
        type Output = Vec<String>;
        #[inline(always)]
        fn run<S: Simd>(self, s: S) -> Vec<String> {
            let mut wrong = Vec::new();
            let a: Vec<f32> = (0..S::LANES).map(|i| i as f32 * 0.75 - 3.0).collect();
            let b: Vec<f32> = (0..S::LANES).map(|i| 2.5 - i as f32 * 0.5).collect();
            let (va, vb) = (s.load(&a), s.load(&b));
            let mut counts = vec![0u32; S::LANES];
            let le = s.not_greater(va, vb);
            s.store_u32(
                s.increment(s.increment(s.zero_u32(), le), s.all_set()),
                &mut counts,
            );
            for l in 0..S::LANES {
                let expected = 1 + u32::from(a[l] <= b[l]);
                if counts[l] != expected {
                    wrong.push(format!("lane {l}: count {} != {expected}", counts[l]));
                }
            }
            let lanes = |v: S::F32| {
                let mut out = vec![0f32; S::LANES];
                s.store(v, &mut out);
                out
            };
            type Plain = fn(f32, f32) -> f32;
            let checks = [
                ("add", s.add(va, vb), (|x, y| x + y) as Plain),
                ("sub", s.sub(va, vb), |x, y| x - y),
                ("mul", s.mul(va, vb), |x, y| x * y),
                ("mul_add", s.mul_add(va, vb, vb), |x, y| x * y + y),
                ("neg_mul_add", s.neg_mul_add(va, vb, vb), |x, y| y - x * y),
            ];
            for (name, v, f) in checks {
                for (l, got) in lanes(v).into_iter().enumerate() {
                    let want = f(a[l], b[l]);
                    if (got - want).abs() > 1e-6 * want.abs().max(1.0) {
                        wrong.push(format!("{name} lane {l}: {got} != {want}"));
                    }
                }
            }
            let sum = s.sum(va);
            if sum != a.iter().sum::<f32>() {
                wrong.push(format!("sum {sum}"));
            }
            let x: Vec<f32> = (0..S::LANES).map(|i| 0.01 + i as f32 * 7.3).collect();
            for (l, got) in lanes(s.rsqrt(s.load(&x))).into_iter().enumerate() {
                let want = 1.0 / (x[l] as f64).sqrt();
                if ((got as f64 - want) / want).abs() > 1e-6 {
                    wrong.push(format!("rsqrt({}) = {got}, want {want}", x[l]));
                }
            }
            // max is x86's maxps, exactly: a where a > b, else b, also where either is NaN.
            let nan: Vec<f32> = (0..S::LANES)
                .map(|i| if i % 3 == 1 { f32::NAN } else { b[i] })
                .collect();
            let vnan = s.load(&nan);
            let maxes = [
                (lanes(s.max(va, vb)), &a, &b),
                (lanes(s.max(vnan, va)), &nan, &a),
                (lanes(s.max(va, vnan)), &a, &nan),
            ];
            for (got, x, y) in maxes {
                for l in 0..S::LANES {
                    let want = if x[l] > y[l] { x[l] } else { y[l] };
                    if got[l].to_bits() != want.to_bits() && !(got[l].is_nan() && want.is_nan()) {
                        wrong.push(format!("max({}, {}) lane {l}: {}", x[l], y[l], got[l]));
                    }
                }
            }
            // greater is ordered (false with a NaN); add_where and nan_where_clear follow it.
            let gt = s.greater(vnan, va);
            let added = s.add_where(s.splat_u32(u32::MAX - 1), gt, s.splat_u32(3));
            s.store_u32(added, &mut counts);
            let kept = lanes(s.nan_where_clear(va, gt));
            for l in 0..S::LANES {
                let set = nan[l] > a[l];
                let want = if set { 1 } else { u32::MAX - 1 };
                if counts[l] != want {
                    wrong.push(format!(
                        "greater/add_where lane {l}: {} != {want}",
                        counts[l]
                    ));
                }
                if kept[l].is_nan() == set || (set && kept[l] != a[l]) {
                    wrong.push(format!("nan_where_clear lane {l}: {}", kept[l]));
                }
            }
            let none = s.and(le, s.not_greater(vb, va));
            let expect_any = (0..S::LANES).any(|l| a[l] == b[l]);
            if s.any(none) != expect_any || !s.any(s.or(none, s.all_set())) {
                wrong.push("and/or/any".to_string());
            }
            wrong
        }
    }

    /// Lane values that exercise sign bits, 16-bit halves and carries.
    const VALUES: [u32; 16] = [
        0,
        1,
        0x7fff,
        0x8000,
        0xffff,
        0x1_0000,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1234_5678,
        0x9abc_def0,
        0x8000_8000,
        0x7fff_7fff,
        0xdead_beef,
        0x0bad_f00d,
        3,
    ];

    /// Every u32 operation of the trait against plain u32 arithmetic, lane by lane, on inputs
    /// rotated through [`VALUES`] so each lane sees each value.
    struct IntegerOperations;

    impl SimdKernel for IntegerOperations {
        type Output = Vec<String>;
        #[inline(always)]
        #[allow(clippy::needless_range_loop)]
        fn run<S: Simd>(self, s: S) -> Vec<String> {
            type Plain = fn(u32, u32, u32) -> u32;
            let mut wrong = Vec::new();
            let mut out = [0u32; 16];
            for rot in 0..16 {
                let a: Vec<u32> = (0..16).map(|i| VALUES[(i + rot) % 16]).collect();
                let b: Vec<u32> = (0..16).map(|i| VALUES[(i * 7 + 3) % 16]).collect();
                let c: Vec<u32> = (0..16).map(|i| VALUES[(i * 5 + rot) % 16]).collect();
                for start in (0..16).step_by(S::LANES) {
                    let (va, vb, vc) = (
                        s.load_u32(&a[start..]),
                        s.load_u32(&b[start..]),
                        s.load_u32(&c[start..]),
                    );
                    let cases: [(&str, S::U32, Plain); 16] = [
                        ("splat", s.splat_u32(a[start]), |_, _, _| 0),
                        ("add", s.add_u32(va, vb), |x, y, _| x.wrapping_add(y)),
                        ("mul", s.mul_u32(va, vb), |x, y, _| x.wrapping_mul(y)),
                        ("xor", s.xor_u32(va, vb), |x, y, _| x ^ y),
                        ("and", s.and_u32(va, vb), |x, y, _| x & y),
                        ("or", s.or_u32(va, vb), |x, y, _| x | y),
                        ("andnot", s.andnot_u32(va, vb), |x, y, _| !x & y),
                        ("shr", s.shr_u32::<17>(va), |x, _, _| x >> 17),
                        ("shl", s.shl_u32::<14>(va), |x, _, _| x << 14),
                        ("rotr 7", rotr!(s, va, 7), |x, _, _| x.rotate_right(7)),
                        ("rotr 25", rotr!(s, va, 25), |x, _, _| x.rotate_right(25)),
                        ("madd16", s.madd16(va, vb), |x, y, _| {
                            portable::madd16_lane(x, y)
                        }),
                        ("xor3", s.xor3(va, vb, vc), |x, y, z| x ^ y ^ z),
                        ("choose", s.choose(va, vb, vc), |x, y, z| (x & y) ^ (!x & z)),
                        ("majority", s.majority(va, vb, vc), |x, y, z| {
                            (x & y) ^ (x & z) ^ (y & z)
                        }),
                        ("zero", s.zero_u32(), |_, _, _| 0),
                    ];
                    for (name, got, want) in cases {
                        s.store_u32(got, &mut out);
                        for lane in 0..S::LANES {
                            let i = start + lane;
                            let want = match name {
                                "splat" => a[start],
                                _ => want(a[i], b[i], c[i]),
                            };
                            if out[lane] != want {
                                wrong.push(format!(
                                    "{name} lane {lane}: {:#x} != {want:#x}",
                                    out[lane]
                                ));
                            }
                        }
                    }
                }
            }
            wrong
        }
    }

    /// The inputs where a level's intrinsics could part from plain Rust: NaN, infinities and
    /// signed zeros in the comparison, each single lane of a mask (the movemask equivalents),
    /// shifts and rotates by 1 and 31 (the Life strip kernel's), a sum whose result depends on
    /// the order of its additions, and a multiply-add whose fused and unfused results differ.
    /// Returns the wrong lanes and the multiply-add's result, which the caller checks against
    /// the level's promise (fused where it has FMA).
    struct AwkwardInputs;

    impl SimdKernel for AwkwardInputs {
        type Output = (Vec<String>, f32);
        #[inline(always)]
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        fn run<S: Simd>(self, s: S) -> (Vec<String>, f32) {
            let mut wrong = Vec::new();
            let specials = [
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                0.0,
                -0.0,
                f32::MIN_POSITIVE / 2.0,
                -1.0,
                f32::MAX,
            ];
            let mut counts = vec![0u32; S::LANES];
            for (i, &x) in specials.iter().enumerate() {
                for (j, &y) in specials.iter().enumerate() {
                    // Only lane (i + j) % LANES compares x with y, the others 1 with 0
                    // (false), so every lane sees every pair with the rest of the mask clear.
                    let hit = (i + j) % S::LANES;
                    let a: Vec<f32> = (0..S::LANES)
                        .map(|l| if l == hit { x } else { 1.0 })
                        .collect();
                    let b: Vec<f32> = (0..S::LANES)
                        .map(|l| if l == hit { y } else { 0.0 })
                        .collect();
                    let m = s.not_greater(s.load(&a), s.load(&b));
                    s.store_u32(s.increment(s.zero_u32(), m), &mut counts);
                    let want = !(x > y);
                    for (l, &c) in counts.iter().enumerate() {
                        if c != u32::from(l == hit && want) {
                            wrong.push(format!("not_greater({x}, {y}) lane {l}: {c}"));
                        }
                    }
                    if s.any(m) != want {
                        wrong.push(format!("any(not_greater({x}, {y})) in lane {hit}"));
                    }
                }
            }
            let words: Vec<u32> = (0..S::LANES as u32)
                .map(|l| 0x8000_0001 ^ (l << 7))
                .collect();
            let v = s.load_u32(&words);
            let mut out = vec![0u32; S::LANES];
            type Plain = fn(u32) -> u32;
            // Word `x` of lane `l` (bit 7 up is `l`) flipped at bit 31 in every other lane.
            fn flip(x: u32) -> u32 {
                ((x >> 7) & 1) << 31
            }
            let alternate: Vec<u32> = words.iter().map(|&x| flip(x)).collect();
            // Half the lanes negative as signed integers, for the comparisons.
            let half = s.xor_u32(v, s.load_u32(&alternate));
            let cases: [(&str, S::U32, Plain); 10] = [
                ("sub", s.sub_u32(v, s.splat_u32(0x8000_0003)), |x| {
                    x.wrapping_sub(0x8000_0003)
                }),
                ("sub from 0", s.sub_u32(s.zero_u32(), v), |x| {
                    x.wrapping_neg()
                }),
                ("0 > x", s.greater_i32(s.zero_u32(), half), |x| {
                    let x = x ^ flip(x);
                    if (x as i32) < 0 {
                        !0
                    } else {
                        0
                    }
                }),
                (
                    "x > -2",
                    s.greater_i32(half, s.splat_u32(-2i32 as u32)),
                    |x| {
                        let x = x ^ flip(x);
                        if (x as i32) > -2 {
                            !0
                        } else {
                            0
                        }
                    },
                ),
                ("shl 1", s.shl_u32::<1>(v), |x| x << 1),
                ("shr 1", s.shr_u32::<1>(v), |x| x >> 1),
                ("shl 31", s.shl_u32::<31>(v), |x| x << 31),
                ("shr 31", s.shr_u32::<31>(v), |x| x >> 31),
                ("rotr 1", rotr!(s, v, 1), |x| x.rotate_right(1)),
                ("rotr 31", rotr!(s, v, 31), |x| x.rotate_right(31)),
            ];
            for (name, got, f) in cases {
                s.store_u32(got, &mut out);
                for (l, &w) in words.iter().enumerate() {
                    if out[l] != f(w) {
                        wrong.push(format!("{name} lane {l}: {:#x} != {:#x}", out[l], f(w)));
                    }
                }
            }
            let big: Vec<f32> = (0..S::LANES)
                .map(|l| [1.0e8, 1.0, -1.0e8, 3.0][l % 4])
                .collect();
            let want = big.iter().fold(0.0f32, |acc, &x| acc + x);
            if s.sum(s.load(&big)) != want {
                wrong.push(format!(
                    "sum {} != {want} (lane order)",
                    s.sum(s.load(&big))
                ));
            }
            // (1 + 2⁻¹²)² − (1 + 2⁻¹¹) is 2⁻²⁴ exactly, but the product alone rounds to
            // 1 + 2⁻¹¹: 2⁻²⁴ fused, 0 unfused.
            let x = s.splat(1.0 + 2f32.powi(-12));
            let fused = s.mul_add(x, x, s.splat(-(1.0 + 2f32.powi(-11))));
            let mut lanes = vec![0f32; S::LANES];
            s.store(fused, &mut lanes);
            (wrong, lanes[S::LANES - 1])
        }
    }

    #[test]
    fn every_level_handles_awkward_inputs() {
        let unfused = 0.0;
        let fused = 2f32.powi(-24);
        assert_eq!(AwkwardInputs.run(Portable::<16>), (vec![], unfused));
        assert_eq!(AwkwardInputs.run(Portable::<4>), (vec![], unfused));
        for &isa in Isa::detected() {
            let fma = matches!(isa, Isa::Avx2 | Isa::Avx512 | Isa::Neon);
            let want = if fma { fused } else { unfused };
            assert_eq!(dispatch(isa, AwkwardInputs), (vec![], want), "{isa}");
        }
    }

    #[test]
    fn every_level_computes_plain_u32_arithmetic() {
        assert_eq!(IntegerOperations.run(Portable::<16>), Vec::<String>::new());
        assert_eq!(IntegerOperations.run(Portable::<4>), Vec::<String>::new());
        for &isa in Isa::detected() {
            assert_eq!(
                dispatch(isa, IntegerOperations),
                Vec::<String>::new(),
                "{isa}"
            );
        }
        if !Isa::Avx512.is_supported() {
            eprintln!("avx512 skipped: this CPU has no AVX-512 (its 16-lane logic is checked by the portable vector)");
        }
    }

    /// The lane shifts against plain arrays: every lane of every result, with values whose
    /// top and bottom bits differ from lane to lane.
    struct LaneShifts;

    impl SimdKernel for LaneShifts {
        type Output = Vec<String>;
        #[inline(always)]
        fn run<S: Simd>(self, s: S) -> Vec<String> {
            let n = S::LANES;
            let mut wrong = Vec::new();
            let v: Vec<u32> = (0..n as u32)
                .map(|l| 0x8000_0001 ^ (l * 0x0101_0110))
                .collect();
            let (x, y) = (0xdead_beef, 0x4000_0002);
            let first: Vec<u32> = (0..n).map(|l| if l == 0 { x } else { v[l - 1] }).collect();
            let last: Vec<u32> = (0..n)
                .map(|l| if l + 1 == n { y } else { v[l + 1] })
                .collect();
            let ored: Vec<u32> = (0..n)
                .map(|l| v[l] | if l + 1 == n { y } else { 0 })
                .collect();
            let vv = s.load_u32(&v);
            let mut out = vec![0u32; n];
            let cases = [
                ("shift_in_first", s.shift_in_first_u32(vv, x), first),
                ("shift_in_last", s.shift_in_last_u32(vv, y), last),
                ("or_last_lane", s.or_last_lane_u32(vv, y), ored),
            ];
            for (name, got, want) in cases {
                s.store_u32(got, &mut out);
                if out != want {
                    wrong.push(format!("{name}: {out:x?} != {want:x?}"));
                }
            }
            wrong
        }
    }

    #[test]
    fn every_level_shifts_lanes_in() {
        assert_eq!(LaneShifts.run(Portable::<16>), Vec::<String>::new());
        assert_eq!(LaneShifts.run(Portable::<8>), Vec::<String>::new());
        assert_eq!(LaneShifts.run(Portable::<3>), Vec::<String>::new());
        assert_eq!(LaneShifts.run(Portable::<1>), Vec::<String>::new());
        for &isa in Isa::detected() {
            assert_eq!(dispatch(isa, LaneShifts), Vec::<String>::new(), "{isa}");
        }
        if !Isa::Avx512.is_supported() {
            eprintln!("avx512 skipped: this CPU has no AVX-512 (its 16-lane logic is checked by the portable vector)");
        }
    }

    #[test]
    fn madd16_is_pmaddwd() {
        use portable::madd16_lane;
        assert_eq!(madd16_lane(0x0003_0002, 0x0005_0007), 3 * 5 + 2 * 7);
        assert_eq!(madd16_lane(0xffff_0001, 0x0002_0001), (-2i32 + 1) as u32);
        assert_eq!(madd16_lane(0x8000_8000, 0x8000_8000), 0x8000_0000);
    }

    #[test]
    fn every_level_computes_plain_f32_arithmetic() {
        assert_eq!(Operations.run(Portable::<16>), Vec::<String>::new());
        for &isa in Isa::detected() {
            assert_eq!(dispatch(isa, Operations), Vec::<String>::new(), "{isa}");
        }
    }
}
