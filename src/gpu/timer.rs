//! Device time from timestamp queries: a pair of timestamps around a compute pass.

use super::GpuContext;
use crate::error::Result;

/// Measures the device time of compute passes with a begin/end timestamp pair.
///
/// Use [`GpuTimer::pass_writes`] as the pass's `timestamp_writes`, call [`GpuTimer::resolve`]
/// on the same encoder after the pass, submit, then [`GpuTimer::read_seconds`] (which waits).
pub struct GpuTimer {
    queries: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    staging: wgpu::Buffer,
    period_ns: f64,
}

impl GpuTimer {
    /// A timer, or `None` where the device has no timestamp queries.
    pub fn new(ctx: &GpuContext) -> Result<Option<GpuTimer>> {
        if !ctx.has_timestamps() {
            return Ok(None);
        }
        let queries = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("timestamps"),
            ty: wgpu::QueryType::Timestamp,
            count: 2,
        });
        let resolve = ctx.buffer(
            "timestamp resolve",
            16,
            wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
        )?;
        let staging = ctx.buffer(
            "timestamp staging",
            16,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        Ok(Some(GpuTimer {
            queries,
            resolve,
            staging,
            period_ns: ctx.queue.get_timestamp_period() as f64,
        }))
    }

    /// Timestamp writes at the beginning and end of a compute pass.
    pub fn pass_writes(&self) -> wgpu::ComputePassTimestampWrites<'_> {
        wgpu::ComputePassTimestampWrites {
            query_set: &self.queries,
            beginning_of_pass_write_index: Some(0),
            end_of_pass_write_index: Some(1),
        }
    }

    /// Records the copy of the two timestamps into the readable buffer.
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.resolve_query_set(&self.queries, 0..2, &self.resolve, 0);
        encoder.copy_buffer_to_buffer(&self.resolve, 0, &self.staging, 0, 16);
    }

    /// Waits for the device and returns the timed pass's duration in seconds, or `None` for a
    /// nonsense reading (end before start), which some drivers occasionally give.
    pub fn read_seconds(&self, ctx: &GpuContext) -> Result<Option<f64>> {
        let bytes = ctx.map_and_read_uncounted(&self.staging, 16)?;
        let stamp = |i: usize| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap());
        let (start, end) = (stamp(0), stamp(1));
        if end < start {
            return Ok(None);
        }
        Ok(Some((end - start) as f64 * self.period_ns * 1e-9))
    }
}
