//! Writing files safely: a complete new file or none at all; checked before the work that
//! produces them, and never lost when the final write fails.
//!
//! The rule for every path a command writes (`--output`, `--chart`, `--html`, `--gif`,
//! `--stats`, `--snapshots`, ...): [`prepare`] (or [`prepare_dir`]) it before any work, which
//! creates missing parent folders and refuses at once, naming the path, what cannot be written;
//! at the end [`write_atomic`] writes it, and where losing the result would cost a long run,
//! [`rescue`] saves it elsewhere and says where.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: into a temporary file beside it, flushed to disk, then
/// renamed over the target. An interrupted run leaves either the old file or the new one, never a
/// half-written one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// [`write_atomic`] for a writer that streams: `fill` writes the new contents into the temporary
/// file, which is then flushed to disk and renamed over `path`. Nothing is put in place if
/// `fill` fails.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::InvalidArgument(format!("{}: not a file name", path.display())))?;
    let tmp = temporary_beside(dir, file_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        fill(&mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// A file being written that hands its data to the disk as it goes: after every
/// [`Writeback::STEP`] bytes, the kernel is asked to start writing them out (Linux's
/// `sync_file_range` with `SYNC_FILE_RANGE_WRITE`, which does not wait), so that the disk works
/// while the rest is produced and the `fsync` of [`write_atomic_with`] waits only for the last
/// part. On a 19 MB pattern file that `fsync` took 12 ms on the development guest's virtio
/// disk. Elsewhere it is the file alone.
pub struct Writeback<'a> {
    file: &'a mut std::fs::File,
    written: u64,
    started: u64,
}

impl<'a> Writeback<'a> {
    /// Bytes between two requests to start writing out.
    pub const STEP: u64 = 1 << 20;

    /// `file`, written from its start.
    pub fn new(file: &'a mut std::fs::File) -> Self {
        Writeback {
            file,
            written: 0,
            started: 0,
        }
    }

    #[cfg(target_os = "linux")]
    fn start_writeout(&mut self) {
        use std::os::fd::AsRawFd;
        let (from, len) = (self.started as i64, (self.written - self.started) as i64);
        // SAFETY: a plain system call on an open descriptor this struct borrows; it reads no
        // memory of ours. A failure only means the data waits for the fsync, as without it.
        unsafe {
            libc::sync_file_range(
                self.file.as_raw_fd(),
                from,
                len,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
        self.started = self.written;
    }

    #[cfg(not(target_os = "linux"))]
    fn start_writeout(&mut self) {
        self.started = self.written;
    }
}

impl Write for Writeback<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= Self::STEP {
            self.start_writeout();
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// The temporary file [`write_atomic`] writes before renaming it to `dir/file_name`.
fn temporary_beside(dir: &Path, file_name: &std::ffi::OsStr) -> std::path::PathBuf {
    dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ))
}

/// Makes sure `path` can be written at the end of a run, before the run: creates its missing
/// parent folders, refuses a folder, and checks that a new file can be made beside it (as
/// [`write_atomic`] will) by creating and removing its temporary file. Nothing is left behind
/// but the folders.
pub fn prepare(path: &Path) -> Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::InvalidArgument(format!("{}: not a file name", path.display())))?;
    if path.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{}: is a folder, not a file",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let probe = temporary_beside(dir, file_name);
    std::fs::File::create(&probe).map_err(|e| Error::io(path, e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Makes sure files can be written into folder `dir` (snapshots): creates it with its parents
/// and checks that a file can be made in it.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let probe = dir.join(format!(".speedup-probe-{}", std::process::id()));
    std::fs::File::create(&probe).map_err(|e| Error::io(dir, e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Where a result goes when it could not be written to `path` at the end of a run (a full disk,
/// a folder removed or made read-only meanwhile): the temporary folder, under a name made of the
/// process and the file's own name, so that it is easy to find and keeps its extension.
pub fn rescue_path(path: &Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    std::env::temp_dir().join(format!("speedup-rescued-{}-{name}", std::process::id()))
}

/// After writing to `path` failed with `failed`: calls `write` with [`rescue_path`] to save the
/// result there instead, and returns the error to report, which names both paths (or says that
/// the rescue failed too).
pub fn rescue(path: &Path, failed: Error, write: impl FnOnce(&Path) -> Result<()>) -> Error {
    let spare = rescue_path(path);
    match write(&spare) {
        Ok(()) => Error::InvalidArgument(format!(
            "{failed}; the result was saved to {} instead",
            spare.display()
        )),
        Err(again) => Error::InvalidArgument(format!(
            "{failed}; saving it to {} failed too: {again}",
            spare.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("speedup-output-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Through `Writeback`, in pieces of awkward sizes across several steps, the file gets
    /// exactly the bytes written.
    #[test]
    fn writeback_keeps_every_byte() {
        let dir = scratch("writeback");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.bin");
        let bytes: Vec<u8> = (0..(3 * Writeback::STEP as usize + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        write_atomic_with(&path, |file| {
            let mut w = Writeback::new(file);
            for piece in bytes.chunks(99_991) {
                w.write_all(piece)?;
            }
            w.flush()
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn prepare_creates_missing_folders_and_leaves_no_file() {
        let dir = scratch("parents");
        let path = dir.join("a/b/out.json");
        prepare(&path).unwrap();
        assert!(dir.join("a/b").is_dir());
        assert_eq!(std::fs::read_dir(dir.join("a/b")).unwrap().count(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn prepare_refuses_a_folder_and_a_file_used_as_a_folder() {
        let dir = scratch("refuse");
        std::fs::create_dir_all(&dir).unwrap();
        let e = prepare(&dir).unwrap_err().to_string();
        assert!(e.contains("is a folder"), "{e}");
        std::fs::write(dir.join("file"), b"x").unwrap();
        let e = prepare(&dir.join("file/out.png")).unwrap_err().to_string();
        assert!(e.contains("file"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_write_is_rescued_and_the_error_says_where() {
        let dir = scratch("rescue");
        let path = dir.join("gone/out.rle");
        let failed = write_atomic(&path, b"x").unwrap_err();
        let e = rescue(&path, failed, |spare| write_atomic(spare, b"x")).to_string();
        let spare = rescue_path(&path);
        assert!(e.contains(&spare.display().to_string()), "{e}");
        assert_eq!(std::fs::read(&spare).unwrap(), b"x");
        let _ = std::fs::remove_file(spare);
    }
}
