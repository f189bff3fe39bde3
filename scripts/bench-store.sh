#!/usr/bin/env bash
# Builds bench-store in release mode and runs it: the encrypted LocalStore against a plain one on the same
# 100,000 generated notes, with Debian's SQLCipher as a reference. Arguments go to bench-store
# (e.g. --notes 10000 for a quick run, --json-out FILE); see docs/benchmarks.md.
#
# BENCH_STORE_PACKAGE=DIR builds from another package directory that declares the same targets (a dev package
# whose Sources are symlinks into this repository), leaving this repository's .build alone.
set -euo pipefail
cd "$(dirname "$0")/.."
# The benchmarks are declared in Package.swift only with this switch (every swift call below must see it).
export FIELDSYNC_BENCHMARKS=1
[[ -x /opt/swift/usr/bin/swift ]] && export PATH="/opt/swift/usr/bin:$PATH"

# What the benchmark needs: the libraries it links, the sqlite3 shell, and sqlcipher for the reference.
packages=(libsqlite3-dev libssl-dev pkg-config sqlite3 sqlcipher)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if (( ${#missing[@]} > 0 )); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "bench-store.sh: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq "${missing[@]}" >&2
    else
        echo "bench-store.sh: missing ${missing[*]} (not root, not installing; the SQLCipher reference" \
            "is skipped without sqlcipher)" >&2
    fi
fi

package="${BENCH_STORE_PACKAGE:-$PWD}"
echo "bench-store.sh: building bench-store (release) in $package" >&2
swift build -c release --package-path "$package" --product bench-store >&2
bin="$(swift build -c release --package-path "$package" --show-bin-path)"
exec "$bin/bench-store" "$@"
