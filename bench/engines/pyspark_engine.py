"""PySpark anchor: Spark 4 local[2] in one JVM, DataFrame API.

    bench/.venv/bin/python engines/pyspark_engine.py <workload> <dataset>

Prints the same one-line RESULT protocol as the Node engine scripts. CSV is read with an
explicit schema: Spark's inferSchema would read the whole file an extra time.
maxRSS is the Python driver's peak plus the JVM's peak (VmHWM), in KiB.
"""
import json
import os
import resource
import sys
import time

t0 = time.perf_counter()
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(os.path.dirname(HERE), "data")
SCHEMA = "id INT, key STRING, " + ", ".join(f"f{j} DOUBLE" for j in range(8)) + ", label INT"

workload, dataset = sys.argv[1], sys.argv[2]

if workload not in ("groupby_csv", "groupby_parquet", "csv_to_parquet", "filter_join_groupby", "window"):
    print("RESULT " + json.dumps({"unsupported": f"pyspark does not run {workload}"}), flush=True)
    sys.exit(0)

from pyspark.sql import SparkSession, Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

spark = (
    SparkSession.builder.master("local[2]")
    .appName("quarry-bench")
    .config("spark.driver.memory", os.environ.get("BENCH_SPARK_DRIVER_MEMORY", "8g"))
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.sql.session.timeZone", "UTC")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
session_ms = (time.perf_counter() - t0) * 1000


def path(fmt):
    return os.path.join(DATA, f"{dataset}.{fmt}")


def csv():
    return spark.read.csv(path("csv"), header=True, schema=SCHEMA)


def pq():
    return spark.read.parquet(path("parquet"))


def group_by(df):
    return df.groupBy("key").agg(
        F.count("*").alias("n"),
        F.avg("f0").alias("avg_f0"),
        F.sum("f1").alias("sum_f1"),
        F.max("f2").alias("max_f2"),
    )


extra = {}
if workload == "groupby_csv":
    rows = group_by(csv()).collect()
elif workload == "groupby_parquet":
    rows = group_by(pq()).collect()
elif workload == "csv_to_parquet":
    out_dir = os.path.join(DATA, "out")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"pyspark_{dataset}.parquet")
    csv().write.mode("overwrite").parquet(out)
    rows = []
    extra["output"] = out
elif workload == "filter_join_groupby":
    keys = spark.read.parquet(os.path.join(DATA, "keys.parquet"))
    rows = (
        pq()
        .filter(F.col("f0") > 0.5)
        .join(keys, "key")
        .groupBy("region")
        .agg(F.count("*").alias("n"), F.avg("f3").alias("avg_f3"))
        .collect()
    )
elif workload == "window":
    w = Window.partitionBy("key").orderBy(F.col("f0").desc())
    rows = (
        pq()
        .select("id", "key", "f0")
        .withColumn("rn", F.row_number().over(w))
        .filter(F.col("rn") <= 3)
        .collect()
    )
inner_ms = (time.perf_counter() - t0) * 1000


def jvm_hwm_kib():
    try:
        pid = spark.sparkContext._gateway.proc.pid
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except Exception:  # noqa: BLE001 - best effort
        return 0
    return 0


max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + jvm_hwm_kib()
out_rows = [r.asDict() for r in rows]
print("RESULT " + json.dumps({"rows": out_rows, "innerMs": inner_ms, "maxRSS": max_rss, "sessionMs": session_ms, **extra}), flush=True)
spark.stop()
