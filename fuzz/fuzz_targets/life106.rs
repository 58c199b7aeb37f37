//! The life106 reader on arbitrary bytes (gzip and UTF-8 handling included): it must never panic,
//! and whatever it accepts must survive a write-then-read round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use speedup::life::formats::Format;

fuzz_target!(|data: &[u8]| {
    speedup_fuzz_common::check(data, Format::Life106);
});
