#!/usr/bin/env bash
# The README's test command: installs what is missing, starts a throwaway PostgreSQL 15 on loopback,
# builds everything and runs the whole test suite (both server backends, end-to-end tests of the
# real executables), then stops PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
[[ -x /opt/swift/usr/bin/swift ]] && export PATH="/opt/swift/usr/bin:$PATH"

echo "test: building (debug)" >&2
swift build --build-tests
# The end-to-end tests run the real executables from the build directory.
export FIELDSYNC_BIN_DIR="$(swift build --show-bin-path)"
exec scripts/postgres-test.sh run swift test --skip-build "$@"
