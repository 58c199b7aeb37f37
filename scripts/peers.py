#!/usr/bin/env python3
"""speedup against its C peers on the same core (issue 19 item 4; issue 23's FMA yardstick).

Run through scripts/peers.sh (same arguments). Builds the C peers of peers/ with the system C
compiler (peers/build.sh), then for each workload runs speedup's bench row and the peer on the
same problem, in alternation, ROUNDS times, and compares the best run of each (best against best:
on a shared machine the best run is the least disturbed one). Compute workloads run on one core
(speedup's serial row against a single-threaded peer); stream runs on every core (speedup's rayon
row against an OpenMP triad). Each peer prints a checksum of what it computed, which must equal
speedup's own result for the same problem (exact for the integer results, within a stated
tolerance for nbody's floating-point one), so the table shows both computed the same thing.

Output: a markdown table headed by the machine on stdout, and in OUT (default target/peers) the
table (peers.md), every number measured (peers.json), speedup's bench reports and the peers'
output lines.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# CPU flags worth naming in the header: the vector and hash instructions the kernels can use.
FLAGS = ["sse2", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma", "bmi2", "sha_ni", "vaes",
         "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "asimd", "sha2"]


def stream_reference_sum(spec):
    """Σ a[i] of speedup's stream reference (a = b + 3c, b = i mod 1024, c = (7i mod 1000)/4)
    in closed form: both terms are periodic in i (1024 and 1000), so whole periods plus a rest."""
    n = count(spec.split(":")[0])

    def periodic(period, term):
        full, rest = divmod(n, period)
        return full * sum(term(i) for i in range(period)) + sum(term(i) for i in range(rest))

    return periodic(1024, lambda i: i) + 3 * periodic(1000, lambda i: (7 * i % 1000) / 4)


def count(text):
    """speedup's count notation: 1000, 1_000 or 2^20."""
    text = text.replace("_", "")
    if "^" in text:
        base, exp = text.split("^")
        return int(base) ** int(exp)
    return int(text)


def exact(pattern, peer_key="checksum"):
    """A check: the integer `pattern` finds in speedup's result equals the peer's checksum."""

    def check(ours_result, peer, _size):
        m = re.search(pattern, ours_result or "")
        if not m:
            return False, f"speedup's result '{ours_result}' has no {pattern}"
        ours, theirs = m.group(1), peer[peer_key]
        return ours == theirs, f"{theirs} = {ours}" if ours == theirs else f"{theirs} != {ours}"

    return check


def sha256_check(ours_result, peer, size):
    hits_ok, hits_text = exact(r"(\d+) hits")(ours_result, peer, size)
    small_ok, _ = exact(r"smallest nonce (\w+)", "smallest")(ours_result, peer, size)
    detail = f"{hits_text} hits, smallest nonce {peer['smallest']}"
    return hits_ok and small_ok, detail if small_ok else detail + " (speedup: other nonce)"


# rsqrt + Newton (peer) against speedup's exact 1/sqrt, and summation order: ~4e-10 relative on the
# kinetic energy after 4 steps at 1024 bodies; a systematic 1e-4 error in 1/r moves it by 5e-7.
NBODY_TOLERANCE = 1e-8


def nbody_check(ours_result, peer, _size):
    m = re.search(r"kinetic ([0-9.eE+-]+)", ours_result or "")
    if not m:
        return False, f"speedup's result '{ours_result}' has no kinetic energy"
    ours, theirs = float(m.group(1)), float(peer["checksum"])
    rel = abs(theirs - ours) / abs(ours)
    return rel <= NBODY_TOLERANCE, f"kinetic energy {theirs:.9e}, rel. diff {rel:.1e} (bound {NBODY_TOLERANCE:.0e})"


def stream_check(_ours_result, peer, size):
    expected = stream_reference_sum(size)
    theirs = float(peer["checksum"])
    ok = theirs == expected
    return ok, f"Σa {theirs:.0f} {'=' if ok else '!='} reference {expected:.0f}"


