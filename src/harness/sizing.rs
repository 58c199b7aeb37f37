//! Default sizes that fill the hardware present (issue 12, item 2).
//!
//! `speedup bench`'s own default sizes give a datacenter GPU 1–3 ms of work per row, which
//! measures launch overhead, not the GPU. When the default sizes are in use and a hardware GPU
//! (device type `DiscreteGpu` or `VirtualGpu`) is among the backends, each workload instead runs
//! one problem at a size that fills such a GPU: the GPU row does enough repetitions for at
//! least ~50 ms of device time, and the CPU rows run the *same problem* (grid, image, body
//! count, array length) with fewer repetitions so serial stays within seconds. Their speedups are
//! then throughput ratios, marked as such in the report.
//!
//! The sizes are **estimated**, not calibrated by a probe run: each GPU size is the one the
//! counted expectations of docs/performance.md ("Expected on an H100/H200") put at 50–150 ms of
//! device time on an H100/H200. A probe would have to run each workload at device-filling size
//! once more before measuring (pipeline compilation included, and a first run on a real driver
//! is the slowest), which costs about what it saves; and a fixed table keeps the default bench
//! the same problem from one machine to the next, so two reports compare row for row. A GPU ten
//! times slower than an H100 spends ~10× longer per GPU run, still seconds per row; for much
//! smaller GPUs use `--quick` or `--sizes`.
//!
//! Software adapters (device type `Cpu`, lavapipe/llvmpipe) are CPU timings and cannot reach
//! these sizes in reasonable time; integrated GPUs share host memory (the STREAM size alone is
//! 3 GiB) and are far smaller; both keep the workloads' own default sizes, as does every
//! `Other` adapter whose kind is unknown.

/// One problem at a device-filling size: the size its GPU rows run and the size its CPU rows
/// run, both the same grid/image/body count/array with different repetitions (or, for the
/// searches and samplings made of independent items, different item counts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSize {
    /// The workload's name, e.g. "life".
    pub workload: String,
    /// The size serial and rayon rows run (the workload's notation).
    pub cpu: String,
    /// The size rows on a device-filling GPU run.
    pub gpu: String,
    /// The shared problem in words, e.g. "16384x16384 torus": what the rows' speedups compare.
    pub problem: String,
}

/// Whether an adapter of this device type (wgpu's `DeviceType` as `Debug` prints it) gets the
/// device-filling sizes: discrete and virtual (a datacenter GPU in a VM) GPUs only.
pub fn fills_device(device_type: &str) -> bool {
    matches!(device_type, "DiscreteGpu" | "VirtualGpu")
}

/// The device-filling problem of `workload` (a registry name), `None` for a workload without one.
///
/// Device time on an H200 from the counted expectations (docs/performance.md), and the serial
/// time per CPU run on the 2-core EPYC guest's measured serial throughputs:
/// - life, life-tiled: 16384² × 3000 gens, 8.1e11 cell-updates at 1.0e13–1.5e13/s: 54–81 ms;
///   CPU 20 gens, 5.4e9 at 4e10/s: 0.14 s;
/// - life-naive: 8192² × 400 gens, 2.7e10 at 4e11–5e11/s: 54–67 ms (the same work as 16384² ×
///   100 with a quarter of the memory); CPU 1 gen, 6.7e7 at 5e7/s: 1.3 s;
/// - mandelbrot: 8192² at max_iter 4000, about the 8e10 iterations of 16384² at 1000 (a quarter
///   of the pixels, the inside ones iterating 4× longer): 30–80 ms; CPU max_iter 20;
/// - nbody: 65536 bodies (256 workgroups, ~16 warps per SM) × 30 steps, 1.3e11 interactions at
///   1.5e12–2.5e12/s: 52–86 ms; CPU 1 step, 4.3e9 at 4.7e8/s: 9 s (the one slow serial row: a
///   smaller body count would not fill the GPU);
/// - sha256: 2^29 nonces at difficulty 64 (no early stop), at 4e9–8e9/s: 67–134 ms; CPU 2^24;
/// - montecarlo: 2^35 samples at 4e11–6e11/s: 57–85 ms; CPU 2^28;
/// - stream: 2^28 floats × 70 triads, 2.3e11 bytes at ≥ 4.08e12 B/s: ~55 ms; CPU 2 triads.
pub fn device_size(workload: &str) -> Option<DeviceSize> {
    let (cpu, gpu, problem) = match workload {
        "life" | "life-tiled" => ("16384x16384:20", "16384x16384:3000", "16384x16384 torus"),
        "life-naive" => ("8192x8192:1", "8192x8192:400", "8192x8192 torus"),
        "mandelbrot" => ("8192x8192:20", "8192x8192:4000", "8192x8192 image"),
        "nbody" => ("65536:1", "65536:30", "65536 bodies"),
        "sha256" => ("2^24:64", "2^29:64", "nonce search at difficulty 64"),
        "montecarlo" => ("2^28", "2^35", "pi by sampling"),
        "stream" => ("2^28:2", "2^28:70", "2^28 floats"),
        _ => return None,
    };
    Some(DeviceSize {
        workload: workload.to_string(),
        cpu: cpu.to_string(),
        gpu: gpu.to_string(),
        problem: problem.to_string(),
    })
}

/// The size `backend` runs for `workload` at the plan's `size`: the GPU size of a matching
/// [`DeviceSize`] on a device-filling GPU, `size` itself everywhere else.
pub fn size_on<'a>(
    sizes: &'a [DeviceSize],
    workload: &str,
    size: &'a str,
    backend: &crate::backend::Backend,
) -> &'a str {
    match (backend, problem_of(sizes, workload, size)) {
        (crate::backend::Backend::Gpu(ctx), Some(d))
            if fills_device(&ctx.summary().device_type) =>
        {
            &d.gpu
        }
        _ => size,
    }
}

/// The device-filling problem that the plan's `size` of `workload` stands for, if any.
pub fn problem_of<'a>(
    sizes: &'a [DeviceSize],
    workload: &str,
    size: &str,
) -> Option<&'a DeviceSize> {
    sizes
        .iter()
        .find(|d| d.workload == workload && d.cpu == size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hardware_gpus_fill_the_device() {
        assert!(fills_device("DiscreteGpu"));
        assert!(fills_device("VirtualGpu"));
        for other in ["Cpu", "IntegratedGpu", "Other", "", "discretegpu"] {
            assert!(!fills_device(other), "{other}");
        }
    }

    #[test]
    fn every_workload_has_a_problem_shared_by_its_cpu_and_gpu_sizes() {
        for w in crate::workloads::all() {
            let d = device_size(w.name()).unwrap_or_else(|| panic!("{}", w.name()));
            // Same problem: what precedes the repetitions (":...") is equal, except for the
            // searches and samplings of independent items, whose count is the repetition.
            let head = |s: &str| s.split(':').next().unwrap_or("").to_string();
            if !matches!(w.name(), "sha256" | "montecarlo") {
                assert_eq!(head(&d.cpu), head(&d.gpu), "{}", w.name());
            }
            assert_ne!(d.cpu, d.gpu, "{}", w.name());
        }
        assert_eq!(device_size("no-such-workload"), None);
    }
}
