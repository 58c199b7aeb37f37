//! Opening a wgpu adapter and device, and the small helpers every GPU workload uses.

use super::Transfers;
use crate::error::{Error, Result};
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wgpu::util::DeviceExt;

/// What every GPU context of the process is opened with: the global flags `--gpu-timeout` and
/// `--checked-shaders`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GpuSettings {
    /// The longest any one wait for the device may take before the run fails with an error
    /// naming the work, the backend and the time waited, instead of hanging for ever on a hung
    /// kernel or a lost device.
    pub wait_timeout: Duration,
    /// Compile shaders with wgpu's runtime checks (loop bounding, integer-division guards, bounds
    /// checks) on, for debugging. Off by default: every shader in shaders/ says in its header why
    /// it needs none of them.
    pub checked_shaders: bool,
}

impl GpuSettings {
    /// The default wait bound: generous, since no submission of ours is meant to run longer
    /// than a fraction of a second on a GPU or a few seconds on a software adapter (work is cut
    /// into submissions of at most a few hundred dispatches).
    pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(300);

    /// The defaults: [`GpuSettings::DEFAULT_WAIT_TIMEOUT`], runtime checks off.
    pub const DEFAULT: GpuSettings = GpuSettings {
        wait_timeout: Self::DEFAULT_WAIT_TIMEOUT,
        checked_shaders: false,
    };

    /// The settings contexts opened from now on use.
    pub fn current() -> GpuSettings {
        *SETTINGS.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes these the settings of every context opened from now on (the CLI calls this once,
    /// before opening any).
    pub fn install(self) {
        *SETTINGS.lock().unwrap_or_else(|e| e.into_inner()) = self;
    }
}

impl Default for GpuSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

static SETTINGS: Mutex<GpuSettings> = Mutex::new(GpuSettings::DEFAULT);

/// Which adapter to use: the best one, or one picked by index or by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AdapterChoice {
    /// Hardware before software, then Vulkan/Metal/DX12 before GL. Honours WGPU_ADAPTER_NAME.
    #[default]
    Auto,
    /// The adapter with this index in `speedup devices`.
    Index(usize),
    /// The first adapter whose name contains this text (case-insensitive).
    Name(String),
}

impl std::str::FromStr for AdapterChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        Ok(if s.is_empty() || s.eq_ignore_ascii_case("auto") {
            AdapterChoice::Auto
        } else if let Ok(i) = s.parse() {
            AdapterChoice::Index(i)
        } else {
            AdapterChoice::Name(s.to_string())
        })
    }
}

impl std::fmt::Display for AdapterChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdapterChoice::Auto => f.write_str("auto"),
            AdapterChoice::Index(i) => write!(f, "{i}"),
            AdapterChoice::Name(n) => f.write_str(n),
        }
    }
}

/// What `speedup devices` and reports say about an adapter.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct AdapterSummary {
    /// Position in the enumeration (the value `--adapter` takes).
    pub index: usize,
    /// The adapter's name, e.g. "NVIDIA H100 80GB HBM3" or "llvmpipe (LLVM 15.0.6, 256 bits)".
    pub name: String,
    /// Vulkan, Metal, Dx12 or Gl.
    pub backend: String,
    /// DiscreteGpu, IntegratedGpu, VirtualGpu, Cpu or Other.
    pub device_type: String,
    /// Driver name and version.
    pub driver: String,
    /// True for software rasterisers (device type Cpu, e.g. llvmpipe/lavapipe): their timings are
    /// CPU timings and are never reported as GPU results.
    pub software: bool,
    /// The adapter's largest storage-buffer binding, in bytes (larger grids are split into
    /// chunks of at most this size). 0 where unknown (reports written before it was recorded).
    #[serde(default)]
    pub max_storage_binding_bytes: u64,
}

