//! `life batch`: job files, sweeps, shards, the CSV, and batched GPU runs that agree bit for bit
//! with one run at a time.

mod common;

use speedup::backend::Backend;
use speedup::gpu::GpuContext;
use speedup::life::batch::gpu::BatchGpuLife;
use speedup::life::batch::record::{self, CsvSink, Expected};
use speedup::life::batch::{
    csv_row, parse_densities, parse_jobs, parse_seeds, run_jobs, sweep, Defaults, Job, Shard,
    ShardSpec, Start, CSV_HEADER,
};
use speedup::life::{self, Grid, Rule, Topology};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

fn main() {
    let mut suite = common::Suite::new(file!());
    common::trials!(suite.per_backend(
        gives_the_hashes_of_single_runs,
        a_raised_stop_flag_starts_no_job
    ));
    // A second, even Rayon pool: the bands of a batch split differently.
    let rayon_2 = Backend::Rayon { threads: 2 };
    suite.on(
        "gives_the_hashes_of_single_runs",
        rayon_2,
        gives_the_hashes_of_single_runs,
    );
    common::trials!(suite.per_gpu(gpu_batch_matches_serial_at_awkward_sizes));
    common::trials!(suite.test(
        job_lines_and_json_lists,
        job_file_errors_name_line_and_column,
        sweeps_and_shards,
        csv_rows_quote_and_carry_inputs,
        shard_auto_from_slurm_arrays_and_indexed_jobs,
        partial_rows_resume_and_merge
    ));
    suite.run()
}

fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn parse(text: &str) -> speedup::Result<Vec<Job>> {
    parse_jobs(text, "jobs.txt", &data_dir(), &Defaults::default())
}

fn job_lines_and_json_lists() {
    let lines = "# comment\n\nacorn_105.lif generations=30 size=40x40\n\
                 random=33x7 density=0.25 seed=9 rule=B36/S23 topology=bounded  # trailing\n";
    let jobs = parse(lines).unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].size, Some((40, 40)));
    assert_eq!(jobs[0].generations, 30);
    assert!(matches!(&jobs[0].start, Start::Pattern { path, .. } if path == "acorn_105.lif"));
    assert_eq!(
        jobs[1].start,
        Start::Random {
            width: 33,
            height: 7,
            density: 0.25,
            seed: 9
        }
    );
    assert_eq!(jobs[1].rule, Some(Rule::parse("B36/S23").unwrap()));
    assert_eq!(jobs[1].topology, Some(Topology::Bounded));
    assert_eq!(jobs[1].generations, 100, "the default");
    let json = r#"[
        {"pattern": "acorn_105.lif", "generations": 30, "size": "40x40"},
        {"random": "33x7", "density": 0.25, "seed": 9, "rule": "B36/S23", "topology": "bounded"}
    ]"#;
    assert_eq!(parse(json).unwrap(), jobs);
}

fn job_file_errors_name_line_and_column() {
    for (text, at, what) in [
        (
            "random=8x8\nrandom=8x8 colour=red\n",
            "jobs.txt:2:12:",
            "unknown key",
        ),
        ("random=8x8 seed=x\n", "jobs.txt:1:12:", "whole number"),
        (
            "random=8x8 rule=B3/S23/C3\n",
            "jobs.txt:1:12:",
            "multi-state",
        ),
        ("random=0x8\n", "jobs.txt:1:1:", "not a size"),
        ("a.rle random=8x8\n", "jobs.txt:1:1:", "not both"),
        ("random=8x8 random=9x9\n", "jobs.txt:1:12:", "given twice"),
        (
            "[{\"random\": \"8x8\"},\n {\"random\": \"8x8\", \"rule\": \"B9/S\"}]",
            "jobs.txt:2:2:",
            "job 1",
        ),
        (
            "[{\"random\": \"8x8\", \"sed\": 1}]",
            "jobs.txt:1:",
            "unknown field",
        ),
        ("[{\"random\": \"8x8\"", "jobs.txt:1:", "EOF"),
    ] {
        let e = parse(text).unwrap_err().to_string();
        assert!(e.starts_with(at) && e.contains(what), "{text:?}: {e}");
    }
}

