#!/usr/bin/env bash
# Runs the protocol conformance kit (protocol-spec/conformance/) against the real sync-server: once on a
# temporary SQLite database, and once more on PostgreSQL when FIELDSYNC_TEST_POSTGRES_URL (exported by
# `scripts/postgres-test.sh run`) or FIELDSYNC_POSTGRES_URL is set. With CI set, a missing PostgreSQL URL or
# a missing python3 fails instead of skipping.
#
#   bash scripts/conformance.sh [run.py ARGS...]      e.g. --only push. --verbose
#
# Uses the binaries in FIELDSYNC_BIN_DIR when set (scripts/test.sh sets it), else `swift build --product
# sync-server`. Each server listens on 127.0.0.1 on a port it picks itself (--listen 127.0.0.1:0) and is
# stopped with SIGTERM at the end (SIGKILL if it is still running 15 s later, and on any exit of this script).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "conformance: $*" >&2; }
is_ci() { [[ -n "${CI:-}" ]]; }

if ! command -v python3 >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing python3 with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq python3 >&2
    else
        log "python3 is missing (the runner needs Python 3, standard library only)"
        exit 1
    fi
fi

if [[ -n "${FIELDSYNC_BIN_DIR:-}" ]]; then
    bin_dir=$FIELDSYNC_BIN_DIR
else
    [[ -x /opt/swift/usr/bin/swift ]] && export PATH="/opt/swift/usr/bin:$PATH"
    log "building sync-server (debug)"
    swift build --product sync-server >&2
    bin_dir=$(swift build --show-bin-path)
fi
server_bin="$bin_dir/sync-server"
if [[ ! -x "$server_bin" ]]; then
    log "no sync-server executable at $server_bin"
    exit 1
fi

postgres_url=${FIELDSYNC_TEST_POSTGRES_URL:-${FIELDSYNC_POSTGRES_URL:-}}
if [[ -z "$postgres_url" ]] && is_ci; then
    log "CI is set but neither FIELDSYNC_TEST_POSTGRES_URL nor FIELDSYNC_POSTGRES_URL is: the PostgreSQL run" \
        "must not be skipped in CI (run through scripts/postgres-test.sh run ...)"
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-conformance.XXXXXX")
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    exec 3<&- 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs the kit against a server on DATABASE; NAME labels the output. Returns the runner's status.
run_backend() {
    local name=$1 database=$2
    shift 2
    local fifo="$work/$name.fifo" line="" url
    mkfifo "$fifo"
    # Enrolment is rate limited per source address; every case enrols from 127.0.0.1, so allow more at once.
    FIELDSYNC_LOG_LEVEL=warning FIELDSYNC_ANONYMOUS_RATE_BURST=200 \
        "$server_bin" serve --listen 127.0.0.1:0 --database "$database" >"$fifo" 2>"$work/$name.log" &
    server_pid=$!
    exec 3<"$fifo"
    # The server prints one line once it accepts connections; wait for it (at most 60 s), or for its exit.
    if ! IFS= read -r -t 60 -u 3 line || [[ "$line" != *"listening on "* ]]; then
        log "$name: sync-server did not report its address within 60 s (got '${line}')"
        stop_server "$name" || true
        return 1
    fi
    url=${line##*listening on }
    log "$name: sync-server at $url"

    local admin
    admin="$(printf '%q' "$server_bin") admin --database $(printf '%q' "$database")"
    local status=0
    python3 protocol-spec/conformance/run.py --server "$url" \
        --team-command "$admin create-team {team} >/dev/null" \
        --adviser-command "$admin add-adviser --team {team} {adviser} >/dev/null" \
        --purger-command "$admin add-adviser --team {team} --can-purge {adviser} >/dev/null" \
        --code-command "$admin enrolment-code --adviser {adviser} --expires 30m" \
        --revoke-command "$admin revoke {device} >/dev/null" \
        ${CI:+--fail-on-skip} "$@" || status=$?

    stop_server "$name" || status=1
    return "$status"
}

# SIGTERM, then waits for the exit (a condition, not a fixed sleep) for at most 15 s, then SIGKILL.
# Fails when the server had to be killed or exited with a non-zero status.
stop_server() {
    local name=$1 status=0 exit_status=0
    kill -TERM "$server_pid" 2>/dev/null || true
    if ! timeout 15 tail --pid="$server_pid" -f /dev/null; then
        log "$name: sync-server did not stop within 15 s of SIGTERM; killing it"
        kill -KILL "$server_pid" 2>/dev/null || true
        status=1
    fi
    wait "$server_pid" || exit_status=$?
    server_pid=""
    exec 3<&-
    if (( exit_status != 0 || status != 0 )); then
        log "$name: sync-server exited with $exit_status; its log:"
        tail -n 40 "$work/$name.log" >&2 || true
        status=1
    fi
    return "$status"
}

started=$SECONDS
overall=0
log "SQLite"
run_backend sqlite "sqlite:$work/server.sqlite" "$@" || overall=1
if [[ -n "$postgres_url" ]]; then
    log "PostgreSQL"
    run_backend postgres "$postgres_url" "$@" || overall=1
else
    log "PostgreSQL: skipped (set FIELDSYNC_TEST_POSTGRES_URL or FIELDSYNC_POSTGRES_URL; CI requires it)"
fi
log "done in $(( SECONDS - started )) s: $([[ $overall -eq 0 ]] && echo "conforming (apart from known failures)" || echo FAILED)"
exit "$overall"
