//! The validation capture works: a real Khronos validation-layer error, provoked on purpose
//! through wgpu-hal's raw Vulkan device, is seen by the scope of the trial that caused it and
//! fails that trial naming the message; and the layer is there at all where CI requires it.

mod common;

use libtest_mimic::Failed;
use speedup::gpu::validation::{self, Availability, Severity};
use speedup::gpu::GpuContext;
use std::sync::Arc;

fn main() {
    let mut suite = common::Suite::new(file!());
    suite.per_validated_vulkan(
        "a_provoked_validation_error_fails_the_trial_that_caused_it",
        a_provoked_validation_error_fails_the_trial_that_caused_it,
    );
    common::trials!(suite.test(the_layer_is_installed_where_required));
    suite.run()
}

/// The message id of the error provoked below: a buffer created with no usage at all.
const PROVOKED: &str = "VUID-VkBufferCreateInfo-usage-requiredbitmask";

/// Creates a `VkBuffer` with an empty usage mask, which the Vulkan spec forbids (and which no
/// driver minds: lavapipe and SwiftShader create it), then destroys it.
fn provoke(ctx: &GpuContext) {
    // SAFETY: the raw device is only used while `ctx` holds it, for one create/destroy pair
    // that wgpu never sees.
    let hal = unsafe { ctx.device.as_hal::<wgpu::hal::api::Vulkan>() }
        .expect("a Vulkan adapter has a Vulkan device");
    let raw = hal.raw_device();
    let info = ash::vk::BufferCreateInfo::default()
        .size(256)
        .usage(ash::vk::BufferUsageFlags::empty())
        .sharing_mode(ash::vk::SharingMode::EXCLUSIVE);
    // SAFETY: a valid device and create-info (apart from the usage the layer is to flag); the
    // buffer, if made, is destroyed at once and bound to no memory.
    unsafe {
        if let Ok(buffer) = raw.create_buffer(&info, None) {
            raw.destroy_buffer(buffer, None);
        }
    }
}

fn a_provoked_validation_error_fails_the_trial_that_caused_it(ctx: &Arc<GpuContext>) {
    // A clean scope first: the same context, used properly, reports no error.
    let clean = common::checked("clean", || {
        ctx.buffer("clean", 256, wgpu::BufferUsages::STORAGE)
            .map(drop)
            .map_err(|e| Failed::from(e.to_string()))
    });
    assert!(clean.is_ok(), "a valid buffer failed the scope: {clean:?}");

    // The provoked error, inside a scope of its own, as a trial's body would cause it.
    let outcome = common::checked("provoked", || {
        provoke(ctx);
        Ok(())
    });
    let message = outcome
        .expect_err("a validation error passed the scope that caused it")
        .message()
        .map(str::to_string)
        .unwrap_or_default();
    assert!(
        message.contains(PROVOKED) && message.contains("validation error"),
        "the failure does not name the message: {message}"
    );

    // It was filed under its scope alone: nothing leaked to this trial's own scope or to none.
    assert!(
        validation::take_unscoped()
            .iter()
            .all(|m| m.severity != Severity::Error),
        "an error escaped its scope"
    );
    let file = validation::warnings_file().expect("the suite names a warnings file");
    let text = std::fs::read_to_string(file).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("error\t{PROVOKED}\tprovoked\t"))),
        "the error is not in {}",
        file.display()
    );
}

fn the_layer_is_installed_where_required() {
    if let Availability::Missing(why) = validation::availability() {
        assert!(
            !common::validation_required(),
            "SPEEDUP_REQUIRE_VALIDATION=1 but {why}"
        );
        eprintln!("note: {why}");
    }
}
