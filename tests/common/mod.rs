//! Shared test helpers: one test body stamped into one trial per backend (serial, Rayon with an
//! odd thread count, each GPU adapter), and per Life kernel where the body takes one, so that
//! `cargo test` names the backend that fails: `matches_reference_for_few_generations::
//! gpu_software_llvmpipe_vulkan::tiled`. A trial's backend part is its [`Backend::label`] made
//! into a name ("rayon (3 threads)" -> `rayon_3_threads`).
//!
//! The test files that use [`Suite`] are built with `harness = false` (Cargo.toml) and run by
//! libtest-mimic, because libtest's `#[ignore]` is fixed when the test is compiled, while whether
//! this machine has a GPU adapter is known only when the tests run. Where none exists, GPU
//! trials are reported **ignored**, not passed; with `SPEEDUP_REQUIRE_GPU=1` (set in CI) they
//! fail instead. `cargo test NAME`, `--ignored`, `--list` and `--test-threads` work as usual.
#![allow(dead_code)]

use libtest_mimic::{Arguments, Failed, Trial};
use speedup::backend::Backend;
use speedup::gpu::{AdapterChoice, AdapterSummary, GpuContext};
use speedup::isa::Isa;
use speedup::life::Kernel;
use std::sync::{Arc, OnceLock};

/// Rayon's pool in per-backend trials: odd, so a grid's rows split into uneven bands.
pub const RAYON_THREADS: usize = 3;

/// How to get lavapipe, said wherever GPU trials cannot run.
const NO_ADAPTER: &str =
    "no GPU adapter found (install mesa-vulkan-drivers libvulkan1 for lavapipe)";

/// Whether GPU trials must run (CI sets SPEEDUP_REQUIRE_GPU=1, so they fail rather than skip).
fn gpu_required() -> bool {
    std::env::var("SPEEDUP_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

/// This machine's GPU adapters: listed once per test binary (cheap: no device is created), each
/// opened when its first trial runs, and only once (llvmpipe's GL adapter takes seconds to open).
struct Adapters {
    listed: Vec<AdapterSummary>,
    opened: Vec<OnceLock<Result<Arc<GpuContext>, String>>>,
}

fn adapters() -> &'static Adapters {
    static ADAPTERS: OnceLock<Adapters> = OnceLock::new();
    ADAPTERS.get_or_init(|| {
        let listed = speedup::gpu::list_adapters();
        let opened = listed.iter().map(|_| OnceLock::new()).collect();
        Adapters { listed, opened }
    })
}

/// The adapter listed at `index`, opened (once per binary).
fn open_adapter(index: usize) -> Result<Arc<GpuContext>, String> {
    let all = adapters();
    all.opened[index]
        .get_or_init(|| {
            let ctx = GpuContext::open(&AdapterChoice::Index(index)).map_err(|e| e.to_string())?;
            // The index is the one `list_adapters` gave; a second enumeration must agree.
            let (listed, got) = (&all.listed[index], ctx.summary());
            if (&got.name, &got.backend) != (&listed.name, &listed.backend) {
                return Err(format!(
                    "adapter {index} was {} ({}) when listed, {} ({}) when opened",
                    listed.name, listed.backend, got.name, got.backend
                ));
            }
            Ok(ctx)
        })
        .clone()
}

/// A backend a trial runs on, named before it is opened.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Serial,
    Rayon,
    /// The adapter with this index in `list_adapters`.
    Gpu(usize),
    /// The GPU trial of a machine without adapters: ignored, or failed where GPUs are required.
    NoGpu,
}

impl Slot {
    /// Serial, Rayon, and each adapter (or the [`Slot::NoGpu`] stand-in when there is none).
    fn every() -> Vec<Slot> {
        let mut slots = vec![Slot::Serial, Slot::Rayon];
        slots.extend(Slot::gpus());
        slots
    }

    /// Each adapter, or the [`Slot::NoGpu`] stand-in.
    fn gpus() -> Vec<Slot> {
        match adapters().listed.len() {
            0 => vec![Slot::NoGpu],
            n => (0..n).map(Slot::Gpu).collect(),
        }
    }

