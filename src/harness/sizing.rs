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
//! Each workload states its device-filling problem ([`Workload::device_size`], with the counts
//! behind it in its own module); this module decides when those sizes apply and which rows run
//! which.
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

use crate::backend::Backend;
use crate::workloads::{DeviceSize, Workload};

/// Whether an adapter of this device type (wgpu's `DeviceType` as `Debug` prints it) gets the
/// device-filling sizes: discrete and virtual (a datacenter GPU in a VM) GPUs only.
pub fn fills_device(device_type: &str) -> bool {
    matches!(device_type, "DiscreteGpu" | "VirtualGpu")
}

/// The device-filling problem ([`Workload::device_size`]) that the plan's `size` of `workload`
/// stands for: the workload's own, when `size` is its CPU size.
pub fn problem_of(workload: &dyn Workload, size: &str) -> Option<DeviceSize> {
    workload.device_size().filter(|d| d.cpu == size)
}

/// Whether `backend` runs the GPU size of a device-filling problem: a hardware GPU
/// ([`fills_device`]); every other backend runs the CPU size.
pub fn runs_gpu_sizes(backend: &Backend) -> bool {
    matches!(backend, Backend::Gpu(ctx) if fills_device(&ctx.summary().device_type))
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
            let d = w.device_size().unwrap_or_else(|| panic!("{}", w.name()));
            // Same problem: what precedes the repetitions (":...") is equal, except for the
            // searches and samplings of independent items, whose count is the repetition.
            let head = |s: &str| s.split(':').next().unwrap_or("").to_string();
            if !matches!(w.name(), "sha256" | "montecarlo") {
                assert_eq!(head(d.cpu), head(d.gpu), "{}", w.name());
            }
            assert_ne!(d.cpu, d.gpu, "{}", w.name());
            // Both sizes parse: the plan parses them before it measures anything.
            // A machine with less free memory than a size needs refuses it, as it should.
            for size in [d.cpu, d.gpu] {
                if let Err(e) = w.problem(size) {
                    let refused_for_memory = e.to_string().contains("is available");
                    assert!(refused_for_memory, "{} {size}: {e}", w.name());
                }
            }
            assert_eq!(problem_of(w.as_ref(), d.cpu), Some(d), "{}", w.name());
            assert_eq!(problem_of(w.as_ref(), d.gpu), None, "{}", w.name());
        }
    }
}
