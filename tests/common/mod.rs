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
//!
//! Three independent GPU implementations are expected ([`EXPECTED`]): Mesa's lavapipe (Vulkan)
//! and llvmpipe (GL), and Google's SwiftShader (Vulkan, shipped with Debian's chromium, whose ICD
//! the suite adds to the loader's list when it is there). Each one missing here has a stand-in
//! trial per GPU test, named as its trials would be, reported ignored with how to get it (failed
//! under `SPEEDUP_REQUIRE_GPU=1`).
//!
//! Every trial runs inside a validation [`Scope`]: where the Khronos validation layer is
//! installed (and `SPEEDUP_VALIDATION` is not `off`), each GPU context runs under it, a
//! validation error fails the trial that caused it, naming the message, and every message is
//! appended to one warnings file per `cargo test` run (src/gpu/validation.rs,
//! docs/validation.md).
#![allow(dead_code)]

use libtest_mimic::{Arguments, Failed, Trial};
use speedup::backend::Backend;
use speedup::gpu::validation::{self, Availability, Mode, Scope, Severity};
use speedup::gpu::{AdapterChoice, AdapterSummary, GpuContext};
use speedup::isa::Isa;
use speedup::life::Kernel;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Rayon's pool in per-backend trials: odd, so a grid's rows split into uneven bands.
pub const RAYON_THREADS: usize = 3;

/// An implementation every GPU trial is expected to run on (CI installs all three).
#[derive(Debug)]
pub struct Expected {
    /// Its trials' backend part: `gpu_software_swiftshader_vulkan`.
    pub slot: &'static str,
    /// The wgpu backend it is reached through ("Vulkan", "Gl").
    pub backend: &'static str,
    /// Lower-case text its adapter name contains.
    pub name_contains: &'static str,
    /// How to get it, said where it is missing.
    pub how_to_get: &'static str,
}

/// lavapipe and SwiftShader (two independent Vulkan implementations) and llvmpipe (GL).
pub const EXPECTED: [Expected; 3] = [
    Expected {
        slot: "gpu_software_llvmpipe_vulkan",
        backend: "Vulkan",
        name_contains: "llvmpipe",
        how_to_get: "Mesa's lavapipe: apt-get install mesa-vulkan-drivers libvulkan1",
    },
    Expected {
        slot: "gpu_software_swiftshader_vulkan",
        backend: "Vulkan",
        name_contains: "swiftshader",
        how_to_get: "SwiftShader: apt-get install chromium (its /usr/lib/chromium/\
            vk_swiftshader_icd.json is added to VK_ADD_DRIVER_FILES by the tests), or point \
            VK_ADD_DRIVER_FILES at another SwiftShader ICD's .json",
    },
    Expected {
        slot: "gpu_software_llvmpipe_gl",
        backend: "Gl",
        name_contains: "llvmpipe",
        how_to_get: "Mesa's llvmpipe GL: apt-get install libegl1 libgl1-mesa-dri",
    },
];

/// Where Debian's chromium puts SwiftShader's Vulkan ICD.
pub const SWIFTSHADER_ICD: &str = "/usr/lib/chromium/vk_swiftshader_icd.json";

