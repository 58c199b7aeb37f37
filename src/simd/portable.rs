//! Vectors as plain arrays: `Portable<1>` is the scalar level (one lane at a time, in plain
//! Rust), and tests run every kernel at 16 lanes through `Portable<16>`, so the generic logic
//! that the AVX-512 instantiation runs (masks, tails, lane order, the u32 lanes' shifts and
//! rotates) is checked on any CPU.
//!
//! Plain Rust never fuses a multiply and an add, so neither does this layer, and its `rsqrt_estimate` is the exactly rounded `1 / sqrt(x)`
//! (the Newton step after it changes it by at most a unit in the last place).

use super::Simd;

/// `N` lanes held in arrays.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Portable<const N: usize>;

#[inline(always)]
fn each<const N: usize>(a: [f32; N], b: [f32; N], f: impl Fn(f32, f32) -> f32) -> [f32; N] {
    std::array::from_fn(|l| f(a[l], b[l]))
}

// SAFETY: plain Rust runs on every CPU.
unsafe impl<const N: usize> Simd for Portable<N> {
    const LANES: usize = N;
    type F32 = [f32; N];
    type U32 = [u32; N];
    type Mask = [bool; N];

    #[inline(always)]
    fn splat(self, x: f32) -> [f32; N] {
        [x; N]
    }
    #[inline(always)]
    fn load(self, from: &[f32]) -> [f32; N] {
        from[..N].try_into().expect("N values")
    }
    #[inline(always)]
    fn store(self, v: [f32; N], to: &mut [f32]) {
        to[..N].copy_from_slice(&v);
    }
    #[inline(always)]
    fn add(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        each(a, b, |x, y| x + y)
    }
    #[inline(always)]
    fn sub(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        each(a, b, |x, y| x - y)
    }
    #[inline(always)]
    fn mul(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        each(a, b, |x, y| x * y)
    }
    #[inline(always)]
    fn mul_add(self, a: [f32; N], b: [f32; N], c: [f32; N]) -> [f32; N] {
        self.add(self.mul(a, b), c)
    }
    #[inline(always)]
    fn neg_mul_add(self, a: [f32; N], b: [f32; N], c: [f32; N]) -> [f32; N] {
        self.sub(c, self.mul(a, b))
    }
    #[inline(always)]
    fn rsqrt_estimate(self, x: [f32; N]) -> [f32; N] {
        x.map(|v| 1.0 / v.sqrt())
    }
    #[inline(always)]
    fn sum(self, v: [f32; N]) -> f32 {
        v.iter().fold(0.0, |s, &x| s + x)
    }
    #[inline(always)]
    fn max(self, a: [f32; N], b: [f32; N]) -> [f32; N] {
        each(a, b, |x, y| if x > y { x } else { y })
    }
    #[inline(always)]
    // `!(a > b)`, not `a <= b`: true where either is NaN, as the trait says.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    fn not_greater(self, a: [f32; N], b: [f32; N]) -> [bool; N] {
        std::array::from_fn(|l| !(a[l] > b[l]))
    }
    #[inline(always)]
    fn greater(self, a: [f32; N], b: [f32; N]) -> [bool; N] {
        std::array::from_fn(|l| a[l] > b[l])
    }
    #[inline(always)]
    fn all_set(self) -> [bool; N] {
        [true; N]
    }
    #[inline(always)]
    fn and(self, a: [bool; N], b: [bool; N]) -> [bool; N] {
        std::array::from_fn(|l| a[l] & b[l])
    }
    #[inline(always)]
    fn or(self, a: [bool; N], b: [bool; N]) -> [bool; N] {
        std::array::from_fn(|l| a[l] | b[l])
    }
    #[inline(always)]
    fn any(self, m: [bool; N]) -> bool {
        m.iter().any(|&b| b)
    }
    #[inline(always)]
    fn zero_u32(self) -> [u32; N] {
        [0; N]
    }
    #[inline(always)]
    fn nan_where_clear(self, v: [f32; N], m: [bool; N]) -> [f32; N] {
        std::array::from_fn(|l| if m[l] { v[l] } else { f32::NAN })
    }
    #[inline(always)]
    fn increment(self, count: [u32; N], m: [bool; N]) -> [u32; N] {
        std::array::from_fn(|l| count[l] + u32::from(m[l]))
    }
    #[inline(always)]
    fn add_where(self, count: [u32; N], m: [bool; N], by: [u32; N]) -> [u32; N] {
        std::array::from_fn(|l| {
            if m[l] {
                count[l].wrapping_add(by[l])
            } else {
                count[l]
            }
        })
    }
    #[inline(always)]
    fn store_u32(self, v: [u32; N], to: &mut [u32]) {
        to[..N].copy_from_slice(&v);
    }
    #[inline(always)]
    fn splat_u32(self, x: u32) -> [u32; N] {
        [x; N]
    }
    #[inline(always)]
    fn load_u32(self, from: &[u32]) -> [u32; N] {
        from[..N].try_into().expect("N values")
    }
    #[inline(always)]
    fn add_u32(self, a: [u32; N], b: [u32; N]) -> [u32; N] {
        each_u32(a, b, u32::wrapping_add)
    }
    #[inline(always)]
    fn sub_u32(self, a: [u32; N], b: [u32; N]) -> [u32; N] {
        each_u32(a, b, u32::wrapping_sub)
    }
    #[inline(always)]
    fn greater_i32(self, a: [u32; N], b: [u32; N]) -> [u32; N] {
        each_u32(a, b, |a, b| if (a as i32) > (b as i32) { !0 } else { 0 })
    }
    #[inline(always)]
    fn mul_u32(self, a: [u32; N], b: [u32; N]) -> [u32; N] {
        each_u32(a, b, u32::wrapping_mul)
    }
    #[inline(always)]
    fn xor_u32(self, a: [u32; N], b: [u32; N]) -> [u32; N] {
        each_u32(a, b, |x, y| x ^ y)
    }
    #[inline(always)]
    fn and_u32(self, a: [u32; N], b: [u32; N]) -> [u32; N] {
        each_u32(a, b, |x, y| x & y)
    }
    #[inline(always)]
    fn or_u32(self, a: [u32; N], b: [u32; N]) -> [u32; N] {
        each_u32(a, b, |x, y| x | y)
    }
    #[inline(always)]
    fn andnot_u32(self, a: [u32; N], b: [u32; N]) -> [u32; N] {
        each_u32(a, b, |x, y| !x & y)
    }
    #[inline(always)]
    fn shr_u32<const S: i32>(self, a: [u32; N]) -> [u32; N] {
        a.map(|x| x >> S)
    }
    #[inline(always)]
    fn shl_u32<const S: i32>(self, a: [u32; N]) -> [u32; N] {
        a.map(|x| x << S)
    }
    #[inline(always)]
    fn rotr_u32<const R: i32, const L: i32>(self, a: [u32; N]) -> [u32; N] {
        a.map(|x| x.rotate_right(R as u32))
    }
    #[inline(always)]
    fn madd16(self, a: [u32; N], b: [u32; N]) -> [u32; N] {
        each_u32(a, b, madd16_lane)
    }
    #[inline(always)]
    fn shift_in_first_u32(self, v: [u32; N], first: u32) -> [u32; N] {
        std::array::from_fn(|l| if l == 0 { first } else { v[l - 1] })
    }
    #[inline(always)]
    fn shift_in_last_u32(self, v: [u32; N], last: u32) -> [u32; N] {
        std::array::from_fn(|l| if l + 1 == N { last } else { v[l + 1] })
    }
    #[inline(always)]
    fn or_last_lane_u32(self, v: [u32; N], x: u32) -> [u32; N] {
        std::array::from_fn(|l| if l + 1 == N { v[l] | x } else { v[l] })
    }
}

#[inline(always)]
fn each_u32<const N: usize>(a: [u32; N], b: [u32; N], f: impl Fn(u32, u32) -> u32) -> [u32; N] {
    std::array::from_fn(|l| f(a[l], b[l]))
}

/// One lane of [`Simd::madd16`]: `pmaddwd` in plain Rust.
#[inline(always)]
pub(crate) fn madd16_lane(a: u32, b: u32) -> u32 {
    let lo = (a as u16 as i16 as i32).wrapping_mul(b as u16 as i16 as i32);
    let hi = ((a >> 16) as u16 as i16 as i32).wrapping_mul((b >> 16) as u16 as i16 as i32);
    lo.wrapping_add(hi) as u32
}
