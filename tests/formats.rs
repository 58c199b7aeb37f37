//! Pattern files: every format against hand-made files, write-then-read round trips (property
//! tests), gzip, errors with file:line:column, and refusals before allocation.

use proptest::prelude::*;
use speedup::life::formats::{
    parse_bytes, parse_pattern, read_pattern, render_pattern, write_pattern, Format,
};
use speedup::life::{Grid, Rule, RuleSpec, Topology};
use std::io::Write;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A fresh scratch folder under target/, named after the test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("formats-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn err(text: &str, file: &str, format: Format) -> String {
    match parse_pattern(text, file, format) {
        Ok(p) => panic!("{file} parsed, as {:?}", p.grid),
        Err(e) => e.to_string(),
    }
}

const ACORN: &str = "-*-----/---*---/**--***";

#[test]
fn acorn_in_life_105_and_106() {
    let a = read_pattern(&data("acorn_105.lif")).unwrap();
    assert_eq!(a.grid.to_text(), ACORN);
    assert_eq!(a.name.as_deref(), Some("Acorn"));
    assert_eq!(a.rule.unwrap().rule, Rule::CONWAY);
    assert!(a.comments[0].contains("Corderman"), "{:?}", a.comments);
    let b = read_pattern(&data("acorn_106.lif")).unwrap();
    assert_eq!(b.grid, a.grid);
    // Golly's own Methuselahs start their one block with a bare `#P` (no coordinates).
    let golly = read_pattern(&data("acorn_golly.lif")).unwrap();
    assert_eq!(golly.grid, a.grid);
    let rabbits = read_pattern(&data("rabbits_golly.lif")).unwrap();
    assert_eq!(rabbits.grid.to_text(), "*---***/***--*-/-*-----");
}

#[test]
fn golly_rle_with_extended_header_suffix_and_breaks() {
    let p = read_pattern(&data("glider_torus.rle")).unwrap();
    assert_eq!(p.name.as_deref(), Some("Glider and block on a torus"));
    assert_eq!(
        p.comments.len(),
        3,
        "#O and two #C lines; #CXRLE is not a comment"
    );
    let spec = p.rule.unwrap();
    let bounds = spec.bounds.unwrap();
    assert_eq!(
        (bounds.topology, bounds.width, bounds.height),
        (Topology::Torus, 12, 10)
    );
    assert_eq!((p.grid.width(), p.grid.height()), (12, 10));
    let live: Vec<(u32, u32)> = p.grid.live_cells().collect();
    assert_eq!(
        live,
        [
            (1, 0),
            (2, 1),
            (0, 2),
            (1, 2),
            (2, 2),
            (10, 5),
            (11, 5),
            (10, 6),
            (11, 6)
        ]
    );
}

#[test]
fn rle_header_rule_is_optional_and_old_rule_lines_work() {
    let p = parse_pattern("x = 2, y = 1\n2o!", "a.rle", Format::Rle).unwrap();
    assert!(
        p.rule.is_none(),
        "no rule: the caller's default (B3/S23) applies"
    );
    let p = parse_pattern("#r 23/36\nx = 2, y = 1\n2o!", "b.rle", Format::Rle).unwrap();
    assert_eq!(p.rule.unwrap().rule.to_string(), "B36/S23");
    // Text after '!' is ignored; a missing '!' is tolerated.
    let p = parse_pattern("x = 3, y = 1\n3o! trailing words", "c.rle", Format::Rle).unwrap();
    assert_eq!(p.grid.population(), 3);
    let p = parse_pattern("x = 3, y = 2\no$\n2bo", "d.rle", Format::Rle).unwrap();
    assert_eq!(p.grid.to_text(), "*--/--*");
}

#[test]
fn plaintext_pads_short_lines() {
    let p = read_pattern(&data("glider.cells")).unwrap();
    assert_eq!(p.grid.to_text(), "-*-/--*/***");
    assert_eq!(p.name.as_deref(), Some("Glider"));
    assert_eq!(p.comments.len(), 1);
}