/// Whether GPU trials must run (CI sets SPEEDUP_REQUIRE_GPU=1, so they fail rather than skip).
fn gpu_required() -> bool {
    std::env::var("SPEEDUP_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

/// Whether the validation layer must be there (CI sets SPEEDUP_REQUIRE_VALIDATION=1).
pub fn validation_required() -> bool {
    std::env::var("SPEEDUP_REQUIRE_VALIDATION").is_ok_and(|v| v == "1")
}

/// Adds SwiftShader's ICD to the Vulkan loader's drivers (`VK_ADD_DRIVER_FILES`, which adds to
/// the system's, where `VK_ICD_FILENAMES`/`VK_DRIVER_FILES` would replace them), when it is
/// installed and the caller has not chosen the drivers. Runs before any adapter is listed.
fn add_swiftshader() {
    let chosen = ["VK_ICD_FILENAMES", "VK_DRIVER_FILES"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()));
    if chosen || !std::path::Path::new(SWIFTSHADER_ICD).is_file() {
        return;
    }
    let mut files: Vec<PathBuf> = std::env::var_os("VK_ADD_DRIVER_FILES")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    if !files
        .iter()
        .any(|f| f == std::path::Path::new(SWIFTSHADER_ICD))
    {
        files.push(SWIFTSHADER_ICD.into());
        // Suite::new runs this first thing in main, before any thread exists.
        std::env::set_var("VK_ADD_DRIVER_FILES", std::env::join_paths(files).unwrap());
    }
}

/// What validation this test binary runs under, decided once in [`Suite::new`]: the layer
/// wherever it is installed, unless `SPEEDUP_VALIDATION=off`; `gpu-assisted` adds GPU-assisted
/// validation. Warnings go to `SPEEDUP_VALIDATION_LOG`, or to one file per `cargo test` run
/// (named after cargo's process id) in the tests' temporary directory.
fn setup_validation() -> Option<Availability> {
    let mode = match std::env::var("SPEEDUP_VALIDATION").as_deref() {
        Ok("off") | Ok("0") => return None,
        Ok("gpu-assisted") => Mode::GpuAssisted,
        _ => Mode::Layer,
    };
    if let Availability::Missing(why) = validation::availability() {
        return Some(Availability::Missing(why));
    }
    let file = std::env::var_os("SPEEDUP_VALIDATION_LOG")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // cargo's process id: the same for every test binary of one `cargo test`.
            #[cfg(unix)]
            let run = std::os::unix::process::parent_id();
            #[cfg(not(unix))]
            let run = std::process::id();
            PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("validation-warnings-{run}.tsv"))
        });
    Some(validation::install(mode, Some(file)).unwrap_or_else(|e| panic!("{e}")))
}

/// The validation this binary runs under (`None`: off).
fn validation_state() -> &'static Option<Availability> {
    static STATE: OnceLock<Option<Availability>> = OnceLock::new();
    STATE.get_or_init(setup_validation)
}

/// Runs `body` in a validation scope named `name`: its own failure first, then any validation
/// error it caused, named (how every trial of the suite runs).
pub fn checked(name: &str, body: impl FnOnce() -> Result<(), Failed>) -> Result<(), Failed> {
    let scope = Scope::begin(name);
    let outcome = body();
    let errors: Vec<String> = scope
        .finish()
        .iter()
        .filter(|m| m.severity == Severity::Error)
        .map(|m| m.headline(600))
        .collect();
    outcome?;
    match errors.len() {
        0 => Ok(()),
        n => Err(format!(
            "{n} validation error(s) from the Khronos layer:\n{}",
            errors.join("\n")
        )
        .into()),
    }
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
    /// The stand-in for an [`EXPECTED`] implementation this machine lacks: ignored, or failed
    /// where GPUs are required.
    Missing(&'static Expected),
}

/// The [`EXPECTED`] implementations none of this machine's adapters is.
fn missing() -> Vec<&'static Expected> {
    let listed = &adapters().listed;
    EXPECTED
        .iter()
        .filter(|e| {
            !listed
                .iter()
                .any(|a| a.backend == e.backend && a.name.to_lowercase().contains(e.name_contains))
        })
        .collect()
}

impl Slot {
    /// Serial, Rayon, each adapter, and the stand-ins of the expected implementations missing.
    fn every() -> Vec<Slot> {
        let mut slots = vec![Slot::Serial, Slot::Rayon];
        slots.extend(Slot::gpus());
        slots
    }

    /// Each adapter, and a [`Slot::Missing`] stand-in for each expected implementation absent.
    fn gpus() -> Vec<Slot> {
        let listed = (0..adapters().listed.len()).map(Slot::Gpu);
        listed
            .chain(missing().into_iter().map(Slot::Missing))
            .collect()
    }

