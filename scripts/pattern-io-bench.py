#!/usr/bin/env python3
"""Pattern files, whole process: two speedup binaries run alternately, best of N (env N, 5) of
CPU time (user + system, from wait4) and wall clock, for start-up, the 2048x2048 soup without a
file, reading soup.cells/.lif/.life and writing out.cells/.lif/.life.

Usage: scripts/pattern-io-bench.py BRANCH_BINARY, in a folder (env DIR, default the current one)
that holds soup.cells, soup.lif and soup.life (made with `speedup life run --random 2048x2048
-g 0 --backend serial -o soup.EXT`); env BASE names the other binary (default main's release
binary copied to /tmp/lt/main), ONLY=a,b keeps the cases whose names contain a or b.
See docs/performance.md, "Life 1.06, Life 1.05 and plaintext at memory speed"."""
import os, sys, time, subprocess
N = int(os.environ.get("N", "5"))
bins = {
    "main": os.path.abspath(os.environ.get("BASE", "/tmp/lt/main")),
    "branch": os.path.abspath(sys.argv[1]),
}
os.chdir(os.environ.get("DIR", "."))
cases = [
    ("start-up", ["life","run","--random","8x8","-g","0","--backend","serial"]),
    ("soup", ["life","run","--random","2048x2048","-g","0","--backend","serial"]),
    ("read cells", ["life","run","soup.cells","-g","0","--backend","serial"]),
    ("read lif", ["life","run","soup.lif","-g","0","--backend","serial"]),
    ("read life", ["life","run","soup.life","-g","0","--backend","serial"]),
    ("write cells", ["life","run","--random","2048x2048","-g","0","--backend","serial","-o","out.cells"]),
    ("write lif", ["life","run","--random","2048x2048","-g","0","--backend","serial","-o","out.lif"]),
    ("write life", ["life","run","--random","2048x2048","-g","0","--backend","serial","-o","out.life"]),
]
only = os.environ.get("ONLY")
if only:
    cases = [c for c in cases if any(o in c[0] for o in only.split(","))]
def run(b, args):
    t = time.perf_counter()
    p = subprocess.Popen([b]+args, stdout=subprocess.DEVNULL)
    _, st, ru = os.wait4(p.pid, 0)
    w = time.perf_counter() - t
    assert st == 0, (b, args)
    return (ru.ru_utime + ru.ru_stime)*1e3, w*1e3
res = {}
for name, args in cases:
    for i in range(N):
        for k, b in bins.items():
            c, w = run(b, args)
            r = res.setdefault((name, k), [1e9, 1e9])
            r[0] = min(r[0], c); r[1] = min(r[1], w)
print(f"load {os.getloadavg()[0]:.2f}")
print(f"{'case':12} {'mainCPU':>8} {'brCPU':>8} {'mainW':>8} {'brW':>8}")
for name, _ in cases:
    m, b = res[(name,"main")], res[(name,"branch")]
    print(f"{name:12} {m[0]:8.1f} {b[0]:8.1f} {m[1]:8.1f} {b[1]:8.1f}")
