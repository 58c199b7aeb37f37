#!/usr/bin/env python3
"""Whole-process time of reading and writing a 2048x2048 soup RLE, as docs/performance.md
measures pattern files ("Pattern files without copies"): CPU time (user + system, from wait4)
and wall time, best of N, the binaries' runs alternating run by run.

    scripts/pattern-io-time.py [--rounds 7] [--dir DIR] NAME=BINARY[:LEVEL] ...

e.g. `scripts/pattern-io-time.py main=/work/main/target/release/speedup
branch=target/release/speedup branch-sse2=target/release/speedup:sse2` (`:LEVEL` runs that binary
with SPEEDUP_CPU=LEVEL). For each binary: the start-up baseline (`--random 8x8 -g 0`), the read
of soup.rle (`soup.rle -g 0`), the soup without a file (`--random 2048x2048 -g 0`) and its write
(`-o out.rle`). Read time over the baseline = read - start-up; write time = write - soup. GB/s is
the file's bytes over that time. soup.rle is made in DIR by the first binary if it is missing;
every binary must read it to the same hash and write the same bytes. --out puts the writes
elsewhere (a tmpfs shows the writer without the disk file system's share).
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
    ap.add_argument("--dir", default=tempfile.gettempdir(), help="where soup.rle is")
    ap.add_argument("--out", help="where the writes go (default --dir); a tmpfs such as "
                    "/dev/shm leaves out the disk file system's block allocation and writeback")
    ap.add_argument("binaries", nargs="+", metavar="NAME=BINARY[:LEVEL]")
    args = ap.parse_args()
    soup = os.path.join(args.dir, "soup.rle")
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
    if not os.path.exists(soup):
        name, path, env = bins[0]
        subprocess.run([path, *life, "--random", "2048x2048", *serial, "-o", soup],
                       check=True, env=env, stdout=subprocess.DEVNULL)
    size = os.path.getsize(soup)
    # Same grid read, same bytes written, by every binary.
    hashes, outputs = set(), set()
    for name, path, env in bins:
        out = subprocess.run([path, *life, soup, *serial], check=True, env=env,
                             capture_output=True, text=True).stdout
        hashes.update(l for l in out.splitlines() if l.startswith("hash:"))
        target = os.path.join(out_dir, f"out-{name}.rle")
        subprocess.run([path, *life, "--random", "2048x2048", *serial, "-o", target],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        with open(target, "rb") as f:
            outputs.add(f.read())
    if len(hashes) != 1 or len(outputs) != 1:
        sys.exit(f"the binaries disagree: {len(hashes)} hashes read, {len(outputs)} outputs")
    cases = {
        "start-up": ["--random", "8x8", *serial],
        "read": [soup, *serial],
        "soup": ["--random", "2048x2048", *serial],
        "write": ["--random", "2048x2048", *serial, "-o", os.path.join(out_dir, "out.rle")],
    }
    best = {(n, c): [float("inf")] * 2 for n, _, _ in bins for c in cases}
    for _ in range(args.rounds):
        for case, rest in cases.items():
            for name, path, env in bins:
                cpu, wall = run([path, *life, *rest], env)
                b = best[(name, case)]
                b[0], b[1] = min(b[0], cpu), min(b[1], wall)
    print(f"soup.rle: {size} bytes; writes to {out_dir}; best of {args.rounds}, ms (CPU / wall)")
    print("| binary | start-up | read | soup | write | read over start-up | write over soup |")
    print("|---|---|---|---|---|---|---|")
    for name, _, _ in bins:
        g = lambda c: best[(name, c)]
        cells = " | ".join(f"{g(c)[0]:.2f} / {g(c)[1]:.2f}" for c in cases)
        r = g("read")[0] - g("start-up")[0]
        w = g("write")[0] - g("soup")[0]
        rate = lambda ms: f"{size / ms / 1e6:.2f} GB/s" if ms > 0 else "-"
        print(f"| {name} | {cells} | {r:.2f} ms: {rate(r)} | {w:.2f} ms: {rate(w)} |")


if __name__ == "__main__":
    main()