fn sweeps_and_shards() {
    assert_eq!(parse_densities("0.1:0.3:0.1").unwrap(), vec![0.1, 0.2, 0.3]);
    assert_eq!(parse_densities("0.5,0.25").unwrap(), vec![0.5, 0.25]);
    assert!(parse_densities("0.5:0.1:0.1").is_err());
    assert!(parse_densities("1.5").is_err());
    assert_eq!(parse_seeds("3:6").unwrap(), vec![3, 4, 5, 6]);
    assert_eq!(parse_seeds("1:9:4").unwrap(), vec![1, 5, 9]);
    assert_eq!(parse_seeds("7,2").unwrap(), vec![7, 2]);
    assert!(
        parse_seeds("1:1000000000").is_err(),
        "a billion jobs is a typo"
    );
    let jobs = sweep(16, 16, &[0.2, 0.4], &[1, 2, 3], &Defaults::default());
    assert_eq!(jobs.len(), 6);
    assert_eq!(
        jobs.iter().map(|j| j.index).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4, 5]
    );
    let shard: Shard = "1/4".parse().unwrap();
    let mine = shard.select(jobs.clone());
    assert_eq!(mine.iter().map(|j| j.index).collect::<Vec<_>>(), [1, 5]);
    assert!(!shard.writes_header());
    for bad in ["4/4", "1", "a/2", "0/0"] {
        assert!(bad.parse::<Shard>().is_err(), "{bad}");
    }
}

/// A mix of sizes, rules and topologies, with several same-sized jobs so the GPU batches them.
fn mixed_jobs() -> Vec<Job> {
    let text = "acorn_105.lif generations=40 size=33x20\n\
                acorn_106.lif generations=40 size=33x20 rule=B36/S23\n\
                glider_torus.rle generations=13\n\
                random=33x20 density=0.3 seed=1 generations=40\n\
                random=33x20 density=0.5 seed=2 generations=40 rule=B3678/S34678\n\
                random=33x20 density=0.5 seed=3 generations=40 topology=bounded\n\
                random=33x20 density=0.5 seed=4 generations=40 topology=bounded rule=B2/S\n\
                random=1x1 density=1 seed=5 generations=3\n\
                random=65x3 density=0.5 seed=6 generations=9\n";
    parse(text).unwrap()
}

/// Batched runs give the hashes of one run at a time (the GPU batches same-sized jobs).
fn gives_the_hashes_of_single_runs(backend: &Backend) {
    let jobs = mixed_jobs();
    let expected: Vec<String> = jobs
        .iter()
        .map(|j| {
            let p = j.prepare().unwrap();
            life::run(&Backend::Serial, p.grid, p.rule, p.topology, j.generations)
                .unwrap()
                .hash_hex()
        })
        .collect();
    let stop = AtomicBool::new(false);
    let outcomes = run_jobs(backend, &jobs, &stop, &|_| {}).unwrap();
    let hashes: Vec<String> = outcomes.iter().map(|o| o.hash.clone()).collect();
    assert_eq!(hashes, expected, "{}", backend.label());
    if backend.gpu().is_some() {
        // The four same-sized torus jobs share one dispatch.
        let batched = outcomes.iter().filter(|o| o.batch > 1).count();
        assert!(batched >= 4, "{}: {outcomes:?}", backend.label());
    }
}

fn gpu_batch_matches_serial_at_awkward_sizes(ctx: &Arc<GpuContext>) {
    for (w, h) in [(1, 1), (31, 5), (33, 7), (64, 2), (65, 9)] {
        for topology in [Topology::Torus, Topology::Bounded] {
            let rules = [
                Rule::CONWAY,
                Rule::parse("B36/S23").unwrap(),
                Rule::parse("B3678/S34678").unwrap(),
            ];
            let grids: Vec<Grid> = (0..7)
                .map(|seed| Grid::random(w, h, 0.45, seed).unwrap())
                .collect();
            let rule_of = |i: usize| rules[i % rules.len()];
            let refs: Vec<&Grid> = grids.iter().collect();
            let rule_list: Vec<Rule> = (0..grids.len()).map(rule_of).collect();
            let mut batch = BatchGpuLife::new(ctx.clone(), &refs, &rule_list, topology).unwrap();
            batch.step(5).unwrap();
            for (i, (got, start)) in batch.grids().unwrap().iter().zip(&grids).enumerate() {
                let want =
                    life::run(&Backend::Serial, start.clone(), rule_of(i), topology, 5).unwrap();
                assert_eq!(
                    got,
                    &want,
                    "{} {w}x{h} {topology} grid {i}",
                    ctx.summary().label()
                );
            }
        }
    }
}

