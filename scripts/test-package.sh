#!/usr/bin/env bash
# Installs the two Debian packages on this machine and uses them as an IT person would (README, "Install from
# the packages"): the service starts under its own user with an encrypted database, a team and an adviser are
# created, a device enrols, writes a note and syncs; then the packages are removed and purged, and nothing is left.
# Not part of scripts/test.sh: it needs root, installs system packages and creates a system user.
#
#   bash scripts/test-package.sh               # scripts/package.sh first (a release build), then the test
#   bash scripts/test-package.sh --skip-build  # the packages already in dist/
#
# Not root: prints why and exits 0, or fails when CI is set. Refuses to run where fieldsync is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
DIST="${FIELDSYNC_DIST:-$ROOT/dist}"
UNIT=/lib/systemd/system/fieldsync-server.service
ENV_FILE=/etc/fieldsync/server.env
KEY=/etc/fieldsync/database.key

step() { printf 'test-package: %s\n' "$*"; }
fail() {
    printf 'test-package: FAILED: %s\n' "$*" >&2
    exit 1
}

SKIP_BUILD=0
for argument in "$@"; do
    case "$argument" in
        --skip-build) SKIP_BUILD=1 ;;
        -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) fail "unknown argument '$argument' (see --help)" ;;
    esac
done

if [[ "$(id -u)" -ne 0 ]]; then
    [[ -n "${CI:-}" ]] && fail "installing the packages needs root"
    step "skipped: installing the packages needs root (run it as root)"
    exit 0
fi
for package in fieldcli fieldsync-server; do
    if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'installed\|config-files'; then
        fail "$package is already on this machine; this test would purge it and its data"
    fi
done
getent passwd fieldsync >/dev/null && fail "a user fieldsync exists already; this test would delete it"
[[ -e /etc/fieldsync || -e /var/lib/fieldsync ]] && fail "/etc/fieldsync or /var/lib/fieldsync exists already"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-test-package.XXXXXX")"
SERVER_PID=""
INSTALLED=0
SYSTEMD=0
[[ -d /run/systemd/system ]] && SYSTEMD=1
cleanup() {
    local status=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if (( status != 0 )) && [[ -s "$WORK/server.log" ]]; then
        echo "test-package: the server's last log lines:" >&2
        tail -n 20 "$WORK/server.log" >&2
    fi
    if (( INSTALLED )); then
        echo "test-package: purging the packages after the failure" >&2
        dpkg --purge fieldcli fieldsync-server >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds, failing after the deadline.
wait_for() {
    local deadline=$((SECONDS + $1)) what="$2"
    shift 2
    until "$@"; do
        (( SECONDS < deadline )) || fail "gave up waiting for $what"
        sleep 0.1
    done
}

if (( ! SKIP_BUILD )); then
    step "building the packages (scripts/package.sh)"
    bash "$ROOT/scripts/package.sh" || fail "scripts/package.sh failed"
fi
ARCH="$(dpkg --print-architecture)"
newest() { find "$DIST" -maxdepth 1 -name "$1_*_${ARCH}.deb" | sort -V | tail -1; }
CLI_DEB="$(newest fieldcli)"
SERVER_DEB="$(newest fieldsync-server)"
[[ -n "$CLI_DEB" && -n "$SERVER_DEB" ]] || fail "no packages in $DIST; run scripts/package.sh"
VERSION="$(dpkg-deb -f "$SERVER_DEB" Version)"
[[ "$(dpkg-deb -f "$CLI_DEB" Version)" == "$VERSION" ]] || fail "the two packages in $DIST have different versions"
size() { du -h "$1" | cut -f1; }
step "packages: $(basename "$CLI_DEB") ($(size "$CLI_DEB")), $(basename "$SERVER_DEB") ($(size "$SERVER_DEB"))"

step "installing both with dpkg -i"
INSTALLED=1
dpkg -i "$CLI_DEB" "$SERVER_DEB" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; fail "dpkg -i failed"; }

step "checking --version"
[[ "$(sync-server --version)" == "sync-server $VERSION" ]] || fail "sync-server --version: $(sync-server --version)"
[[ "$(fieldcli --version)" == "fieldcli $VERSION" ]] || fail "fieldcli --version: $(fieldcli --version)"

step "checking the installed files (dpkg -L)"
expect_files() {
    local package="$1" listed
    shift
    listed="$(dpkg -L "$package")"
    for file in "$@"; do
        grep -qx "$file" <<<"$listed" || fail "$package does not list $file"
        [[ -e "$file" ]] || fail "$file is missing"
    done
}
expect_files fieldcli /usr/bin/fieldcli /usr/share/man/man1/fieldcli.1.gz \
    /usr/share/bash-completion/completions/fieldcli /usr/share/zsh/vendor-completions/_fieldcli \
    /usr/share/fish/vendor_completions.d/fieldcli.fish /usr/share/doc/fieldcli/copyright
