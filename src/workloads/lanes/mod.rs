//! Vectors of 32-bit integer lanes: the one small trait the Monte Carlo and SHA-256 CPU kernels
//! are written against, so each kernel is one generic source compiled once per instruction-set
//! level (memchr's `arch/` layout: the trait here, one file per architecture with a tiny,
//! reviewed intrinsic layer).
//!
//! - `u32` is the [`Isa::Scalar`](crate::isa::Isa::Scalar) vector: one lane, plain Rust;
//! - [`Portable`] is an array of `N` lanes in plain Rust, so the generic logic is tested at 16
//!   lanes on a CPU without AVX-512;
//! - `x86_64`: SSE2 (4 lanes), AVX2 (8) and AVX-512 (16); `aarch64`: NEON (4).
//!
//! Every method is `#[inline(always)]` and `unsafe`: the intrinsics need their target feature,
//! which the caller guarantees by running the whole block loop inside a `#[target_feature]`
//! function (such functions do not inline into ordinary callers, so the feature must be enabled
//! on the loop itself, not on each operation).
//!
//! This module is self-contained (no crate imports) so that it can be compiled on its own for
//! another architecture: `rustc --edition 2021 --crate-type lib --target
//! aarch64-unknown-linux-gnu src/workloads/lanes/mod.rs`.

#[cfg(target_arch = "aarch64")]
pub mod aarch64;
#[cfg(target_arch = "x86_64")]
pub mod x86_64;

/// A vector of 32-bit unsigned lanes with wrapping arithmetic.
///
/// # Safety
///
/// Implementations for a SIMD level may only be used inside code compiled with that level's
/// target features enabled, on a CPU that has them. Every method is `unsafe` for that one reason,
/// which this section states once for all of them.
#[allow(clippy::missing_safety_doc)]
pub unsafe trait U32s: Copy {
    /// Lanes per vector.
    const LANES: usize;

    /// Every lane `x`.
    unsafe fn splat(x: u32) -> Self;
    /// Lanes from the first [`U32s::LANES`] values of `values` (which must have that many).
    unsafe fn load(values: &[u32]) -> Self;
    /// Writes the lanes to the first [`U32s::LANES`] places of `out`.
    unsafe fn store(self, out: &mut [u32]);
    /// Lane-wise wrapping addition.
    unsafe fn add(self, other: Self) -> Self;
    /// Lane-wise wrapping multiplication, low 32 bits.
    unsafe fn mul(self, other: Self) -> Self;
    /// Lane-wise exclusive or.
    unsafe fn xor(self, other: Self) -> Self;
    /// Lane-wise and.
    unsafe fn and(self, other: Self) -> Self;
    /// Lane-wise or.
    unsafe fn or(self, other: Self) -> Self;
    /// Lane-wise `!self & other`.
    unsafe fn andnot(self, other: Self) -> Self;
    /// Logical shift right of every lane by `N` (1 ≤ N ≤ 31).
    unsafe fn shr<const N: i32>(self) -> Self;
    /// Shift left of every lane by `N` (1 ≤ N ≤ 31).
    unsafe fn shl<const N: i32>(self) -> Self;
    /// Rotate right by `R`; `L` must be `32 - R` (stable Rust cannot compute it from `R`), which
    /// `rotr!` writes for the caller.
    #[inline(always)]
    unsafe fn rotr<const R: i32, const L: i32>(self) -> Self {
        self.shr::<R>().or(self.shl::<L>())
    }
    /// Each lane as two signed 16-bit halves: `lo(a)·lo(b) + hi(a)·hi(b)` in 32 bits (x86's
    /// `pmaddwd`).
    unsafe fn madd16(self, other: Self) -> Self;
    /// `a ^ b ^ c`.
    #[inline(always)]
    unsafe fn xor3(self, b: Self, c: Self) -> Self {
        self.xor(b).xor(c)
    }
    /// SHA-2's choose: bits of `f` where `self` is set, of `g` where it is clear.
    #[inline(always)]
    unsafe fn choose(self, f: Self, g: Self) -> Self {
        self.and(f).xor(self.andnot(g))
    }
    /// SHA-2's majority of `self`, `b`, `c`, bit by bit.
    #[inline(always)]
    unsafe fn majority(self, b: Self, c: Self) -> Self {
        self.and(b).or(self.and(c).or(b.and(c)))
    }
}

