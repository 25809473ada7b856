#!/usr/bin/env python3
"""scikit-learn anchors for the quarry/ml benchmark (bench/ml/README.md).

    python bench/ml/sklearn_anchors.py [--sizes 1m,10m] [--tasks gmm,kmeans,logreg,linreg]
                                       [--gmm-max-iter 100] [--out results.jsonl]

Data: bench/data/ml_<size>.parquet and the starting points in bench/ml/init.json (both from
bench/ml/gen_ml_data.py). One JSON line per (task, size) on stdout:
  {anchor, task, n, d, k, seconds_total, seconds_per_iter, iterations, objective, ...extras}
seconds_total = the estimator's fit() alone (the data is already a float64 numpy array);
load_seconds = reading the Parquet file into that array (not included). kmeans/logreg/linreg
run --repeat times (default 3) and report the fastest (all in seconds_total_runs); gmm runs once
and reports the median (seconds_per_iter) and minimum (seconds_per_iter_min) EM iteration.
cpu_seconds / cpu_seconds_per_iter = the process's CPU time (all threads) for the same span:
on a shared, busy machine it moves much less than the wall time.

  gmm     GaussianMixture(k=5, 'full', reg_covar=1e-6, tol=1e-3, max_iter=100, n_init=1) from
          init.json (weights_init, means_init, precisions_init; init_params='random_from_data'
          so no KMeans runs first - the init is overridden anyway). EM iterations are timed one
          by one (a wrapper stamps every E-step): seconds_per_iter = median iteration,
          init_seconds = fit() start to the first E-step (validation + one M-step-sized pass
          sklearn spends on responsibilities it then overrides), final_estep_seconds = the extra
          E-step sklearn runs after the loop. objective = lower_bound_ * n (the TOTAL
          log-likelihood at the parameters of the last E-step, i.e. before the last M-step - the
          same lag as Spark's summary.logLikelihood); score_total = score(X) * n at the final
          parameters (computed after timing).
  kmeans  KMeans(k=8, init=init.json rows 0..7, n_init=1, algorithm='lloyd', max_iter=20, tol=0):
          objective = inertia_ (cost of the final centres); centers printed for cross-checking
          (Quarry with the same init, maxIter=20, tol=0 must land on the same centres).
  logreg  LogisticRegression(C=np.inf, solver='lbfgs', tol=1e-6, max_iter=100): no
          regularisation; objective = mean log-loss; coef_max_rel_err against the exact (Newton)
          solution in bench/data/ml_<size>_reference.json.
  linreg  LinearRegression() (OLS with intercept; scipy lstsq): objective = mse; coef_max_rel_err
          against the normal-equation solution in the reference file.

Threads: whatever threadpoolctl reports (printed as "threads"); on this machine 2 (OpenBLAS and
OpenMP). If OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set in the environment they slow a current
numpy: run this command with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE` (only this command).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import sklearn
from threadpoolctl import threadpool_info

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
SIZES = {"1m": 1_000_000, "10m": 10_000_000}


def load(size):
    t0 = time.perf_counter()
    t = pq.read_table(DATA / f"ml_{size}.parquet")
    X = np.ascontiguousarray(np.column_stack([t.column(f"f{j}").to_numpy() for j in range(8)]))
    label = t.column("label").to_numpy().copy()
    y = t.column("y").to_numpy().copy()
    return X, label, y, time.perf_counter() - t0


def threads():
    return [{k: v for k, v in i.items() if k in ("internal_api", "num_threads", "version", "architecture")}
            for i in threadpool_info()]


def emit(rec, out):
    line = json.dumps(rec)
    print(line, flush=True)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "a") as f:
            f.write(line + "\n")


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def run_gmm(X, init, max_iter):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    g = init["gmm"]
    gm = GaussianMixture(
        n_components=g["k"], covariance_type="full", reg_covar=g["reg_covar"], tol=g["tol_per_sample"],
        max_iter=max_iter, n_init=1, init_params="random_from_data", random_state=0,
        weights_init=np.array(g["weights_init"]), means_init=np.array(g["means_init"]),
        precisions_init=np.array(g["precisions_init"]),
    )
    stamps, cpu = [], []

    def e_step(X_, xp=None):
        stamps.append(time.perf_counter())
        cpu.append(time.process_time())
        return GaussianMixture._e_step(gm, X_, xp=xp)

    gm._e_step = e_step
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    t1 = time.perf_counter()
    iters = np.diff(stamps)  # stamps: one per EM iteration + the final E-step
    n = X.shape[0]
    score = float(GaussianMixture.score(gm, X)) * n
    return {
        "task": "gmm", "k": g["k"], "seconds_total": t1 - t0, "seconds_per_iter": float(np.median(iters)),
        "seconds_per_iter_mean": float(np.mean(iters)), "seconds_per_iter_min": float(np.min(iters)),
        "iteration_seconds": iters.tolist(), "cpu_seconds_per_iter": float(np.median(np.diff(cpu))),
        "iterations": int(gm.n_iter_),
        "objective": float(gm.lower_bound_) * n, "score_total": score, "converged": bool(gm.converged_),
        "init_seconds": stamps[0] - t0, "final_estep_seconds": t1 - stamps[-1],
        "tol": g["tol_per_sample"], "max_iter": max_iter, "weights": gm.weights_.tolist(),
    }


def run_kmeans(X, init):
    from sklearn.cluster import KMeans

    c = init["kmeans"]
    km = KMeans(n_clusters=c["k"], init=np.array(c["init"]), n_init=1, algorithm="lloyd",
                max_iter=c["max_iter"], tol=c["tol"])
    t0, c0 = time.perf_counter(), time.process_time()
    km.fit(X)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"task": "kmeans", "k": c["k"], "seconds_total": dt, "cpu_seconds": cpu, "seconds_per_iter": dt / km.n_iter_,
            "iterations": int(km.n_iter_), "objective": float(km.inertia_), "max_iter": c["max_iter"],
            "tol": c["tol"], "centers": km.cluster_centers_.tolist()}


def run_logreg(X, label, ref):
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=np.inf, solver="lbfgs", tol=1e-6, max_iter=100)
    t0, c0 = time.perf_counter(), time.process_time()
    lr.fit(X, label)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    z = X @ lr.coef_[0] + lr.intercept_[0]
    loss = float(np.mean(np.logaddexp(0, z) - label * z))
    exact = np.r_[ref["logreg_none"]["coefficients"], ref["logreg_none"]["intercept"]]
    it = int(lr.n_iter_[0])
    return {"task": "logreg", "k": None, "seconds_total": dt, "cpu_seconds": cpu, "seconds_per_iter": dt / it, "iterations": it,
            "objective": loss, "objective_exact": ref["logreg_none"]["mean_log_loss"], "tol": 1e-6,
            "coef_max_rel_err": rel(np.r_[lr.coef_[0], lr.intercept_[0]], exact),
            "coefficients": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0])}


def run_linreg(X, y, ref):
    from sklearn.linear_model import LinearRegression

    m = LinearRegression()
    t0, c0 = time.perf_counter(), time.process_time()
    m.fit(X, y)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    exact = np.r_[ref["linreg_ols"]["coefficients"], ref["linreg_ols"]["intercept"]]
    mse = float(np.mean((y - X @ m.coef_ - m.intercept_) ** 2))
    return {"task": "linreg", "k": None, "seconds_total": dt, "cpu_seconds": cpu, "seconds_per_iter": dt, "iterations": 1,
            "objective": mse, "coef_max_rel_err": rel(np.r_[m.coef_, m.intercept_], exact)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1m")
    ap.add_argument("--tasks", default="gmm,kmeans,logreg,linreg")
    ap.add_argument("--gmm-max-iter", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3, help="kmeans/logreg/linreg: runs per task, the fastest is reported")
    ap.add_argument("--out", default="", help="also append the JSON lines to this file")
    args = ap.parse_args()
    for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if v in os.environ:
            print(f"warning: {v} is set; rerun with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`", file=sys.stderr)
    init = json.loads((HERE / "init.json").read_text())
    base = {"anchor": "sklearn", "sklearn": sklearn.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "threads": threads(), "cpus": os.cpu_count()}
    for size in args.sizes.split(","):
        X, label, y, load_s = load(size)
        ref = json.loads((DATA / f"ml_{size}_reference.json").read_text())
        n, d = X.shape
        for task in args.tasks.split(","):
            if task == "gmm":
                r = run_gmm(X, init, args.gmm_max_iter)
            elif task in ("kmeans", "logreg", "linreg"):
                runs = []
                for _ in range(args.repeat):
                    if task == "kmeans":
                        runs.append(run_kmeans(X, init))
                    elif task == "logreg":
                        runs.append(run_logreg(X, label, ref))
                    else:
                        runs.append(run_linreg(X, y, ref))
                r = min(runs, key=lambda x: x["seconds_total"])
                r["seconds_total_runs"] = [x["seconds_total"] for x in runs]
            else:
                sys.exit(f"unknown task {task}")
            emit({**{"anchor": "sklearn", "task": task, "n": n, "d": d}, **r, "load_seconds": load_s,
                  "data": f"bench/data/ml_{size}.parquet", **{k: v for k, v in base.items() if k != "anchor"}}, args.out)


if __name__ == "__main__":
    main()
