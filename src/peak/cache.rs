//! The ceilings of the last measurement on this machine and build, kept in a file so a report can
//! reuse them instead of spending seconds on every run (and saying so: [`CeilingSet::cached_from`]).
//!
//! The file is `ceilings-KEY.json` in `$SPEEDUP_CACHE_DIR`, else `$XDG_CACHE_HOME/speedup`, else
//! `~/.cache/speedup`. KEY hashes what makes ceilings differ: the CPU, its core count and the
//! instruction-set level, every backend measured (adapter names and drivers, thread counts), the
//! speedup version, build profile and git revision, and the binary's modification time (a
//! rebuild is another build). A set is reused only when it covers every backend asked for.

use super::CeilingSet;
use crate::backend::Backend;
use crate::error::{Error, Result};
use std::path::PathBuf;

/// The environment variable naming the cache directory.
pub const CACHE_DIR_VARIABLE: &str = "SPEEDUP_CACHE_DIR";

/// The directory ceilings are cached in, if one can be named.
pub fn dir() -> Option<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from(CACHE_DIR_VARIABLE)
        .or_else(|| from("XDG_CACHE_HOME").map(|d| d.join("speedup")))
        .or_else(|| from("HOME").map(|d| d.join(".cache").join("speedup")))
}

/// What identifies the machine and build `backends` run on, as text (hashed into the key).
fn identity(backends: &[Backend]) -> String {
    let exe_time = std::env::current_exe()
        .and_then(std::fs::metadata)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let mut text = format!(
        "{}|{}|{:?}|{}|{}|{}|{}",
        crate::host::cpu_model(),
        crate::backend::logical_cores(),
        super::cpu_level().ok(),
        env!("CARGO_PKG_VERSION"),
        crate::harness::machine::build_profile(),
        option_env!("SPEEDUP_GIT_REVISION").unwrap_or(""),
        exe_time
    );
    for b in backends {
        match b {
            Backend::Gpu(ctx) => {
                let s = ctx.summary();
                text.push_str(&format!("|gpu {} {} {}", s.name, s.backend, s.driver));
            }
            other => text.push_str(&format!("|{}", other.label())),
        }
    }
    text
}

/// The key of `backends` on this machine and build: 16 hex digits of FNV-1a over
/// `identity`.
pub fn machine_key(backends: &[Backend]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in identity(backends).bytes() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn path(key: &str) -> Option<PathBuf> {
    Some(dir()?.join(format!("ceilings-{key}.json")))
}

/// The cached set of this machine, build and `backends`, if there is one (an unreadable or
/// stale file counts as none).
pub fn load(backends: &[Backend]) -> Option<CeilingSet> {
    let key = machine_key(backends);
    let file = path(&key)?;
    let text = std::fs::read_to_string(&file).ok()?;
    let mut set: CeilingSet = serde_json::from_str(&text).ok()?;
    if set.machine_key != key || set.backends.len() != backends.len() {
        return None;
    }
    set.cached_from = Some(file.display().to_string());
    Some(set)
}

/// Writes `set` where [`load`] finds it.
pub fn store(set: &CeilingSet) -> Result<PathBuf> {
    let file = path(&set.machine_key).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "no cache directory: set {CACHE_DIR_VARIABLE}, XDG_CACHE_HOME or HOME"
        ))
    })?;
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let mut stored = set.clone();
    stored.cached_from = None;
    let text = serde_json::to_string_pretty(&stored).expect("ceilings always serialise");
    crate::output::write_atomic(&file, text.as_bytes())?;
    Ok(file)
}