/// `rotr!(v, R)`: `v` rotated right by the constant `R`.
macro_rules! rotr {
    ($v:expr, $r:literal) => {
        $v.rotr::<$r, { 32 - $r }>()
    };
}
pub(crate) use rotr;

// SAFETY: plain Rust, no target feature needed.
unsafe impl U32s for u32 {
    const LANES: usize = 1;
    #[inline(always)]
    unsafe fn splat(x: u32) -> u32 {
        x
    }
    #[inline(always)]
    unsafe fn load(values: &[u32]) -> u32 {
        values[0]
    }
    #[inline(always)]
    unsafe fn store(self, out: &mut [u32]) {
        out[0] = self;
    }
    #[inline(always)]
    unsafe fn add(self, other: u32) -> u32 {
        self.wrapping_add(other)
    }
    #[inline(always)]
    unsafe fn mul(self, other: u32) -> u32 {
        self.wrapping_mul(other)
    }
    #[inline(always)]
    unsafe fn xor(self, other: u32) -> u32 {
        self ^ other
    }
    #[inline(always)]
    unsafe fn and(self, other: u32) -> u32 {
        self & other
    }
    #[inline(always)]
    unsafe fn or(self, other: u32) -> u32 {
        self | other
    }
    #[inline(always)]
    unsafe fn andnot(self, other: u32) -> u32 {
        !self & other
    }
    #[inline(always)]
    unsafe fn shr<const N: i32>(self) -> u32 {
        self >> N
    }
    #[inline(always)]
    unsafe fn shl<const N: i32>(self) -> u32 {
        self << N
    }
    #[inline(always)]
    unsafe fn rotr<const R: i32, const L: i32>(self) -> u32 {
        self.rotate_right(R as u32)
    }
    #[inline(always)]
    unsafe fn madd16(self, other: u32) -> u32 {
        madd16_lane(self, other)
    }
}

/// One lane of [`U32s::madd16`], in plain Rust.
#[inline(always)]
fn madd16_lane(a: u32, b: u32) -> u32 {
    let lo = (a as u16 as i16 as i32).wrapping_mul(b as u16 as i16 as i32);
    let hi = ((a >> 16) as u16 as i16 as i32).wrapping_mul((b >> 16) as u16 as i16 as i32);
    lo.wrapping_add(hi) as u32
}

/// `N` lanes in a plain array: the generic kernels at any width, in portable Rust (tests run
/// the 16-lane logic of AVX-512 with it on CPUs without AVX-512).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Portable<const N: usize>(pub [u32; N]);

impl<const N: usize> Portable<N> {
    #[inline(always)]
    fn map(self, f: impl Fn(u32) -> u32) -> Self {
        Portable(self.0.map(f))
    }
    #[inline(always)]
    fn zip(self, other: Self, f: impl Fn(u32, u32) -> u32) -> Self {
        Portable(std::array::from_fn(|i| f(self.0[i], other.0[i])))
    }
}