# workload, backend of speedup's row, full size, --quick size, peer binary, check, what the peer is
CASES = [
    ("mandelbrot", "serial", "2048x2048:1000", "512x512:256", "mandelbrot", exact(r"(\d+) iterations"),
     "C intrinsics, 4 vectors in flight, -ffp-contract=off"),
    ("nbody", "serial", "8192:4", "1024:4", "nbody", nbody_check,
     "C SoA, -O3 -march=native -ffast-math (rsqrt + Newton)"),
    ("montecarlo", "serial", "2^28", "2^22", "montecarlo", exact(r"(\d+) hits"),
     "C, same mix32, -O3 -march=native"),
    ("sha256", "serial", "2^24", "2^20", "sha256", sha256_check,
     "C, OpenSSL SHA256_Transform per nonce"),
    ("stream", "rayon", "2^25:10", "2^20:10", "stream", stream_check,
     "C OpenMP triad, all cores"),
]


def sh(cmd, **kw):
    return subprocess.run(cmd, check=False, text=True, capture_output=True, **kw)


def machine():
    model, flags = platform.processor() or platform.machine(), []
    try:
        info = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
        model = m.group(1).strip() if m else model
        f = re.search(r"^(flags|Features)\s*:\s*(.+)$", info, re.M)
        have = set(f.group(2).split()) if f else set()
        flags = [x for x in FLAGS if x in have]
    except OSError:
        pass
    rev = sh(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).stdout.strip() or "unknown"
    if sh(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"]).stdout.strip():
        rev += " (with uncommitted changes)"
    cc = sh([os.environ.get("CC", "cc"), "--version"]).stdout.splitlines()
    ssl = sh(["openssl", "version"]).stdout.strip() if shutil.which("openssl") else "none"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "cpu": model,
        "flags": flags,
        "cores": os.cpu_count(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "git": rev,
        "cc": cc[0] if cc else "none",
        "openssl": ssl,
        "load": load,
    }


def speedup_bin(args):
    if args.bin:
        return Path(args.bin)
    if os.environ.get("SPEEDUP_BIN"):
        return Path(os.environ["SPEEDUP_BIN"])
    print("building speedup (cargo build --release) ...", file=sys.stderr)
    r = subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    if r.returncode != 0:
        sys.exit("scripts/peers.sh: cargo build --release failed")
    return ROOT / "target" / "release" / "speedup"


def run_ours(binary, workload, backend, size, out, tag):
    """One speedup bench row: (best throughput, its JSON row)."""
    report = out / f"speedup-{workload}-{tag}.json"
    r = sh([str(binary), "bench", "--workloads", workload, "--backends", backend, "--sizes", size,
            # The peers time their kernel on data already in memory, so our rows do too (issue
            # 20's kernel time: min_seconds below is then the kernel's).
            "--timing", "kernel",
            "--format", "json", "--output", str(report), "--warmup", "1", "--min-runs", "3",
            "--max-runs", "5", "--min-time", "0", "--max-time", "10", "--max-noise", "off"])
    if r.returncode != 0:
        raise RuntimeError(f"speedup bench {workload} {size} failed: {r.stderr.strip()[-400:]}")
    rows = [row for row in json.loads(report.read_text())["results"]
            if row["workload"] == workload and row["backend"] == backend]
    if not rows:
        raise RuntimeError(f"speedup bench {workload} {size}: no {backend} row in {report}")
    row = rows[0]
    return row["work"] / row["min_seconds"], row


def run_peer(binary, argv, out_log):
    """One peer run (`binary SIZE REPS [MODE]`): its report line's fields."""
    r = sh([str(binary), *argv])
    with open(out_log, "a") as log:
        log.write(r.stdout + r.stderr)
    if r.returncode != 0:
        raise RuntimeError(f"{binary.name} {' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()}")
    line = r.stdout.strip().splitlines()[-1]
    return dict(field.split("=", 1) for field in line.split())


def openssl_speed(seconds):
    """OpenSSL's one-stream SHA-256 on 16 KiB blocks: compressions/s (bytes/s ÷ 64)."""
    r = sh(["openssl", "speed", "-seconds", str(seconds), "-bytes", "16384", "-mr", "sha256"])
    m = re.search(r"^\+F:\d+:sha256:([0-9.]+)", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"openssl speed sha256 failed: {(r.stdout + r.stderr).strip()[-300:]}")
    return float(m.group(1)) / 64


def fmt(x):
    return "—" if x is None else f"{x:.3g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (each workload's --quick size)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of speedup and peer (default 3)")
    parser.add_argument("--reps", type=int, default=3, help="peer runs per round (default 3)")
    parser.add_argument("--only", default="", help="comma-separated workloads (and fma, openssl)")
    parser.add_argument("--bin", help="speedup binary (default $SPEEDUP_BIN, else cargo build --release)")
    parser.add_argument("--out", default=str(ROOT / "target" / "peers"), help="where files go")
    args = parser.parse_args()
    if args.rounds < 1 or args.reps < 1:
        parser.error("--rounds and --reps must be at least 1")
    only = {w for w in args.only.split(",") if w}
    known = {c[0] for c in CASES} | {"fma", "openssl"}
    if only - known:
        parser.error(f"--only: unknown {', '.join(sorted(only - known))} (known: {', '.join(sorted(known))})")
    wanted = lambda name: not only or name in only  # noqa: E731

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bins = out / "bin"
    for stale in out.glob("*.log"):
        stale.unlink()
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc):
        sys.exit(f"scripts/peers.sh: no C compiler ({cc}) on PATH: the peers cannot be built")
    build = sh(["bash", str(ROOT / "peers" / "build.sh"), str(bins)])
    if build.stderr.strip():
        print(build.stderr.strip(), file=sys.stderr)
    binary = speedup_bin(args)
    mach = machine()

    cases = [c for c in CASES if wanted(c[0])]
    best = {}  # workload -> {"ours": x, "peer": x, "row": ..., "peer_line": ...}
    notes = []
    for rnd in range(args.rounds):
        print(f"round {rnd + 1} of {args.rounds} ...", file=sys.stderr)
        for workload, backend, full, quick, peer, _check, _what in cases:
            size = quick if args.quick else full
            entry = best.setdefault(workload, {"ours": 0.0, "peer": 0.0, "size": size, "backend": backend})
            if entry.get("error"):
                continue
            if not (bins / peer).exists():
                entry["error"] = f"peer {peer} not built (see peers/build.sh's message)"
                continue
            try:
                ours, row = run_ours(binary, workload, backend, size, out, f"round{rnd + 1}")
                line = run_peer(bins / peer, [size, str(args.reps)], out / f"peer-{peer}.log")
            except RuntimeError as e:
                entry["error"] = str(e)
                continue
            if ours > entry["ours"]:
                entry["ours"], entry["row"] = ours, row
            if float(line["throughput"]) > entry["peer"]:
                entry["peer"], entry["peer_line"] = float(line["throughput"]), line
        if wanted("openssl") and shutil.which("openssl"):
            try:
                c = openssl_speed(1 if args.quick else 3)
                best["openssl"] = max(best.get("openssl", 0.0), c)
            except RuntimeError as e:
                notes.append(str(e))
        if wanted("fma") and (bins / "fma").exists():
            try:
                for mode in ("fma", "muladd"):
                    trips = "2^24" if args.quick else "2^27"
                    line = run_peer(bins / "fma", [trips, str(args.reps), mode], out / "peer-fma.log")
                    key = f"fma-{mode}"
                    if float(line["throughput"]) > best.get(key, {}).get("peer", 0.0):
                        best[key] = {"peer": float(line["throughput"]), "peer_line": line}
            except RuntimeError as e:
                notes.append(str(e))

    # The table.
    lines = []
    lines.append(f"Machine: {mach['cpu']}, {mach['cores']} logical cores; flags: {' '.join(mach['flags'])}")
    lines.append(f"Date: {mach['date']}; speedup at git {mach['git']}; {mach['cc']}; {mach['openssl']}; "
                 f"load average at the start {mach['load']:.2f}")
    lines.append(f"Command: scripts/peers.sh{' --quick' if args.quick else ''} --rounds {args.rounds} "
                 f"--reps {args.reps}{' --only ' + args.only if args.only else ''}; best of "
                 f"{args.rounds} rounds (speedup bench: 3-5 runs per round; peer: {args.reps} runs per round)")
    lines.append("")
    lines.append("| workload | size | speedup row | speedup | peer | peer's | ours ÷ peer | same result |")
    lines.append("|---|---|---|---|---|---|---|---|")
    failed = False
    record = {"machine": mach, "rows": []}
    for workload, backend, _full, _quick, _peer, check, what in cases:
        e = best.get(workload)
        if not e:
            continue
        if e.get("error"):
            lines.append(f"| {workload} | {e['size']} | {backend} | — | {what} | — | — | not run: {e['error']} |")
            failed = True
            continue
        row, peer_line = e["row"], e["peer_line"]
        ok, detail = check(row.get("result"), peer_line, e["size"])
        failed |= not ok
        # The kernel where the row names one (sha256: "sha-ni ×2" or "avx2 ×8"), else the level.
        isa = row.get("cpu_kernel") or row.get("cpu_isa")
        label = f"{backend}{' ' + isa if isa else ''}" + (f", {row['threads']} threads" if backend == "rayon" else "")
        peer_isa = peer_line["isa"] + (f", {peer_line['threads']} threads" if "threads" in peer_line else "")
        unit = row["throughput_unit"]
        lines.append(f"| {workload} | {e['size']} | {label} | {fmt(e['ours'])} {unit} | {what} ({peer_isa}) | "
                     f"{fmt(e['peer'])} | **{e['ours'] / e['peer']:.2f}** | {'yes' if ok else 'NO'}: {detail} |")
        record["rows"].append({"workload": workload, "size": e["size"], "backend": backend, "ours": e["ours"],
                               "peer": e["peer"], "ratio": e["ours"] / e["peer"], "unit": unit,
                               "same_result": ok, "detail": detail, "speedup_row": row, "peer_line": peer_line})
    if "openssl" in best and "sha256" in best and not best["sha256"].get("error"):
        ours = best["sha256"]["ours"]
        lines.append(f"| sha256 | {best['sha256']['size']} against 16 KiB blocks | serial | {fmt(ours)} hashes/s | "
                     f"`openssl speed sha256`, one stream: bytes/s ÷ 64 | {fmt(best['openssl'])} compressions/s | "
                     f"**{ours / best['openssl']:.2f}** | — (a nonce is one compression; a library benchmark) |")
        record["openssl_compressions_per_s"] = best["openssl"]
    for mode, what in (("fma", "FMA chains"), ("muladd", "mul + add chains (unfused)")):
        e = best.get(f"fma-{mode}")
        if e:
            pl = e["peer_line"]
            lines.append(f"| f32 {mode} ceiling, one core | {pl['size']} trips | — | — (issue 23) | C {what}, "
                         f"{pl['isa']} | {fmt(e['peer'])} flop/s | — | checksum {pl['checksum']} |")
            record[f"{mode}_flops"] = e["peer"]
    lines.extend(f"\nNote: {n}" for n in notes)
    table = "\n".join(lines)
    print(table)
    (out / "peers.md").write_text(table + "\n")
    (out / "peers.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"\n(raw numbers: {out / 'peers.json'})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
