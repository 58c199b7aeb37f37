//! Records the git revision the binary is built from (`SPEEDUP_GIT_REVISION`), so that every
//! bench report says which source produced it. Outside a git checkout (a crate tarball) the
//! variable is empty and reports say nothing rather than guess.
//!
//! Reading the revision must not make the next build recompile: `git status` refreshes and
//! rewrites `.git/index` when it can (after a fresh clone, for one), so a script that runs it and
//! also watches the index reruns on every build. Hence `--no-optional-locks` (git then writes
//! nothing), and the index is not watched: what makes the binary "dirty" is a change to the
//! sources that build it, which cargo watches anyway. tests/new_user.rs includes this file.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files and folders that build the binary: "-dirty" means one of them differs from HEAD.
pub const SOURCES: [&str; 5] = ["src", "shaders", "build.rs", "Cargo.toml", "Cargo.lock"];

/// Runs git in `dir` without taking optional locks (so without rewriting the index); its output
/// when it succeeds with some.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .arg("--no-optional-locks")
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// The revision of the checkout at `dir` ("1a2b3c4d5e6f", with "-dirty" when [`SOURCES`]
/// differ from it), and the git files whose change means a new revision: HEAD and the branch it
/// names (its loose ref, or packed-refs where the ref is packed: a watched file that does not
/// exist would rerun the script on every build).
pub fn revision(dir: &Path) -> (Option<String>, Vec<PathBuf>) {
    let Some(rev) = git(dir, &["rev-parse", "--short=12", "HEAD"]) else {
        return (None, Vec::new());
    };
    let mut status = vec!["status", "--porcelain", "--untracked-files=no", "--"];
    status.extend(SOURCES);
    let dirty = git(dir, &status).is_some();
    let revision = if dirty { format!("{rev}-dirty") } else { rev };
    let mut watched = Vec::new();
    let absolute = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            dir.join(p)
        }
    };
    if let Some(git_dir) = git(dir, &["rev-parse", "--git-dir"]).map(absolute) {
        watched.push(git_dir.join("HEAD"));
    }
    if let (Some(common), Some(head)) = (
        git(dir, &["rev-parse", "--git-common-dir"]).map(absolute),
        git(dir, &["symbolic-ref", "-q", "HEAD"]),
    ) {
        let loose = common.join(&head);
        watched.push(if loose.exists() {
            loose
        } else {
            common.join("packed-refs")
        });
    }
    (Some(revision), watched)
}

#[allow(dead_code)] // included by a test, which has its own main
fn main() {
    let (revision, watched) = revision(Path::new("."));
    println!(
        "cargo:rustc-env=SPEEDUP_GIT_REVISION={}",
        revision.unwrap_or_default()
    );
    for path in watched {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    for source in SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
}
