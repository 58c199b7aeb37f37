//! Records the git revision the binary is built from (`SPEEDUP_GIT_REVISION`), so that every
//! bench report says which source produced it. Outside a git checkout (a crate tarball) the
//! variable is empty and reports say nothing rather than guess.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    let revision = git(&["rev-parse", "--short=12", "HEAD"]).map(|rev| {
        let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
        if dirty {
            format!("{rev}-dirty")
        } else {
            rev
        }
    });
    println!(
        "cargo:rustc-env=SPEEDUP_GIT_REVISION={}",
        revision.unwrap_or_default()
    );
    // A new commit moves HEAD (or the branch it names); an edit changes the sources.
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/index");
    }
    if let (Some(common), Some(head)) = (
        git(&["rev-parse", "--git-common-dir"]),
        git(&["symbolic-ref", "-q", "HEAD"]),
    ) {
        println!("cargo:rerun-if-changed={common}/{head}");
    }
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=build.rs");
}