// SAFETY: plain Rust, no target feature needed.
unsafe impl<const N: usize> U32s for Portable<N> {
    const LANES: usize = N;
    #[inline(always)]
    unsafe fn splat(x: u32) -> Self {
        Portable([x; N])
    }
    #[inline(always)]
    unsafe fn load(values: &[u32]) -> Self {
        Portable(std::array::from_fn(|i| values[i]))
    }
    #[inline(always)]
    unsafe fn store(self, out: &mut [u32]) {
        out[..N].copy_from_slice(&self.0);
    }
    #[inline(always)]
    unsafe fn add(self, other: Self) -> Self {
        self.zip(other, u32::wrapping_add)
    }
    #[inline(always)]
    unsafe fn mul(self, other: Self) -> Self {
        self.zip(other, u32::wrapping_mul)
    }
    #[inline(always)]
    unsafe fn xor(self, other: Self) -> Self {
        self.zip(other, |a, b| a ^ b)
    }
    #[inline(always)]
    unsafe fn and(self, other: Self) -> Self {
        self.zip(other, |a, b| a & b)
    }
    #[inline(always)]
    unsafe fn or(self, other: Self) -> Self {
        self.zip(other, |a, b| a | b)
    }
    #[inline(always)]
    unsafe fn andnot(self, other: Self) -> Self {
        self.zip(other, |a, b| !a & b)
    }
    #[inline(always)]
    unsafe fn shr<const S: i32>(self) -> Self {
        self.map(|a| a >> S)
    }
    #[inline(always)]
    unsafe fn shl<const S: i32>(self) -> Self {
        self.map(|a| a << S)
    }
    #[inline(always)]
    unsafe fn madd16(self, other: Self) -> Self {
        self.zip(other, madd16_lane)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lane values that exercise sign bits, halves and carries.
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

    /// A lane-wise operation in plain Rust, of up to three inputs.
    type Oracle<'a> = &'a dyn Fn(u32, u32, u32) -> u32;

    /// Every operation of `V` against the scalar `u32` lane by lane.
    #[allow(clippy::needless_range_loop)]
    unsafe fn agrees_with_scalar<V: U32s>() {
        let mut out = [0u32; 16];
        for rot in 0..16 {
            let a: Vec<u32> = (0..16).map(|i| VALUES[(i + rot) % 16]).collect();
            let b: Vec<u32> = (0..16).map(|i| VALUES[(i * 7 + 3) % 16]).collect();
            let c: Vec<u32> = (0..16).map(|i| VALUES[(i * 5 + rot) % 16]).collect();
            for start in (0..16).step_by(V::LANES) {
                let (va, vb, vc) = (
                    V::load(&a[start..]),
                    V::load(&b[start..]),
                    V::load(&c[start..]),
                );
                let cases: [(V, Oracle); 13] = [
                    (va.add(vb), &|x, y, _| x.wrapping_add(y)),
                    (va.mul(vb), &|x, y, _| x.wrapping_mul(y)),
                    (va.xor(vb), &|x, y, _| x ^ y),
                    (va.and(vb), &|x, y, _| x & y),
                    (va.or(vb), &|x, y, _| x | y),
                    (va.andnot(vb), &|x, y, _| !x & y),
                    (va.shr::<17>(), &|x, _, _| x >> 17),
                    (va.shl::<14>(), &|x, _, _| x << 14),
                    (rotr!(va, 7), &|x, _, _| x.rotate_right(7)),
                    (va.madd16(vb), &|x, y, _| madd16_lane(x, y)),
                    (va.xor3(vb, vc), &|x, y, z| x ^ y ^ z),
                    (va.choose(vb, vc), &|x, y, z| (x & y) ^ (!x & z)),
                    (va.majority(vb, vc), &|x, y, z| (x & y) ^ (x & z) ^ (y & z)),
                ];
                for (n, (got, want)) in cases.iter().enumerate() {
                    got.store(&mut out);
                    for lane in 0..V::LANES {
                        let i = start + lane;
                        assert_eq!(out[lane], want(a[i], b[i], c[i]), "op {n} lane {lane}");
                    }
                }
            }
        }
    }

    #[test]
    fn madd16_is_pmaddwd() {
        assert_eq!(madd16_lane(0x0003_0002, 0x0005_0007), 3 * 5 + 2 * 7);
        assert_eq!(madd16_lane(0xffff_0001, 0x0002_0001), (-2i32 + 1) as u32);
        assert_eq!(madd16_lane(0x8000_8000, 0x8000_8000), 0x8000_0000);
    }

    #[test]
    fn portable_agrees_with_scalar() {
        unsafe {
            agrees_with_scalar::<Portable<16>>();
            agrees_with_scalar::<Portable<4>>();
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x86_levels_agree_with_scalar() {
        use x86_64::{Avx2, Avx512, Sse2};
        #[target_feature(enable = "avx2")]
        unsafe fn avx2() {
            agrees_with_scalar::<Avx2>()
        }
        #[target_feature(enable = "avx512f,avx512bw")]
        unsafe fn avx512() {
            agrees_with_scalar::<Avx512>()
        }
        unsafe { agrees_with_scalar::<Sse2>() };
        if std::arch::is_x86_feature_detected!("avx2") {
            unsafe { avx2() };
        } else {
            eprintln!("skipped: this CPU has no AVX2");
        }
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
        {
            unsafe { avx512() };
        } else {
            eprintln!("skipped: this CPU has no AVX-512");
        }
    }
}
