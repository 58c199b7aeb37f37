//! GPU ceilings: the WGSL microkernels of shaders/peak_compute.wgsl and shaders/peak_memory.wgsl,
//! copies between host and device, and the empty-dispatch round trip, on one adapter.
//!
//! Each sample is one compute pass, timed on the device where the adapter has timestamp queries
//! and by the wall clock (submit to finished) where it has not; the kernels loop inside the
//! dispatch (params.iterations, params.passes), so a sample is one dispatch however fast the
//! device is, and dispatch overhead does not lower a ceiling.

use super::{measure_rate, theory, BackendCeilings, Budget, Ceiling, Measure, MemLevel, Sampled};
use crate::error::Result;
use crate::gpu::{submit_pass, ComputeKernel, GpuContext, GpuTimer, Readback, ShaderBuild};
use std::sync::Arc;
use std::time::Instant;

/// The WGSL source of the compute microkernels.
pub const COMPUTE_WGSL: &str = include_str!("../../shaders/peak_compute.wgsl");
/// The WGSL source of the bandwidth microkernels.
pub const MEMORY_WGSL: &str = include_str!("../../shaders/peak_memory.wgsl");

/// Invocations per workgroup in both shaders (their `@workgroup_size`, checked by the tests).
const WORKGROUP_SIZE: u64 = 256;
/// vec4 elements in peak_memory.wgsl's workgroup tile (16 KiB, WebGPU's default limit).
const TILE: u64 = 1024;
/// Lanes of work one compute turn does per invocation: 8 chains of vec4.
const LANES_PER_TURN: f64 = 32.0;
/// Operations per chain per turn of the integer kernels: their ring is written out four times
/// in the loop (shaders/peak_compute.wgsl says why).
const INT_UNROLL: f64 = 4.0;

/// Mirrors `PeakParams` in shaders/peak_compute.wgsl; the tests below check the layouts agree.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct PeakParams {
    iterations: u32,
    no_fuse: u32,
    seed: u32,
    _pad: u32,
}

/// Mirrors `MemoryParams` in shaders/peak_memory.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct MemoryParams {
    n: u32,
    passes: u32,
    seed: u32,
    scalar: f32,
    rotate: u32,
    _pad: [u32; 3],
}

/// The bits of a quiet NaN: `params.seed` of the memory kernels, which no sum equals.
const NAN_SEED: u32 = 0x7fc0_5eed;

/// The compute entry points: measure, entry, flops or ops per lane per turn.
const COMPUTE: [(Measure, &str, f64); 5] = [
    (Measure::F32Fma, "f32_fma", 2.0),
    (Measure::F32MulAdd, "f32_mul_add", 2.0),
    (Measure::IntAdd, "int_add", INT_UNROLL),
    (Measure::IntMul, "int_mul", INT_UNROLL),
    (Measure::IntLogic, "int_logic", INT_UNROLL),
];

/// Every kernel build this module compiles, for tests/shaders_validate.rs.
pub fn shader_builds() -> Vec<ShaderBuild> {
    let entry = |source: &'static str, name: &'static str| ShaderBuild {
        label: format!("peak {name}"),
        source,
        entry_point: name,
        constants: Vec::new(),
    };
    COMPUTE
        .iter()
        .map(|(_, name, _)| entry(COMPUTE_WGSL, name))
        .chain([entry(COMPUTE_WGSL, "empty")])
        .chain(["read_all", "triad", "workgroup_read"].map(|name| entry(MEMORY_WGSL, name)))
        .collect()
}

fn build(ctx: &GpuContext, source: &'static str, entry: &'static str) -> Result<ComputeKernel> {
    ComputeKernel::build(
        ctx,
        &ShaderBuild {
            label: format!("peak {entry}"),
            source,
            entry_point: entry,
            constants: Vec::new(),
        },
    )
}

