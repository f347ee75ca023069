#!/usr/bin/env bash
# Every benchmark, one after the other, each printing its figures (also kept in benchmarks/out/).
# About 10 minutes on a 2-core machine; `benchmarks/run_all.sh --quick` is the smoke run (half a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p benchmarks/out
for name in store_build pages sweep editors parse_bounds options_scale audit map probes; do
  echo "== benchmarks/$name.py $*"
  .venv/bin/python "benchmarks/$name.py" "$@" | tee "benchmarks/out/$name.txt"
  echo
done
