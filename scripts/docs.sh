#!/usr/bin/env bash
# Builds the DocC documentation of the four libraries with swift-docc-plugin, and fails on any DocC warning (a
# symbol link that does not resolve, a topic that names no symbol, an article that does not parse): docc runs
# with --warnings-as-errors.
#
#   bash scripts/docs.sh [TARGET...]      default: SyncProtocol LocalStore SyncClient SyncServer
#
# The archives are written to .build/plugins/Swift-DocC/outputs/TARGET.doccarchive. The articles' code samples
# are compiled and run by the GettingStartedTests of the test targets, not here.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x /opt/swift/usr/bin/swift ]] && export PATH="/opt/swift/usr/bin:$PATH"

targets=("$@")
((${#targets[@]})) || targets=(SyncProtocol LocalStore SyncClient SyncServer)
arguments=()
for target in "${targets[@]}"; do arguments+=(--target "$target"); done

echo "docs: DocC for ${targets[*]} (warnings are errors)" >&2
swift package generate-documentation "${arguments[@]}" --warnings-as-errors
