#!/usr/bin/env bash
# Installs what fieldsync needs on a fresh Debian bookworm machine with the Swift 6.3 toolchain.
# Safe to run again: packages already present are left alone.
set -euo pipefail

# vim: the editor tests run the real thing in a pseudo-terminal.
packages=(libsqlite3-dev libssl-dev pkg-config openssl postgresql-15 sqlite3 vim)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if (( ${#missing[@]} > 0 )); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: missing packages ${missing[*]}; run as root or install them with apt-get" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
fi
if ! command -v swift >/dev/null 2>&1; then
    if [[ -x /opt/swift/usr/bin/swift ]]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    else
        echo "setup: no Swift toolchain on PATH (Swift 6.3 expected)" >&2
        exit 1
    fi
fi