    /// The part of a trial's name that says the backend: its label as a name, plus the
    /// adapter's index where two adapters would have the same name.
    fn name(self) -> String {
        let listed = &adapters().listed;
        let label = match self {
            Slot::Serial => speedup::backend::label("serial", None, None),
            Slot::Rayon => speedup::backend::label("rayon", Some(RAYON_THREADS), None),
            Slot::Gpu(i) => speedup::backend::label("gpu", None, Some(&listed[i])),
            Slot::NoGpu => return "gpu".to_string(),
        };
        let name = as_name(&label);
        match self {
            Slot::Gpu(i)
                if (listed.iter().enumerate()).any(|(j, other)| {
                    j != i && as_name(&speedup::backend::label("gpu", None, Some(other))) == name
                }) =>
            {
                format!("{name}_{i}")
            }
            _ => name,
        }
    }

    /// Whether libtest should leave the trial out unless asked (`--ignored`).
    fn ignored(self) -> bool {
        matches!(self, Slot::NoGpu) && !gpu_required()
    }

    fn open(self) -> Result<Backend, Failed> {
        match self {
            Slot::Serial => Ok(Backend::Serial),
            Slot::Rayon => Ok(Backend::Rayon {
                threads: RAYON_THREADS,
            }),
            Slot::Gpu(i) => open_adapter(i)
                .map(Backend::Gpu)
                .map_err(|e| format!("cannot open GPU adapter {i}: {e}").into()),
            Slot::NoGpu if gpu_required() => {
                Err(format!("SPEEDUP_REQUIRE_GPU=1 but {NO_ADAPTER}").into())
            }
            Slot::NoGpu => Err(NO_ADAPTER.into()),
        }
    }
}

/// The instruction-set levels code for this architecture can be compiled for (whether or not
/// this CPU runs them): scalar, and SSE2, AVX2, AVX-512 on x86-64 or NEON on aarch64.
fn levels_of_this_architecture() -> impl Iterator<Item = Isa> {
    Isa::ALL.into_iter().filter(|isa| match isa {
        Isa::Scalar => true,
        Isa::Sse2 | Isa::Avx2 | Isa::Avx512 => cfg!(target_arch = "x86_64"),
        Isa::Neon => cfg!(target_arch = "aarch64"),
    })
}

/// "gpu (software: llvmpipe, Vulkan)" -> "gpu_software_llvmpipe_vulkan": lower case, each run of
/// other characters one underscore, so the name is one word for `cargo test` filters.
fn as_name(label: &str) -> String {
    let mut name = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
    }
    name.trim_end_matches('_').to_string()
}

/// The trials of one test binary; [`Suite::run`] runs them as libtest would.
pub struct Suite {
    trials: Vec<Trial>,
}

impl Suite {
    /// An empty suite for the test file `file` (pass `file!()`). Its first trial checks that the
    /// file has no `#[test]` functions: with `harness = false` those would never run.
    pub fn new(file: &'static str) -> Suite {
        let mut suite = Suite { trials: Vec::new() };
        suite.test("every_test_is_a_trial", move || {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            let attribute = concat!("#[", "test]");
            assert!(
                !text.contains(attribute),
                "{file} has a {attribute} function, which never runs in a harness = false \
                 test file: add it to the suite in main() instead"
            );
        });
        suite
    }

    /// A test that does not depend on the backend, named `name`.
    pub fn test(&mut self, name: &str, body: impl FnOnce() + Send + 'static) {
        self.trials.push(Trial::test(name, move || {
            body();
            Ok(())
        }));
    }

    /// `body` on serial, Rayon and each GPU adapter: one trial each, `name::BACKEND`.
    pub fn per_backend(&mut self, name: &str, body: impl Fn(&Backend) + Send + Sync + 'static) {
        self.stamp(name, Slot::every(), body);
    }

    /// `body` on each GPU adapter: one trial each, `name::BACKEND`.
    pub fn per_gpu(&mut self, name: &str, body: impl Fn(&Arc<GpuContext>) + Send + Sync + 'static) {
        self.stamp(name, Slot::gpus(), move |backend| {
            body(backend.gpu().expect("a GPU slot opens a GPU backend"))
        });
    }

    /// `body` on each backend with each Life kernel: `name::BACKEND::KERNEL`.
    pub fn per_engine(
        &mut self,
        name: &str,
        body: impl Fn(&Backend, Kernel) + Send + Sync + 'static,
    ) {
        let body = Arc::new(body);
        for kernel in Kernel::ALL {
            let body = body.clone();
            self.stamp_named(name, &format!("::{kernel}"), Slot::every(), move |b| {
                body(b, kernel)
            });
        }
    }

