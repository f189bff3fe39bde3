#!/usr/bin/env bash
# Builds bench-scopes in release mode and runs it: what protocol version 2's scopes cost, against baselines
# measured in the same run — a team's cold pull from the server's storage with its notes shared with a second
# team vs read by the team alone, and a device dropping notes its team stopped reading vs receiving them (with
# the search index shrinking to nothing). Arguments go to bench-scopes (default --notes 100000 --removed 5000).
# FIELDSYNC_SCRATCH_PATH picks another build directory (e.g. the packages' release build). See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# The benchmarks are declared in Package.swift only with this switch (every swift call below must see it).
export FIELDSYNC_BENCHMARKS=1
[[ -x /opt/swift/usr/bin/swift ]] && export PATH="/opt/swift/usr/bin:$PATH"
scratch=()
[[ -n "${FIELDSYNC_SCRATCH_PATH:-}" ]] && scratch=(--scratch-path "$FIELDSYNC_SCRATCH_PATH")
echo "bench-scopes.sh: building bench-scopes (release)" >&2
swift build -c release "${scratch[@]}" --product bench-scopes >&2
exec "$(swift build -c release "${scratch[@]}" --show-bin-path)/bench-scopes" "$@"
