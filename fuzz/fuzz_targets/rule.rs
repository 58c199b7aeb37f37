//! The rule parser (B/S notation and Golly's :T/:P suffixes) on arbitrary text: it must never
//! panic, and a rule it accepts must print as text that parses back to the same rule.
#![no_main]

use libfuzzer_sys::fuzz_target;
use speedup::life::RuleSpec;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(spec) = RuleSpec::parse(text) {
            let again = RuleSpec::parse(&spec.to_golly()).expect("a printed rule parses");
            assert_eq!(again, spec);
        }
    }
});