impl AdapterSummary {
    fn new(index: usize, adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        let driver = [info.driver.as_str(), info.driver_info.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        AdapterSummary {
            index,
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver,
            software: info.device_type == wgpu::DeviceType::Cpu,
            max_storage_binding_bytes: adapter.limits().max_storage_buffer_binding_size,
        }
    }

    /// One line: "name (Vulkan, DiscreteGpu)", with a software warning where it applies.
    pub fn label(&self) -> String {
        if self.software {
            format!(
                "{} ({}, software adapter: CPU timings, not a GPU)",
                self.name, self.backend
            )
        } else {
            format!("{} ({}, {})", self.name, self.backend, self.device_type)
        }
    }
}

fn instance() -> wgpu::Instance {
    // The validation layer only where `gpu::validation::install` asked for it: wgpu's debug-build
    // default would load it (and pay for synchronization validation) in every test that opens a
    // context wherever the layer is installed. `with_env` then honours WGPU_BACKEND (vulkan, gl,
    // metal, dx12) and WGPU_VALIDATION and its kin.
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
    descriptor.flags = super::validation::instance_flags();
    wgpu::Instance::new(descriptor.with_env())
}

fn enumerate() -> Vec<wgpu::Adapter> {
    pollster::block_on(instance().enumerate_adapters(wgpu::Backends::all()))
}

/// Every adapter wgpu finds (filtered by WGPU_BACKEND when set), in enumeration order.
pub fn list_adapters() -> Vec<AdapterSummary> {
    enumerate()
        .iter()
        .enumerate()
        .map(|(i, a)| AdapterSummary::new(i, a))
        .collect()
}

/// The index of the adapter `auto` would pick among `adapters`, or `None` when there is none.
/// With `hardware_only`, software adapters are skipped (that is what `--backend auto` wants: on a
/// machine without a GPU, Rayon beats a software rasteriser).
pub fn auto_pick(adapters: &[AdapterSummary], hardware_only: bool) -> Option<usize> {
    let wanted = std::env::var("WGPU_ADAPTER_NAME")
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_lowercase());
    adapters
        .iter()
        .filter(|a| !(hardware_only && a.software))
        .filter(|a| {
            wanted
                .as_ref()
                .is_none_or(|w| a.name.to_lowercase().contains(w))
        })
        .min_by_key(|a| {
            let software = a.software as u8;
            let gl = (a.backend == "Gl") as u8;
            let kind = match a.device_type.as_str() {
                "DiscreteGpu" => 0,
                "IntegratedGpu" => 1,
                "VirtualGpu" => 2,
                _ => 3,
            };
            (software, kind, gl, a.index)
        })
        .map(|a| a.index)
}

/// Counts of queue submissions and host waits (see [`GpuContext::host_syncs`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostSyncs {
    /// Queue submissions.
    pub submissions: u64,
    /// Host waits for the device (a readback's map included).
    pub waits: u64,
}

impl std::ops::Sub for HostSyncs {
    type Output = HostSyncs;
    fn sub(self, earlier: HostSyncs) -> HostSyncs {
        HostSyncs {
            submissions: self.submissions - earlier.submissions,
            waits: self.waits - earlier.waits,
        }
    }
}

/// A long-lived GPU context: one adapter, its device and queue, and the errors wgpu reported
/// asynchronously. Shared (in an `Arc`) by every GPU kernel of a run.
pub struct GpuContext {
    /// The adapter in use.
    pub adapter: wgpu::Adapter,
    /// The logical device (created with the adapter's own limits, not wgpu's defaults).
    /// Never dropped after a timed-out wait: see [`GpuContext::wait`].
    pub device: ManuallyDrop<wgpu::Device>,
    /// The device's queue. Never dropped after a timed-out wait: dropping a queue waits, without
    /// a bound, until the device is idle, which a hung kernel never is.
    pub queue: ManuallyDrop<wgpu::Queue>,
    summary: AdapterSummary,
    /// Errors wgpu raised outside an error scope, and device-lost reports.
    errors: Arc<Mutex<Vec<String>>>,
    timestamps: bool,
    settings: GpuSettings,
    /// The work last submitted, named in a timeout's error ("mandelbrot", "life (packed)").
    task: Mutex<String>,
    /// Set once a wait has timed out: the device is presumed hung, every later wait fails at
    /// once, and the device and queue are leaked on drop instead of waited for.
    hung: AtomicBool,
    /// Queue submissions made so far (each `submit`, empty ones included): the harness reads
    /// it around each run, so every GPU row reports its submissions without the workload's
    /// help.
    submissions: AtomicU64,
    /// Host waits for the device so far (each `wait`, including those of readbacks).
    waits: AtomicU64,
}

