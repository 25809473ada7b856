#!/usr/bin/env bash
# Installs PySpark's thin Spark Connect client (pyspark-client, the same Spark release as the
# local server) into .cache/pyspark-client-venv for bench/spark-connect/run.mjs. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.cache/pyspark-client-venv"
version="$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' "$root/scripts/spark/pom.xml")"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if "$venv/bin/python" -c "import pyspark, sys; sys.exit(0 if pyspark.__version__ == '$version' else 1)" 2>/dev/null; then
  echo "pyspark-client $version already installed in $venv"
  exit 0
fi
"$venv/bin/pip" install --disable-pip-version-check -q "pyspark-client==$version"
"$venv/bin/python" -c "import pyspark; print('pyspark-client', pyspark.__version__, 'installed in $venv')"
