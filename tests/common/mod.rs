//! Shared test helpers: every backend available on this machine, GPU adapters included.
#![allow(dead_code)]

use speedup::backend::Backend;
use speedup::gpu::GpuContext;
use std::sync::{Arc, OnceLock};

/// Every GPU adapter on this machine, opened once per test binary. Without one, GPU tests are
/// skipped with a printed reason, unless SPEEDUP_REQUIRE_GPU=1 (set in CI), where they fail.
pub fn gpu_contexts() -> Vec<Arc<GpuContext>> {
    static CONTEXTS: OnceLock<Vec<Arc<GpuContext>>> = OnceLock::new();
    CONTEXTS
        .get_or_init(|| {
            let mut out = Vec::new();
            for ctx in GpuContext::open_all() {
                match ctx {
                    Ok(c) => out.push(c),
                    Err(e) => eprintln!("note: an adapter could not be opened: {e}"),
                }
            }
            let required = std::env::var("SPEEDUP_REQUIRE_GPU").is_ok_and(|v| v == "1");
            if out.is_empty() {
                if required {
                    panic!("SPEEDUP_REQUIRE_GPU=1 but no GPU adapter could be opened (install mesa-vulkan-drivers libvulkan1)");
                }
                eprintln!("skipping GPU tests: no GPU adapter found (install mesa-vulkan-drivers libvulkan1 for lavapipe)");
            }
            out
        })
        .clone()
}

/// Serial, Rayon (with an odd thread count, so bands are uneven) and every GPU adapter.
pub fn all_backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Serial, Backend::Rayon { threads: 3 }];
    backends.extend(gpu_contexts().into_iter().map(Backend::Gpu));
    backends
}

/// Every backend with every Life kernel: (backend, kernel) pairs.
pub fn all_engines() -> Vec<(Backend, speedup::life::Kernel)> {
    use speedup::life::Kernel;
    let mut out = Vec::new();
    for backend in all_backends() {
        out.push((backend.clone(), Kernel::Naive));
        out.push((backend.clone(), Kernel::Tiled));
        out.push((backend, Kernel::Packed));
    }
    out
}

/// A readable name for a backend in assertion messages.
pub fn label(backend: &Backend) -> String {
    match backend {
        Backend::Gpu(ctx) => format!("gpu[{}]", ctx.summary().label()),
        other => other.name().to_string(),
    }
}
