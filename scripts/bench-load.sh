#!/usr/bin/env bash
# Builds bench-load and sync-server in release mode, starts a throwaway PostgreSQL 15 on loopback
# (scripts/postgres-test.sh, which stops it again however the benchmark ends) and runs bench-load:
# 200 simulated devices syncing against one sync-server, on SQLite and on PostgreSQL, side by side.
# Arguments go to bench-load (e.g. --devices 50 --duration 5 for a quick run; --help); see docs/benchmarks.md.
# --mode capacity searches instead for the most devices (each syncing every 60 s, open loop) that one server takes
# with p99 <= 100 ms, on both backends (about 10 minutes per backend; --interval 5 for a quick, labelled run).
#
# BENCH_LOAD_PACKAGE=DIR builds from another package directory that declares the same targets (a dev package
# whose Sources are symlinks into this repository), leaving this repository's .build alone.
set -euo pipefail
cd "$(dirname "$0")/.."
# The benchmarks are declared in Package.swift only with this switch (every swift call below must see it).
export FIELDSYNC_BENCHMARKS=1
# The project's own setup: the build's system libraries and PostgreSQL 15, when missing.
source scripts/setup.sh

package="${BENCH_LOAD_PACKAGE:-$PWD}"
echo "bench-load.sh: building bench-load and sync-server (release) in $package" >&2
# One product per call: `swift build` keeps only the last of several --product options.
swift build -c release --package-path "$package" --product sync-server >&2
swift build -c release --package-path "$package" --product bench-load >&2
bin="$(swift build -c release --package-path "$package" --show-bin-path)"
exec scripts/postgres-test.sh run "$bin/bench-load" "$@"
