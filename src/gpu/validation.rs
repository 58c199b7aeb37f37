//! The Khronos validation layer under speedup's GPU contexts: turning it on with the checks a
//! real driver would punish (synchronization validation, best practices including NVIDIA's,
//! optionally GPU-assisted validation), and capturing what it reports, so that a test fails on
//! the error it caused and `speedup verify --validate` says whether an adapter ran clean.
//!
//! How the messages reach us: wgpu-hal enables `VK_LAYER_KHRONOS_validation` when the instance
//! is created with [`wgpu::InstanceFlags::VALIDATION`] (and always asks it for synchronization
//! validation through `VK_EXT_validation_features`); its debug messenger hands every message to
//! the `log` crate, at `Warn` or `Error`, with the target `wgpu_hal::vulkan::instance`. The
//! layer calls the messenger on the thread that made the Vulkan call, so [`install`] puts a
//! logger in place that files each message under the [`Scope`] open on that thread (a test
//! trial, or one adapter of `verify`). What wgpu-hal does not ask for (best practices, the
//! NVIDIA-specific checks, reporting out-of-bounds accesses that robustBufferAccess makes legal)
//! is asked for in a `vk_layer_settings.txt` that [`install`] writes and points
//! `VK_LAYER_SETTINGS_PATH` at (unless the caller set that variable: then theirs is used).
//!
//! GL adapters (llvmpipe) have no Khronos layer: they run under wgpu's own validation only.
//!
//! docs/validation.md lists every warning our runs produce, where it comes from and what a real
//! NVIDIA GPU would do about it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;

/// How much the layer checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The layer with synchronization validation and best practices (NVIDIA-specific included).
    Layer,
    /// [`Mode::Layer`] plus GPU-assisted validation ([`wgpu::InstanceFlags::GPU_BASED_VALIDATION`]):
    /// the layer instruments each shader to report out-of-bounds descriptor accesses, including
    /// those robustBufferAccess makes legal (`warn_on_robust_oob`). Several times slower.
    GpuAssisted,
}

/// How serious a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// An invalid use of the API (a `VUID-...`), or a hazard found by synchronization validation:
    /// fails the test or the `verify` line it happened in.
    Error,
    /// Best-practices and performance warnings: gathered, explained in docs/validation.md.
    Warning,
}

/// One message from the layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Error or warning.
    pub severity: Severity,
    /// The layer's message id, e.g. `VUID-VkBufferCreateInfo-usage-requiredbitmask` or
    /// `BestPractices-SemaphoreCount`.
    pub id: String,
    /// The message itself, on one line (with the objects and command buffers it names).
    pub text: String,
    /// The scope that was open on the thread that caused it ([`Scope::begin`]), if any.
    pub scope: Option<String>,
}

impl Message {
    /// "error VUID-...: text", cut to `max` characters of text: how a failing test names it.
    pub fn headline(&self, max: usize) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut text: String = self.text.chars().take(max).collect();
        if text.len() < self.text.len() {
            text.push('…');
        }
        format!("validation {severity} {}: {text}", self.id)
    }
}

/// What [`install`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Availability {
    /// The layer's manifest was found; its messages will be captured.
    Installed {
        /// The manifest that was found (the layer's `.json`).
        manifest: PathBuf,
    },
    /// No layer: contexts open without it. The text says how to get it.
    Missing(String),
}

/// How to get the layer, said wherever it is missing.
pub const HOW_TO_GET: &str = "the Khronos validation layer is not installed (Debian/Ubuntu: \
    apt-get install vulkan-validationlayers; elsewhere the Vulkan SDK)";

/// What the process asked for, once: the mode, the file warnings go to.
struct Installed {
    mode: Mode,
    warnings_file: Option<PathBuf>,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Every message captured so far, in order, with the id of the scope it was filed under, and
/// the scopes open on each thread, innermost last.
#[derive(Default)]
struct Store {
    messages: Vec<(Option<u64>, Message)>,
    scopes: BTreeMap<ThreadKey, Vec<(u64, String)>>,
    next_scope: u64,
    /// Each thread's last message (its index in `messages`), for the records that continue it
    /// (they follow it at once, in the same callback; cleared whenever `messages` shrinks).
    last: BTreeMap<ThreadKey, usize>,
}

/// `ThreadId` is not `Ord`; its debug form is unique and stable for the process.
type ThreadKey = String;

fn thread_key(id: ThreadId) -> ThreadKey {
    format!("{id:?}")
}

fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
    STORE.get_or_init(Default::default)
}

