//! The GPU host code of the SHA-256 search: pipeline, buffers, submissions and readback.

use super::{batch_sizes, padded_block, Found, Search, H0, K};
use crate::error::Result;
use crate::gpu::{dispatch_size, poisoned_storage, submit_pass, GpuContext, GpuTimer};
use crate::gpu::{ComputeKernel, Readback, ShaderBuild};
use crate::workloads::timing::Inputs;
use crate::workloads::RunTiming;
use std::sync::Arc;

/// The WGSL source of the search kernel.
pub const SHA256_WGSL: &str = include_str!("../../../shaders/sha256.wgsl");

/// The kernel [`GpuSha256::new`] compiles for `search`: shaders/sha256.wgsl's `main` with the
/// search's fixed message words, nonce position, difficulty and midstate as pipeline constants.
pub(super) fn shader_build(search: &Search) -> ShaderBuild {
    let words = block_words(&padded_block(&search.prefix));
    let rounds = midstate_rounds(search.prefix.len());
    let mid = midstate(&words, rounds);
    const W: [&str; 16] = [
        "W0", "W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10", "W11", "W12", "W13",
        "W14", "W15",
    ];
    const MID: [&str; 8] = [
        "MID_A", "MID_B", "MID_C", "MID_D", "MID_E", "MID_F", "MID_G", "MID_H",
    ];
    let mut constants: Vec<(&'static str, f64)> = W
        .iter()
        .zip(words)
        .chain(MID.iter().zip(mid))
        .map(|(name, v)| (*name, f64::from(v)))
        .collect();
    constants.extend([
        ("NONCE_AT", search.prefix.len() as f64),
        ("DIFFICULTY", f64::from(search.difficulty)),
        ("MID_ROUNDS", rounds as f64),
    ]);
    ShaderBuild {
        constants,
        ..ShaderBuild::main("sha256", SHA256_WGSL)
    }
}

/// The padded block as 16 big-endian words (nonce bytes zero).
fn block_words(block: &[u8; 64]) -> [u32; 16] {
    let mut words = [0u32; 16];
    for (w, bytes) in words.iter_mut().zip(block.chunks_exact(4)) {
        *w = u32::from_be_bytes(bytes.try_into().expect("4 bytes"));
    }
    words
}

/// Rounds that depend on the prefix alone: those before the first word holding a nonce byte.
/// The default prefix "speedup" (7 bytes) puts the nonce in word 1: 1 round of 64.
pub fn midstate_rounds(prefix_len: usize) -> usize {
    prefix_len / 4
}

/// The working state after the first `rounds` rounds of compressing `words` from H0 (FIPS
/// 180-4 §6.2.2, step 3), computed once on the host.
pub(super) fn midstate(words: &[u32; 16], rounds: usize) -> [u32; 8] {
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = H0;
    for t in 0..rounds {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(K[t])
            .wrapping_add(words[t]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        (h, g, f, e, d, c, b, a) = (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
    }
    [a, b, c, d, e, f, g, h]
}

/// Invocations per workgroup in sha256.wgsl (its `@workgroup_size`, checked by the tests below).
const WORKGROUP_SIZE: u64 = 256;

/// Mirrors `Sha256Params` in shaders/sha256.wgsl; the tests below check the layouts agree.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct Sha256Params {
    base_lo: u32,
    base_hi: u32,
    count: u32,
    /// The batch's (offset, matches) slot in the result buffer.
    slot: u32,
}

/// "No hit" in the kernel's `found.offset`.
const NONE: u32 = u32::MAX;

/// One batch of nonces: where it starts, how many, and its bind group (uniform and slot).
struct Batch {
    base: u64,
    count: u64,
    group: wgpu::BindGroup,
    groups: (u32, u32),
}

/// The search kernel on a GPU: pipeline, result slots and their staging buffer, made once; for
/// an exhaustive search every batch's uniform and bind group too, so that a run is one
/// submission of every batch and one readback.
pub struct GpuSha256 {
    ctx: Arc<GpuContext>,
    kernel: ComputeKernel,
    found: wgpu::Buffer,
    readback: Readback,
    timer: Option<GpuTimer>,
    search: Search,
    batch: u64,
    /// An exhaustive search's batches, all recorded into one submission.
    batches: Vec<Batch>,
}

impl GpuSha256 {
    /// Builds the pipeline and buffers for `search`, in batches of at most `batch` nonces (below
    /// 2^32).
    pub fn new(ctx: Arc<GpuContext>, search: &Search, batch: u64) -> Result<GpuSha256> {
        let batch = batch.clamp(1, u32::MAX as u64 - 1);
        let kernel = ComputeKernel::build(&ctx, &shader_build(search))?;
        // One slot per batch of an exhaustive search; a first-match search submits one batch
        // at a time and needs one.
        let slots = if search.exhaustive {
            search.count.div_ceil(batch)
        } else {
            1
        };
        let bytes = slots * 8;
        ctx.check_binding(&format!("the sha256 result slots ({slots} batches)"), bytes)?;
        let found = poisoned_storage(&ctx, "sha256 found", bytes, NONE)?;
        let readback = Readback::new(&ctx, "sha256 readback", &[bytes])?;
        let timer = GpuTimer::new(&ctx)?;
        let mut gpu = GpuSha256 {
            ctx,
            kernel,
            found,
            readback,
            timer,
            search: search.clone(),
            batch,
            batches: Vec::new(),
        };
        if search.exhaustive {
            let range = search.range();
            let mut base = range.start;
            while base < range.end {
                let count = (range.end - base).min(batch);
                let slot = gpu.batches.len() as u32;
                gpu.batches.push(gpu.batch_at(base, count, slot)?);
                base += count;
            }
        }
        gpu.ctx.check()?;
        Ok(gpu)
    }

    /// A batch of `count` nonces from `base`, writing to `slot`.
    fn batch_at(&self, base: u64, count: u64, slot: u32) -> Result<Batch> {
        let params = Sha256Params {
            base_lo: base as u32,
            base_hi: (base >> 32) as u32,
            count: count as u32,
            slot,
        };
        let uniform = self
            .ctx
            .uniform_with_data("sha256 params", bytemuck::bytes_of(&params));
        Ok(Batch {
            base,
            count,
            group: self.kernel.bind(&self.ctx, &[&uniform, &self.found])?,
            groups: dispatch_size(count.div_ceil(WORKGROUP_SIZE)),
        })
    }

    /// Resets the slots and runs `batches` in one submission, waiting for it.
    fn dispatch(&self, batches: &[Batch]) -> Result<Option<f64>> {
        let reset: Vec<u32> = [NONE, 0].repeat(batches.len());
        // Lands with the submission below, before its passes.
        self.ctx
            .queue
            .write_buffer(&self.found, 0, bytemuck::cast_slice(&reset));
        submit_pass(&self.ctx, self.timer.as_ref(), "sha256", |pass| {
            self.kernel
                .dispatch_all(pass, batches.iter().map(|b| (&b.group, b.groups)))
        })
    }

    /// Reads the slots of `batches` back: the smallest hit of the first batch with one, and
    /// the matches of all.
    fn collect(&self, batches: &[Batch]) -> Result<(Option<u64>, u64)> {
        let slots: Vec<u32> = self.readback.read_one(&self.ctx, &self.found)?;
        let (mut first, mut matches) = (None, 0u64);
        for (b, slot) in batches.iter().zip(slots.chunks_exact(2)) {
            let (offset, hits) = (slot[0], slot[1]);
            if offset != NONE {
                if offset as u64 >= b.count {
                    return Err(self.ctx.error(format!(
                        "sha256 kernel reported offset {offset} in a batch of {}",
                        b.count
                    )));
                }
                first = first.or(Some(b.base + offset as u64));
            }
            matches += hits as u64;
        }
        Ok((first, matches))
    }

    /// Runs the search: an exhaustive one as one submission of every batch, then one readback
    /// of their slots; a first-match one batch by batch (each its submission and readback, in
    /// the kernel stage: whether to go on depends on them), until a batch has a hit.
    pub fn run(&mut self, clock: Inputs) -> Result<(Found, RunTiming)> {
        // No input data: the prefix is compiled into the pipeline, the batches bound.
        let kernel = clock.ready(0);
        let search = &self.search;
        if search.exhaustive {
            let results = kernel.done(self.dispatch(&self.batches)?);
            let (first, matches) = self.collect(&self.batches)?;
            return Ok((
                Found::from_scan(search, first, matches),
                results.on_host(16),
            ));
        }
        let range = search.range();
        let (mut first, mut matches) = (None, 0u64);
        let mut device_seconds = self.timer.as_ref().map(|_| 0.0);
        let mut base = range.start;
        let mut sizes = batch_sizes(search, self.batch);
        while base < range.end && first.is_none() {
            let count = (range.end - base).min(sizes.next().expect("endless"));
            let batch = self.batch_at(base, count, 0)?;
            let batch = std::slice::from_ref(&batch);
            device_seconds =
                crate::workloads::add_device_time(device_seconds, self.dispatch(batch)?);
            let (f, m) = self.collect(batch)?;
            first = f;
            matches += m;
            base += count;
        }
        let results = kernel.done(device_seconds);
        Ok((
            Found::from_scan(search, first, matches),
            results.on_host(16),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    crate::gpu::mirror::shader_mirror_test!(
        params_and_workgroup_size_match_the_shader,
        [SHA256_WGSL],
        workgroups { "main" => WORKGROUP_SIZE },
        structs {
            "Sha256Params" => Sha256Params {
                base_lo, base_hi, count, slot
            },
        },
    );
}
