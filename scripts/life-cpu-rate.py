#!/usr/bin/env python3
# Life's CPU kernel rate by process CPU time, for a shared, noisy machine: each binary runs
# `life run --random NxN -g G` and `-g 0` in turns, ROUNDS times; the rate is N*N*G cell-updates
# over (CPU seconds at G) - (least CPU seconds at 0), printed best, second best and median.
#   usage: scripts/life-cpu-rate.py N G ROUNDS KERNEL BINARY...
#   env: BACKEND (serial), SPEEDUP_CPU (avx2)
# e.g. scripts/life-cpu-rate.py 4096 400 30 tiled /tmp/speedup-main target/release/speedup
# (docs/performance.md, "The serial Life kernel against Zen 3's count").
import os, subprocess, sys, resource, statistics
if len(sys.argv) < 6 or not all(a.isdigit() for a in sys.argv[1:4]):
    print("usage: life-cpu-rate.py N G ROUNDS KERNEL BINARY... (N, G, ROUNDS whole numbers)", file=sys.stderr)
    sys.exit(2)
N=int(sys.argv[1]); G=int(sys.argv[2]); R=int(sys.argv[3]); K=sys.argv[4]; bins=sys.argv[5:]
backend=os.environ.get("BACKEND","serial")
env=dict(os.environ); env.setdefault("SPEEDUP_CPU","avx2")
def cpu(b,g):
    r0=resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([b,"life","run","--random",f"{N}x{N}","-g",str(g),"--backend",backend,"--kernel",K,"--quiet"],env=env,check=True,stdout=subprocess.DEVNULL)
    r1=resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime-r0.ru_utime)+(r1.ru_stime-r0.ru_stime)
t0s={b:[] for b in bins}; ts={b:[] for b in bins}
for r in range(R):
    for b in bins:
        t0s[b].append(cpu(b,0)); ts[b].append(cpu(b,G))
for b in bins:
    base=min(t0s[b])  # setup: its least-disturbed time
    v=sorted((N*N*G/(t-base) for t in ts[b]),reverse=True)
    print(f"{b:28s} best {v[0]:.3e}  2nd {v[1]:.3e}  median {statistics.median(v):.3e}  (g0 {base*1e3:.1f} ms)")
