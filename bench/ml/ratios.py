#!/usr/bin/env python3
"""Quarry vs scikit-learn vs Spark MLlib from side_by_side.sh output, as a markdown table.

    python3 bench/ml/ratios.py bench/data/ml_results/side_by_side_1m.jsonl bench/data/ml_results/side_by_side_10m.jsonl

Per EM / Lloyd iteration for gmm and kmeans; whole fits for logreg and linreg. Each cell is
"wall s / CPU s" (CPU: the process's CPU time on all its threads; Spark: the JVM's). Quarry's
figure is the best of its fits from the Parquet file (the total includes reading the file, like
scikit-learn's load + fit) and, for logreg/linreg, of its fits on a cached frame (compare with
scikit-learn's fit alone), in two rows: the first fit on the cached frame (it copies the columns
out of the engine's table into the kernels' memory) and the repeat fits (`--repeat 2` or more:
the copy is kept in the kernel pool between fits on the same cached frame, as scikit-learn's
repeated fits reuse its arrays in memory). Ratios are anchor / Quarry, on wall time and on CPU time.
Standard library only.
"""
import json
import sys


def load(paths):
    rows = []
    for p in paths:
        with open(p) as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return [r for r in rows if r.get("anchor") != "machine"]


def best(rows, key):
    vals = [r for r in rows if r.get(key[0]) is not None and r.get(key[1]) is not None]
    return min(vals, key=lambda r: r[key[0]]) if vals else None


def cell(r, wall, cpu):
    if not r:
        return "-"
    c = r.get(cpu)
    return f"{r[wall]:.3g} / {c:.3g}" if c is not None else f"{r[wall]:.3g} / -"


def ratio(a, b, ka, kb):
    if not a or not b or a.get(ka) is None or b.get(kb) is None or b[kb] == 0:
        return "-"
    return f"{a[ka] / b[kb]:.1f}x"


def main():
    rows = load(sys.argv[1:])
    print("| task | rows | Quarry (wall / CPU s) | scikit-learn | Spark local[2] | vs sklearn (wall, CPU) | vs Spark (wall, CPU) |")
    print("| --- | ---: | --- | --- | --- | --- | --- |")
    for task in ["gmm", "kmeans", "logreg", "linreg"]:
        for n in sorted({r["n"] for r in rows if r["task"] == task}):
            rs = [r for r in rows if r["task"] == task and r["n"] == n]
            q = [r for r in rs if r["anchor"] == "quarry"]
            sk = next((r for r in rs if r["anchor"] == "sklearn"), None)
            sp = next((r for r in rs if r["anchor"] == "spark"), None)
            if sk and sk.get("cpu_seconds_per_iter") is None and sk.get("cpu_seconds") is not None:
                sk["cpu_seconds_per_iter"] = sk["cpu_seconds"] / max(1, sk["iterations"])
            if sp and sp.get("cpu_seconds_per_iter") is None and sp.get("cpu_seconds") is not None:
                sp["cpu_seconds_per_iter"] = sp["cpu_seconds"] / max(1, sp["iterations"])
            if task in ("gmm", "kmeans"):
                qb = best([r for r in q if r.get("source") == "parquet"], ("seconds_per_iter", "cpu_per_iter"))
                label = f"{task}, s per iteration"
                print(f"| {label} | {n:,} | {cell(qb, 'seconds_per_iter', 'cpu_per_iter')} | {cell(sk, 'seconds_per_iter', 'cpu_seconds_per_iter')} | "
                      f"{cell(sp, 'seconds_per_iter', 'cpu_seconds_per_iter')} | {ratio(sk, qb, 'seconds_per_iter', 'seconds_per_iter')}, {ratio(sk, qb, 'cpu_seconds_per_iter', 'cpu_per_iter')} | "
                      f"{ratio(sp, qb, 'seconds_per_iter', 'seconds_per_iter')}, {ratio(sp, qb, 'cpu_seconds_per_iter', 'cpu_per_iter')} |")
                continue
            # Whole fits; logreg once per tolerance (the tightest one matches the coefficients).
            groups = [(t, [r for r in q if r.get("tol") == t]) for t in sorted({r.get("tol") for r in q}, key=lambda t: -(t or 0))]
            variants = [("parquet", lambda r: True, ""),
                        ("cached", lambda r: r.get("fit", 1) == 1, "first fit: copies the columns"),
                        ("cached", lambda r: r.get("fit", 1) > 1, "repeat fit: columns kept in the kernel pool")]
            for (_, qs), (source, which, what) in [(g, v) for g in groups for v in variants]:
                qb = best([r for r in qs if r.get("source") == source and which(r)], ("seconds_total", "cpu_seconds"))
                if not qb:
                    continue
                extra = f", tol {qb['tol']:g}, {qb['iterations']} it, coef err {qb['coef_max_rel_err']:.1e}" if task == "logreg" else ""
                if source == "parquet" and sk:
                    load_s = sk.get("load_seconds") or 0
                    skl = dict(sk, seconds_total=sk["seconds_total"] + load_s)
                    print(f"| {task} total, load + fit{extra} | {n:,} | {cell(qb, 'seconds_total', 'cpu_seconds')} | {skl['seconds_total']:.3g} (fit {sk['seconds_total']:.3g} + load {load_s:.3g}) | "
                          f"{cell(sp, 'seconds_total', 'cpu_seconds')} (load not counted) | {ratio(skl, qb, 'seconds_total', 'seconds_total')}, - | "
                          f"{ratio(sp, qb, 'seconds_total', 'seconds_total')}, {ratio(sp, qb, 'cpu_seconds', 'cpu_seconds')} |")
                elif sk:
                    print(f"| {task} total, fit only (cached frame, {what}){extra} | {n:,} | {cell(qb, 'seconds_total', 'cpu_seconds')} | {cell(sk, 'seconds_total', 'cpu_seconds')} | "
                          f"{cell(sp, 'seconds_total', 'cpu_seconds')} | {ratio(sk, qb, 'seconds_total', 'seconds_total')}, {ratio(sk, qb, 'cpu_seconds', 'cpu_seconds')} | "
                          f"{ratio(sp, qb, 'seconds_total', 'seconds_total')}, {ratio(sp, qb, 'cpu_seconds', 'cpu_seconds')} |")


if __name__ == "__main__":
    main()