#[test]
fn rle_writer_keeps_lines_to_70_and_never_splits_a_token() {
    let g = Grid::random(500, 40, 0.45, 3).unwrap();
    let spec = RuleSpec::parse("B36/S23:P500,40").unwrap();
    let text = render_pattern(&g, &spec, Format::Rle, Some("soup"));
    let body: Vec<&str> = text.lines().skip(2).collect();
    assert!(body.len() > 10);
    for line in &body {
        assert!(line.len() <= 70, "{} characters: {line}", line.len());
        // A line that ends in a digit would have split a run count from its tag.
        assert!(
            !line.ends_with(|c: char| c.is_ascii_digit()),
            "split token: {line}"
        );
    }
    let back = parse_pattern(&text, "w.rle", Format::Rle).unwrap();
    assert_eq!(back.grid, g);
    assert_eq!(back.rule.unwrap(), spec);
    assert_eq!(back.name.as_deref(), Some("soup"));
}

#[test]
fn life_105_writer_keeps_blocks_to_80_columns() {
    let mut g = Grid::new(200, 9).unwrap();
    for x in (0..200).step_by(7) {
        g.set(x, x % 9, true);
    }
    g.set(199, 8, true);
    let rule = RuleSpec::parse("B36/S23").unwrap();
    let text = render_pattern(&g, &rule, Format::Life105, Some("wide"));
    assert!(text.lines().all(|l| l.len() <= 80), "{text}");
    assert!(text.contains("#R 23/36"), "{text}");
    let back = parse_pattern(&text, "w.lif", Format::Life105).unwrap();
    assert_eq!(back.rule.unwrap().rule, rule.rule);
    assert_eq!(back.name.as_deref(), Some("wide"));
    assert_eq!(
        back.grid, g,
        "the cells span the whole grid, so no cropping"
    );
}

#[test]
fn gzip_is_read_transparently_and_written_by_extension() {
    let dir = scratch("gzip");
    let text = std::fs::read(data("glider_torus.rle")).unwrap();
    let path = dir.join("glider.rle.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&text).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let plain = read_pattern(&data("glider_torus.rle")).unwrap();
    assert_eq!(read_pattern(&path).unwrap(), plain);
    // Life 1.05 behind .gz, detected by its header line.
    let g = read_pattern(&data("acorn_105.lif")).unwrap().grid;
    for name in [
        "acorn.lif.gz",
        "acorn.life.gz",
        "acorn.cells.gz",
        "acorn.rle.gz",
    ] {
        let out = dir.join(name);
        write_pattern(&out, &g, &RuleSpec::parse("B3/S23").unwrap()).unwrap();
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(&bytes[..2], &[0x1f, 0x8b], "{name} is gzipped");
        assert_eq!(read_pattern(&out).unwrap().grid, g, "{name}");
    }
    // A corrupt stream is an error naming the file, not a panic.
    let e = parse_bytes(&[0x1f, 0x8b, 8, 0, 1, 2, 3], "bad.rle.gz", None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("bad.rle.gz:1:1:") && e.contains("gzip"),
        "{e}"
    );
}

/// A regular file is mapped, a pipe read: both give the same pattern, as does an empty file.
#[cfg(target_os = "linux")]
#[test]
fn files_are_mapped_and_pipes_read_with_the_same_result() {
    use std::os::fd::AsRawFd;
    let dir = scratch("mapped");
    let g = Grid::random(300, 200, 0.4, 3).unwrap();
    let spec = RuleSpec::parse("B36/S23").unwrap();
    for (name, format) in [
        ("s.rle", Format::Rle),
        ("s.cells", Format::Plaintext),
        ("s.lif", Format::Life105),
        ("s.life", Format::Life106),
    ] {
        let path = dir.join(name);
        let text = render_pattern(&g, &spec, format, None);
        std::fs::write(&path, &text).unwrap();
        let source = speedup::input::read_file(&path, 1 << 30, |_| unreachable!()).unwrap();
        assert!(source.is_mapped(), "{name} is mapped");
        let mapped = read_pattern(&path).unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        let feed = std::thread::spawn(move || writer.write_all(text.as_bytes()).unwrap());
        let fd = Path::new("/dev/fd").join(reader.as_raw_fd().to_string());
        // The pipe has no extension: the content (or RLE) says the format; name it as a file.
        let piped = speedup::input::read_file(&fd, 1 << 30, |_| unreachable!()).unwrap();
        assert!(!piped.is_mapped(), "a pipe is read");
        feed.join().unwrap();
        let from_pipe = parse_bytes(piped.bytes(), name, Some(format)).unwrap();
        assert_eq!(mapped, from_pipe, "{name}");
    }
    let empty = dir.join("empty.rle");
    std::fs::write(&empty, "").unwrap();
    let source = speedup::input::read_file(&empty, 1 << 30, |_| unreachable!()).unwrap();
    assert!(!source.is_mapped() && source.bytes().is_empty());
    let e = read_pattern(&empty).unwrap_err().to_string();
    assert!(e.contains("no pattern found"), "{e}");
}

/// A file truncated by another process while it is mapped: reading past the new end raises
/// SIGBUS, which the handler in src/input.rs turns into a one-line error and exit status 1.
/// The fault ends the process, so the test runs itself as a child that maps, truncates and
/// reads, and checks what the child printed.
#[cfg(target_os = "linux")]
#[test]
fn a_file_truncated_while_mapped_is_a_one_line_error() {
    const CHILD: &str = "SPEEDUP_TEST_SIGBUS_CHILD";
    if let Some(path) = std::env::var_os(CHILD) {
        let path = PathBuf::from(path);
        let source = speedup::input::read_file(&path, 1 << 30, |_| unreachable!()).unwrap();
        assert!(source.is_mapped());
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        // A page past the new end: the read faults.
        let sum: u64 = source.bytes().iter().map(|&b| b as u64).sum();
        panic!("read {sum} from a truncated mapping without a fault");
    }
    let dir = scratch("sigbus");
    let path = dir.join("big.rle");
    std::fs::write(&path, vec![b'o'; 1 << 20]).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_file_truncated_while_mapped_is_a_one_line_error",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, &path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let want = format!(
        "error: {}: the file was truncated while it was being read",
        path.display()
    );
    assert!(stderr.lines().any(|l| l == want), "{stderr}");
}

