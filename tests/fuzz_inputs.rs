//! Cheap in-process fuzzing on stable: arbitrary bytes and mutated valid files fed to every
//! pattern reader, the rule parser and the batch job parser, asserting that nothing panics and
//! that what is accepted survives a write-then-read round trip (the same checks as the
//! cargo-fuzz targets in fuzz/, whose common code this file includes). Inputs that once crashed
//! live in tests/data/regressions/ and are replayed here.
//!
//! More cases: PROPTEST_CASES=100000 cargo test --release --test fuzz_inputs

#[path = "../fuzz/src/lib.rs"]
mod fuzz_common;

use proptest::prelude::*;
use speedup::life::batch::{parse_jobs, Defaults};
use speedup::life::formats::{parse_bytes, Format};
use speedup::life::RuleSpec;
use std::path::Path;

const FORMATS: [Format; 4] = [
    Format::Rle,
    Format::Plaintext,
    Format::Life105,
    Format::Life106,
];

fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Every pattern file in tests/data, with the format its extension names.
fn seeds() -> Vec<(Vec<u8>, Format)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if let Ok(format) = Format::from_path(&path) {
            out.push((std::fs::read(&path).unwrap(), format));
        }
    }
    assert!(out.len() >= 5, "seed files missing from tests/data");
    out
}

fn check_rule(text: &str) {
    if let Ok(spec) = RuleSpec::parse(text) {
        assert_eq!(RuleSpec::parse(&spec.to_golly()).unwrap(), spec, "{text:?}");
    }
}

fn check_jobs(text: &str) {
    let _ = parse_jobs(text, "fuzz.jobs", Path::new("."), &Defaults::default());
}

#[test]
fn regressions_never_panic() {
    let dir = data_dir().join("regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for format in FORMATS {
            fuzz_common::check(&bytes, format);
        }
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines() {
            check_rule(line);
            if let Some((_, rule)) = line.split_once("rule =") {
                check_rule(rule);
            }
        }
        check_jobs(&text);
        count += 1;
    }
    assert!(
        count >= 4,
        "regression inputs missing from {}",
        dir.display()
    );
}

#[test]
fn a_header_beyond_the_budget_is_refused_without_allocating() {
    // fuzz_common::check sets a 1 MiB budget for this process; a 100000x100000 grid (1.2 GiB)
    // must be refused by the header check, naming the budget.
    fuzz_common::check(b"", Format::Rle);
    let e = parse_bytes(b"x = 100000, y = 100000\no!", "big.rle", None)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("big.rle:1:1:") && e.contains("budget"), "{e}");
}

/// One edit of a file: flip, insert, delete or duplicate, at a position taken modulo its length.
#[derive(Clone, Debug)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Duplicate(usize, usize),
}

/// Bytes that mean something to some reader, so that mutations reach deep into the parsers.
const ALPHABET: &[u8] = b"0123456789bo$!.*O#\n\r -x=y,:TPKrule/BSNDPC\xc3\xa9\xff";

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let byte = prop_oneof![any::<u8>(), proptest::sample::select(ALPHABET)];
    let edit = prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(p, b)| Edit::Replace(p, b)),
        (any::<usize>(), byte).prop_map(|(p, b)| Edit::Insert(p, b)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), 1usize..12).prop_map(|(p, n)| Edit::Duplicate(p, n)),
    ];
    proptest::collection::vec(edit, 1..8)
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len().max(1);
        match *e {
            Edit::Replace(p, b) if !bytes.is_empty() => bytes[p % len] = b,
            Edit::Insert(p, b) => bytes.insert(p % (bytes.len() + 1), b),
            Edit::Delete(p) if !bytes.is_empty() => {
                bytes.remove(p % len);
            }
            Edit::Duplicate(p, n) if !bytes.is_empty() => {
                let start = p % len;
                let piece = bytes[start..(start + n).min(bytes.len())].to_vec();
                bytes.splice(start..start, piece);
            }
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(1500)
    ))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        for format in FORMATS {
            fuzz_common::check(&bytes, format);
        }
    }

    #[test]
    fn mutated_valid_files_never_panic(which in any::<usize>(), edits in edits()) {
        let seeds = seeds();
        let (bytes, format) = &seeds[which % seeds.len()];
        let mutated = apply(bytes.clone(), &edits);
        fuzz_common::check(&mutated, *format);
        // The same bytes under every other reader, and gzipped.
        for other in FORMATS {
            fuzz_common::check(&mutated, other);
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &mutated).unwrap();
        fuzz_common::check(&gz.finish().unwrap(), *format);
    }

    #[test]
    fn rules_never_panic(text in "[bBsS0-9/:TPKCtp,*+ ée-]{0,24}", any_text in any::<String>()) {
        check_rule(&text);
        check_rule(&any_text);
    }

    #[test]
    fn job_files_never_panic(
        which in 0usize..2,
        edits in edits(),
        any_text in any::<String>(),
    ) {
        let valid = [
            "[{\"random\": \"8x8\", \"density\": 0.5, \"seed\": 3, \"generations\": 4}]",
            "random=8x8 density=0.5 seed=3 generations=4 rule=B36/S23 topology=bounded\n",
        ];
        let mutated = apply(valid[which].as_bytes().to_vec(), &edits);
        check_jobs(&String::from_utf8_lossy(&mutated));
        check_jobs(&any_text);
    }
}