fn lock() -> std::sync::MutexGuard<'static, Store> {
    store().lock().unwrap_or_else(|e| e.into_inner())
}

/// Turns the layer on for every GPU context opened from now on, and starts capturing its
/// messages; `warnings_file`, when given, gets every warning (and error) appended as it comes,
/// one line each, named by its scope.
///
/// Call it once, before any GPU context or adapter list is made and while the process is still
/// single-threaded (it sets `VK_LAYER_SETTINGS_PATH` for the layer to read). A second call
/// returns what the first found. Fails only when another `log` logger is already installed (the
/// messages would go to it instead).
pub fn install(mode: Mode, warnings_file: Option<PathBuf>) -> Result<Availability, String> {
    if INSTALLED.get().is_some() {
        return Ok(availability());
    }
    log::set_logger(&CAPTURE).map_err(|_| {
        "cannot capture validation messages: another logger is installed".to_string()
    })?;
    log::set_max_level(log::LevelFilter::Warn);
    if std::env::var_os("VK_LAYER_SETTINGS_PATH").is_none() {
        let dir = std::env::temp_dir().join(format!("speedup-validation-{}", std::process::id()));
        let file = dir.join("vk_layer_settings.txt");
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&file, layer_settings(mode)))
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        // Single-threaded here (the caller's promise), so this races with nothing.
        std::env::set_var("VK_LAYER_SETTINGS_PATH", &file);
    }
    if let Some(path) = &warnings_file {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
    }
    let _ = INSTALLED.set(Installed {
        mode,
        warnings_file,
    });
    Ok(availability())
}

/// The mode [`install`] was called with, or `None` when validation is off.
pub fn mode() -> Option<Mode> {
    INSTALLED.get().map(|i| i.mode)
}

/// The file warnings are appended to, if any.
pub fn warnings_file() -> Option<&'static Path> {
    INSTALLED.get().and_then(|i| i.warnings_file.as_deref())
}

/// The instance flags of every context: the layer when [`install`] asked for it, with
/// [`wgpu::InstanceFlags::DEBUG`] (without it wgpu-hal creates no debug messenger, and the
/// layer's messages go nowhere), nothing otherwise; then `WGPU_VALIDATION`,
/// `WGPU_GPU_BASED_VALIDATION` and the like override, as wgpu documents.
pub(crate) fn instance_flags() -> wgpu::InstanceFlags {
    let base = wgpu::InstanceFlags::from_build_config()
        - wgpu::InstanceFlags::VALIDATION
        - wgpu::InstanceFlags::GPU_BASED_VALIDATION
        - wgpu::InstanceFlags::DEBUG;
    let layer = wgpu::InstanceFlags::VALIDATION | wgpu::InstanceFlags::DEBUG;
    let asked = match mode() {
        None => wgpu::InstanceFlags::empty(),
        Some(Mode::Layer) => layer,
        Some(Mode::GpuAssisted) => layer | wgpu::InstanceFlags::GPU_BASED_VALIDATION,
    };
    base | asked
}

/// A message the layer reports as an error that is a known defect of the layer, not of our use
/// of Vulkan: why, when `message` is one. It is kept as a warning, with the reason in front.
///
/// With [`wgpu::InstanceFlags::DEBUG`] (which the messenger needs), naga puts the WGSL source
/// into each SPIR-V module as `OpSource` language 10 (WGSL, added to the SPIR-V headers after
/// the SPIR-V validator inside older layers was built): Debian 12's layer (1.3.239) then reports
/// every pipeline as `UNASSIGNED-CoreValidation-Shader-InconsistentSpirv`, "Invalid source
/// language operand: 10". Our SPIR-V is validated without the debug source by spirv-val in
/// tests/shaders_validate.rs.
pub fn known_layer_defect(message: &Message) -> Option<&'static str> {
    (message.id == "UNASSIGNED-CoreValidation-Shader-InconsistentSpirv"
        && message.text.contains("Invalid source language operand: 10"))
    .then_some(
        "known layer defect (its SPIR-V validator predates OpSource WGSL), kept as a warning",
    )
}

