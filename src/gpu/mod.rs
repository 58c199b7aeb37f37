//! Everything wgpu-specific that the workloads share: opening an adapter, turning wgpu's
//! asynchronous errors into `Result`s, building compute pipelines, uploading and reading back
//! buffers, and timing on the device with timestamp queries.

pub(crate) mod context;
mod kernel;
mod timer;

pub use context::{auto_pick, list_adapters, AdapterChoice, AdapterSummary, GpuContext};
pub use kernel::{cast_vec, poisoned_storage, submit_pass, upload, Kernel, Readback};
pub use timer::GpuTimer;

/// Largest number of workgroups per dimension that every adapter supports (wgpu's default limit).
pub const MAX_GROUPS_PER_DIMENSION: u32 = 65535;

/// Splits `groups` workgroups into an (x, y) dispatch with x ≤ 65535, so that grids larger than
/// 65535 workgroups still run. Kernels rebuild the flat index as `id.x + id.y * num_workgroups.x *
/// workgroup_size`, and skip the few invocations past the end.
pub fn dispatch_size(groups: u64) -> (u32, u32) {
    let groups = groups.max(1);
    let x = groups.min(MAX_GROUPS_PER_DIMENSION as u64) as u32;
    let y = groups.div_ceil(x as u64) as u32;
    (x, y)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dispatch_folds_large_counts() {
        assert_eq!(super::dispatch_size(1), (1, 1));
        assert_eq!(super::dispatch_size(65535), (65535, 1));
        let (x, y) = super::dispatch_size(1 << 20);
        assert!(x as u64 * y as u64 >= 1 << 20 && y > 1);
    }
}