expect_files fieldsync-server /usr/bin/sync-server /usr/share/man/man1/sync-server.1.gz "$UNIT" "$ENV_FILE" \
    /usr/share/doc/fieldsync-server/copyright
dpkg-query -W -f='${Conffiles}\n' fieldsync-server | grep -q " $ENV_FILE " || fail "$ENV_FILE is not a conffile"
gzip -dc /usr/share/man/man1/sync-server.1.gz | grep -q 'encryption-key-file' || fail "the man page lacks the options"

step "checking the service user, the settings and the database key"
getent passwd fieldsync | grep -q ':/var/lib/fieldsync:' || fail "no system user fieldsync with home /var/lib/fieldsync"
getent group fieldsync >/dev/null || fail "no group fieldsync"
[[ "$(stat -c '%a %U' "$KEY")" == "600 fieldsync" ]] || fail "$KEY is $(stat -c '%a %U' "$KEY"), not 600 fieldsync"
[[ "$(stat -c '%a %U:%G' "$ENV_FILE")" == "640 root:fieldsync" ]] ||
    fail "$ENV_FILE is $(stat -c '%a %U:%G' "$ENV_FILE"), not 640 root:fieldsync"
grep -qx "FIELDSYNC_ENCRYPTION_KEY_FILE=$KEY" "$ENV_FILE" || fail "$ENV_FILE does not turn encryption on"
DATABASE="$(sed -n 's/^FIELDSYNC_DATABASE=sqlite://p' "$ENV_FILE")"
[[ -n "$DATABASE" ]] || fail "$ENV_FILE names no SQLite database"

# The settings as the unit passes them: the FIELDSYNC_* lines of the EnvironmentFile.
settings() { grep -E '^FIELDSYNC_[A-Z_]+=' "$ENV_FILE"; }
unit_value() { sed -n "s/^$1=//p" "$UNIT" | head -1; }
[[ "$(unit_value User)" == fieldsync && "$(unit_value EnvironmentFile)" == "$ENV_FILE" ]] ||
    fail "the unit does not run as fieldsync with $ENV_FILE"

if (( SYSTEMD )); then
    # postinst has started it already, on the configured (loopback) address.
    LISTEN="$(settings | sed -n 's/^FIELDSYNC_LISTEN=//p')"
    PORT="${LISTEN##*:}"
    [[ "$LISTEN" == 127.0.0.1:* ]] || fail "the test expects the default loopback address, not $LISTEN"
    step "starting the service with systemctl (port $PORT)"
    systemctl start fieldsync-server.service || fail "systemctl start failed"
    service_listens() {
        systemctl is-active --quiet fieldsync-server.service || fail "the service is not active"
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
    }
    wait_for 30 "the service to listen on port $PORT" service_listens
    journalctl -u fieldsync-server.service --no-pager 2>/dev/null | grep -q 'encrypted=yes' ||
        fail "the service did not open an encrypted database (journalctl -u fieldsync-server)"
else
    # No systemd (a container): the unit's ExecStart, as its user, with its EnvironmentFile; a free loopback
    # port instead of the configured one. The unit's sandboxing (ProtectSystem=...) is not applied by hand.
    # setpriv execs (runuser would stay in between as a parent), so SIGTERM reaches the server as from systemd.
    EXEC_START="$(unit_value ExecStart)"
    step "no systemd running: starting '$EXEC_START' by hand as fieldsync"
    # shellcheck disable=SC2046,SC2086 # one VARIABLE=value word per line of the settings; ExecStart's words
    (cd / && exec setpriv --reuid=fieldsync --regid=fieldsync --init-groups -- \
        env HOME=/var/lib/fieldsync $(settings) FIELDSYNC_LISTEN=127.0.0.1:0 $EXEC_START) \
        >"$WORK/server.out" 2>"$WORK/server.log" &
    SERVER_PID=$!
    server_listens() {
        kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited (see its log above)"
        grep -q 'listening on' "$WORK/server.out" 2>/dev/null
    }
    wait_for 30 "the server to listen" server_listens
    PORT="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/server.out" | head -1 | sed 's/.*://')"
    [[ -n "$PORT" ]] || fail "cannot read the port from: $(cat "$WORK/server.out")"
    grep -q 'encrypted=yes' "$WORK/server.log" || fail "the server did not open an encrypted database"
