//! The SHA-NI kernel: `S` messages in flight, two rounds of each per `sha256rnds2`, so the
//! round instructions' latency, which bounds a single stream (OpenSSL's), is overlapped.
//!
//! The instructions compute SHA-256 and nothing else, so this kernel is sha256's own; the
//! capability check and the `#[target_feature]` entry are in [`crate::simd::x86_64::sha`], whose
//! token's methods are the intrinsics, so this file needs no `unsafe`.

use super::{rounds_on_one, Scan, ScanLanes, H0, K};
use crate::simd::portable::Portable;
use crate::simd::x86_64::sha::{run_sha_ni, ShaNi, ShaNiKernel};
use crate::simd::SimdKernel;
use std::arch::x86_64::__m128i;
use std::ops::Range;

/// Scans `range` with `streams` messages in flight (1, 2 or 4), then what that left (fewer
/// nonces than streams) one at a time.
///
/// # Panics
///
/// If this CPU has no SHA-NI (the caller checked [`super::Kernel::is_supported`]).
pub(super) fn scan(streams: usize, out: &mut Scan, range: Range<u64>) {
    let s = ShaNi::new().expect("this CPU has SHA-NI");
    let rest = match streams {
        4 => run_sha_ni(s, Streams::<4> { out, range }),
        2 => run_sha_ni(s, Streams::<2> { out, range }),
        _ => run_sha_ni(s, Streams::<1> { out, range }),
    };
    if !(out.stop_at_first && out.first.is_some()) {
        ScanLanes { out, range: rest }.run(Portable::<1>);
    }
}

/// `(a, b)` of `state` as `sha256rnds2` holds them: ABEF and CDGH, first named highest.
fn packed(s: &[u32; 8]) -> [[u32; 4]; 2] {
    [[s[5], s[4], s[1], s[0]], [s[7], s[6], s[3], s[2]]]
}

/// The kernel: `S` consecutive nonces at a time until fewer are left (or a first-match search
/// has its hit); returns the nonces it left.
struct Streams<'s, 't, const S: usize> {
    out: &'s mut Scan<'t>,
    range: Range<u64>,
}

impl<const S: usize> ShaNiKernel for Streams<'_, '_, S> {
    type Output = Range<u64>;

    #[inline(always)]
    fn run(self, s: ShaNi) -> Range<u64> {
        // The group of four words where the nonce starts, as a constant of the loop.
        match self.out.template.first / 4 {
            0 => scan_from::<S, 0>(s, self.out, self.range),
            1 => scan_from::<S, 1>(s, self.out, self.range),
            _ => scan_from::<S, 2>(s, self.out, self.range),
        }
    }
}

/// [`Streams`] for nonces that start in word group `G` (`first / 4`; at most 2, as the nonce
/// ends by word 13): rounds `0..4G` use only prefix words and run once.
#[inline(always)]
fn scan_from<const S: usize, const G: usize>(
    s: ShaNi,
    out: &mut Scan,
    range: Range<u64>,
) -> Range<u64> {
    let t = out.template;
    let mid = rounds_on_one(H0, &t.words, 4 * G);
    let [abef, cdgh] = packed(&mid).map(|v| s.load(&v));
    let k: [__m128i; 16] = std::array::from_fn(|i| s.load(&K[4 * i..]));
    let base: [__m128i; 4] = std::array::from_fn(|g| s.load(&t.words[4 * g..]));
    let (h0, h1) = (H0[0], H0[1]);
    let mut nonce = range.start;
    let (mut w0, mut w1) = ([0u32; S], [0u32; S]);
    while range.end - nonce >= S as u64 {
        let mut msg: [[__m128i; 4]; S] = std::array::from_fn(|m| {
            let [low, high] = t.nonce_groups(nonce + m as u64);
            let mut words = base;
            words[G] = s.or(words[G], s.vector(low));
            words[G + 1] = s.or(words[G + 1], s.vector(high));
            words
        });
        let mut st0 = [abef; S];
        let mut st1 = [cdgh; S];
        macro_rules! group {
            ($i:literal) => {
                for j in 0..S {
                    let m = &mut msg[j];
                    let kw = s.add(m[$i % 4], k[$i]);
                    if $i >= G {
                        st1[j] = s.rounds2(st1[j], st0[j], kw);
                    }
                    if (3..=14).contains(&$i) {
                        let prev = s.align_word(m[$i % 4], m[($i + 3) % 4]);
                        let next = s.add(m[($i + 1) % 4], prev);
                        m[($i + 1) % 4] = s.msg2(next, m[$i % 4]);
                    }
                    if $i >= G {
                        st0[j] = s.rounds2(st0[j], st1[j], s.high_pair(kw));
                    }
                    if (1..=12).contains(&$i) {
                        m[($i + 3) % 4] = s.msg1(m[($i + 3) % 4], m[$i % 4]);
                    }
                }
            };
        }
        group!(0);
        group!(1);
        group!(2);
        group!(3);
        group!(4);
        group!(5);
        group!(6);
        group!(7);
        group!(8);
        group!(9);
        group!(10);
        group!(11);
        group!(12);
        group!(13);
        group!(14);
        group!(15);
        for j in 0..S {
            // ABEF: a is the highest lane, b the next.
            let lanes = s.words(st0[j]);
            w0[j] = lanes[3].wrapping_add(h0);
            w1[j] = lanes[2].wrapping_add(h1);
        }
        let done = out.record(nonce, &w0, &w1);
        nonce += S as u64;
        if done {
            return nonce..nonce;
        }
    }
    nonce..range.end
}
