//! Reading input files whole, without copying them: a regular file is mapped into memory
//! (the page cache's own pages, mapped up front), anything else (a pipe, `/dev/stdin`, a
//! character device) is read into a buffer.
//!
//! Why a mapping: reading a pattern file with `read` copies every byte from the page cache into
//! a fresh buffer whose pages the kernel must first fault in and zero; for a 3 MB soup that is
//! about a third of the whole read (docs/performance.md, "Pattern files without copies"). A
//! mapping costs one page-table entry per 4 KiB page, set up in one call (`MAP_POPULATE`).
//!
//! The one hazard of a mapping: if another process truncates the file while it is mapped, a
//! read of a page past the new end raises `SIGBUS`, which ends the process ("Bus error"). This
//! module turns that into the usual one-line error on Linux (elsewhere the default action stays): while a
//! mapping is in use, a `SIGBUS` handler checks whether the faulting address lies in a mapping
//! registered here; if so it writes `<file>: the file was truncated while it was being read`
//! and exits with status 1 (what any other I/O error gives); any other `SIGBUS` gets the
//! default action, as if no handler were there. A file that only grows or is rewritten in place
//! is read as the mix of old and new bytes the parser then sees, as with `read`.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// A file's bytes: mapped, or read into memory.
pub enum FileBytes {
    /// A regular file, mapped read-only.
    Mapped(Mapped),
    /// A pipe, device or empty file, read into memory.
    Read(Vec<u8>),
}

impl FileBytes {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m.map.as_ref(),
            FileBytes::Read(v) => v,
        }
    }

    /// Whether the bytes are mapped rather than read (tests check which path a file took).
    pub fn is_mapped(&self) -> bool {
        matches!(self, FileBytes::Mapped(_))
    }
}

/// A mapping, registered for the `SIGBUS` handler while it lives.
pub struct Mapped {
    // Declared first, so dropped first: the range is unregistered before it is unmapped (and
    // could be mapped again by another read).
    #[cfg(target_os = "linux")]
    _guard: Option<sigbus::Registered>,
    map: memmap2::Mmap,
}

/// Reads `path` whole, refusing more than `limit` bytes (`too_large` makes that error from the
/// size found): mapped when it is a regular file, else read.
pub fn read_file(path: &Path, limit: u64, too_large: impl Fn(u64) -> Error) -> Result<FileBytes> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    // An empty file cannot be mapped (a zero-length mapping is refused); a pipe has no length.
    if meta.is_file() && meta.len() > 0 {
        // SAFETY: the mapping is read-only and private to this process; the one way the bytes
        // under it can disappear, a truncation by another process, is caught by the SIGBUS
        // handler (module docs) and ends the process with an error instead of reading freed
        // memory.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) };
        if let Ok(map) = map {
            #[cfg(target_os = "linux")]
            let guard = sigbus::register(map.as_ptr() as usize, map.len(), path);
            return Ok(FileBytes::Mapped(Mapped {
                #[cfg(target_os = "linux")]
                _guard: guard,
                map,
            }));
        }
        // A file system that cannot map (some FUSE and network mounts): read it instead.
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(FileBytes::Read(bytes))
}

/// The `SIGBUS` handler for mappings truncated under us (module docs).
#[cfg(target_os = "linux")]
mod sigbus {
    use std::path::Path;
    use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
    use std::sync::Once;

    /// Mappings in use at once (reads running in parallel); past that, a mapping is simply
    /// not registered and a truncation ends the process with the default "Bus error".
    const SLOTS: usize = 32;

    /// One registered mapping: its address range and the message to print (a leaked-until-
    /// unregistered boxed slice, pointer and length).
    struct Slot {
        start: AtomicUsize,
        len: AtomicUsize,
        message: AtomicPtr<u8>,
        message_len: AtomicUsize,
    }

    #[allow(clippy::declare_interior_mutable_const)]
    const EMPTY: Slot = Slot {
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        message: AtomicPtr::new(std::ptr::null_mut()),
        message_len: AtomicUsize::new(0),
    };
    static SLOTS_IN_USE: [Slot; SLOTS] = [EMPTY; SLOTS];
    static INSTALL: Once = Once::new();

    /// Unregisters its mapping when dropped, before the mapping itself is unmapped (the field
    /// order of [`super::Mapped`]).
    pub(super) struct Registered {
        slot: usize,
        message: *mut [u8],
    }

    // The message pointer is owned by the guard; it is only read by the signal handler.
    unsafe impl Send for Registered {}
    unsafe impl Sync for Registered {}

    impl Drop for Registered {
        fn drop(&mut self) {
            let slot = &SLOTS_IN_USE[self.slot];
            slot.len.store(0, Ordering::SeqCst);
            slot.message.store(std::ptr::null_mut(), Ordering::SeqCst);
            slot.start.store(0, Ordering::SeqCst);
            // SAFETY: made by Box::into_raw in `register`, dropped once, here.
            drop(unsafe { Box::from_raw(self.message) });
        }
    }

    /// Registers the mapping `start .. start + len` of `path`, installing the handler on first
    /// use. `None` when every slot is taken.
    pub(super) fn register(start: usize, len: usize, path: &Path) -> Option<Registered> {
        INSTALL.call_once(install);
        let text = format!(
            "error: {}: the file was truncated while it was being read\n",
            path.display()
        );
        let message = Box::into_raw(text.into_bytes().into_boxed_slice());
        for (i, slot) in SLOTS_IN_USE.iter().enumerate() {
            if slot
                .start
                .compare_exchange(0, start, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                slot.message_len.store(message.len(), Ordering::SeqCst);
                slot.message.store(message.cast(), Ordering::SeqCst);
                slot.len.store(len, Ordering::SeqCst);
                return Some(Registered { slot: i, message });
            }
        }
        // SAFETY: made just above and not shared.
        drop(unsafe { Box::from_raw(message) });
        None
    }

    fn install() {
        // SAFETY: sigaction with a zeroed struct, our handler and SA_SIGINFO; the handler only
        // calls async-signal-safe functions (write, _exit, sigaction, raise).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    }

    extern "C" fn handler(signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers; the message a
        // matching slot points at lives as long as its registration, which the faulting thread
        // (the one reading the mapping) holds.
        unsafe {
            let address = (*info).si_addr() as usize;
            for slot in &SLOTS_IN_USE {
                let start = slot.start.load(Ordering::SeqCst);
                let len = slot.len.load(Ordering::SeqCst);
                let message = slot.message.load(Ordering::SeqCst);
                if start != 0 && address >= start && address - start < len && !message.is_null() {
                    let n = slot.message_len.load(Ordering::SeqCst);
                    libc::write(2, message.cast(), n);
                    libc::_exit(1);
                }
            }
            // Not ours: the default action, as if no handler had been installed.
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(signal, &action, std::ptr::null_mut());
            libc::raise(signal);
        }
    }
}
