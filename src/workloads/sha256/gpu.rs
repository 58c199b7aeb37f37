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

/// The gate kernel of a first-match search: sha256.wgsl's `gate`, with `search`'s constants
/// (the module's overrides have no defaults, so every build gives them all).
pub(super) fn gate_build(search: &Search) -> ShaderBuild {
    let main = shader_build(search);
    ShaderBuild {
        label: "sha256 gate".into(),
        entry_point: "gate",
        ..main
    }
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
    /// The batch's (offset, matches) slot in the result buffer, and its indirect arguments.
    slot: u32,
}

/// "No hit" in the kernel's `offset`.
const NONE: u32 = u32::MAX;

/// Most batches one submission of a first-match search holds. Its submissions hold 1, 2, 4, …
/// batches, so a search waits about log2(batches) times rather than once per batch, and an
/// answer in an early batch is not held up by many skipped ones. The cap bounds one
/// submission's work: 64 full batches are 2^28 nonces, ~10 s on lavapipe (26.8 M hashes/s),
/// tens of milliseconds on an H100, far below the default `--gpu-timeout` (300 s), which bounds
/// each wait. (An OS watchdog bounds a dispatch, one batch, not a submission.)
pub const MAX_GROUP: usize = 64;

/// Bytes of one `DispatchArgs` (three u32) in the indirect argument buffer.
const ARGS_BYTES: u64 = 12;

/// One batch of nonces: where it starts, how many, its bind groups (uniform and slot) for the
/// search kernel and, in a first-match search, for the gate before it.
struct Batch {
    base: u64,
    count: u64,
    group: wgpu::BindGroup,
    gate: Option<wgpu::BindGroup>,
    groups: (u32, u32),
}

/// The search kernel on a GPU: pipelines, result slots and their staging buffer, made once; the
/// batches of each submission, made once too and kept: an exhaustive search's single
/// submission of every batch at preparation, a first-match search's groups as runs first reach
/// them.
pub struct GpuSha256 {
    ctx: Arc<GpuContext>,
    kernel: ComputeKernel,
    /// First-match searches: the gate before each batch after a submission's first, and the
    /// indirect dispatch arguments it writes (one per slot).
    gate: Option<(ComputeKernel, wgpu::Buffer)>,
    results: wgpu::Buffer,
    readback: Readback,
    timer: Option<GpuTimer>,
    search: Search,
    batch: u64,
    /// Each submission's batches, in order: slot `i` of a submission is its batch `i`.
    submissions: Vec<Vec<Batch>>,
}