fn csv_rows_quote_and_carry_inputs() {
    let jobs = parse("random=8x8 density=0.5 seed=3 generations=4\n").unwrap();
    let stop = AtomicBool::new(false);
    let outcomes = run_jobs(&Backend::Serial, &jobs, &stop, &|_| {}).unwrap();
    let row = csv_row(&jobs[0], &outcomes[0]);
    let fields: Vec<&str> = row.split(',').collect();
    let header: Vec<&str> = CSV_HEADER.split(',').collect();
    assert_eq!(fields.len(), header.len(), "{row}");
    assert_eq!(
        &fields[..10],
        [
            "0",
            "random",
            "8",
            "8",
            "0.5",
            "3",
            "B3/S23",
            "torus",
            "4",
            &outcomes[0].population.to_string()
        ]
    );
    let mut odd = jobs[0].clone();
    odd.start = Start::Pattern {
        path: "a,\"b\".rle".into(),
        resolved: "x".into(),
    };
    assert!(csv_row(&odd, &outcomes[0]).starts_with("0,\"a,\"\"b\"\".rle\",8,8,,,"));
}

fn a_raised_stop_flag_starts_no_job(backend: &Backend) {
    let jobs = sweep(8, 8, &[0.5], &[1, 2, 3], &Defaults::default());
    let stop = AtomicBool::new(true);
    let outcomes = run_jobs(backend, &jobs, &stop, &|_| {}).unwrap();
    assert!(outcomes.is_empty(), "{}", backend.label());
}

