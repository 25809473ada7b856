#!/usr/bin/env bash
# Quarry, scikit-learn and Spark MLlib (local[2]) on the same file, one after another in one run,
# Quarry before and after the anchors so a change in the machine's load shows. Appends JSON
# lines (plus {"anchor":"machine",...} load samples) to OUT; print a table with table.py.
#   bash bench/ml/side_by_side.sh 1m [OUT]
#   bash bench/ml/side_by_side.sh 10m [OUT]     # caps GMM iterations, one Spark repeat
# PY: the Python with scikit-learn and PySpark (default bench/.venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-1m}
out=${2:-bench/data/ml_results/side_by_side_${size}.jsonl}
PY=${PY:-bench/.venv/bin/python}
mkdir -p "$(dirname "$out")"
load() { echo "{\"anchor\":\"machine\",\"task\":\"$1\",\"n\":0,\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"time\":\"$(date -u +%H:%M:%S)\"}" >> "$out"; }
if [ "$size" = "10m" ]; then q="--gmm-max-iter 5"; sk="--gmm-max-iter 3 --repeat 1"; sp="--repeat 1 --gmm-iters 3"; else q=""; sk=""; sp=""; fi
load start
node bench/ml/quarry.mjs --sizes "$size" --repeat 2 $q >> "$out"
load quarry
# Cached frame, two fits per task: the first copies the columns into the kernels' memory, the
# second starts from the copy kept in the kernel pool (ratios.py reports them as separate rows).
node bench/ml/quarry.mjs --sizes "$size" --source cached --repeat 2 $q >> "$out"
load quarry-cached
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" bench/ml/sklearn_anchors.py --sizes "$size" $sk --out "$out" > /dev/null
load sklearn
"$PY" bench/ml/spark_anchors.py --sizes "$size" $sp --out "$out" > /dev/null 2>&1 || echo "spark anchors failed" >&2
load spark
node bench/ml/quarry.mjs --sizes "$size" --logreg-tol 1e-15 $q >> "$out"
node bench/ml/quarry.mjs --sizes "$size" --tasks logreg --logreg-tol 1e-15 --source cached --repeat 2 >> "$out"
load end
