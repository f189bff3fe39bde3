#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 on a free loopback port for the test suite, and stops it.
#
#   scripts/postgres-test.sh run CMD [ARGS...]   start, run CMD with FIELDSYNC_TEST_POSTGRES_URL set, stop
#   scripts/postgres-test.sh start               start; prints `export FIELDSYNC_TEST_POSTGRES_URL=...`
#                                                and `export FIELDSYNC_TEST_POSTGRES_DIR=...` (eval them)
#   scripts/postgres-test.sh stop [DIR]          stop the cluster in DIR (default $FIELDSYNC_TEST_POSTGRES_DIR)
#                                                and delete DIR
#
# The cluster lives in a temporary directory, listens on 127.0.0.1 only, trusts local connections
# (it is a test fixture: no data of value, no remote access) and is owned by the `postgres` user
# when run as root, because initdb refuses to run as root. If PostgreSQL 15 is missing on a
# Debian machine, it is installed with apt-get.
set -euo pipefail

PG_VERSION=15
PG_BIN="/usr/lib/postgresql/${PG_VERSION}/bin"
DB_NAME=fieldsync_test

log() { echo "postgres-test: $*" >&2; }

ensure_installed() {
    if [[ -x "${PG_BIN}/initdb" ]]; then return; fi
    if [[ $(id -u) -ne 0 ]]; then
        log "PostgreSQL ${PG_VERSION} is not installed in ${PG_BIN} and we are not root to install it"
        exit 1
    fi
    log "installing postgresql-${PG_VERSION} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "postgresql-${PG_VERSION}" >&2 || apt-get install -y -qq postgresql >&2
    if [[ ! -x "${PG_BIN}/initdb" ]]; then
        log "installation did not provide ${PG_BIN}/initdb"
        exit 1
    fi
}

# Runs a command as the cluster's owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
    ensure_installed
    local dir
    # Under /tmp, not $TMPDIR: the `postgres` user must be able to reach the directory.
    dir=$(mktemp -d "/tmp/fieldsync-pg.XXXXXX")
    chmod 755 "$dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
    as_owner "${PG_BIN}/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }

    local attempt port=""
    for attempt in $(seq 1 20); do
        local candidate=$(( 20000 + RANDOM % 40000 ))
        if port_in_use "$candidate"; then continue; fi
        if as_owner "${PG_BIN}/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
            -o "-c listen_addresses=127.0.0.1 -p ${candidate} -k ${dir} -c fsync=off -c max_connections=200" \
            >/dev/null 2>&1; then
            port=$candidate
            break
        fi
    done
    if [[ -z "$port" ]]; then
        log "could not start PostgreSQL; server log:"
        cat "$dir/server.log" >&2 || true
        exit 1
    fi
    as_owner "${PG_BIN}/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DB_NAME"
    echo "$port" >"$dir/port"
    echo "export FIELDSYNC_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:${port}/${DB_NAME}"
    echo "export FIELDSYNC_TEST_POSTGRES_DIR=${dir}"
}

stop() {
    local dir=${1:-${FIELDSYNC_TEST_POSTGRES_DIR:-}}
    if [[ -z "$dir" || ! -d "$dir/data" ]]; then
        log "no cluster directory to stop (give DIR or set FIELDSYNC_TEST_POSTGRES_DIR)"
        exit 1
    fi
    as_owner "${PG_BIN}/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start)
        start
        ;;
    stop)
        shift
        stop "${1:-}"
        ;;
    run)
        shift
        if [[ $# -eq 0 ]]; then log "usage: $0 run CMD [ARGS...]"; exit 2; fi
        eval "$(start)"
        trap 'stop "$FIELDSYNC_TEST_POSTGRES_DIR"' EXIT
        log "PostgreSQL ${PG_VERSION} at ${FIELDSYNC_TEST_POSTGRES_URL}"
        set +e
        "$@"
        status=$?
        set -e
        exit $status
        ;;
    *)
        echo "usage: $0 {start|stop [DIR]|run CMD [ARGS...]}" >&2
        exit 2
        ;;
esac