    /// `body` on serial and Rayon at each instruction-set level of this architecture, forced
    /// with [`Isa::forced_here`] around the whole body (so what it prepares runs at that
    /// level): `name::serial_avx2`, `name::rayon_3_threads_avx2`, ... A level this CPU lacks
    /// (AVX-512 on most desktops) is reported **ignored**, with the reason printed by
    /// [`Suite::run`]; run with `--ignored` it fails, saying the CPU cannot run it.
    pub fn per_cpu_level(
        &mut self,
        name: &str,
        body: impl Fn(&Backend, Isa) + Send + Sync + 'static,
    ) {
        let body = Arc::new(body);
        for isa in levels_of_this_architecture() {
            for slot in [Slot::Serial, Slot::Rayon] {
                let body = body.clone();
                let trial = Trial::test(format!("{name}::{}_{isa}", slot.name()), move || {
                    let backend = slot.open()?;
                    isa.forced_here(|| body(&backend, isa))
                        .map_err(|e| Failed::from(e.to_string()))
                });
                self.trials
                    .push(trial.with_ignored_flag(!isa.is_supported()));
            }
        }
    }

    /// `body` on one backend given here (a second Rayon pool size, say): `name::BACKEND`.
    pub fn on(
        &mut self,
        name: &str,
        backend: Backend,
        body: impl FnOnce(&Backend) + Send + 'static,
    ) {
        let trial = format!("{name}::{}", as_name(&backend.label()));
        self.test(&trial, move || body(&backend));
    }

    fn stamp(
        &mut self,
        name: &str,
        slots: Vec<Slot>,
        body: impl Fn(&Backend) + Send + Sync + 'static,
    ) {
        self.stamp_named(name, "", slots, body);
    }

    /// One trial per slot, `name::SLOT` + `suffix`, each opening its backend when it runs.
    fn stamp_named(
        &mut self,
        name: &str,
        suffix: &str,
        slots: Vec<Slot>,
        body: impl Fn(&Backend) + Send + Sync + 'static,
    ) {
        let body = Arc::new(body);
        for slot in slots {
            let body = body.clone();
            let trial = Trial::test(format!("{name}::{}{suffix}", slot.name()), move || {
                body(&slot.open()?);
                Ok(())
            });
            self.trials.push(trial.with_ignored_flag(slot.ignored()));
        }
    }

    /// Runs the trials selected by the command line (filters, `--ignored`, `--list`) and exits
    /// with libtest's status.
    pub fn run(self) -> ! {
        if adapters().listed.is_empty() && !gpu_required() {
            eprintln!("GPU trials ignored: {NO_ADAPTER}");
        }
        for isa in levels_of_this_architecture().filter(|i| !i.is_supported()) {
            eprintln!(
                "{isa} trials ignored: this CPU has no {}",
                isa.name().to_uppercase()
            );
        }
        libtest_mimic::run(&Arguments::from_args(), self.trials).exit()
    }
}

/// Adds each named function to the suite with the given method, as trials named after it:
/// `trials!(suite.per_backend(blinker_has_period_two, diehard_dies))`. (tests/mpi.rs, the one
/// libtest file that includes this module, uses neither this nor [`Suite`].)
#[allow(unused_macros)]
macro_rules! trials {
    ($suite:ident . $method:ident ( $($body:path),+ $(,)? )) => {
        $( $suite.$method(stringify!($body), $body); )+
    };
}
#[allow(unused_imports)]
pub(crate) use trials;

// tests/mpi.rs runs under libtest (its ranks are started per test); this serves it.

/// Every GPU adapter on this machine, opened. Without one, GPU tests are skipped with a printed
/// reason, unless SPEEDUP_REQUIRE_GPU=1 (set in CI), where they fail.
pub fn gpu_contexts() -> Vec<Arc<GpuContext>> {
    let mut out = Vec::new();
    for i in 0..adapters().listed.len() {
        match open_adapter(i) {
            Ok(ctx) => out.push(ctx),
            Err(e) => eprintln!("note: an adapter could not be opened: {e}"),
        }
    }
    if out.is_empty() {
        assert!(!gpu_required(), "SPEEDUP_REQUIRE_GPU=1 but {NO_ADAPTER}");
        eprintln!("skipping GPU tests: {NO_ADAPTER}");
    }
    out
}
