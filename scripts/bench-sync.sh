#!/usr/bin/env bash
# Builds sync-server and bench-sync in release mode and runs bench-sync: a real sync-server process on its
# SQLite default, encrypted LocalStores on loopback; push, cold pull (in a process of its own, for its peak
# memory), a sync with nothing to do, and plain bulk inserts as the baseline. Arguments go to bench-sync
# (default --notes 100000; e.g. --notes 10000 for a quick run). See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# The benchmarks are declared in Package.swift only with this switch (every swift call below must see it).
export FIELDSYNC_BENCHMARKS=1
[[ -x /opt/swift/usr/bin/swift ]] && export PATH="/opt/swift/usr/bin:$PATH"

packages=(libsqlite3-dev libssl-dev pkg-config)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if (( ${#missing[@]} > 0 )); then
    echo "bench-sync.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
fi

# One product per invocation: `swift build` with several --product flags builds only one of them.
echo "bench-sync.sh: building sync-server and bench-sync (release)" >&2
swift build -c release --product sync-server >&2
swift build -c release --product bench-sync >&2
exec "$(swift build -c release --show-bin-path)/bench-sync" "$@"
