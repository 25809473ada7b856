"""PySpark's Spark Connect client (pyspark-client) on the same benchmarks as bench/spark-connect/run.mjs.

Usage: python pyspark_connect.py <sc://url> <latency-iterations> <rows> <repeats>
Prints one JSON object: latency samples (ms) of spark.range(10).count(), and seconds per fetch of
an 8-double-column result with toArrow() and toPandas(), and (once, it is slow) with collect(),
PySpark's list of Row objects, the counterpart of Quarry's collect().
"""
import json
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main() -> None:
    url, iterations, rows, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    spark = SparkSession.builder.remote(url).getOrCreate()
    # The same session settings Quarry sends, so both clients run the same queries.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.ansi.enabled", "true")

    for _ in range(5):  # warm-up
        spark.range(10).count()
    latency = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        n = spark.range(10).count()
        latency.append((time.perf_counter() - t0) * 1000)
        assert n == 10

    df = spark.range(rows).select(*[(F.col("id") * (i + 1) / F.lit(7.0)).alias(f"c{i}") for i in range(8)])
    # One untimed fetch first: the server compiles the query's code on its first run.
    assert df.toArrow().num_rows == rows
    to_arrow, to_pandas, to_arrow_cpu, to_pandas_cpu = [], [], [], []
    # All toArrow() fetches first, then toPandas(), then collect(), in the order Quarry's script uses.
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        table = df.toArrow()
        to_arrow.append(time.perf_counter() - t0)
        to_arrow_cpu.append(time.process_time() - c0)
        assert table.num_rows == rows
        del table
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        pdf = df.toPandas()
        to_pandas.append(time.perf_counter() - t0)
        to_pandas_cpu.append(time.process_time() - c0)
        assert len(pdf) == rows
        del pdf
    t0, c0 = time.perf_counter(), time.process_time()
    rows_out = df.collect()
    collect, collect_cpu = [time.perf_counter() - t0], [time.process_time() - c0]
    assert len(rows_out) == rows
    del rows_out
    import pyspark
    print(json.dumps({"version": pyspark.__version__, "latency_ms": latency, "to_arrow_s": to_arrow, "to_pandas_s": to_pandas,
                      "to_arrow_cpu_s": to_arrow_cpu, "to_pandas_cpu_s": to_pandas_cpu,
                      "collect_s": collect, "collect_cpu_s": collect_cpu}))
    spark.stop()


if __name__ == "__main__":
    main()
