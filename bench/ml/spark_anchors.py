#!/usr/bin/env python3
"""Spark MLlib anchors (PySpark, local[2]) for the quarry/ml benchmark (bench/ml/README.md).

    python bench/ml/spark_anchors.py [--sizes 1m,10m] [--tasks gmm,kmeans,logreg,linreg]
                                     [--gmm-iters 5] [--gmm-max-iter 100] [--out results.jsonl]

Needs pyspark 4.x, numpy (pyspark.ml imports it) and Java 17. Reads bench/data/ml_<size>.parquet
(bench/ml/gen_ml_data.py), assembles f0..f7 into a `features` vector, repartitions to 2 (a
~90 MB file is one input split, which would train on one core), caches and counts it:
that is load_seconds, not part of any fit. One JSON line per (task, size) on stdout:
  {anchor, task, n, d, k, seconds_total, seconds_per_iter, iterations, objective, ...extras}

  gmm     GaussianMixture(k=5, seed=1). Spark's DataFrame API cannot take initial parameters
          (it samples k x 5 rows for the means, diagonal covariances, uniform weights), so its
          path differs from the other sides; compare time per iteration. Two measurements:
          per-iteration: after one warm-up fit (JIT), fits with tol=0 and maxIter=1 and 1+N
            (--gmm-iters N), each repeated --repeat times (default 3):
            seconds_per_iter = (min T(1+N) - min T(1)) / N  (init and job start-up cancel out)
          to convergence: tol = 1e-3 * n (the TOTAL log-likelihood; the same rule as sklearn's
            tol=1e-3 on the per-sample average), maxIter=100: seconds_total, iterations =
            summary.numIter, objective = summary.logLikelihood (total, at the parameters of the
            last E-step).
  kmeans  KMeans(k=8, initMode='random', seed=1, tol=0): the DataFrame API cannot take initial
          centres either (the RDD API can, from Python only through a pickled RDD). maxIter=20
          is seconds_total / iterations / objective = summary.trainingCost (the cost w.r.t. the
          centres BEFORE the last update - Spark's lag); seconds_per_iter = (T(20) - T(1)) / 19
          after a warm-up fit, minimum of --repeat runs each; seconds_total = min T(20).
  logreg  LogisticRegression(regParam=0, tol=1e-6, maxIter=100, family='binomial'):
          iterations = summary.totalIterations, objective = last objectiveHistory entry (mean
          log-loss), coef_max_rel_err against bench/data/ml_<size>_reference.json.
  linreg  LinearRegression(solver='normal', regParam=0) on label y: one pass (normal equations);
          objective = summary.meanSquaredError, coef_max_rel_err against the reference.
Spark session start-up (~5-10 s) is reported as session_seconds and is in no other number.
cpu_seconds(_per_iter) = the JVM's CPU time (all threads, /proc) over the same fits: on a shared,
busy machine it moves much less than the wall time (the Python driver is idle during a fit).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"

t_start = time.perf_counter()
import numpy as np  # noqa: E402
import pyspark  # noqa: E402
from pyspark.ml.classification import LogisticRegression  # noqa: E402
from pyspark.ml.clustering import GaussianMixture, KMeans  # noqa: E402
from pyspark.ml.feature import VectorAssembler  # noqa: E402
from pyspark.ml.regression import LinearRegression  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402


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


JVM_PID = None
CPU_LOG = []  # JVM CPU seconds of every timed fit, in order


def jvm_cpu():
    """CPU time (user + system, all threads) of the Spark JVM so far, from /proc."""
    with open(f"/proc/{JVM_PID}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(est, df):
    c0 = jvm_cpu()
    t0 = time.perf_counter()
    m = est.fit(df)
    dt = time.perf_counter() - t0
    CPU_LOG.append(jvm_cpu() - c0)
    return m, dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1m")
    ap.add_argument("--tasks", default="gmm,kmeans,logreg,linreg")
    ap.add_argument("--gmm-iters", type=int, default=10)
    ap.add_argument("--gmm-max-iter", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the per-iteration fits (the minimum counts)")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]").appName("quarry-ml-bench")
        .config("spark.driver.memory", os.environ.get("BENCH_SPARK_DRIVER_MEMORY", "8g"))
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    session_s = time.perf_counter() - t_start
    global JVM_PID
    JVM_PID = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    init = json.loads((HERE / "init.json").read_text())
    base = {"pyspark": pyspark.__version__, "master": "local[2]", "session_seconds": session_s}

    for size in args.sizes.split(","):
        path = DATA / f"ml_{size}.parquet"
        ref = json.loads((DATA / f"ml_{size}_reference.json").read_text())
        t0 = time.perf_counter()
        raw = spark.read.parquet(str(path))
        va = VectorAssembler(inputCols=[f"f{j}" for j in range(8)], outputCol="features")
        df = va.transform(raw).select("features", "label", "y").repartition(2).cache()
        n = df.count()
        load_s = time.perf_counter() - t0
        common = {"anchor": "spark", "n": n, "d": 8, "load_seconds": load_s, "data": f"bench/data/ml_{size}.parquet", **base}

        for task in args.tasks.split(","):
            if task == "gmm":
                k = init["gmm"]["k"]
                timed(GaussianMixture(k=k, tol=0.0, maxIter=1, seed=1), df)  # JIT warm-up, not counted
                t1s, tns = [], []
                for _ in range(args.repeat):
                    m1, t1 = timed(GaussianMixture(k=k, tol=0.0, maxIter=1, seed=1), df)
                    mn, tn = timed(GaussianMixture(k=k, tol=0.0, maxIter=1 + args.gmm_iters, seed=1), df)
                    assert m1.summary.numIter == 1 and mn.summary.numIter == 1 + args.gmm_iters
                    t1s.append(t1)
                    tns.append(tn)
                t1, tn = min(t1s), min(tns)
                per_iter = (tn - t1) / args.gmm_iters
                cpus = CPU_LOG[-2 * args.repeat:]
                cpu_per_iter = (min(cpus[1::2]) - min(cpus[0::2])) / args.gmm_iters
                tol = init["gmm"]["tol_per_sample"] * n
                m, tc = timed(GaussianMixture(k=k, tol=tol, maxIter=args.gmm_max_iter, seed=1), df)
                s = m.summary
                rec = {"task": "gmm", "k": k, "seconds_total": tc, "seconds_per_iter": per_iter,
                       "cpu_seconds_per_iter": cpu_per_iter, "cpu_seconds": CPU_LOG[-1],
                       "iterations": s.numIter, "objective": s.logLikelihood, "tol": tol,
                       "max_iter": args.gmm_max_iter, "weights": list(m.weights),
                       "per_iter_runs": {"maxIter_1_seconds": t1s, f"maxIter_{1 + args.gmm_iters}_seconds": tns,
                                         "rule": "(min T(1+N) - min T(1)) / N"},
                       "note": "Spark's own init (no init parameters in the DataFrame API): not the path of the other anchors"}
            elif task == "kmeans":
                k = init["kmeans"]["k"]
                mi = init["kmeans"]["max_iter"]
                timed(KMeans(k=k, initMode="random", tol=0.0, maxIter=1, seed=2), df)  # JIT warm-up, not counted
                t1s, tns = [], []
                for _ in range(args.repeat):
                    _, t1 = timed(KMeans(k=k, initMode="random", tol=0.0, maxIter=1, seed=1), df)
                    m, tn = timed(KMeans(k=k, initMode="random", tol=0.0, maxIter=mi, seed=1), df)
                    t1s.append(t1)
                    tns.append(tn)
                t1, tn = min(t1s), min(tns)
                cpus = CPU_LOG[-2 * args.repeat:]
                s = m.summary
                rec = {"task": "kmeans", "k": k, "seconds_total": tn, "seconds_per_iter": (tn - t1) / (mi - 1),
                       "cpu_seconds": min(cpus[1::2]), "cpu_seconds_per_iter": (min(cpus[1::2]) - min(cpus[0::2])) / (mi - 1),
                       "per_iter_runs": {"maxIter_1_seconds": t1s, f"maxIter_{mi}_seconds": tns,
                                         "rule": "(min T(20) - min T(1)) / 19; seconds_total = min T(20)"},
                       "iterations": s.numIter, "objective": s.trainingCost, "max_iter": mi, "tol": 0.0,
                       "init_mode": "random",
                       "note": "Spark's own random init (no initial centres in the DataFrame API); trainingCost is w.r.t. the centres before the last update"}
            elif task == "logreg":
                m, t = timed(LogisticRegression(featuresCol="features", labelCol="label", regParam=0.0, tol=1e-6,
                                                maxIter=100, family="binomial"), df)
                s = m.summary
                it = s.totalIterations
                exact = np.r_[ref["logreg_none"]["coefficients"], ref["logreg_none"]["intercept"]]
                rec = {"task": "logreg", "k": None, "seconds_total": t, "cpu_seconds": CPU_LOG[-1], "seconds_per_iter": t / max(it, 1),
                       "iterations": it, "objective": s.objectiveHistory[-1],
                       "objective_exact": ref["logreg_none"]["mean_log_loss"], "tol": 1e-6,
                       "coef_max_rel_err": rel(np.r_[m.coefficients.toArray(), m.intercept], exact),
                       "coefficients": m.coefficients.toArray().tolist(), "intercept": m.intercept}
            elif task == "linreg":
                m, t = timed(LinearRegression(featuresCol="features", labelCol="y", solver="normal", regParam=0.0), df)
                exact = np.r_[ref["linreg_ols"]["coefficients"], ref["linreg_ols"]["intercept"]]
                rec = {"task": "linreg", "k": None, "seconds_total": t, "cpu_seconds": CPU_LOG[-1], "seconds_per_iter": t, "iterations": 1,
                       "objective": m.summary.meanSquaredError,
                       "coef_max_rel_err": rel(np.r_[m.coefficients.toArray(), m.intercept], exact)}
            else:
                sys.exit(f"unknown task {task}")
            emit({"anchor": "spark", "task": rec.pop("task"), **{k: v for k, v in common.items() if k != "anchor"}, **rec}, args.out)
        df.unpersist()
    spark.stop()


if __name__ == "__main__":
    main()