/// One pass of `groups` workgroups of `kernel`, timed: device time where there is a timer (and
/// it read a sane value), else submit-to-finished wall time.
fn timed_pass(
    ctx: &GpuContext,
    timer: Option<&GpuTimer>,
    kernel: &ComputeKernel,
    bind_group: &wgpu::BindGroup,
    groups: u32,
) -> Result<f64> {
    let start = Instant::now();
    let device = submit_pass(ctx, timer, "peak", |pass| {
        kernel.dispatch(pass, bind_group, (groups, 1))
    })?;
    Ok(device.unwrap_or_else(|| start.elapsed().as_secs_f64()))
}

/// Measures every ceiling of the adapter behind `ctx`.
pub fn measure(ctx: &Arc<GpuContext>, budget: &Budget) -> Result<BackendCeilings> {
    let summary = ctx.summary().clone();
    let software = summary.software;
    let timer = GpuTimer::new(ctx)?;
    let mut ceilings = Vec::new();
    let mut notes = Vec::new();
    if timer.is_none() {
        notes.push("no timestamp queries: samples are submit-to-finished wall times".to_string());
    }

    // Compute. A software adapter runs on the CPU's cores: a few workgroups fill it.
    let groups: u32 = if software { 16 } else { 8192 };
    let invocations = groups as u64 * WORKGROUP_SIZE;
    let sink = ctx.buffer(
        "peak sink",
        invocations * 16,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
    )?;
    let uniform = ctx.uniform_with_data(
        "peak params",
        bytemuck::bytes_of(&PeakParams {
            iterations: 1,
            no_fuse: 0,
            seed: 1,
            _pad: 0,
        }),
    );
    // NVIDIA adapters: the SM clock during the compute kernels, for the theoretical peaks.
    let sampler = crate::gpu::telemetry::Sampler::start(&summary.name);
    for (measure, entry, per_lane) in COMPUTE {
        let kernel = build(ctx, COMPUTE_WGSL, entry)?;
        let bind_group = kernel.bind(ctx, &[&uniform, &sink])?;
        let per_turn = invocations as f64 * LANES_PER_TURN * per_lane;
        let sampled = measure_rate(budget, per_turn, |iterations| {
            let params = PeakParams {
                iterations: iterations.min(u32::MAX as u64 - 1) as u32,
                no_fuse: 0,
                seed: 1,
                _pad: 0,
            };
            ctx.write_buffer(&uniform, 0, bytemuck::bytes_of(&params));
            timed_pass(ctx, timer.as_ref(), &kernel, &bind_group, groups)
        })?;
        ceilings.push(sampled.ceiling(measure, None));
    }
    let sm_mhz = sampler
        .and_then(|s| s.finish())
        .map(|t| t.sm_clock_mhz_median as f64)
        .filter(|&m| m > 0.0);
    for c in &mut ceilings {
        c.theoretical = theory::gpu(&summary.name, c.measure, sm_mhz);
    }

    // Bandwidth: an L2-sized working set (1 MiB read, 3 × 512 KiB triad: within every current
    // GPU's L2) and one far beyond any L2 (256 MiB, 3 × 128 MiB; a software adapter's "VRAM" is
    // host memory: 32 MiB each, past this CPU's caches), both within one storage binding.
    let max_binding = ctx.limits().max_storage_buffer_binding_size;
    let largest = |want: u64| -> u64 { prev_power_of_two(want.min(max_binding)) };
    let vram = if software { 32 << 20 } else { 256 << 20 };
    // On a software adapter "L2" is the CPU's caches: a working set of a few MiB, within its
    // L3, which is the level's capacity (a row whose data fits the L3 is served from it).
    let cpu_l3 = super::cpu::CacheSizes::detect().l3;
    let (l2_read, l2_triad) = if software {
        (prev_power_of_two(cpu_l3 / 4), prev_power_of_two(cpu_l3 / 8))
    } else {
        (1 << 20, 512 << 10)
    };
    let levels: [(MemLevel, u64, u64); 2] = [
        (MemLevel::GpuL2, l2_read, l2_triad),
        (
            MemLevel::Vram,
            largest(vram),
            largest(if software { vram } else { vram / 2 }),
        ),
    ];
    let read = build(ctx, MEMORY_WGSL, "read_all")?;
    let triad = build(ctx, MEMORY_WGSL, "triad")?;
    for (level, read_bytes, triad_bytes) in levels {
        for (measure, kernel, bytes) in [
            (Measure::Read, &read, read_bytes),
            (Measure::Triad, &triad, triad_bytes),
        ] {
            let arrays = if measure == Measure::Triad { 3 } else { 1 };
            let n = bytes / 16;
            let mut c = memory_ceiling(ctx, timer.as_ref(), kernel, measure, n, software, |n| {
                n as f64 * 16.0 * arrays as f64
            })?
            .ceiling(measure, Some(level));
            c.working_set_bytes = Some(bytes * arrays);
            c.capacity_bytes = (level == MemLevel::GpuL2).then_some(if software {
                cpu_l3
            } else {
                bytes * arrays
            });
            if level == MemLevel::Vram && !software {
                c.theoretical = theory::gpu_memory(&summary.name);
            }
            ceilings.push(c);
        }
    }
    let workgroup = build(ctx, MEMORY_WGSL, "workgroup_read")?;
    let wg_groups: u64 = if software { 16 } else { 8192 };
    let mut c = memory_ceiling(
        ctx,
        timer.as_ref(),
        &workgroup,
        Measure::Read,
        wg_groups * WORKGROUP_SIZE,
        software,
        // Each invocation reads 4 vec4 per turn.
        |n| n as f64 * 64.0,
    )?
    .ceiling(Measure::Read, Some(MemLevel::Workgroup));
    c.working_set_bytes = Some(TILE * 16);
    c.capacity_bytes = Some(TILE * 16);
    ceilings.push(c);

    // Copies and the dispatch round trip.
    let copy_bytes = largest(if software { 32 << 20 } else { 256 << 20 });
    ceilings.extend(copies(ctx, copy_bytes, budget)?);
    let empty = build(ctx, COMPUTE_WGSL, "empty")?;
    let bind_group = empty.bind(ctx, &[&uniform, &sink])?;
    let latency = Sampled::latencies(budget.samples.max(6) * 3, || {
        let start = Instant::now();
        submit_pass(ctx, None, "peak empty", |pass| {
            empty.dispatch(pass, &bind_group, (1, 1))
        })?;
        Ok(start.elapsed().as_secs_f64())
    })?;
    ceilings.push(latency.ceiling(Measure::EmptyDispatch, None));

    Ok(BackendCeilings {
        backend: "gpu".to_string(),
        label: crate::backend::label("gpu", None, Some(&summary)),
        device: summary.name.clone(),
        software,
        threads: None,
        adapter: Some(summary.index),
        cpu_isa: None,
        ceilings,
        notes,
    })
}