/// The settings file: best practices with the NVIDIA-specific checks (wgpu-hal turns on
/// synchronization validation itself; naming it here too keeps the file complete for a reader
/// running `vkconfig`), every kind of report, and for GPU-assisted validation the out-of-bounds
/// reports that robustBufferAccess would otherwise hide.
pub fn layer_settings(mode: Mode) -> String {
    let mut enables = vec![
        "VK_VALIDATION_FEATURE_ENABLE_BEST_PRACTICES_EXT",
        "VALIDATION_CHECK_ENABLE_VENDOR_SPECIFIC_NVIDIA",
        "VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT",
    ];
    if mode == Mode::GpuAssisted {
        enables.push("VK_VALIDATION_FEATURE_ENABLE_GPU_ASSISTED_EXT");
    }
    let mut text = format!(
        "# Written by speedup (src/gpu/validation.rs) for the Khronos validation layer.\n\
         khronos_validation.enables = {}\n\
         khronos_validation.report_flags = error,warn,perf\n\
         # Messages go to speedup's debug messenger only, not to stdout as well.\n\
         khronos_validation.debug_action = VK_DBG_LAYER_ACTION_IGNORE\n\
         # Every occurrence, so each test that causes one sees it.\n\
         khronos_validation.duplicate_message_limit = 0\n",
        enables.join(",")
    );
    if mode == Mode::GpuAssisted {
        text.push_str("khronos_validation.warn_on_robust_oob = true\n");
        text.push_str("khronos_validation.gpuav_buffer_oob = true\n");
    }
    text
}

/// Where the loader would find the layer's manifest: `VK_LAYER_PATH`, `VK_ADD_LAYER_PATH`, then
/// the system's explicit-layer directories (the Vulkan loader's search, in its order).
fn find_manifest() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for var in ["VK_LAYER_PATH", "VK_ADD_LAYER_PATH"] {
        if let Some(v) = std::env::var_os(var) {
            dirs.extend(std::env::split_paths(&v));
        }
    }
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")));
    dirs.extend(data_home.map(|d| d.join("vulkan/explicit_layer.d")));
    let data_dirs = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".to_string());
    dirs.extend(
        data_dirs
            .split(':')
            .map(|d| Path::new(d).join("vulkan/explicit_layer.d")),
    );
    dirs.extend(["/etc/vulkan/explicit_layer.d".into()]);
    dirs.into_iter()
        .map(|d| d.join("VkLayer_khronos_validation.json"))
        .find(|f| f.is_file())
}

/// Whether the layer can be used here: its manifest found where the loader looks.
pub fn availability() -> Availability {
    match find_manifest() {
        Some(manifest) => Availability::Installed { manifest },
        None => Availability::Missing(HOW_TO_GET.to_string()),
    }
}

/// Messages caused on one thread between [`Scope::begin`] and [`Scope::finish`]: a test trial,
/// or one adapter's checks in `verify`. Scopes nest: a message goes to the innermost scope open
/// on its thread. Dropping a scope unfinished discards its messages.
pub struct Scope {
    thread: ThreadId,
    id: u64,
    finished: bool,
}

impl Scope {
    /// Opens a scope named `name` on this thread.
    pub fn begin(name: &str) -> Scope {
        let thread = std::thread::current().id();
        let mut store = lock();
        let id = store.next_scope;
        store.next_scope += 1;
        let stack = store.scopes.entry(thread_key(thread)).or_default();
        stack.push((id, name.to_string()));
        Scope {
            thread,
            id,
            finished: false,
        }
    }

    /// Closes the scope and returns its messages, errors first.
    pub fn finish(mut self) -> Vec<Message> {
        self.finished = true;
        self.take()
    }

    fn take(&self) -> Vec<Message> {
        let mut store = lock();
        if let Some(stack) = store.scopes.get_mut(&thread_key(self.thread)) {
            stack.retain(|(id, _)| *id != self.id);
        }
        let (mine, rest) = std::mem::take(&mut store.messages)
            .into_iter()
            .partition(|(id, _)| *id == Some(self.id));
        store.messages = rest;
        store.last.clear();
        let mut mine: Vec<Message> = mine.into_iter().map(|(_, m)| m).collect();
        mine.sort_by_key(|m| m.severity);
        mine
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if !self.finished {
            self.take();
        }
    }
}

/// The messages that arrived on a thread with no scope open (a context opened before any
/// trial, a destructor run at exit), taken out of the store.
pub fn take_unscoped() -> Vec<Message> {
    let mut store = lock();
    let (loose, rest) = std::mem::take(&mut store.messages)
        .into_iter()
        .partition(|(id, _)| id.is_none());
    store.messages = rest;
    store.last.clear();
    loose.into_iter().map(|(_, m)| m).collect()
}

