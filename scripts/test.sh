#!/usr/bin/env bash
# The README's test command: installs what is missing, checks the formatting, starts a throwaway PostgreSQL 15 on
# loopback, builds the package and its tests (the benchmarks only as far as the load-mode test needs bench-load) and runs
# the whole test suite (both server backends, end-to-end tests of the real executables) and the protocol
# conformance kit (protocol-spec/conformance/), then stops PostgreSQL and builds the libraries' DocC documentation
# with warnings as errors (scripts/docs.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
[[ -x /opt/swift/usr/bin/swift ]] && export PATH="/opt/swift/usr/bin:$PATH"

# The code's formatting (.swift-format, as design/style.md asks): seconds, and it fails on any finding.
echo "test: swift format lint" >&2
swift format lint --strict --recursive --parallel Sources Tests Benchmarks Package.swift

echo "test: building (debug)" >&2
swift build --build-tests
# The benchmarks are declared only with FIELDSYNC_BENCHMARKS=1, so the test build above does not compile them; the
# load-mode end-to-end test runs the real bench-load, built here on its own (debug).
echo "test: building bench-load (debug) for the load-mode test" >&2
FIELDSYNC_BENCHMARKS=1 swift build --product bench-load
# The end-to-end tests run the real executables from the build directory.
export FIELDSYNC_BIN_DIR="$(swift build --show-bin-path)"
# Inside PostgreSQL's lifetime: the Swift tests, then the protocol conformance kit against the real server on
# both backends (scripts/conformance.sh; seconds). Both always run; the status is the first failure's.
status=0
scripts/postgres-test.sh run bash -c \
    'status=0; swift test --skip-build "$@" || status=$?; bash scripts/conformance.sh || { c=$?; ((status)) || status=$c; }; exit $status' \
    test.sh "$@" || status=$?
# Then the DocC documentation of the four libraries, warnings as errors (scripts/docs.sh). It runs after failed
# tests too, so one run reports both; the status is the first failure's.
echo "test: documentation (DocC)" >&2
bash scripts/docs.sh || { d=$?; ((status)) || status=$d; }
exit $status
