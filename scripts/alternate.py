#!/usr/bin/env python3
"""Run one command line with several binaries in turn and report process CPU time and wall time.

    python3 scripts/alternate.py ROUNDS BIN1,BIN2[,...] ARGS...

Each round runs every binary once with ARGS (output discarded), in turn, so that the host's slow
minutes fall on all of them alike; CPU time is user + system of the child by wait4, which another
tenant's load disturbs less than wall time. Prints best and median of each. Do not pipe speedup's
output into another program while timing: that program's start-up takes a core from a Rayon run.
"""
import os
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    rounds = int(sys.argv[1])
    binaries = sys.argv[2].split(",")
    args = sys.argv[3:]
    results = {b: [] for b in binaries}
    for _ in range(rounds):
        for b in binaries:
            start = time.perf_counter()
            child = subprocess.Popen([b] + args, stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - start
            if status != 0:
                sys.exit(f"{b} {' '.join(args)}: exit status {status}")
            results[b].append((usage.ru_utime + usage.ru_stime, wall))
    for b, runs in results.items():
        cpu = [c for c, _ in runs]
        wall = [w for _, w in runs]
        print(
            f"{os.path.basename(b):24s} cpu best {min(cpu):.4f} med {statistics.median(cpu):.4f}"
            f"  wall best {min(wall):.4f} med {statistics.median(wall):.4f}"
        )


if __name__ == "__main__":
    main()
