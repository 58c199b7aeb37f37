//! Everything wgpu-specific that the workloads share: opening an adapter, turning wgpu's
//! asynchronous errors into `Result`s, building compute pipelines, uploading and reading back
//! buffers, and timing on the device with timestamp queries.
//!
//! Every GPU kernel of the crate (the workloads', Life's, the batch's) is built the same way: a
//! [`ComputeKernel`] compiled from its WGSL with one `PipelineOptions` value (entry point,
//! pipeline constants, workgroup-memory zeroing; runtime checks per `--checked-shaders`), bound
//! with [`ComputeKernel::bind`] (validation errors become `Err`), its outputs made with
//! [`poisoned_storage`], its dispatches recorded into one [`submit_pass`] (timed, waited for
//! under `--gpu-timeout`). In tests, `mirror` checks each host file's uniform structs and
//! workgroup sizes against its WGSL.

pub(crate) mod context;
mod kernel;
#[cfg(test)]
pub(crate) mod mirror;
pub mod telemetry;
mod timer;
pub mod transfers;
pub mod validation;
mod watchdog;

pub(crate) use context::PipelineOptions;
pub use context::{
    auto_pick, list_adapters, AdapterChoice, AdapterSummary, GpuContext, GpuSettings, HostSyncs,
};
pub use kernel::{
    cast_vec, poisoned_storage, submit_pass, upload, ComputeKernel, Readback, ShaderBuild,
};
pub use timer::GpuTimer;
pub use transfers::Transfers;

/// Largest number of workgroups per dimension that every adapter supports (wgpu's default limit).
pub const MAX_GROUPS_PER_DIMENSION: u32 = 65535;

/// Splits `groups` workgroups into an (x, y) dispatch with x ≤ 65535, so that grids larger than
/// 65535 workgroups still run. Kernels rebuild the flat index as `id.x + id.y * num_workgroups.x *
/// workgroup_size`, and skip the few invocations past the end.
///
/// The rows are as few as the limit allows (y = ⌈g / 65535⌉) and as even as can be
/// (x = ⌈g / y⌉), so at most y − 1 workgroups past `groups` are launched: fixing x at 65535
/// instead launched up to a third more than needed (65536 groups became 2 × 65535).
pub fn dispatch_size(groups: u64) -> (u32, u32) {
    let groups = groups.max(1);
    let y = groups.div_ceil(MAX_GROUPS_PER_DIMENSION as u64);
    let x = groups.div_ceil(y);
    (x as u32, y as u32)
}

#[cfg(test)]
mod tests {
    use super::{dispatch_size, MAX_GROUPS_PER_DIMENSION};

    #[test]
    fn dispatch_folds_large_counts() {
        assert_eq!(dispatch_size(0), (1, 1));
        assert_eq!(dispatch_size(1), (1, 1));
        assert_eq!(dispatch_size(65535), (65535, 1));
        assert_eq!(dispatch_size(65536), (32768, 2));
        // 2^20 groups: 17 rows of 61681 (1,048,577 launched), not 17 rows of 65535 (1,114,095).
        assert_eq!(dispatch_size(1 << 20), (61681, 17));
    }

    #[test]
    fn dispatch_covers_every_group_with_less_than_one_row_to_spare() {
        let max = MAX_GROUPS_PER_DIMENSION as u64;
        for groups in (1..300)
            .chain([
                max - 1,
                max,
                max + 1,
                2 * max - 1,
                2 * max,
                2 * max + 1,
                3 * max + 7,
            ])
            .chain([1 << 20, (1 << 24) + 3, 4_294_836_225])
        {
            let (x, y) = dispatch_size(groups);
            let (x, y) = (x as u64, y as u64);
            assert!(
                x <= max && y <= max,
                "{groups}: ({x}, {y}) beyond the limit"
            );
            assert!(x * y >= groups, "{groups}: ({x}, {y}) misses groups");
            // Fewer than y spare groups: one fewer per row would not cover them all.
            assert!(x * y - groups < y, "{groups}: ({x}, {y}) launches too many");
            assert_eq!(y, groups.div_ceil(max), "{groups}: more rows than needed");
        }
    }
}