    /// The part of a trial's name that says the backend: its label as a name, plus the
    /// adapter's index where two adapters would have the same name.
    fn name(self) -> String {
        let listed = &adapters().listed;
        let label = match self {
            Slot::Serial => speedup::backend::label("serial", None, None),
            Slot::Rayon => speedup::backend::label("rayon", Some(RAYON_THREADS), None),
            Slot::Gpu(i) => speedup::backend::label("gpu", None, Some(&listed[i])),
            Slot::Missing(e) => return e.slot.to_string(),
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
        matches!(self, Slot::Missing(_)) && !gpu_required()
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
            Slot::Missing(e) if gpu_required() => Err(format!(
                "SPEEDUP_REQUIRE_GPU=1 but this machine has no {} adapter ({})",
                e.slot, e.how_to_get
            )
            .into()),
            Slot::Missing(e) => Err(format!("no {} adapter ({})", e.slot, e.how_to_get).into()),
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
        // Both change what the first adapter list and instance see: first, single-threaded.
        add_swiftshader();
        validation_state();
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
        let trial = name.to_string();
        self.trials.push(Trial::test(name, move || {
            checked(&trial, || {
                body();
                Ok(())
            })
        }));
    }

    /// `body` on each Vulkan adapter, where the validation layer is installed: `name::BACKEND`.
    /// Without the layer the trials are ignored (failed under `SPEEDUP_REQUIRE_VALIDATION=1`),
    /// saying how to get it.
    pub fn per_validated_vulkan(
        &mut self,
        name: &str,
        body: impl Fn(&Arc<GpuContext>) + Send + Sync + 'static,
    ) {
        let body = Arc::new(body);
        let slots = Slot::gpus().into_iter().filter(|slot| match slot {
            Slot::Gpu(i) => adapters().listed[*i].backend == "Vulkan",
            Slot::Missing(e) => e.backend == "Vulkan",
            _ => false,
        });
        let missing = match validation_state() {
            Some(Availability::Installed { .. }) => None,
            Some(Availability::Missing(why)) => Some(why.clone()),
            None => Some("SPEEDUP_VALIDATION=off".to_string()),
        };
        for slot in slots.collect::<Vec<_>>() {
            let body = body.clone();
            let trial_name = format!("{name}::{}", slot.name());
            let missing = missing.clone();
            let ignored = slot.ignored() || (missing.is_some() && !validation_required());
            let trial = Trial::test(trial_name.clone(), move || {
                if let Some(why) = &missing {
                    return Err(format!("no validation layer: {why}").into());
                }
                checked(&trial_name, || {
                    let backend = slot.open()?;
                    body(backend.gpu().expect("a GPU slot opens a GPU backend"));
                    Ok(())
                })
            });
            self.trials.push(trial.with_ignored_flag(ignored));
        }
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
            let trial_name = format!("{name}::{}{suffix}", slot.name());
            let trial = Trial::test(trial_name.clone(), move || {
                checked(&trial_name, || {
                    body(&slot.open()?);
                    Ok(())
                })
            });
            self.trials.push(trial.with_ignored_flag(slot.ignored()));
        }
    }

    /// Runs the trials selected by the command line (filters, `--ignored`, `--list`) and exits
    /// with libtest's status.
    pub fn run(self) -> ! {
        if !gpu_required() {
            for e in missing() {
                eprintln!(
                    "GPU trials on {} ignored: no such adapter ({})",
                    e.slot, e.how_to_get
                );
            }
        }
        for isa in levels_of_this_architecture().filter(|i| !i.is_supported()) {
            eprintln!(
                "{isa} trials ignored: this CPU has no {}",
                isa.name().to_uppercase()
            );
        }
        match validation_state() {
            Some(Availability::Missing(why)) if !validation_required() => {
                eprintln!("GPU trials run without validation: {why}")
            }
            _ => {}
        }
        let conclusion = libtest_mimic::run(&Arguments::from_args(), self.trials);
        report_validation();
        // Errors no trial caused (on a thread with no scope open) fail the binary: none may pass.
        let loose: Vec<String> = validation::take_unscoped()
            .iter()
            .filter(|m| m.severity == Severity::Error)
            .map(|m| m.headline(600))
            .collect();
        if !loose.is_empty() {
            eprintln!("validation errors outside any trial:\n{}", loose.join("\n"));
            std::process::exit(101);
        }
        conclusion.exit()
    }
}

/// One line per message id the layer reported in this binary, and where the full list is.
fn report_validation() {
    let counts = validation::counts();
    if counts.is_empty() {
        return;
    }
    let ids: Vec<String> = counts
        .iter()
        .map(|((severity, id), n)| format!("{id} ({severity:?}, {n}x)"))
        .collect();
    eprintln!(
        "validation layer messages: {}; all in {}",
        ids.join(", "),
        validation::warnings_file().map_or("-".into(), |p| p.display().to_string())
    );
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
        let how = EXPECTED[0].how_to_get;
        assert!(
            !gpu_required(),
            "SPEEDUP_REQUIRE_GPU=1 but no GPU adapter found ({how})"
        );
        eprintln!("skipping GPU tests: no GPU adapter found ({how})");
    }
    out
}