/// `--shard auto` against environments as Slurm and Kubernetes set them.
fn shard_auto_from_slurm_arrays_and_indexed_jobs() {
    let resolve = |spec: &str, vars: &[(&str, &str)]| {
        let env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        spec.parse::<ShardSpec>()
            .and_then(|s| s.resolve(&|name| env.get(name).cloned()))
    };
    // `--array=0-15%8`, task 5.
    let slurm = |id: &'static str, count: &'static str, min: &'static str, max: &'static str| {
        [
            ("SLURM_ARRAY_TASK_ID", id),
            ("SLURM_ARRAY_TASK_COUNT", count),
            ("SLURM_ARRAY_TASK_MIN", min),
            ("SLURM_ARRAY_TASK_MAX", max),
            ("SLURM_ARRAY_TASK_STEP", "1"),
        ]
    };
    assert_eq!(
        resolve("auto", &slurm("5", "16", "0", "15")).unwrap(),
        Shard {
            index: 5,
            count: 16
        }
    );
    assert_eq!(
        resolve("auto/16", &slurm("5", "16", "0", "15")).unwrap(),
        Shard {
            index: 5,
            count: 16
        }
    );
    // `--array=2,3`: "task 2 of 2"; `--array=0,2`: the count is not max + 1.
    for (vars, said) in [
        (slurm("2", "2", "2", "3"), "tasks 2-3"),
        (slurm("2", "2", "0", "2"), "tasks 0-2"),
    ] {
        let e = resolve("auto", &vars).unwrap_err().to_string();
        assert!(e.contains(said) && e.contains("--array=0-"), "{e}");
    }
    let mut stepped = slurm("4", "3", "0", "4");
    stepped[4].1 = "2";
    assert!(resolve("auto", &stepped).is_err(), "--array=0-4:2");
    let e = resolve("auto/8", &slurm("1", "4", "0", "3"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("4 tasks"), "{e}");
    // Kubernetes: the index, and the count from the command line.
    let k8s = [("JOB_COMPLETION_INDEX", "3")];
    assert_eq!(
        resolve("auto/4", &k8s).unwrap(),
        Shard { index: 3, count: 4 }
    );
    let e = resolve("auto", &k8s).unwrap_err().to_string();
    assert!(e.contains("auto/N"), "{e}");
    assert!(resolve("auto/3", &k8s).is_err(), "index 3 of 3");
    let e = resolve("auto", &[]).unwrap_err().to_string();
    assert!(e.contains("SLURM_ARRAY_TASK_ID"), "{e}");
    assert!(resolve("auto", &[("SLURM_ARRAY_TASK_ID", "x")]).is_err());
    for bad in ["auto/0", "auto/x", "autox", "auto/"] {
        assert!(bad.parse::<ShardSpec>().is_err(), "{bad}");
    }
    assert_eq!(resolve("1/3", &k8s).unwrap(), Shard { index: 1, count: 3 });
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("batch-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `jobs` serially and records them in `out` as the CLI does.
fn record_jobs(out: &Path, jobs: &[Job], kept: Vec<(usize, String)>) -> CsvSink {
    let mut sink = CsvSink::create(out, kept).unwrap();
    let stop = AtomicBool::new(false);
    let outcomes = run_jobs(&Backend::Serial, jobs, &stop, &|_| {}).unwrap();
    for (job, o) in jobs.iter().zip(&outcomes) {
        sink.append(job, o).unwrap();
    }
    sink
}

/// Rows written as jobs finish, read back by --resume, and merged: every job once, in order,
/// and the merge refuses sets with holes, extras or disagreeing duplicates.
fn partial_rows_resume_and_merge() {
    let dir = scratch("resume");
    let jobs = sweep(17, 9, &[0.3, 0.6], &[1, 2, 3], &Defaults::default());
    let out = dir.join("all.csv");
    // A "killed" run: three jobs recorded, then the process is gone (the sink is dropped).
    drop(record_jobs(&out, &jobs[..3], Vec::new()));
    assert!(!out.exists(), "the final file appears only when complete");
    let partial = record::partial_path(&out);
    let text = std::fs::read_to_string(&partial).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    // A torn last line (a write cut short) is ignored, not taken as a row.
    std::fs::write(&partial, format!("{text}3,random,17,9")).unwrap();
    let resumed = record::resume(&out, &jobs).unwrap();
    assert_eq!(
        resumed.rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    // Resuming with other inputs (another generation count) runs everything again.
    let mut other = jobs.clone();
    other[1].generations = 7;
    let again = record::resume(&out, &other).unwrap();
    assert_eq!(again.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 2]);
    assert!(
        again.notes[0].contains("job 1") && again.notes[0].contains("generations"),
        "{:?}",
        again.notes
    );
    // Nor do rows of runs without --until-stable stand for runs with it.
    let mut stable = jobs.clone();
    stable[0].until_stable = Some(50);
    let again = record::resume(&out, &stable).unwrap();
    assert_eq!(again.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2]);
    assert!(again.notes[0].contains("max_period"), "{:?}", again.notes);
    let rest: Vec<Job> = jobs[3..].to_vec();
    record_jobs(&out, &rest, resumed.rows).finish().unwrap();
    assert!(!partial.exists());
    let resumed_csv = std::fs::read_to_string(&out).unwrap();
    // The same as one uninterrupted run, timings aside.
    let whole = dir.join("whole.csv");
    record_jobs(&whole, &jobs, Vec::new()).finish().unwrap();
    let whole_csv = std::fs::read_to_string(&whole).unwrap();
    let results = |csv: &str| -> Vec<String> {
        csv.lines()
            .map(|l| l.split(',').take(11).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(results(&resumed_csv), results(&whole_csv));
    // Nothing left to do: a second resume keeps all six rows.
    assert_eq!(record::resume(&out, &jobs).unwrap().rows.len(), 6);

    // Merge: shards in any order, with a repeated identical job, give the whole file.
    let rows: Vec<&str> = whole_csv.lines().skip(1).collect();
    let file = |rows: &[&str]| format!("{CSV_HEADER}\n{}\n", rows.join("\n"));
    let shard_a = file(&[rows[4], rows[1], rows[3]]);
    let shard_b = file(&[rows[0], rows[2], rows[5], rows[3]]);
    let inputs = [
        ("a.csv".to_string(), shard_a),
        ("b.csv".to_string(), shard_b),
    ];
    let merged = record::merge(&inputs, Some(Expected::Count(6))).unwrap();
    assert_eq!(results(&merged), results(&whole_csv));
    assert_eq!(
        record::merge(&inputs, Some(Expected::Jobs(&jobs))).unwrap(),
        merged
    );
    assert_eq!(record::merge(&inputs, None).unwrap(), merged);
    // Missing and extra jobs are named.
    let e = record::merge(&inputs[..1], Some(Expected::Count(6)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("3 of 6 jobs missing: 0, 2, 5"), "{e}");
    let e = record::merge(&inputs, Some(Expected::Count(4)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("beyond the 4 expected: 4-5"), "{e}");
    // A repeated job whose results differ is a conflict, named with both places.
    let changed = rows[2].replacen(",random,", ",elsewhere,", 1);
    let conflict = [
        inputs[0].clone(),
        inputs[1].clone(),
        ("c.csv".to_string(), file(&[&changed])),
    ];
    let e = record::merge(&conflict, None).unwrap_err().to_string();
    assert!(
        e.contains("job 2 differs between b.csv:3 and c.csv:2"),
        "{e}"
    );
    // A file that is not a batch CSV, and a row with too few fields.
    let e = record::merge(&[("x.csv".into(), "a,b\n".into())], None)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("x.csv:1:1:") && e.contains("header"), "{e}");
    let e = record::merge(&[("y.csv".into(), format!("{CSV_HEADER}\n1,2\n"))], None)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("y.csv:2:1:") && e.contains("2 fields"), "{e}");
}
