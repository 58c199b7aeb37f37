//! The report's JSON Schema: the committed docs/report.schema.json is what the types generate,
//! every committed report of every format_version passes it, and broken reports fail with the
//! place of each problem.

use speedup::harness::schema::{report_schema_text, validate};

fn root(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string(root("docs/report.schema.json")).unwrap();
    assert!(
        committed == report_schema_text(),
        "docs/report.schema.json is stale: run `speedup validate --print-schema > docs/report.schema.json`"
    );
}

#[test]
fn every_committed_report_validates() {
    let mut checked = 0;
    for dir in ["bench/results", "tests/data/reports", "tests/data/bench"] {
        for entry in std::fs::read_dir(root(dir)).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                let origin = path.display().to_string();
                if let Err(e) = validate(&text, &origin) {
                    panic!("{e}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 7, "only {checked} reports found");
}

#[test]
fn problems_are_named_by_place() {
    let text = std::fs::read_to_string(root("tests/data/reports/v1-epyc-lavapipe.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["results"][2]["median_seconds"] = "fast".into();
    v["machine"]
        .as_object_mut()
        .unwrap()
        .remove("logical_cores");
    let err = validate(&v.to_string(), "broken.json")
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 problem(s)"), "{err}");
    assert!(
        err.contains(
            "broken.json: at /results/2/median_seconds: \"fast\" is not of type \"number\""
        ),
        "{err}"
    );
    assert!(
        err.contains("at /machine: \"logical_cores\" is a required property"),
        "{err}"
    );
    let err = validate("{\"format_version\": 2,", "cut.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cut.json") && err.contains("not JSON"),
        "{err}"
    );
}
