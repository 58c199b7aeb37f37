//! The batch job-file parser (JSON list or one job per line) on arbitrary text: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use speedup::life::batch::{parse_jobs, Defaults};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_jobs(text, "fuzz.jobs", std::path::Path::new("."), &Defaults::default());
    }
});