/// A message's running count by id, for the one-line summary at the end of a run.
pub fn counts() -> BTreeMap<(Severity, String), usize> {
    COUNTS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

static COUNTS: Mutex<BTreeMap<(Severity, String), usize>> = Mutex::new(BTreeMap::new());

/// The logger [`install`] puts in place: keeps the layer's messages (wgpu-hal's Vulkan debug
/// messenger), drops everything else (as the absence of a logger did before).
struct Capture;

static CAPTURE: Capture = Capture;

/// The target wgpu-hal's debug messenger logs under.
const MESSENGER_TARGET: &str = "wgpu_hal::vulkan::instance";

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == MESSENGER_TARGET && metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let text = record.args().to_string();
        let thread = std::thread::current().id();
        let mut store = lock();
        let key = thread_key(thread);
        // wgpu-hal logs the objects, queues and command buffers a message names as records of
        // their own that start with a tab: they belong to this thread's last message.
        if let Some(rest) = text.strip_prefix('\t') {
            if let Some(last) = store.last.get(&key).copied() {
                if let Some((_, m)) = store.messages.get_mut(last) {
                    m.text.push_str(" | ");
                    m.text.push_str(&one_line(rest));
                }
            }
            return;
        }
        let Some(mut message) = parse(&text, record.level()) else {
            return;
        };
        if let Some(why) = known_layer_defect(&message) {
            message.severity = Severity::Warning;
            message.text = format!("[{why}] {}", message.text);
        }
        let open = store
            .scopes
            .get(&key)
            .and_then(|stack| stack.last())
            .cloned();
        let message = Message {
            scope: open.as_ref().map(|(_, name)| name.clone()),
            ..message
        };
        record_in_file(&message);
        *COUNTS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((message.severity, message.id.clone()))
            .or_default() += 1;
        store.messages.push((open.map(|(id, _)| id), message));
        let index = store.messages.len() - 1;
        store.last.insert(key, index);
    }

    fn flush(&self) {}
}

/// wgpu-hal's form, `"{type:?} [{id name} (0x{id number:x})]\n\t{message}"`, as a [`Message`];
/// `None` for what is not a layer message.
fn parse(text: &str, level: log::Level) -> Option<Message> {
    let (head, body) = text.split_once('\n').unwrap_or((text, ""));
    let open = head.find('[')?;
    let close = head.rfind(']')?;
    let inside = head.get(open + 1..close)?;
    let id = inside
        .rsplit_once(" (0x")
        .map_or(inside, |(name, _)| name)
        .trim();
    let kind = head[..open].trim();
    let severity = match level {
        log::Level::Error => Severity::Error,
        _ => Severity::Warning,
    };
    let id = if id.is_empty() { kind } else { id };
    Some(Message {
        severity,
        id: id.to_string(),
        text: one_line(body),
        scope: None,
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Appends one line to the warnings file: `severity<TAB>id<TAB>scope<TAB>text`.
fn record_in_file(message: &Message) {
    let Some(path) = warnings_file() else {
        return;
    };
    let line = format!(
        "{}\t{}\t{}\t{}\n",
        match message.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        message.id,
        message.scope.as_deref().unwrap_or("-"),
        message.text
    );
    // One write per line with O_APPEND: lines from test binaries run one after another (or
    // side by side) do not interleave.
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = file.write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wgpu_hal_messenger_records() {
        let text = "VALIDATION [VUID-VkBufferCreateInfo-usage-requiredbitmask (0xa4b6e6ad)]\n\
                    \tValidation Error: [ VUID-VkBufferCreateInfo-usage-requiredbitmask ]   x";
        let m = parse(text, log::Level::Error).unwrap();
        assert_eq!(m.severity, Severity::Error);
        assert_eq!(m.id, "VUID-VkBufferCreateInfo-usage-requiredbitmask");
        assert_eq!(
            m.text,
            "Validation Error: [ VUID-VkBufferCreateInfo-usage-requiredbitmask ] x"
        );
        let w = parse(
            "PERFORMANCE [BestPractices-SemaphoreCount (0x1)]\n\tWarning",
            log::Level::Warn,
        )
        .unwrap();
        assert_eq!(
            (w.severity, w.id.as_str()),
            (Severity::Warning, "BestPractices-SemaphoreCount")
        );
        assert!(parse("no brackets here", log::Level::Warn).is_none());
    }

    #[test]
    fn settings_ask_for_best_practices_with_nvidia() {
        let s = layer_settings(Mode::Layer);
        assert!(s.contains("VK_VALIDATION_FEATURE_ENABLE_BEST_PRACTICES_EXT"));
        assert!(s.contains("VALIDATION_CHECK_ENABLE_VENDOR_SPECIFIC_NVIDIA"));
        assert!(!s.contains("GPU_ASSISTED"));
        assert!(layer_settings(Mode::GpuAssisted).contains("warn_on_robust_oob = true"));
    }
}