/// The largest power of two at most `x` (at least 16 KiB: every kernel's smallest array).
fn prev_power_of_two(x: u64) -> u64 {
    let p = if x.is_power_of_two() {
        x
    } else {
        x.next_power_of_two() / 2
    };
    p.max(16 << 10)
}

/// Samples of one bandwidth kernel over arrays of `n` vec4 (a power of two, at least the
/// workgroup tile), `bytes(n)` moved per pass.
fn memory_ceiling(
    ctx: &GpuContext,
    timer: Option<&GpuTimer>,
    kernel: &ComputeKernel,
    measure: Measure,
    n: u64,
    software: bool,
    bytes: impl Fn(u64) -> f64,
) -> Result<Sampled> {
    let n = n.max(TILE);
    let budget = Budget::DEFAULT;
    let storage = |label: &str| {
        ctx.buffer(
            label,
            n * 16,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        )
    };
    let (a, b, c) = (storage("peak a")?, storage("peak b")?, storage("peak c")?);
    let uniform = ctx.uniform_with_data(
        "peak memory params",
        bytemuck::bytes_of(&MemoryParams {
            n: n as u32,
            passes: 1,
            seed: NAN_SEED,
            scalar: 3.0,
            rotate: u32::from(!software),
            _pad: [0; 3],
        }),
    );
    let buffers: Vec<&wgpu::Buffer> = if measure == Measure::Triad {
        vec![&uniform, &a, &b, &c]
    } else {
        vec![&uniform, &a, &b]
    };
    let bind_group = kernel.bind(ctx, &buffers)?;
    // At most one invocation per element; enough to fill a GPU (2^20), or the CPU cores of a
    // software adapter (2^14).
    let cap = if software { 1 << 14 } else { 1 << 20 };
    let groups = (n.min(cap) / WORKGROUP_SIZE).clamp(1, 65535) as u32;
    measure_rate(&budget, bytes(n), |passes| {
        let params = MemoryParams {
            n: n as u32,
            passes: passes.min(u32::MAX as u64) as u32,
            seed: NAN_SEED,
            scalar: 3.0,
            rotate: u32::from(!software),
            _pad: [0; 3],
        };
        ctx.write_buffer(&uniform, 0, bytemuck::bytes_of(&params));
        timed_pass(ctx, timer, kernel, &bind_group, groups)
    })
}

