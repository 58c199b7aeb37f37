#!/usr/bin/env python3
"""speedup's Life against Golly (bgolly: QuickLife, HashLife) and lifelib, whole process (issue 24).

    scripts/life-peers.py [--bin PATH] [--rounds N] [--size N] [--generations G] [--out DIR]
                          [--backends serial,rayon] [--only soup-torus,soup-plane,acorn]

Three cases, each run by every program on the same pattern file, in alternation, ROUNDS times;
the table gives each program's best whole-process time (start to exit: reading the file, the
run, the final population) and checks that every program reports the same final population:

- soup-torus: a SIZE² random soup (density 0.5, seed 1) written as RLE by speedup, on a SIZE²
  torus, G generations: speedup against bgolly's QuickLife and HashLife on the same torus (the
  RLE's rule is Golly's `B3/S23:TSIZE,SIZE`).
- soup-plane: the same soup on an unbounded plane: lifelib (and bgolly) run it on their infinite
  plane, speedup on a bounded 2·SIZE² grid with the soup centred, which nothing reaches in
  G ≤ SIZE/2 generations (a signal moves at most one cell a generation), so all see the same
  plane.
- acorn: the methuselah acorn centred in an empty 4·SIZE² grid (bounded for speedup, the plane
  for the others): large quiet regions, where Golly and lifelib, which skip them, win.

Golly and lifelib skip quiet regions (QuickLife tracks active 32×32 tiles, HashLife and lifelib
memoise), so on an early random soup, active almost everywhere, they do the most work per cell.
speedup steps the bounding box of the live cells grown by the generations of a pass (the rest of
a bounded grid is known dead), so it too skips the empty plane around a soup or a methuselah,
though not the quiet regions inside the box.

Tools: speedup (release build, `cargo build --release`, or --bin), bgolly (Debian's `golly`
package), python-lifelib (`pip install python-lifelib`; it compiles its C++ with g++ on first
use, which the script does once before timing). A missing tool's rows say so and are skipped.
Output: a markdown table headed by the machine on stdout, and in OUT (default target/life-peers)
the patterns, the table (life-peers.md) and every time measured (life-peers.json). Exit status 1
if the populations disagree.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ACORN = "x = 7, y = 3, rule = B3/S23\nbo5b$3bo3b$2o2b3o!\n"

# lifelib in a fresh Python process: load the pattern, advance, print the population and the
# seconds of the advance alone.
LIFELIB = """
import sys, time, lifelib
sess = lifelib.load_rules("b3s23")
lt = sess.lifetree(memory=4000)
text = open(sys.argv[1]).read()
pattern = lt.pattern(text)
start = time.perf_counter()
pattern = pattern[int(sys.argv[2])]
population = pattern.population
print(population, time.perf_counter() - start)
"""


def run(cmd, **kw):
    """Runs `cmd`; returns (seconds wall, stdout). Raises on a non-zero exit."""
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: exit {done.returncode}: {done.stderr.strip()[-400:]}")
    return seconds, done.stdout


def machine():
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


class Speedup:
    def __init__(self, binary, backend):
        self.binary, self.backend = binary, backend
        self.name = f"speedup ({backend})"

    def command(self, case):
        cmd = [self.binary, "life", "run", case["file"], "-g", str(case["generations"]),
               "--backend", self.backend, "--quiet", "--json"]
        if case.get("speedup_args"):
            cmd += case["speedup_args"]
        return cmd

    def once(self, case):
        seconds, out = run(self.command(case))
        report = json.loads(out)
        return seconds, report["population"], report["elapsed_seconds"]


class Golly:
    def __init__(self, binary, algorithm):
        self.binary, self.algorithm = binary, algorithm
        self.name = f"bgolly {algorithm}"

    def command(self, case):
        return [self.binary, "-a", self.algorithm, "-m", str(case["generations"]),
                case["golly_file"]]

    def once(self, case):
        seconds, out = run(self.command(case))
        # bgolly prints "generation: population" as it steps, with thousands separators
        # ("1,000: 457"); the last line is the final generation's.
        last = re.fullmatch(r"([\d,]+): ([\d,]+)", out.strip().splitlines()[-1] if out.strip() else "")
        if not last or int(last[1].replace(",", "")) != case["generations"]:
            raise RuntimeError(f"bgolly did not report generation {case['generations']}: {out[-200:]!r}")
        return seconds, int(last[2].replace(",", "")), None


class Lifelib:
    name = "lifelib"

    def __init__(self, python):
        self.python = python

    def command(self, case):
        return [self.python, "-c", LIFELIB, case["plane_file"], str(case["generations"])]

    def once(self, case):
        seconds, out = run(self.command(case))
        population, inner = out.split()
        return seconds, int(population), float(inner)


def lifelib_python():
    """The Python that has lifelib, warmed up (its C++ compiled), or None with the reason."""
    python = sys.executable
    check = subprocess.run([python, "-c", "import lifelib"], capture_output=True, text=True)
    if check.returncode != 0:
        return None, "python-lifelib is not installed (pip install python-lifelib)"
    if shutil.which("g++") is None:
        return None, "lifelib needs g++ to compile its rules"
    warm = subprocess.run([python, "-c", "import lifelib; lifelib.load_rules('b3s23')"],
                          capture_output=True, text=True)
    if warm.returncode != 0:
        return None, f"lifelib could not compile b3s23: {warm.stderr.strip()[-300:]}"
    return python, None


def prepare(args, out):
    """Writes the patterns and returns the cases."""
    n, g = args.size, args.generations
    soup = out / f"soup-{n}.rle"
    run([args.bin, "life", "run", "--random", f"{n}x{n}", "--seed", "1", "-g", "0",
         "--quiet", "-o", soup])
    text = soup.read_text()
    if f":T{n},{n}" not in text.split("\n", 2)[0] + text.split("\n", 2)[1]:
        raise RuntimeError(f"{soup}: expected a torus rule B3/S23:T{n},{n} in the header")
    # The same soup on the plane: the rule without Golly's torus suffix.
    plane = out / f"soup-{n}-plane.rle"
    plane.write_text(re.sub(r"rule = B3/S23:T\d+,\d+", "rule = B3/S23", text, count=1))
    acorn = out / "acorn.rle"
    acorn.write_text(ACORN)
    big, quiet = 2 * n, 4 * n
    return [
        {"name": "soup-torus", "what": f"{n}² random soup, {n}² torus, {g} generations",
         "file": soup, "golly_file": soup, "plane_file": None, "generations": g},
        {"name": "soup-plane",
         "what": f"{n}² random soup on the plane (speedup: bounded {big}²), {g} generations",
         "file": plane, "golly_file": plane, "plane_file": plane, "generations": g,
         "speedup_args": ["--size", f"{big}x{big}", "--topology", "bounded"]},
        {"name": "acorn",
         "what": f"acorn in an empty plane (speedup: bounded {quiet}²), {g} generations",
         "file": acorn, "golly_file": acorn, "plane_file": acorn, "generations": g,
         "speedup_args": ["--size", f"{quiet}x{quiet}", "--topology", "bounded"]},
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.environ.get("SPEEDUP_BIN"),
                        help="speedup binary (default: cargo build --release)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--generations", type=int, default=1000)
    parser.add_argument("--backends", default="serial,rayon")
    parser.add_argument("--only", default="soup-torus,soup-plane,acorn")
    parser.add_argument("--out", default=str(ROOT / "target" / "life-peers"))
    args = parser.parse_args()
    if args.generations > args.size // 2:
        parser.error("--generations must be at most --size / 2, so the soup never reaches the "
                     "bounded grid's edge")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.bin:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        args.bin = str(ROOT / "target" / "release" / "speedup")

    programs, skipped = [Speedup(args.bin, b) for b in args.backends.split(",")], []
    bgolly = shutil.which("bgolly")
    if bgolly:
        programs += [Golly(bgolly, "QuickLife"), Golly(bgolly, "HashLife")]
    else:
        skipped.append("bgolly: not found (apt-get install golly)")
    python, why = lifelib_python()
    if python:
        programs.append(Lifelib(python))
    else:
        skipped.append(f"lifelib: {why}")

    cases = [c for c in prepare(args, out) if c["name"] in args.only.split(",")]
    results, ok = [], True

    # The table so far, after every case: bgolly's QuickLife takes tens of seconds a run on the
    # soup, so a long run that is stopped keeps what it measured.
    def report():
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        lines = [f"Machine: {machine()}; {stamp}; best of {args.rounds} alternating rounds, whole "
                 "process (start to exit).", ""]
        lines.append("| case | program | best s | inner s | population | speedup serial is × faster |")
        lines.append("|---|---|---|---|---|---|")
        for r in results:
            inner = f"{r['inner_seconds']:.4f}" if r["inner_seconds"] is not None else "—"
            ratio = f"{r['serial_speedup_vs_this']:.1f}×" if r["serial_speedup_vs_this"] else "—"
            mark = "" if r["populations_agree"] else " **disagrees**"
            lines.append(f"| {r['case']} | {r['program']} | {r['best_seconds']:.3f} | {inner} | "
                         f"{r['population']}{mark} | {ratio} |")
        lines += [""] + [f"- {c['name']}: {c['what']}" for c in cases]
        lines += ["- inner s: speedup's stepping alone (`elapsed_seconds`), lifelib's advance alone"]
        lines += [f"- skipped: {s}" for s in skipped]
        table = "\n".join(lines)
        print(table)
        (out / "life-peers.md").write_text(table + "\n")
        (out / "life-peers.json").write_text(json.dumps(
            {"machine": machine(), "date": stamp, "rounds": args.rounds, "results": results,
             "skipped": skipped}, indent=2, default=str) + "\n")

    for case in cases:
        runs = {p.name: [] for p in programs if not (isinstance(p, Lifelib) and not case["plane_file"])}
        for _ in range(args.rounds):
            for p in programs:
                if p.name in runs:
                    runs[p.name].append(p.once(case))
        populations = {name: r[0][1] for name, r in runs.items()}
        agree = len(set(populations.values())) == 1
        ok &= agree
        ours = min(s for s, _, _ in runs["speedup (serial)"]) if "speedup (serial)" in runs else None
        for name, r in runs.items():
            best = min(r, key=lambda x: x[0])
            results.append({
                "case": case["name"], "what": case["what"], "program": name,
                "best_seconds": best[0], "all_seconds": [x[0] for x in r],
                "inner_seconds": best[2], "population": best[1], "populations_agree": agree,
                "serial_speedup_vs_this": (best[0] / ours) if ours else None,
            })
        report()

    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