fi
URL="http://127.0.0.1:$PORT"
step "the server listens on $URL"

# As the README tells the IT person: admin commands as the service user, with the service's settings.
# shellcheck disable=SC2046
admin() { (cd / && runuser -u fieldsync -- env $(settings) sync-server admin "$@"); }
step "sync-server admin create-team north"
admin create-team north >/dev/null || fail "create-team failed"
step "sync-server admin add-adviser --team north mette"
admin add-adviser --team north mette >/dev/null || fail "add-adviser failed"
step "sync-server admin enrolment-code --adviser mette"
CODE="$(admin enrolment-code --adviser mette --expires 1h | tail -1)"
[[ -n "$CODE" ]] || fail "enrolment-code printed no code"

export FIELDCLI_HOME="$WORK/device" FIELDCLI_PASSPHRASE="package test passphrase, not for real notes"
mkdir -m 700 "$WORK/runtime"
export XDG_RUNTIME_DIR="$WORK/runtime"
fc() { fieldcli "$@" >>"$WORK/fieldcli.log" 2>&1 || { cat "$WORK/fieldcli.log" >&2; fail "fieldcli $1 failed"; }; }
step "fieldcli init --adviser mette --kdf-cost 12"
fc init --adviser mette --kdf-cost 12 --device-name package-test
step "fieldcli enroll --server $URL"
fc enroll --server "$URL" --code "$CODE"
step "fieldcli subject add, note add"
fc subject add ung-0001 --name Testperson --consent yes
fc note add ung-0001 Visited the carpentry workshop with zanzibarquokka
step "fieldcli sync"
fc sync
grep -q 'sent' "$WORK/fieldcli.log" || fail "fieldcli sync reported nothing sent"
admin devices | grep -q package-test || fail "the server does not list the device"

step "sync-server admin backup --to (online, while the server serves)"
chmod 0711 "$WORK"
install -d -o fieldsync -g fieldsync -m 0700 "$WORK/backups"
BACKUP="$WORK/backups/fieldsync.sqlite"
admin backup --to "$BACKUP" >/dev/null || fail "admin backup failed"
[[ "$(stat -c '%a %U' "$BACKUP")" == "600 fieldsync" ]] || fail "the backup is $(stat -c '%a %U' "$BACKUP")"

step "checking that the database and the backup hold no plaintext"
for file in "$DATABASE" "$DATABASE-wal" "$BACKUP"; do
    [[ -e "$file" ]] || continue
    ! grep -aq zanzibarquokka "$file" || fail "the note's text is readable in $file"
done
[[ "$(stat -c '%U' "$DATABASE")" == fieldsync ]] || fail "$DATABASE is not owned by fieldsync"

step "stopping the server"
if (( SYSTEMD )); then
    systemctl stop fieldsync-server.service || fail "systemctl stop failed"
else
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || fail "the server did not stop cleanly on SIGTERM (status $?)"
    SERVER_PID=""
fi

step "sync-server admin restore --from the backup (the server stopped)"
admin restore --from "$BACKUP" >/dev/null || fail "admin restore failed"
admin devices | grep -q package-test || fail "the restored database does not list the device"

step "dpkg --remove fieldsync-server: the data, key and user stay"
dpkg --remove fieldsync-server >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; fail "dpkg --remove failed"; }
[[ ! -e /usr/bin/sync-server ]] || fail "/usr/bin/sync-server is still there"
[[ -e "$DATABASE" && -e "$KEY" && -e "$ENV_FILE" ]] || fail "remove (not purge) deleted the data or the settings"
getent passwd fieldsync >/dev/null || fail "remove (not purge) deleted the user"

step "dpkg --purge fieldsync-server fieldcli: everything goes"
dpkg --purge fieldsync-server fieldcli >"$WORK/dpkg.log" 2>&1 ||
    { cat "$WORK/dpkg.log" >&2; fail "dpkg --purge failed"; }
INSTALLED=0
for path in /usr/bin/fieldcli /usr/bin/sync-server "$UNIT" /etc/fieldsync /var/lib/fieldsync \
    /usr/share/bash-completion/completions/fieldcli; do
    [[ ! -e "$path" ]] || fail "$path is still there after the purge"
done
! getent passwd fieldsync >/dev/null || fail "the user fieldsync is still there after the purge"
! getent group fieldsync >/dev/null || fail "the group fieldsync is still there after the purge"
for package in fieldcli fieldsync-server; do
    ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'installed\|config-files' ||
        fail "$package is still known to dpkg"
done

step "passed: installed, served encrypted, synced a device, removed and purged"
