//! The HTML page of `speedup report` in a real browser: Debian's chromium, headless, started by
//! the test with its own profile directory and killed by PID (a Drop guard, even on failure).
//! The page must load without console errors, contain every machine and every registered
//! workload (`workloads::all()`: the page is made from stored reports and one this build makes
//! of every workload, so a new workload is checked without an edit here), and load nothing from
//! outside. Skipped with a reason where chromium is absent, unless
//! SPEEDUP_REQUIRE_BROWSER=1 (CI), where that is a failure.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        if std::env::var("SPEEDUP_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("SPEEDUP_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)");
        }
        eprintln!("skipping browser test: chromium not found (apt-get install chromium)");
    }
    found
}

/// A directory of its own, removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The browser process, killed by its PID on drop whatever happened.
struct Browser(Child);

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Loads `page` in headless chromium; returns the DOM after load and the browser's log.
fn load(browser: &Path, page: &Path, profile: &Path) -> (String, String) {
    let child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let mut guard = Browser(child);
    let (mut out, mut err) = (
        guard.0.stdout.take().unwrap(),
        guard.0.stderr.take().unwrap(),
    );
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut dom = String::new();
    let start = Instant::now();
    // --dump-dom prints once the page has loaded, then chromium exits; a hang fails the test
    // after a minute (the guard kills it).
    let dumper = std::thread::spawn(move || {
        let _ = out.read_to_string(&mut dom);
        dom
    });
    while guard.0.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "chromium did not finish in 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (dumper.join().unwrap(), reader.join().unwrap())
}

/// Stem of the report [`report_page`] makes with this build: the page names its machine after it.
const THIS_BUILD: &str = "this-build-every-workload";

/// Runs this build's `speedup` with `args`, which must succeed.
fn speedup<I: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = I>) {
    let out = Command::new(env!("CARGO_BIN_EXE_speedup"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The HTML page of stored reports from two machines, the test report, and a report of every
/// registered workload made now by this build (`bench --quick` on serial, one run each, no
/// ceilings: about a second), so that the page has a section for each.
fn report_page(dir: &Path, extra: Option<&str>) -> PathBuf {
    let root = env!("CARGO_MANIFEST_DIR");
    let page = dir.join("report.html");
    let fresh = dir.join(format!("{THIS_BUILD}.json"));
    let quick = "bench --quick --no-roofline --backends serial --warmup 0 --min-runs 1 \
                 --max-runs 1 --min-time 0 --format json -o";
    speedup(
        quick
            .split_whitespace()
            .map(PathBuf::from)
            .chain([fresh.clone()]),
    );
    speedup([
        "report".into(),
        format!("{root}/bench/results/dev-2core-epyc-lavapipe.json").into(),
        format!("{root}/bench/results/dev-2core-xeon-lavapipe-life-sweep.json").into(),
        format!("{root}/tests/data/bench/report.json").into(),
        fresh,
        "--html".into(),
        page.clone(),
    ]);
    if let Some(extra) = extra {
        let html = std::fs::read_to_string(&page).unwrap();
        std::fs::write(&page, html.replace("</body>", &format!("{extra}</body>"))).unwrap();
    }
    page
}

fn console_errors(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

#[test]
fn report_page_loads_cleanly_and_shows_every_machine_and_workload() {
    let Some(browser) = chromium() else { return };
    let dir = TempDir(std::env::temp_dir().join(format!("speedup-browser-{}", std::process::id())));
    std::fs::create_dir_all(dir.0.join("profile")).unwrap();
    let page = report_page(&dir.0, None);
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing to fetch (the only URL is the SVG namespace).
    let urls = html.matches("http").count();
    let namespaces = html.matches("http://www.w3.org/2000/svg").count();
    assert_eq!(urls, namespaces, "the page refers to the network");
    assert!(
        !html.contains(" src=") && !html.contains("<link"),
        "external resources"
    );

    let (dom, log) = load(&browser, &page, &dir.0.join("profile"));
    assert!(
        console_errors(&log).is_empty(),
        "console: {:?}",
        console_errors(&log)
    );
    for machine in [
        "dev-2core-epyc-lavapipe",
        "dev-2core-xeon-lavapipe-life-sweep",
        "report (format 3, 3 rows)",
        THIS_BUILD,
    ] {
        assert!(
            dom.contains(machine),
            "machine {machine} missing from the page"
        );
    }
    let registered = speedup::workloads::all();
    assert!(registered.len() >= 9, "the registry lost workloads");
    for workload in registered.iter().map(|w| w.name()) {
        assert!(
            dom.contains(&format!("id=\"workload-{workload}\"")),
            "workload {workload} missing from the page"
        );
    }
    assert!(
        dom.contains("SOFTWARE adapter"),
        "software adapters are not marked"
    );
    assert!(dom.contains("<svg"), "no chart");
    assert!(
        dom.contains("sweep of dev-2core-xeon-lavapipe-life-sweep"),
        "no sweep chart"
    );
}

#[test]
fn a_page_with_a_script_error_is_caught() {
    // The check above can fail: the same page with a planted error reports it.
    let Some(browser) = chromium() else { return };
    let dir = TempDir(
        std::env::temp_dir().join(format!("speedup-browser-planted-{}", std::process::id())),
    );
    std::fs::create_dir_all(dir.0.join("profile")).unwrap();
    let page = report_page(&dir.0, Some("<script>undefinedFunction();</script>"));
    let (_, log) = load(&browser, &page, &dir.0.join("profile"));
    let errors = console_errors(&log);
    assert!(
        errors
            .iter()
            .any(|l| l.contains("undefinedFunction is not defined")),
        "planted error not seen: {log}"
    );
}

#[test]
fn captions_start_where_their_tables_start() {
    // Browsers centre a caption over its table by default: over a wide table it floats in the
    // middle of the page, away from the columns it names. A script measures, after layout, where
    // each caption's text starts against its table's left edge.
    let Some(browser) = chromium() else { return };
    let dir = TempDir(
        std::env::temp_dir().join(format!("speedup-browser-captions-{}", std::process::id())),
    );
    std::fs::create_dir_all(dir.0.join("profile")).unwrap();
    let measure = "<script>const offsets = [];\
for (const t of document.querySelectorAll('table')) {\
const c = t.querySelector('caption'); if (!c) continue;\
const r = document.createRange(); r.selectNodeContents(c);\
offsets.push(Math.round(r.getBoundingClientRect().left - t.getBoundingClientRect().left));\
}\
document.body.setAttribute('data-caption-offsets', offsets.join(' '));</script>";
    let page = report_page(&dir.0, Some(measure));
    let (dom, log) = load(&browser, &page, &dir.0.join("profile"));
    assert!(console_errors(&log).is_empty(), "{log}");
    let offsets: Vec<i64> = dom
        .split("data-caption-offsets=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the measuring script ran")
        .split_whitespace()
        .map(|o| o.parse().unwrap())
        .collect();
    assert!(!offsets.is_empty(), "no captioned table");
    assert!(
        offsets.iter().all(|&o| (0..=16).contains(&o)),
        "caption text starts this many pixels from its table's left edge: {offsets:?}"
    );
}
