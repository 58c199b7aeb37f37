//! Ceilings and rooflines end to end: `speedup peak` measures every ceiling with its interval,
//! the cache is reused and says so, and no row of the quick bench is above 105% of its roof.

use std::path::PathBuf;
use std::process::{Command, Output};

fn speedup(args: &[&str], cache: &PathBuf) -> Output {
    Command::new(env!("CARGO_BIN_EXE_speedup"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .env("SPEEDUP_CACHE_DIR", cache)
        .output()
        .expect("run the speedup binary")
}

fn ok(args: &[&str], cache: &PathBuf) -> String {
    let o = speedup(args, cache);
    assert!(
        o.status.success(),
        "speedup {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("speedup-roofline-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn peak_measures_every_cpu_ceiling_with_an_interval_and_caches_it() {
    let cache = scratch("peak");
    let args = [
        "peak",
        "--backends",
        "serial,rayon",
        "--format",
        "json",
        "--sample-ms",
        "2",
    ];
    let set: serde_json::Value = serde_json::from_str(&ok(&args, &cache)).unwrap();
    assert!(set["cached_from"].is_null(), "measured, not cached");
    let backends = set["backends"].as_array().unwrap();
    assert_eq!(backends.len(), 2);
    for b in backends {
        let ceilings = b["ceilings"].as_array().unwrap();
        let find = |measure: &str, level: Option<&str>| {
            ceilings
                .iter()
                .find(|c| c["measure"] == measure && level.is_none_or(|l| c["level"] == l))
        };
        for level in ["l1", "l2", "l3", "dram"] {
            for measure in ["read", "triad"] {
                let c = find(measure, Some(level))
                    .unwrap_or_else(|| panic!("{measure} {level} missing in {b}"));
                let (value, best) = (c["value"].as_f64().unwrap(), c["best"].as_f64().unwrap());
                assert!(value > 1e8 && best >= value, "{c}");
                let ci = c["interval"]
                    .as_array()
                    .expect("7 samples give an interval");
                assert!(ci[0].as_f64().unwrap() <= value && value <= ci[1].as_f64().unwrap());
            }
        }
        // Every compute ceiling is measured, or a note says why not (e.g. SSE2 has no FMA).
        let notes = b["notes"].to_string();
        for measure in ["f32-fma", "f32-mul-add", "int-add", "int-mul", "int-logic"] {
            assert!(
                find(measure, None).is_some_and(|c| c["best"].as_f64().unwrap() > 1e8)
                    || !notes.is_empty(),
                "{measure} in {b}"
            );
        }
        // Nearer levels are faster (by a margin the shared machine keeps: L1 vs DRAM).
        let best = |m, l| find(m, Some(l)).unwrap()["best"].as_f64().unwrap();
        assert!(best("read", "l1") > best("read", "dram"), "{b}");
    }
    // A second call with --cached reads the file and says so.
    let again: serde_json::Value =
        serde_json::from_str(&ok(&[&args[..], &["--cached"]].concat(), &cache)).unwrap();
    let from = again["cached_from"].as_str().expect("read from the cache");
    assert!(from.starts_with(cache.to_str().unwrap()), "{from}");
    assert_eq!(again["backends"], set["backends"]);
    let table = ok(&["peak", "--backends", "serial", "--cached"], &cache);
    assert!(table.contains("ceilings of serial"), "{table}");
}

#[test]
fn peak_refuses_a_bad_sample_time_before_measuring() {
    let o = speedup(&["peak", "--sample-ms", "0"], &scratch("bad"));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--sample-ms"), "{err}");
}

#[test]
fn counts_name_every_workload() {
    let text = ok(
        &["peak", "--counts", "--format", "json"],
        &scratch("counts"),
    );
    let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = rows.as_array().expect("a list of counts");
    // Every workload of the registry, so a new one cannot be left out of the counts.
    for w in speedup::workloads::all() {
        assert!(
            rows.iter().any(|r| r["workload"] == w.name()),
            "{} missing:\n{text}",
            w.name()
        );
    }
    let text = ok(&["peak", "--counts"], &scratch("counts-table"));
    assert!(text.contains("int32 logic"), "{text}");
}

/// The check on its counts and ceilings: no row of `bench --quick` here is above 105%
/// of its roof (a wrong count or ceiling would put it there), and rows have roofs at all. A
/// wrong count or ceiling is systematic and puts its row above the roof in every run, while two
/// measurements on a shared 2-core machine can differ by several percent: a row fails only if
/// it is above its roof in two runs in a row, each with freshly measured ceilings.
#[test]
fn no_quick_bench_row_is_above_its_roof() {
    let first = rows_above_roof("quick");
    if first.is_empty() {
        return;
    }
    eprintln!("above the roof in the first run, measuring again: {first:#?}");
    let second = rows_above_roof("quick-again");
    let both: Vec<&String> = second
        .iter()
        .filter(|(row, _)| first.iter().any(|(r, _)| r == row))
        .map(|(_, text)| text)
        .collect();
    assert!(
        both.is_empty(),
        "rows above 105% of their roof in two runs: {both:#?}"
    );
}

/// The rows of a fresh `bench --quick` above 105% of their roof: (workload size backend, text).
fn rows_above_roof(name: &str) -> Vec<(String, String)> {
    let cache = scratch(name);
    let out = cache.join("quick.json");
    ok(
        &[
            "bench",
            "--quick",
            "--format",
            "json",
            "--output",
            out.to_str().unwrap(),
        ],
        &cache,
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["format_version"], 3);
    assert!(report["ceilings"]["backends"]
        .as_array()
        .is_some_and(|b| !b.is_empty()));
    let rows = report["results"].as_array().unwrap();
    let with_roof: Vec<&serde_json::Value> = rows.iter().filter(|r| !r["roof"].is_null()).collect();
    assert!(
        with_roof.len() * 2 >= rows.len(),
        "most rows have a roof: {} of {}",
        with_roof.len(),
        rows.len()
    );
    with_roof
        .iter()
        .filter(|r| r["roof"]["fraction"].as_f64().unwrap() > 1.05)
        .map(|r| {
            let row = format!("{} {} {}", r["workload"], r["size"], r["backend"]);
            let text = format!(
                "{} {} on {}: {:.0}% of {}",
                r["workload"],
                r["size"],
                r["backend"],
                100.0 * r["roof"]["fraction"].as_f64().unwrap(),
                r["roof"]["binds"]
            );
            (row, text)
        })
        .collect()
}