impl GpuSha256 {
    /// Builds the pipelines and buffers for `search`, in batches of at most `batch` nonces
    /// (below 2^32).
    pub fn new(ctx: Arc<GpuContext>, search: &Search, batch: u64) -> Result<GpuSha256> {
        let batch = batch.clamp(1, u32::MAX as u64 - 1);
        let kernel = ComputeKernel::build(&ctx, &shader_build(search))?;
        // One slot per batch of the largest submission: all of an exhaustive search's, a
        // first-match search's largest group.
        let slots = if search.exhaustive {
            search.count.div_ceil(batch)
        } else {
            MAX_GROUP as u64
        };
        // `hit`, then the (offset, matches) slots.
        let bytes = 4 + slots * 8;
        ctx.check_binding(&format!("the sha256 result slots ({slots} batches)"), bytes)?;
        let results = poisoned_storage(&ctx, "sha256 results", bytes, NONE)?;
        let gate = if search.exhaustive {
            None
        } else {
            let args = ctx.buffer(
                "sha256 dispatch arguments",
                slots * ARGS_BYTES,
                wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::INDIRECT
                    | wgpu::BufferUsages::COPY_DST,
            )?;
            Some((ComputeKernel::build(&ctx, &gate_build(search))?, args))
        };
        let readback = Readback::new(&ctx, "sha256 readback", &[bytes])?;
        let timer = GpuTimer::new(&ctx)?;
        let mut gpu = GpuSha256 {
            ctx,
            kernel,
            gate,
            results,
            readback,
            timer,
            search: search.clone(),
            batch,
            submissions: Vec::new(),
        };
        if search.exhaustive {
            let range = search.range();
            let (mut all, mut base) = (Vec::new(), range.start);
            while base < range.end {
                let count = (range.end - base).min(batch);
                all.push(gpu.batch_at(base, count, all.len() as u32)?);
                base += count;
            }
            gpu.submissions.push(all);
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
        let gate = match &self.gate {
            Some((gate, args)) => Some(gate.bind(&self.ctx, &[&uniform, &self.results, args])?),
            None => None,
        };
        Ok(Batch {
            base,
            count,
            group: self.kernel.bind(&self.ctx, &[&uniform, &self.results])?,
            gate,
            groups: dispatch_size(count.div_ceil(WORKGROUP_SIZE)),
        })
    }

    /// Makes the first-match search's next submission, `false` when the range is done: group g
    /// holds min(2^g, [`MAX_GROUP`]) batches, of the sizes [`batch_sizes`] gives.
    fn plan_next(&mut self) -> Result<bool> {
        let range = self.search.range();
        let done: usize = self.submissions.iter().map(Vec::len).sum();
        let mut base = self
            .submissions
            .last()
            .and_then(|s| s.last())
            .map_or(range.start, |b| b.base + b.count);
        let len = 1usize
            .checked_shl(self.submissions.len() as u32)
            .map_or(MAX_GROUP, |n| n.min(MAX_GROUP));
        let mut sizes = batch_sizes(&self.search, self.batch).skip(done);
        let mut group = Vec::with_capacity(len);
        while base < range.end && group.len() < len {
            let count = (range.end - base).min(sizes.next().expect("endless"));
            group.push(self.batch_at(base, count, group.len() as u32)?);
            base += count;
        }
        if group.is_empty() {
            return Ok(false);
        }
        self.submissions.push(group);
        Ok(true)
    }

    /// Resets the slots and runs `batches` in one submission, waiting for it. In a first-match
    /// search each batch after the first is dispatched indirectly, after its gate: with no
    /// workgroups once an earlier batch has had a hit.
    fn dispatch(&self, batches: &[Batch]) -> Result<Option<f64>> {
        let mut reset = vec![0u32];
        reset.extend([NONE, 0].repeat(batches.len()));
        // Both land with the submission below, before its passes.
        let ctx = &self.ctx;
        ctx.write_buffer(&self.results, 0, bytemuck::cast_slice(&reset));
        if let Some((_, args)) = &self.gate {
            let counts: Vec<u32> = batches
                .iter()
                .flat_map(|b| [b.groups.0, b.groups.1, 1])
                .collect();
            ctx.write_buffer(args, 0, bytemuck::cast_slice(&counts));
        }
        submit_pass(&self.ctx, self.timer.as_ref(), "sha256", |pass| {
            for (slot, b) in batches.iter().enumerate() {
                match (&self.gate, &b.gate) {
                    (Some((gate, args)), Some(gate_group)) if slot > 0 => {
                        gate.dispatch(pass, gate_group, (1, 1));
                        let offset = slot as u64 * ARGS_BYTES;
                        self.kernel.dispatch_indirect(pass, &b.group, args, offset);
                    }
                    _ => self.kernel.dispatch(pass, &b.group, b.groups),
                }
            }
        })
    }

    /// Reads the slots of `batches` back: the smallest hit of the first batch with one, and
    /// the matches of all. In a first-match search no batch after the first with a hit may have
    /// run: one that reports a hit means the gate let it through (a missing barrier), an error.
    fn collect(&self, batches: &[Batch]) -> Result<(Option<u64>, u64)> {
        let words: Vec<u32> = self.readback.read_one(&self.ctx, &self.results)?;
        let (mut first, mut matches) = (None, 0u64);
        for (b, slot) in batches.iter().zip(words[1..].chunks_exact(2)) {
            let (offset, hits) = (slot[0], slot[1]);
            if offset != NONE {
                if offset as u64 >= b.count {
                    return Err(self.ctx.error(format!(
                        "sha256 kernel reported offset {offset} in a batch of {}",
                        b.count
                    )));
                }
                if let (Some(earlier), Some(_)) = (first, &self.gate) {
                    return Err(self.ctx.error(format!(
                        "sha256 batch from nonce {} ran after the hit at nonce {earlier}: its \
                         gate did not skip it",
                        b.base
                    )));
                }
                first = first.or(Some(b.base + offset as u64));
            }
            matches += hits as u64;
        }
        Ok((first, matches))
    }

    /// Runs the search: an exhaustive one as one submission of every batch, then one readback
    /// of their slots; a first-match one in submissions of 1, 2, 4, … batches (each waited for
    /// and read back in the kernel stage: whether to go on depends on them), until one has a
    /// hit.
    pub fn run(&mut self, clock: Inputs) -> Result<(Found, RunTiming)> {
        // No input data: the prefix is compiled into the pipeline, the batches bound.
        let kernel = clock.ready(0);
        if self.search.exhaustive {
            let all = &self.submissions[0];
            let results = kernel.done(self.dispatch(all)?);
            let (first, matches) = self.collect(all)?;
            return Ok((
                Found::from_scan(&self.search, first, matches),
                results.on_host(16),
            ));
        }
        let (mut first, mut matches) = (None, 0u64);
        let mut device_seconds = self.timer.as_ref().map(|_| 0.0);
        let mut next = 0;
        while first.is_none() && (next < self.submissions.len() || self.plan_next()?) {
            let batches = &self.submissions[next];
            device_seconds =
                crate::workloads::add_device_time(device_seconds, self.dispatch(batches)?);
            let (f, m) = self.collect(batches)?;
            first = f;
            matches += m;
            next += 1;
        }
        let results = kernel.done(device_seconds);
        Ok((
            Found::from_scan(&self.search, first, matches),
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
