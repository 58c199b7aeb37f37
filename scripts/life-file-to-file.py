#!/usr/bin/env python3
"""Issue 24 item 4's first target: a pattern file stepped and written back, whole process.

    scripts/life-file-to-file.py [--rounds 15] [--soup soup.rle] [-g 1000] BINARY...

Runs `speedup life run SOUP -g G --backend serial -o OUT --json` for each binary in turns (the
output removed before each run, outside the timed process), and prints per binary the best wall
and CPU time (user + system, from wait4), the stepping as the binary reports it
(`elapsed_seconds`), and what is not stepping (reading, set-up, hashing, writing, process start
and exit) as a share of the whole: the best run's and the median over the rounds. Without
--soup, a 2048x2048 random soup (seed 1) is written by the first binary to a temporary folder.
Exits 1 if the binaries disagree on the final grid's hash.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run(binary, soup, gens, out):
    if os.path.exists(out):
        os.remove(out)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    text = subprocess.run([binary, "life", "run", soup, "-g", str(gens), "--backend", "serial",
                           "-o", out, "--quiet", "--json"],
                          capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    report = json.loads(text)
    return wall, cpu, report["elapsed_seconds"], report["hash"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--soup")
    ap.add_argument("-g", "--generations", type=int, default=1000)
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="life-f2f-")
    soup = args.soup or os.path.join(work, "soup.rle")
    if not args.soup:
        subprocess.run([args.binaries[0], "life", "run", "--random", "2048x2048", "--seed", "1",
                        "-g", "0", "--quiet", "-o", soup], check=True, stdout=subprocess.DEVNULL)
    out = os.path.join(work, "out.rle")
    runs = {b: [] for b in args.binaries}
    for _ in range(args.rounds):
        for b in args.binaries:
            runs[b].append(run(b, soup, args.generations, out))
    hashes = {r[3] for rs in runs.values() for r in rs}
    print(f"{soup} -g {args.generations}, serial, file to file, {args.rounds} rounds alternating")
    for b, rs in runs.items():
        best = min(rs, key=lambda r: r[0])
        share = statistics.median((r[0] - r[2]) / r[0] for r in rs)
        print(f"{b}: wall best {best[0] * 1e3:.1f} ms (median "
              f"{statistics.median(r[0] for r in rs) * 1e3:.1f}), CPU best "
              f"{min(r[1] for r in rs) * 1e3:.1f} ms, stepping best {min(r[2] for r in rs) * 1e3:.1f}"
              f" ms; not stepping: {100 * (best[0] - best[2]) / best[0]:.1f}% of the best run, "
              f"median {100 * share:.1f}%")
    shutil.rmtree(work)
    if len(hashes) != 1:
        sys.exit(f"the binaries disagree on the final grid: {sorted(hashes)}")


if __name__ == "__main__":
    main()