/// Host→device and device→host bandwidth with buffers of `bytes`.
fn copies(ctx: &GpuContext, bytes: u64, budget: &Budget) -> Result<Vec<Ceiling>> {
    let buffer = ctx.buffer(
        "peak copies",
        bytes,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
    )?;
    let host = vec![0x5au8; bytes as usize];
    let up = Sampled::latencies(budget.samples, || {
        crate::gpu::upload(ctx, &[(&buffer, &host)])
    })?;
    let readback = Readback::new(ctx, "peak readback", &[bytes])?;
    let down = Sampled::latencies(budget.samples, || {
        let start = Instant::now();
        std::hint::black_box(readback.read(ctx, &[&buffer])?);
        Ok(start.elapsed().as_secs_f64())
    })?;
    let mut out = Vec::new();
    for (measure, seconds) in [(Measure::HostToDevice, up), (Measure::DeviceToHost, down)] {
        let rates = Sampled {
            values: seconds.values.iter().map(|t| bytes as f64 / t).collect(),
        };
        let mut c = rates.ceiling(measure, None);
        c.working_set_bytes = Some(bytes);
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    crate::gpu::mirror::shader_mirror_test!(
        compute_params_and_workgroup_sizes_match_the_shader,
        [COMPUTE_WGSL],
        workgroups {
            "f32_fma" => WORKGROUP_SIZE,
            "f32_mul_add" => WORKGROUP_SIZE,
            "int_add" => WORKGROUP_SIZE,
            "int_mul" => WORKGROUP_SIZE,
            "int_logic" => WORKGROUP_SIZE,
        },
        structs { "PeakParams" => PeakParams { iterations, no_fuse, seed } },
    );
    crate::gpu::mirror::shader_mirror_test!(
        memory_params_and_workgroup_sizes_match_the_shader,
        [MEMORY_WGSL],
        workgroups {
            "read_all" => WORKGROUP_SIZE,
            "triad" => WORKGROUP_SIZE,
            "workgroup_read" => WORKGROUP_SIZE,
        },
        structs { "MemoryParams" => MemoryParams { n, passes, seed, scalar, rotate } },
    );

    #[test]
    fn powers_of_two_round_down() {
        assert_eq!(prev_power_of_two(128 << 20), 128 << 20);
        assert_eq!(prev_power_of_two((128 << 20) - 4), 64 << 20);
        assert_eq!(prev_power_of_two(1), 16 << 10);
    }
}
