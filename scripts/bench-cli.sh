#!/usr/bin/env bash
# What an adviser waits for: the wall time of `fieldcli note add` as a whole process, p50 over N runs, three ways
# on the same machine in one run:
#   passphrase  a store at the default scrypt cost (2^16), the passphrase from $FIELDCLI_PASSPHRASE: every
#               command derives the key again;
#   agent       the same store unlocked once with `fieldcli unlock`: commands get the key from the agent;
#   baseline    a store at the cheapest scrypt cost fieldcli accepts (2^12, about 4 ms): process start, opening
#               the store and the insert, nearly without the key derivation. The agent should be within 1.5x.
# Usage: bash scripts/bench-cli.sh [RUNS]   (FIELDCLI_BIN=path skips the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x /opt/swift/usr/bin/swift ]] && export PATH="/opt/swift/usr/bin:$PATH"
runs="${1:-40}"
if [[ -z "${FIELDCLI_BIN:-}" ]]; then
    echo "bench-cli: building fieldcli (release)" >&2
    swift build -c release --product fieldcli >&2
    FIELDCLI_BIN="$(swift build -c release --show-bin-path)/fieldcli"
fi
work="$(mktemp -d)"
mkdir -m 700 "$work/runtime"
export XDG_RUNTIME_DIR="$work/runtime"
cleanup() {
    FIELDCLI_HOME="$work/standard" "$FIELDCLI_BIN" lock >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
export FIELDCLI_PASSPHRASE="bench passphrase of some length"

prepare() { # store-dir kdf-cost
    FIELDCLI_HOME="$1" "$FIELDCLI_BIN" init --kdf-cost "$2" >/dev/null
    FIELDCLI_HOME="$1" "$FIELDCLI_BIN" subject add ung-0001 >/dev/null
}

# Prints the p50 and p90 in milliseconds of `note add` runs against a store, with the given environment.
measure() { # label store-dir [env...]
    local label="$1" store="$2"
    shift 2
    local times=()
    for ((i = 0; i < runs; i++)); do
        local start end
        start=$(date +%s%N)
        env "$@" FIELDCLI_HOME="$store" "$FIELDCLI_BIN" note add --subject ung-0001 --kind sms \
            --text "Texted about Thursday's visit ($i)" </dev/null >/dev/null
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | python3 -c '
import sys, statistics
label = sys.argv[1]
values = sorted(int(line) / 1000 for line in sys.stdin)
p50 = statistics.median(values)
p90 = values[int(0.9 * (len(values) - 1))]
print(f"{label:<11} p50 {p50:7.1f} ms   p90 {p90:7.1f} ms   ({len(values)} runs)")
print(f"{label}={p50}", file=open(sys.argv[2], "a"))
' "$label" "$work/results"
}

prepare "$work/standard" 16
prepare "$work/cheap" 12
echo "fieldcli note add, wall time per command ($(nproc) cores, $(date -u +%H:%M) UTC)"
measure passphrase "$work/standard"
FIELDCLI_HOME="$work/standard" "$FIELDCLI_BIN" unlock --for 1h >/dev/null
measure agent "$work/standard" -u FIELDCLI_PASSPHRASE
measure baseline "$work/cheap"
python3 - "$work/results" <<'PY'
import sys
values = dict(line.strip().split("=") for line in open(sys.argv[1]))
p, a, b = (float(values[k]) for k in ("passphrase", "agent", "baseline"))
print(f"agent / baseline {a / b:.2f}x (target <= 1.5x)   passphrase / agent {p / a:.1f}x")
PY
