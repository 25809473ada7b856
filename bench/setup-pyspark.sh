#!/usr/bin/env bash
# Installs PySpark (local[2] anchor for the benchmarks) into bench/.venv.
# Needs python3 (with venv) and Java 17 on PATH. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYSPARK_VERSION="${PYSPARK_VERSION:-4.0.1}"
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
fi
if "$here/.venv/bin/python" -c "import pyspark, sys; sys.exit(0 if pyspark.__version__ == '$PYSPARK_VERSION' else 1)" 2>/dev/null; then
  echo "pyspark $PYSPARK_VERSION already installed in $here/.venv"
  exit 0
fi
"$here/.venv/bin/pip" install --disable-pip-version-check -q "pyspark==$PYSPARK_VERSION"
"$here/.venv/bin/python" -c "import pyspark; print('pyspark', pyspark.__version__, 'installed in $here/.venv')"
java -version 2>&1 | head -1