impl Drop for GpuContext {
    fn drop(&mut self) {
        if self.hung.load(Ordering::SeqCst) {
            // Leaking them is the only way out that cannot hang: the process is about to report
            // the timeout and exit, which frees them anyway.
            return;
        }
        // SAFETY: drop runs once and neither field is used after this.
        unsafe {
            ManuallyDrop::drop(&mut self.queue);
            ManuallyDrop::drop(&mut self.device);
        }
    }
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext")
            .field("adapter", &self.summary)
            .finish()
    }
}

/// The "no adapter" message: what was tried and how to get an adapter.
fn no_adapter_message() -> String {
    let tried = match std::env::var("WGPU_BACKEND") {
        Ok(b) if !b.is_empty() => format!("{b} (as WGPU_BACKEND asks)"),
        _ => "Vulkan, Metal, DX12 and GL".to_string(),
    };
    format!(
        "no GPU adapter found (wgpu tried {tried}); install a GPU driver, or Mesa's software \
         Vulkan driver for testing (Debian/Ubuntu: apt-get install mesa-vulkan-drivers \
         libvulkan1), or use --backend rayon"
    )
}

impl GpuContext {
    /// Opens the chosen adapter. Errors say what was tried and how to get an adapter.
    pub fn open(choice: &AdapterChoice) -> Result<Arc<GpuContext>> {
        let adapters = enumerate();
        let summaries: Vec<AdapterSummary> = adapters
            .iter()
            .enumerate()
            .map(|(i, a)| AdapterSummary::new(i, a))
            .collect();
        if adapters.is_empty() {
            return Err(Error::NoAdapter(no_adapter_message()));
        }
        let known = || {
            summaries
                .iter()
                .map(|s| format!("{}: {} ({})", s.index, s.name, s.backend))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let index = match choice {
            AdapterChoice::Auto => auto_pick(&summaries, false).ok_or_else(|| {
                Error::NoAdapter(format!(
                    "no adapter's name contains WGPU_ADAPTER_NAME={:?}; adapters: {}",
                    std::env::var("WGPU_ADAPTER_NAME").unwrap_or_default(),
                    known()
                ))
            })?,
            AdapterChoice::Index(i) if *i < adapters.len() => *i,
            AdapterChoice::Index(i) => {
                return Err(Error::NoAdapter(format!(
                    "no adapter with index {i}; adapters: {}",
                    known()
                )))
            }
            AdapterChoice::Name(n) => {
                let n = n.to_lowercase();
                summaries
                    .iter()
                    .find(|s| s.name.to_lowercase().contains(&n))
                    .map(|s| s.index)
                    .ok_or_else(|| {
                        Error::NoAdapter(format!(
                            "no adapter's name contains '{n}'; adapters: {}",
                            known()
                        ))
                    })?
            }
        };
        let adapter = adapters.into_iter().nth(index).expect("index checked");
        Self::from_adapter(adapter, summaries[index].clone()).map(Arc::new)
    }

    /// Opens every adapter wgpu finds, for tests that run on each backend.
    pub fn open_all() -> Vec<Result<Arc<GpuContext>>> {
        enumerate()
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                let summary = AdapterSummary::new(i, &a);
                Self::from_adapter(a, summary).map(Arc::new)
            })
            .collect()
    }

    fn from_adapter(adapter: wgpu::Adapter, summary: AdapterSummary) -> Result<GpuContext> {
        let features = adapter.features();
        let timestamps = features.contains(wgpu::Features::TIMESTAMP_QUERY);
        let required_features = if timestamps {
            wgpu::Features::TIMESTAMP_QUERY
        } else {
            wgpu::Features::empty()
        };
        // Ask for everything the adapter offers: wgpu's defaults (128 MiB per storage binding,
        // 256 MiB per buffer) are far below what real GPUs allow.
        let required_limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("speedup"),
            required_features,
            required_limits,
            ..Default::default()
        }))
        .map_err(|e| Error::Gpu {
            adapter: summary.name.clone(),
            message: format!("cannot open device: {e}"),
        })?;
        let errors = Arc::new(Mutex::new(Vec::new()));
        // Uncaptured errors panic by default; record them instead and turn them into `Result`s
        // at the next `check`.
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            sink.lock().unwrap().push(one_line(&e.to_string()));
        }));
        let sink = errors.clone();
        device.set_device_lost_callback(move |reason, message| {
            if reason != wgpu::DeviceLostReason::Destroyed {
                sink.lock()
                    .unwrap()
                    .push(format!("device lost ({reason:?}): {message}"));
            }
        });
        Ok(GpuContext {
            adapter,
            device: ManuallyDrop::new(device),
            queue: ManuallyDrop::new(queue),
            summary,
            errors,
            timestamps,
            settings: GpuSettings::current(),
            task: Mutex::new("GPU work".to_string()),
            hung: AtomicBool::new(false),
            submissions: AtomicU64::new(0),
            waits: AtomicU64::new(0),
        })
    }

    /// What reports say about this adapter.
    pub fn summary(&self) -> &AdapterSummary {
        &self.summary
    }

    /// True for software adapters (llvmpipe, lavapipe): never quote their timings as GPU figures.
    pub fn is_software(&self) -> bool {
        self.summary.software
    }

    /// Whether the device supports timestamp queries (device time next to wall time).
    pub fn has_timestamps(&self) -> bool {
        self.timestamps
    }

    /// The device's limits.
    pub fn limits(&self) -> wgpu::Limits {
        self.device.limits()
    }

    /// An error naming this adapter.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::Gpu {
            adapter: self.summary.name.clone(),
            message: message.into(),
        }
    }

    /// Returns the first error wgpu reported asynchronously since the last check, if any.
    pub fn check(&self) -> Result<()> {
        let mut errors = self.errors.lock().unwrap();
        if errors.is_empty() {
            return Ok(());
        }
        let first = errors.remove(0);
        errors.clear();
        Err(self.error(first))
    }

    /// Submits command buffers, under the watchdog: a driver that runs the work inside the
    /// submit call (llvmpipe's GL) and never returns ends the process with an error naming the
    /// work, instead of hanging it (the watchdog behind `--gpu-timeout`).
    pub fn submit<I: IntoIterator<Item = wgpu::CommandBuffer>>(
        &self,
        command_buffers: I,
    ) -> wgpu::SubmissionIndex {
        let _armed = self.watchdog("the driver did not return from a submission");
        self.submissions.fetch_add(1, Ordering::Relaxed);
        self.queue.submit(command_buffers)
    }

    /// Arms the process watchdog for a blocking call into the driver, a little past
    /// `--gpu-timeout`, with the message naming the work, the backend and the time waited.
    fn watchdog(&self, what: &'static str) -> super::watchdog::Armed {
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let adapter = self.summary.name.clone();
        let backend = self.summary.backend.clone();
        let bound = self.settings.wait_timeout.as_secs_f64();
        super::watchdog::arm(
            super::watchdog::grace(self.settings.wait_timeout),
            move |waited| {
                format!(
                    "GPU error on {adapter}: {task} on {backend}: {what} within {bound:.3} s \
                     (waited {:.3} s; --gpu-timeout sets the bound): a hung kernel or a lost \
                     device; exiting",
                    waited.as_secs_f64()
                )
            },
        )
    }

    /// Queue submissions and host waits made on this context so far: the harness takes the
    /// difference around a run ([`crate::harness::measure`]).
    pub fn host_syncs(&self) -> HostSyncs {
        HostSyncs {
            submissions: self.submissions.load(Ordering::Relaxed),
            waits: self.waits.load(Ordering::Relaxed),
        }
    }

    /// The settings this context was opened with.
    pub fn settings(&self) -> GpuSettings {
        self.settings
    }

    /// Names the work about to be submitted ("mandelbrot", "life (packed)"), for the error of a
    /// wait that times out.
    pub fn set_task(&self, task: &str) {
        let mut current = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if *current != task {
            *current = task.to_string();
        }
    }

    /// Blocks until all submitted work has finished, then reports any error. The wait is bounded
    /// by the `--gpu-timeout` setting: past it, the error names the work, the backend and the
    /// time waited, and the context is marked hung (later waits fail at once; the device is not
    /// waited for on drop), so that a hung kernel or a lost device ends the run instead of
    /// hanging it.
    pub fn wait(&self) -> Result<()> {
        self.waits.fetch_add(1, Ordering::Relaxed);
        let task = || self.task.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if self.hung.load(Ordering::SeqCst) {
            return Err(self.error(format!(
                "{} on {}: not run, an earlier wait for this device timed out",
                task(),
                self.summary.backend
            )));
        }
        let timeout = self.settings.wait_timeout;
        let start = Instant::now();
        let _armed = self.watchdog("the device did not finish");
        match self.device.poll(wgpu::PollType::Wait {
            submission_index: None,
            timeout: Some(timeout),
        }) {
            Ok(_) => {}
            Err(wgpu::PollError::Timeout) => {
                self.hung.store(true, Ordering::SeqCst);
                return Err(self.error(format!(
                    "{} on {}: the device did not finish within {:.3} s (waited {:.3} s; \
                     --gpu-timeout sets the bound): a hung kernel or a lost device",
                    task(),
                    self.summary.backend,
                    timeout.as_secs_f64(),
                    start.elapsed().as_secs_f64()
                )));
            }
            Err(e) => return Err(self.error(format!("waiting for the device: {e}"))),
        }
        self.check()
    }

    /// Compiles one of speedup's WGSL modules (shaders/) and its compute pipeline as `options`
    /// say, turning validation errors into `Err` naming the label. Crate-private: the module is
    /// compiled without wgpu's runtime checks, which only our own kernels, each with its reason,
    /// may skip.
    ///
    /// The module is created without wgpu's shader runtime checks unless `--checked-shaders`
    /// ([`GpuSettings::checked_shaders`]) asks for them. Those checks put a counter into every
    /// loop (so a driver may not assume it ends), guards around every integer division and
    /// remainder, and clamps on indices the platform does not bound itself; they block
    /// unrolling and cost up to 100x on some shaders (gfx-rs/wgpu#7698). Each shader in
    /// shaders/ says in its header, under "Runtime checks", why it needs none of them: its
    /// loops have bounds fixed by constants or uniforms, its divisors are never zero, and its
    /// indices stay inside its bindings (tests/shaders_validate.rs checks every header has it).
    pub(crate) fn compute_pipeline(
        &self,
        source: &str,
        options: &PipelineOptions<'_>,
    ) -> Result<wgpu::ComputePipeline> {
        let PipelineOptions {
            label,
            entry_point,
            constants,
            zero_initialize_workgroup_memory,
        } = *options;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let descriptor = wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        };
        let module = if self.settings.checked_shaders {
            self.device.create_shader_module(descriptor)
        } else {
            // SAFETY: only speedup's own shaders reach here (this function is crate-private),
            // and each one's header says why its loops end, its divisors are non-zero and its
            // indices stay in bounds; the agreement tests run them against CPU references.
            unsafe {
                self.device.create_shader_module_trusted(
                    descriptor,
                    wgpu::ShaderRuntimeChecks::unchecked(),
                )
            }
        };
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(label),
                layout: None,
                module: &module,
                entry_point: Some(entry_point),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants,
                    zero_initialize_workgroup_memory,
                },
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(self.error(format!("shader {label}: {}", one_line(&e.to_string()))));
        }
        Ok(pipeline)
    }

    /// Checks that a storage binding of `bytes` fits the device's limits.
    pub fn check_binding(&self, what: &str, bytes: u64) -> Result<()> {
        let limits = self.limits();
        let max_binding = limits.max_storage_buffer_binding_size;
        if bytes > max_binding {
            return Err(Error::GpuLimit {
                what: what.into(),
                value: bytes,
                limit_name: "max_storage_buffer_binding_size",
                limit: max_binding,
            });
        }
        if bytes > limits.max_buffer_size {
            return Err(Error::GpuLimit {
                what: what.into(),
                value: bytes,
                limit_name: "max_buffer_size",
                limit: limits.max_buffer_size,
            });
        }
        Ok(())
    }

    /// Creates a buffer, turning out-of-memory and validation errors into `Err`.
    pub fn buffer(
        &self,
        label: &str,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: size.max(4),
            usage,
            mapped_at_creation: false,
        });
        let v = pollster::block_on(validation.pop());
        let o = pollster::block_on(oom.pop());
        if let Some(e) = v.or(o) {
            return Err(self.error(format!(
                "cannot create buffer {label} of {size} bytes: {}",
                one_line(&e.to_string())
            )));
        }
        Ok(buffer)
    }

    /// Writes `bytes` into `buffer` at `offset` through the queue (carried out at the next
    /// submission), counted in the transfer ledger ([`Transfers`]): the one way host data
    /// reaches an existing buffer.
    pub fn write_buffer(&self, buffer: &wgpu::Buffer, offset: u64, bytes: &[u8]) {
        Transfers::count_to_device(bytes.len() as u64);
        #[allow(clippy::disallowed_methods)] // the counted helper itself
        self.queue.write_buffer(buffer, offset, bytes);
    }

    /// Creates a storage buffer holding `data` (usable as source and destination of copies).
    pub fn storage_with_data(&self, label: &str, data: &[u8]) -> Result<wgpu::Buffer> {
        self.check_binding(label, data.len() as u64)?;
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        Transfers::count_to_device(data.len() as u64);
        #[allow(clippy::disallowed_methods)] // a counted helper
        let buffer = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: data,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
            });
        if let Some(e) = pollster::block_on(oom.pop()) {
            return Err(self.error(format!(
                "cannot create buffer {label} of {} bytes: {}",
                data.len(),
                one_line(&e.to_string())
            )));
        }
        Ok(buffer)
    }

    /// Creates a uniform buffer holding `data`.
    pub fn uniform_with_data(&self, label: &str, data: &[u8]) -> wgpu::Buffer {
        Transfers::count_to_device(data.len() as u64);
        #[allow(clippy::disallowed_methods)] // a counted helper
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: data,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            })
    }

    /// Copies `size` bytes of `source` (a `COPY_SRC` buffer) back to the host, waiting for the
    /// device. Allocates a staging buffer for the copy; callers that read back often keep one.
    pub fn read_buffer(&self, source: &wgpu::Buffer, size: u64) -> Result<Vec<u8>> {
        let staging = self.buffer(
            "readback",
            size,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(source, 0, &staging, 0, size);
        self.submit([encoder.finish()]);
        self.map_and_read(&staging, size)
    }

    /// Maps a `MAP_READ` buffer after the queue has been submitted, copies its first `size` bytes
    /// out in one go, and unmaps it. Counted in the transfer ledger ([`Transfers`]).
    pub fn map_and_read(&self, staging: &wgpu::Buffer, size: u64) -> Result<Vec<u8>> {
        let bytes = self.map_and_read_uncounted(staging, size)?;
        Transfers::count_to_host(size);
        Ok(bytes)
    }

    /// [`GpuContext::map_and_read`] left out of the transfer ledger: for timestamp queries only,
    /// the clock's own instrument rather than a run's data (counted, their 16 bytes could stand
    /// in for a small result left on the device).
    pub(crate) fn map_and_read_uncounted(
        &self,
        staging: &wgpu::Buffer,
        size: u64,
    ) -> Result<Vec<u8>> {
        let (tx, rx) = std::sync::mpsc::channel();
        #[allow(clippy::disallowed_methods)] // the counted helper's core
        staging.map_async(wgpu::MapMode::Read, ..size, move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        rx.recv()
            .map_err(|_| self.error("readback callback never ran"))?
            .map_err(|e| self.error(format!("cannot map readback buffer: {e}")))?;
        let bytes = {
            let view = staging
                .get_mapped_range(..size)
                .map_err(|e| self.error(format!("cannot read mapped buffer: {e}")))?;
            view.to_vec()
        };
        staging.unmap();
        Ok(bytes)
    }
}

/// How [`GpuContext::compute_pipeline`] builds a pipeline from a WGSL module: everything but the
/// source, so that a kernel's build is one value rather than a growing list of arguments.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PipelineOptions<'a> {
    /// Names the shader module and pipeline in wgpu's errors and in ours.
    pub label: &'a str,
    /// The `@compute` function to run.
    pub entry_point: &'a str,
    /// Values for the shader's pipeline-overridable constants (`override` declarations), which
    /// the driver folds into the compiled code.
    pub constants: &'a [(&'a str, f64)],
    /// Whether workgroup memory is zeroed at the start of every workgroup. wgpu zeroes it by
    /// default (WebGPU's safety rule); a shader that writes every workgroup word before reading
    /// it can skip that: the zeroing loop costs time per workgroup, and llvmpipe's GL driver
    /// took 29 s over the first dispatch of the tiled Life kernel's 12 KiB arrays with it, 2 ms
    /// without (docs/performance.md).
    pub zero_initialize_workgroup_memory: bool,
}

impl<'a> PipelineOptions<'a> {
    /// Entry point `main`, no constants, workgroup memory zeroed: what most kernels want. Set
    /// the fields that differ with struct update syntax:
    /// `PipelineOptions { entry_point: "racy", ..PipelineOptions::new(label) }`.
    pub fn new(label: &'a str) -> PipelineOptions<'a> {
        PipelineOptions {
            label,
            entry_point: "main",
            constants: &[],
            zero_initialize_workgroup_memory: true,
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
