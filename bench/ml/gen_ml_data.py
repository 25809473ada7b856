#!/usr/bin/env python3
"""Data and starting points for the ML benchmark anchors (bench/ml/README.md).

    python bench/ml/gen_ml_data.py                 # bench/data/ml_1m.parquet + ml_10m.parquet
    python bench/ml/gen_ml_data.py --sizes 1m      # only the 1M file
    python bench/ml/gen_ml_data.py --force         # regenerate existing files

Writes (bench/data/ is git-ignored; bench/ml/init.json is committed and must not change):
  bench/data/ml_<size>.parquet   columns f0..f7 DOUBLE, label DOUBLE (0/1), y DOUBLE;
                                 row groups of 131072 rows; ml_1m = the first 1M rows of ml_10m
  bench/data/ml_<size>_reference.json
                                 exact OLS (y ~ f0..f7 + intercept) and unregularised logistic
                                 (label ~ f0..f7 + intercept) solutions on that file, for
                                 checking every anchor's coefficients
  bench/ml/init.json             the GMM / KMeans starting points every side must use
                                 (rewritten identically; the script fails if it would differ)

Why not bench/data/rows10m.parquet (bench/gen.mjs): its f0..f7 are independent uniforms and its
label is a hash independent of the features, so logistic regression converges to ~0 in a
couple of iterations, there is no regression target, and a mixture model has nothing to find.
These rows come from a known model instead:
  f = one of 5 Gaussians in 8-D (weights 0.3/0.25/0.2/0.15/0.1, random means and full
      covariances - the "truth" in init.json);
  label ~ Bernoulli(sigmoid(-0.5 + f.beta)); y = 2 + f.gamma + N(0, 1).
The rows are generated in chunks of 1M, chunk c from numpy's default_rng([SEED, c]) (PCG64),
so the files are the same for the same numpy; init.json stores the starting points as numbers,
so the benchmarks do not depend on that.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
INIT = HERE / "init.json"
SEED = 20240607
D, K = 8, 5
CHUNK = 1_000_000
SIZES = {"1m": 1_000_000, "10m": 10_000_000}
WEIGHTS = np.array([0.3, 0.25, 0.2, 0.15, 0.1])


def truth():
    rng = np.random.default_rng([SEED, 999])
    means = rng.normal(scale=0.8, size=(K, D))
    covs = []
    for _ in range(K):
        q, _ = np.linalg.qr(rng.normal(size=(D, D)))
        s = rng.uniform(0.6, 1.4, size=D)
        covs.append((q * s**2) @ q.T)
    beta = rng.normal(scale=0.35, size=D)
    gamma = rng.normal(scale=1.0, size=D)
    return means, np.array(covs), beta, gamma


def chunk(c, n):
    means, covs, beta, gamma = truth()
    rng = np.random.default_rng([SEED, c])
    comp = rng.choice(K, size=n, p=WEIGHTS)
    X = np.empty((n, D))
    for j in range(K):
        idx = np.where(comp == j)[0]
        L = np.linalg.cholesky(covs[j])
        X[idx] = means[j] + rng.standard_normal((len(idx), D)) @ L.T
    eta = -0.5 + X @ beta
    label = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(np.float64)
    y = 2.0 + X @ gamma + rng.standard_normal(n)
    return X, label, y, comp


def write_parquet(path, n):
    tmp = path.with_suffix(".parquet.tmp")
    schema = pa.schema([(f"f{j}", pa.float64()) for j in range(D)] + [("label", pa.float64()), ("y", pa.float64())])
    t0 = time.perf_counter()
    with pq.ParquetWriter(tmp, schema, compression="snappy") as w:
        for c in range(math.ceil(n / CHUNK)):
            X, label, y, _ = chunk(c, min(CHUNK, n - c * CHUNK))
            cols = [pa.array(X[:, j]) for j in range(D)] + [pa.array(label), pa.array(y)]
            w.write_table(pa.Table.from_arrays(cols, schema=schema), row_group_size=131072)
    tmp.rename(path)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s")


def load(path):
    t = pq.read_table(path)
    X = np.column_stack([t.column(f"f{j}").to_numpy() for j in range(D)])
    return X, t.column("label").to_numpy(), t.column("y").to_numpy()


def exact_reference(X, label, y):
    n = len(y)
    A = np.hstack([X, np.ones((n, 1))])
    # OLS through the normal equations (float64, the same as every anchor)
    AtA = A.T @ A
    ols = np.linalg.solve(AtA, A.T @ y)
    # unregularised logistic: Newton to machine precision
    b = np.zeros(D + 1)
    for it in range(50):
        z = A @ b
        p = 1 / (1 + np.exp(-z))
        g = A.T @ (p - label) / n
        H = (A.T * (p * (1 - p))) @ A / n
        step = np.linalg.solve(H, g)
        b -= step
        if np.abs(step).max() < 1e-14 * max(1.0, np.abs(b).max()):
            break
    z = A @ b
    loss = float(np.mean(np.logaddexp(0, z) - label * z))
    return {
        "n": n,
        "linreg_ols": {"coefficients": ols[:D].tolist(), "intercept": float(ols[D]),
                       "mse": float(np.mean((y - A @ ols) ** 2))},
        "logreg_none": {"coefficients": b[:D].tolist(), "intercept": float(b[D]), "mean_log_loss": loss,
                        "newton_iterations": it + 1, "gradient_max_abs": float(np.abs(g).max())},
    }


def init_params(X):
    """The starting points, from the first rows of the data (identical in every size)."""
    means, covs, beta, gamma = truth()
    X0, _, _, comp = chunk(0, CHUNK)  # the first chunk: the same rows in every size
    assert np.array_equal(X0[:1000], X[:1000]), "the file does not start with chunk 0"
    rows = [int(np.where(comp == j)[0][0]) for j in range(K)]
    return {
        "description": "Starting points for bench/ml: every side (Quarry, scikit-learn, Spark where it can) starts here.",
        "gmm": {
            "k": K,
            "covariance_type": "full",
            "weights_init": [1.0 / K] * K,
            "means_init_rows": rows,
            "means_init_note": "row i of the file (0-based, file order) for component i of the generating model: the first row drawn from each component",
            "means_init": X[rows].tolist(),
            "covs_init": [np.eye(D).tolist()] * K,
            "precisions_init": [np.eye(D).tolist()] * K,
            "reg_covar": 1e-6,
            "tol_per_sample": 1e-3,
            "tol_note": "sklearn tol=1e-3 on the change of the per-sample average log-likelihood; the same rule on the total log-likelihood is tol = 1e-3 * n (Spark's GaussianMixture tol is on the total)",
            "max_iter": 100,
        },
        "kmeans": {
            "k": 8,
            "init_rows": list(range(8)),
            "init": X[:8].tolist(),
            "max_iter": 20,
            "tol": 0.0,
            "tol_note": "tol=0: exactly max_iter Lloyd iterations unless the labels stop changing; same path on every side",
        },
        "logreg": {"regParam": 0.0, "fitIntercept": True, "tol": 1e-6, "max_iter": 100,
                   "features": [f"f{j}" for j in range(D)], "label": "label"},
        "linreg": {"regParam": 0.0, "fitIntercept": True, "solver": "normal",
                   "features": [f"f{j}" for j in range(D)], "label": "y"},
        "truth": {"weights": WEIGHTS.tolist(), "means": means.tolist(), "covariances": covs.tolist(),
                  "logistic_intercept": -0.5, "logistic_beta": beta.tolist(),
                  "linear_intercept": 2.0, "linear_gamma": gamma.tolist(), "linear_noise_sd": 1.0},
        "generator": {"script": "bench/ml/gen_ml_data.py", "seed": SEED, "numpy": np.__version__},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1m,10m")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    sizes = [s for s in args.sizes.split(",") if s]
    for s in sizes:
        if s not in SIZES:
            sys.exit(f"unknown size {s}; known: {', '.join(SIZES)}")
    for s in sorted(sizes, key=lambda s: SIZES[s]):
        path = DATA / f"ml_{s}.parquet"
        if path.exists() and not args.force:
            print(f"reuse {path}")
        else:
            write_parquet(path, SIZES[s])
        ref_path = DATA / f"ml_{s}_reference.json"
        if not ref_path.exists() or args.force or ref_path.stat().st_mtime < path.stat().st_mtime:
            t0 = time.perf_counter()
            X, label, y = load(path)
            ref = exact_reference(X, label, y)
            ref_path.write_text(json.dumps(ref, indent=1) + "\n")
            print(f"wrote {ref_path} in {time.perf_counter() - t0:.1f} s")
            init = init_params(X)
            text = json.dumps(init, indent=1) + "\n"
            if INIT.exists():
                old = json.loads(INIT.read_text())
                old.pop("generator", None)
                if old != {k: v for k, v in json.loads(text).items() if k != "generator"}:
                    sys.exit(f"{INIT} differs from what this data gives: the data changed (numpy version?)")
            else:
                INIT.write_text(text)


if __name__ == "__main__":
    main()
