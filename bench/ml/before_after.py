#!/usr/bin/env python3
"""Before/after table of Quarry fits from two builds run alternately in one session of benchmarks.

Input: JSON lines of bench/ml/quarry.mjs, each with a "tree" field naming the build (the first
tree seen is "before") and "loadavg1" (the 1-minute load average when the run started), e.g.

    for round in 1 2 3; do for t in /path/to/before /path/to/after; do for s in parquet cached; do
      l=$(cut -d' ' -f1 /proc/loadavg)
      (cd $t && node bench/ml/quarry.mjs --sizes 1m --tasks logreg,linreg --source $s --repeat 2 \\
        --logreg-tol 1e-15 | sed "s|^{|{\\"tree\\":\\"$(basename $t)\\",\\"loadavg1\\":$l,|") >> ab.jsonl
    done; done; done
    python3 bench/ml/before_after.py ab.jsonl

Prints, per task, source and fit number, the median wall and CPU seconds of each build and the
ratio before / after. Standard library only.
"""
import json
import statistics as st
import sys
from collections import defaultdict


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    trees = list(dict.fromkeys(r["tree"] for r in rows))
    if len(trees) != 2:
        sys.exit(f"expected two builds in the 'tree' field, found {trees}")
    before, after = trees
    runs = defaultdict(list)
    for r in rows:
        runs[(r["task"], r["source"], r["fit"], r["tree"])].append((r["seconds_total"], r["cpu_seconds"]))
    loads = [r["loadavg1"] for r in rows if "loadavg1" in r]
    if loads:
        print(f"load average during the runs: {min(loads)} - {max(loads)}; before = {before}, after = {after}")
    print(f"| task | source | fit | before (wall / CPU s, median) | after | before / after (wall, CPU) |")
    print("| --- | --- | ---: | --- | --- | --- |")
    for key in sorted({k[:3] for k in runs}):
        a, b = runs[key + (before,)], runs[key + (after,)]
        if not a or not b:
            continue
        wa, ca = st.median(x[0] for x in a), st.median(x[1] for x in a)
        wb, cb = st.median(x[0] for x in b), st.median(x[1] for x in b)
        print(f"| {key[0]} | {key[1]} | {key[2]} | {wa:.3f} / {ca:.3f} | {wb:.3f} / {cb:.3f} | {wa / wb:.2f}x, {ca / cb:.2f}x |")


if __name__ == "__main__":
    main()
