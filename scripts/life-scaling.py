#!/usr/bin/env python3
"""How Life's Rayon backend scales against serial, whole process, and why it stops where it does.

Issue 24 item 4 asks for rayon >= 1.9x serial, whole process, at 8192^2 x 300 on two cores. A
single pair of runs cannot say whether a shortfall is ours (serial parts, a barrier, imbalance)
or the machine's (a second busy core slowing the first: a shared cache, memory, or a host that
steals time from a busy guest), so this script measures three things on the same binary:

1. whole process, serial and rayon alternating run by run (best and median of --rounds), and the
   stepping alone as the binary reports it (`elapsed_seconds`);
2. the pair test: one serial process pinned to each CPU at once against one alone. If two
   processes that share nothing in software each run slower than one alone, the cores share a
   bottleneck and no parallel code can reach 2x on this kernel;
3. the guest's steal time (/proc/stat) and load average around the runs, so a noisy run is seen
   as one.

Usage: scripts/life-scaling.py [--bin target/release/speedup] [--size 8192x8192] [-g 300]
       [--rounds 7]
Prints Markdown to paste into docs/performance.md. Exits 1 if serial and rayon disagree on the
final grid's hash (they must not).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def steal_ticks():
    """The guest's steal time so far, in clock ticks (Linux /proc/stat, field 8 of `cpu`)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8])
    except (OSError, IndexError, ValueError):
        return None


def run(binary, size, gens, backend, cpu=None):
    """One whole-process run: (wall seconds, the JSON report)."""
    cmd = [binary, "life", "run", "--random", size, "-g", str(gens), "--backend", backend, "--json"]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - start
    return wall, json.loads(out)


def start(binary, size, gens, cpu):
    cmd = ["taskset", "-c", str(cpu), binary, "life", "run", "--random", size, "-g", str(gens),
           "--backend", "serial", "--json"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default="target/release/speedup")
    p.add_argument("--size", default="8192x8192")
    p.add_argument("-g", "--generations", type=int, default=300)
    p.add_argument("--rounds", type=int, default=7)
    a = p.parse_args()
    if not os.access(a.bin, os.X_OK):
        sys.exit(f"error: {a.bin}: not an executable (build with cargo build --release)")

    load0, steal0 = os.getloadavg()[0], steal_ticks()
    walls = {"serial": [], "rayon": []}
    steps = {"serial": [], "rayon": []}
    hashes = set()
    run(a.bin, a.size, a.generations, "serial")  # warm the page cache and the binary
    for _ in range(a.rounds):
        for backend in ("serial", "rayon"):
            wall, report = run(a.bin, a.size, a.generations, backend)
            walls[backend].append(wall)
            steps[backend].append(report["elapsed_seconds"])
            hashes.add(report["hash"])
    if len(hashes) != 1:
        sys.exit(f"error: serial and rayon disagree on the final grid: hashes {sorted(hashes)}")

    ncpu = os.cpu_count() or 1
    alone, paired = [], []
    if ncpu >= 2:
        for _ in range(max(1, a.rounds // 2)):
            alone.append(run(a.bin, a.size, a.generations, "serial", cpu=0)[1]["elapsed_seconds"])
            procs = [start(a.bin, a.size, a.generations, cpu) for cpu in (0, 1)]
            paired += [json.loads(p.communicate()[0])["elapsed_seconds"] for p in procs]
    load1, steal1 = os.getloadavg()[0], steal_ticks()

    best = {b: min(v) for b, v in walls.items()}
    med = {b: statistics.median(v) for b, v in walls.items()}
    sbest = {b: min(v) for b, v in steps.items()}
    print(f"Life {a.size} x {a.generations}, `{a.bin}`, {a.rounds} alternating rounds, "
          f"{ncpu} CPUs, load average {load0:.2f} before and {load1:.2f} after, steal "
          + (f"{(steal1 - steal0) / os.sysconf('SC_CLK_TCK'):.2f} s" if steal0 is not None
             else "unknown") + "\n")
    print("| | serial | rayon | rayon / serial |")
    print("|---|---|---|---|")
    print(f"| whole process, best | {best['serial']:.3f} s | {best['rayon']:.3f} s "
          f"| **{best['serial'] / best['rayon']:.2f}x** |")
    print(f"| whole process, median | {med['serial']:.3f} s | {med['rayon']:.3f} s "
          f"| {med['serial'] / med['rayon']:.2f}x |")
    print(f"| stepping alone, best | {sbest['serial']:.3f} s | {sbest['rayon']:.3f} s "
          f"| {sbest['serial'] / sbest['rayon']:.2f}x |")
    if alone:
        a1, p2 = min(alone), statistics.median(paired)
        print(f"\nPair test (serial, stepping): alone on CPU 0 best {a1:.3f} s; two at once, one "
              f"pinned to each CPU, median {p2:.3f} s each ({p2 / a1:.2f}x the time alone), so "
              f"two threads of this kernel can give at most about **{2 * a1 / p2:.2f}x** here.")


if __name__ == "__main__":
    main()
