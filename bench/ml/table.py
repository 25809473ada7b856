#!/usr/bin/env python3
"""Markdown table of anchor results: python bench/ml/table.py bench/data/ml_results/*.jsonl

Reads the JSON lines printed by sklearn_anchors.py / spark_anchors.py (and a Quarry script that
prints the same shape) and prints one row per (task, n, anchor). Standard library only.
"""
import json
import sys

TASK_ORDER = {"gmm": 0, "kmeans": 1, "logreg": 2, "linreg": 3}


def fmt(v, digits=3):
    if v is None:
        return ""
    if isinstance(v, float):
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
            return f"{v:.6g}"
        return f"{v:.{digits}f}"
    return str(v)


def main():
    rows = []
    for path in sys.argv[1:]:
        with open(path) as f:
            rows += [json.loads(line) for line in f if line.strip()]
    # Load samples from side_by_side.sh.
    for r in rows:
        if r.get("anchor") == "machine":
            print(f"- load average {r['loadavg']} at {r['time']} ({r['task']})")
    rows = [r for r in rows if r.get("anchor") != "machine"]
    rows.sort(key=lambda r: (TASK_ORDER.get(r["task"], 9), r["n"], r["anchor"]))
    print("| task | n | anchor | seconds_total | CPU s total | seconds/iter (wall) | CPU s/iter | iterations | objective | coef rel err |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        cpu = r.get("cpu_seconds_per_iter", r.get("cpu_per_iter"))
        if cpu is None and r.get("cpu_seconds") is not None and r.get("iterations"):
            cpu = r["cpu_seconds"] / r["iterations"]
        anchor = r["anchor"] + (f" ({r['source']}, fit {r.get('fit', 1)})" if r["anchor"] == "quarry" else "")
        print(f"| {r['task']} | {r['n']:,} | {anchor} | {fmt(r['seconds_total'], 2)} | {fmt(r.get('cpu_seconds'), 2)} | {fmt(r.get('seconds_per_iter'))} | "
              f"{fmt(cpu)} | {r['iterations']} | {fmt(r['objective'], 6)} | {fmt(r.get('coef_max_rel_err'))} |")


if __name__ == "__main__":
    main()
