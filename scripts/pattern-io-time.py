#!/usr/bin/env python3
"""Whole-process time of reading and writing a 2048x2048 soup in each pattern format, as
docs/performance.md measures pattern files ("Pattern files without copies"): CPU time (user +
system, from wait4) and wall time, best of N, the binaries' runs alternating run by run.

    scripts/pattern-io-time.py [--rounds 7] [--dir DIR] [--out DIR] [--formats rle,cells,lif,life] [--quantiles]
        NAME=BINARY[:LEVEL] ...

e.g. `scripts/pattern-io-time.py main=/work/main/target/release/speedup
branch=target/release/speedup branch-sse2=target/release/speedup:sse2` (`:LEVEL` runs that binary
with SPEEDUP_CPU=LEVEL). For each binary: the start-up baseline (`--random 8x8 -g 0`), the read
of each soup.EXT (`soup.EXT -g 0`), the soup without a file (`--random 2048x2048 -g 0`) and its
write (`-o out.EXT`). Read time over the baseline = read - start-up; write time = write - soup. GB/s is
the file's bytes over that time. soup.EXT is made in DIR by the first binary if it is missing;
every binary must read it to the same hash and write the same bytes. --out puts the writes
elsewhere (a tmpfs shows the writer without the disk file system's share). Each write goes to a
new file: the previous run's out.EXT is removed before the timed process starts, since replacing
an existing file makes the kernel free its cached pages inside the writer's rename (4-6% of a
2048² RLE write); --overwrite keeps the old file there and counts that too.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time


def run(cmd, env):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execve(cmd[0], cmd, env)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return (ru.ru_utime + ru.ru_stime) * 1e3, wall * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--dir", default=tempfile.gettempdir(), help="where the soup.EXT files are")
    ap.add_argument("--overwrite", action="store_true",
                    help="write over the previous run's output instead of to a new file")
    ap.add_argument("--out", help="where the writes go (default --dir); a tmpfs such as "
                    "/dev/shm leaves out the disk file system's block allocation and writeback")
    ap.add_argument("--formats", default="rle,cells,lif,life",
                    help="file extensions to time (rle, cells, lif: Life 1.05, life: Life 1.06)")
    ap.add_argument("--quantiles", action="store_true",
                    help="also print each write's min / p25 / median over the soup's (CPU ms): "
                    "steadier than the bests on a shared machine")
    ap.add_argument("binaries", nargs="+", metavar="NAME=BINARY[:LEVEL]")
    args = ap.parse_args()
    out_dir = args.out or args.dir
    bins = []
    for spec in args.binaries:
        name, _, path = spec.partition("=")
        path, _, level = path.partition(":")
        env = dict(os.environ)
        env.pop("SPEEDUP_CPU", None)
        if level:
            env["SPEEDUP_CPU"] = level
        bins.append((name, os.path.abspath(path), env))
    life = ["life", "run"]
    serial = ["-g", "0", "--backend", "serial"]
    baselines = {
        "start-up": ["--random", "8x8", *serial],
        "soup": ["--random", "2048x2048", *serial],
    }
    cases = dict(baselines)
    sizes = {}
    for ext in args.formats.split(","):
        soup = os.path.join(args.dir, f"soup.{ext}")
        if not os.path.exists(soup):
            name, path, env = bins[0]
            subprocess.run([path, *life, "--random", "2048x2048", *serial, "-o", soup],
                           check=True, env=env, stdout=subprocess.DEVNULL)
        sizes[ext] = os.path.getsize(soup)
        # Same grid read, same bytes written, by every binary.
        hashes, outputs = set(), set()
        for name, path, env in bins:
            out = subprocess.run([path, *life, soup, *serial], check=True, env=env,
                                 capture_output=True, text=True).stdout
            hashes.update(l for l in out.splitlines() if l.startswith("hash:"))
            target = os.path.join(out_dir, f"out-{name}.{ext}")
            subprocess.run([path, *life, "--random", "2048x2048", *serial, "-o", target],
                           check=True, env=env, stdout=subprocess.DEVNULL)
            with open(target, "rb") as f:
                outputs.add(f.read())
        if len(hashes) != 1 or len(outputs) != 1:
            sys.exit(f"soup.{ext}: the binaries disagree: {len(hashes)} hashes read, "
                     f"{len(outputs)} outputs")
        cases[f"read {ext}"] = [soup, *serial]
        cases[f"write {ext}"] = ["--random", "2048x2048", *serial, "-o",
                                 os.path.join(out_dir, f"out.{ext}")]
    best = {(n, c): [float("inf")] * 2 for n, _, _ in bins for c in cases}
    every = {(n, c): [] for n, _, _ in bins for c in cases}
    for _ in range(args.rounds):
        for case, rest in cases.items():
            for name, path, env in bins:
                if case.startswith("write") and not args.overwrite and os.path.exists(rest[-1]):
                    os.remove(rest[-1])
                cpu, wall = run([path, *life, *rest], env)
                every[(name, case)].append(cpu)
                b = best[(name, case)]
                b[0], b[1] = min(b[0], cpu), min(b[1], wall)
    print(f"2048x2048 soup; writes to {out_dir}; best of {args.rounds}, ms (CPU / wall); GB/s is "
          "the file's bytes over CPU time: read over start-up, write over the soup without a file")
    print("| binary | start-up | soup | " + " | ".join(
        f"read {e} ({sizes[e] / 1e6:.1f} MB) | write {e}" for e in sizes) + " |")
    print("|---|---|---|" + "---|---|" * len(sizes))
    for name, _, _ in bins:
        g = lambda c: best[(name, c)]
        rate = lambda ext, ms: f"{sizes[ext] / ms / 1e6:.2f} GB/s" if ms > 0 else "-"
        row = [f"{g(c)[0]:.2f} / {g(c)[1]:.2f}" for c in baselines]
        for ext in sizes:
            r = g(f"read {ext}")[0] - g("start-up")[0]
            w = g(f"write {ext}")[0] - g("soup")[0]
            row.append(f"{g(f'read {ext}')[0]:.2f} / {g(f'read {ext}')[1]:.2f}: **{rate(ext, r)}**")
            row.append(f"{g(f'write {ext}')[0]:.2f} / {g(f'write {ext}')[1]:.2f}: "
                       f"**{rate(ext, w)}**")
        print(f"| {name} | " + " | ".join(row) + " |")
    if args.quantiles:
        print("\nwrite over the soup, CPU ms: min / p25 / median of the writes less those of the "
              "soup (GB/s at the min)")
        for name, _, _ in bins:
            at = lambda c, q: sorted(every[(name, c)])[int(q * (args.rounds - 1))]
            cells = []
            for ext in sizes:
                d = [at(f"write {ext}", q) - at("soup", q) for q in (0, 0.25, 0.5)]
                gbs = f"{sizes[ext] / d[0] / 1e6:.2f}" if d[0] > 0 else "-"
                cells.append(f"{ext} {d[0]:.2f} / {d[1]:.2f} / {d[2]:.2f} ({gbs} GB/s)")
            print(f"{name}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