/// A file cut anywhere reads from disk as its bytes parse in memory: the same pattern or the
/// same one-line error, never a panic.
#[test]
fn truncated_files_read_as_their_bytes_parse() {
    let dir = scratch("truncated");
    let g = Grid::random(90, 40, 0.5, 8).unwrap();
    let spec = RuleSpec::parse("B3/S23").unwrap();
    for (name, format) in [
        ("t.rle", Format::Rle),
        ("t.cells", Format::Plaintext),
        ("t.lif", Format::Life105),
        ("t.life", Format::Life106),
    ] {
        let text = render_pattern(&g, &spec, format, Some("cut"));
        let path = dir.join(name);
        for cut in (0..text.len())
            .step_by(text.len() / 40 + 1)
            .chain([text.len() - 1])
        {
            std::fs::write(&path, &text.as_bytes()[..cut]).unwrap();
            let from_file = read_pattern(&path).map_err(|e| e.to_string());
            let from_bytes = parse_bytes(
                &text.as_bytes()[..cut],
                &path.display().to_string(),
                Some(format),
            )
            .map_err(|e| e.to_string());
            assert_eq!(from_file, from_bytes, "{name} cut at {cut}");
            if let Err(e) = from_file {
                assert_eq!(e.lines().count(), 1, "{e}");
            }
        }
    }
}

