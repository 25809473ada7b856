"""Spark MLlib's GaussianMixture and LogisticRegression through PySpark's Spark Connect client, on
the same server and data as bench/ml-spark/quarry_ml.mjs. Called by bench/ml-spark/run.mjs:

    python pyspark_ml.py <sc://url> <parquet path> <gmm extra iterations N> <repeats>

Prints one JSON line with the same keys as quarry_ml.mjs. Spark's GaussianMixture cannot take an
initial model, so both sides start from their own seeded initialisation: compare time per EM
iteration, (T(1+N) - T(1)) / N, where initialisation and job start-up cancel out.
"""
import json
import sys
import time

from pyspark.ml.classification import LogisticRegression
from pyspark.ml.clustering import GaussianMixture
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession


def main() -> None:
    url, path, extra, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    spark = SparkSession.builder.remote(url).getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.ansi.enabled", "true")
    cols = [f"f{i}" for i in range(8)]
    df = VectorAssembler(inputCols=cols, outputCol="features").transform(spark.read.parquet(path))

    def timed(f):
        t = time.perf_counter()
        r = f()
        return time.perf_counter() - t, r

    def gmm(max_iter):
        return GaussianMixture(k=5, seed=1, maxIter=max_iter, tol=0.0)

    lr = LogisticRegression(regParam=0.0, tol=1e-6, maxIter=100, family="binomial")
    gmm(1).fit(df)  # warm-up
    out = {"gmm_1": [], "gmm_n": [], "logreg": []}
    g = m = None
    for _ in range(repeats):
        out["gmm_1"].append(timed(lambda: gmm(1).fit(df))[0])
        t, g = timed(lambda: gmm(1 + extra).fit(df))
        out["gmm_n"].append(t)
        t, m = timed(lambda: lr.fit(df))
        out["logreg"].append(t)
    out.update(
        gmm_loglik=g.summary.logLikelihood,
        logreg_iterations=m.summary.totalIterations,
        logreg_objective=m.summary.objectiveHistory[-1],
        logreg_coefficients=list(m.coefficients.toArray()),
        logreg_intercept=m.intercept,
        version=spark.version,
    )
    print(json.dumps(out))
    spark.stop()


if __name__ == "__main__":
    main()