/// Non-ASCII bytes: UTF-8 in a comment is kept, in the body it is an unexpected character;
/// bytes that are not UTF-8 are refused at their position wherever they are (the whole text is
/// no longer checked on the way in, but the errors are the ones it gave).
#[test]
fn non_ascii_bytes_in_comments_and_bodies() {
    let p = parse_bytes("#C caf\u{e9}\nx = 1, y = 1\no!\n".as_bytes(), "c.rle", None).unwrap();
    assert_eq!(p.comments, vec!["caf\u{e9}".to_string()]);
    let cases: [(&[u8], Format, &str, &str); 10] = [
        (
            b"#C caf\xe9\nx = 1, y = 1\no!\n",
            Format::Rle,
            "u:1:7:",
            "UTF-8",
        ),
        (b"x = 2, y = 1\no\xe9!\n", Format::Rle, "u:2:2:", "UTF-8"),
        (
            "x = 2, y = 1\no\u{e9}!\n".as_bytes(),
            Format::Rle,
            "u:2:2:",
            "unexpected character '\u{e9}'",
        ),
        // After the end of the pattern, and in a comment line inside the body.
        (b"x = 2, y = 1\no!\xff\n", Format::Rle, "u:2:3:", "UTF-8"),
        (
            b"x = 2, y = 2\no$\n#C \xff\no!\n",
            Format::Rle,
            "u:3:4:",
            "UTF-8",
        ),
        // The first bad byte is named even when a parse error comes before it.
        (b"x = 2, y = 1\nq!\xff\n", Format::Rle, "u:2:3:", "UTF-8"),
        (b"!caf\xe9\n.O\n", Format::Plaintext, "u:1:5:", "UTF-8"),
        (
            ".O\u{e9}\n".as_bytes(),
            Format::Plaintext,
            "u:1:3:",
            "unexpected character '\u{e9}'",
        ),
        (b"#Life 1.05\n.*\xe9\n", Format::Life105, "u:2:3:", "UTF-8"),
        (
            b"#Life 1.06\n1 2\n#C \xff\n",
            Format::Life106,
            "u:3:4:",
            "UTF-8",
        ),
    ];
    for (bytes, format, at, what) in cases {
        let e = parse_bytes(bytes, "u", Some(format))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(at) && e.contains(what), "{bytes:?}: {e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
}

#[test]
fn malformed_files_give_file_line_column_and_what_was_expected() {
    let cases: [(&str, Format, &str, &str); 9] = [
        (
            "x = 3, y = 3\nbo$2bo$3q!",
            Format::Rle,
            "r.rle:2:9:",
            "expected b, o, $",
        ),
        (
            "x = 3, y = three\no!",
            Format::Rle,
            "r.rle:1:12:",
            "whole number",
        ),
        (
            "x = 3, z = 3\no!",
            Format::Rle,
            "r.rle:1:8:",
            "expected x, y or rule",
        ),
        (
            "x = 3, y = 3\n12",
            Format::Rle,
            "r.rle:2:1:",
            "no tag after it",
        ),
        (
            ".O.\n.O.\n.OX\n",
            Format::Plaintext,
            "p.cells:3:3:",
            "expected '.'",
        ),
        (
            "#Life 1.06\n1 2\n3\n",
            Format::Life106,
            "l.lif:3:2:",
            "two whole numbers",
        ),
        (
            "#Life 1.06\n1 2 3\n",
            Format::Life106,
            "l.lif:2:5:",
            "found 3 fields",
        ),
        (
            "#Life 1.05\n#P 0 x\n",
            Format::Life105,
            "l.lif:2:3:",
            "#P x y",
        ),
        ("hello\n", Format::Life105, "l.lif:1:1:", "#Life 1.05"),
    ];
    for (text, format, at, what) in cases {
        let file = at.split(':').next().unwrap();
        let e = err(text, file, format);
        assert!(e.starts_with(at), "{text:?}: {e}");
        assert!(e.contains(what), "{text:?}: {e}");
        assert_eq!(e.lines().count(), 1, "one line: {e}");
    }
    // Invalid UTF-8 is placed too.
    let e = parse_bytes(b"x = 1, y = 1\no\xff!", "u.rle", None)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("u.rle:2:2:") && e.contains("UTF-8"), "{e}");
}

#[test]
fn absurd_sizes_are_refused_before_allocating_and_name_the_limit() {
    for (text, format) in [
        ("x = 300000, y = 300000\no!", Format::Rle),
        ("x = 5000000000, y = 1\no!", Format::Rle),
        (
            "#Life 1.06\n0 0\n9000000000000 9000000000000\n",
            Format::Life106,
        ),
        (
            "#Life 1.06\n-9223372036854775808 0\n9223372036854775807 0\n",
            Format::Life106,
        ),
        (
            "#Life 1.05\n#P -4000000000 0\n*\n#P 4000000000 0\n*\n",
            Format::Life105,
        ),
    ] {
        let e = err(text, "huge", format);
        assert!(e.starts_with("huge:"), "{e}");
        assert!(e.contains("limit") || e.contains("2^32"), "{e}");
    }
    // Cells outside the header's size are an error at the cell.
    let e = err("x = 2, y = 2\n3o!", "o.rle", Format::Rle);
    assert!(e.starts_with("o.rle:2:2:") && e.contains("outside"), "{e}");
}

#[test]
fn unsupported_rules_are_named() {
    for (rule, word) in [
        ("B3/S23:K10,10", "Klein"),
        ("B2/S345/C4", "multi-state"),
        ("345/2/4", "multi-state"),
        ("B2ae/S12", "non-totalistic"),
        ("B2/S34H", "hexagonal"),
    ] {
        let e = err(
            &format!("x = 1, y = 1, rule = {rule}\no!"),
            "u.rle",
            Format::Rle,
        );
        assert!(e.starts_with("u.rle:1:"), "{e}");
        assert!(
            e.contains(word) && e.contains("not supported"),
            "{rule}: {e}"
        );
    }
    let e = err("x = 1, y = 1\nA2B!", "m.rle", Format::Rle);
    assert!(e.contains("multi-state"), "{e}");
}

#[test]
fn format_from_content_and_extension() {
    assert_eq!(
        Format::from_path(Path::new("a.rle.gz")).unwrap(),
        Format::Rle
    );
    assert_eq!(
        Format::from_path(Path::new("A.LIF")).unwrap(),
        Format::Life105
    );
    assert_eq!(
        Format::from_path(Path::new("a.life")).unwrap(),
        Format::Life106
    );
    assert!(Format::from_path(Path::new("a.png")).is_err());
    // The header wins over the extension: a Life 1.06 file named .lif.
    let p = parse_bytes(b"#Life 1.06\n0 0\n", "x.lif", Some(Format::Life105)).unwrap();
    assert_eq!(p.grid.population(), 1);
}

fn grids() -> impl Strategy<Value = Grid> {
    (1u32..90, 1u32..40, 0.0f64..1.0, any::<u64>())
        .prop_map(|(w, h, d, seed)| Grid::random(w, h, d, seed).unwrap())
}

/// `g` cropped to its live cells' bounding box (1x1 when empty): what formats without a grid
/// size give back.
fn cropped(g: &Grid) -> Grid {
    match g.bounding_box() {
        None => Grid::new(1, 1).unwrap(),
        Some((x0, y0, w, h)) => {
            let mut out = Grid::new(w, h).unwrap();
            for (x, y) in g.live_cells() {
                out.set(x - x0, y - y0, true);
            }
            out
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn write_then_read_is_the_identity(g in grids(), torus in any::<bool>()) {
        let topology = if torus { "T" } else { "P" };
        let spec = RuleSpec::parse(&format!("B36/S23:{topology}{},{}", g.width(), g.height())).unwrap();
        for format in [Format::Rle, Format::Plaintext] {
            let text = render_pattern(&g, &spec, format, Some("random"));
            let back = parse_pattern(&text, "rt", format).unwrap();
            prop_assert_eq!(&back.grid, &g, "{:?}\n{}", format, text);
            prop_assert_eq!(back.name.as_deref(), Some("random"));
        }
        let back = parse_pattern(&render_pattern(&g, &spec, Format::Rle, None), "rt", Format::Rle).unwrap();
        prop_assert_eq!(back.rule, Some(spec));
        // Life 1.0x carry no grid size: the cells come back in their bounding box.
        for format in [Format::Life105, Format::Life106] {
            let text = render_pattern(&g, &spec, format, None);
            let back = parse_pattern(&text, "rt", format).unwrap();
            prop_assert_eq!(&back.grid, &cropped(&g), "{:?}\n{}", format, text);
        }
        let text = render_pattern(&g, &spec, Format::Life105, None);
        prop_assert_eq!(parse_pattern(&text, "rt", Format::Life105).unwrap().rule.map(|s| s.rule), Some(spec.rule));
    }
}
