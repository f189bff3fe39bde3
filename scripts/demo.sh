#!/usr/bin/env bash
# The README's main job, end to end: a sync-server on its embedded SQLite default, two advisers' devices
# writing notes offline, syncing, a concurrent edit that merges by itself, one that needs a person, the
# resolution, both devices agreeing, a revoked device enrolling again without losing its queued note, a device
# restored from an older backup continuing as a new one with both versions of its note kept, and the
# young person moving on to another organisation: a handover with consent, the receiver seeing only the
# handover note, the sender's access ending on every device; then the server's nightly compaction.
# Everything lives in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
[[ -x /opt/swift/usr/bin/swift ]] && export PATH="/opt/swift/usr/bin:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*" | sed "s#$BIN/##g; s#$WORK/##g"; "$@"; }

step "Building fieldcli and sync-server"
swift build --product fieldcli >&2
swift build --product sync-server >&2
BIN="$(swift build --show-bin-path)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-demo.XXXXXX")"
SERVER_PID=""
cleanup() {
    [[ -n "${BIN:-}" && -d "${WORK:-}/runtime" ]] && "$BIN/fieldcli" lock >/dev/null 2>&1 || true
    if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Demo passphrases come from the environment; a person would get a no-echo prompt instead.
export FIELDCLI_PASSPHRASE="demo passphrase, not for real notes"
DB="sqlite:$WORK/server/fieldsync.sqlite"
mkdir -p "$WORK/server"
# The unlock agent's socket and editor drafts go to the session's private runtime directory.
mkdir -m 700 "$WORK/runtime"
export XDG_RUNTIME_DIR="$WORK/runtime"
cd "$WORK"

step "Start a team server (embedded SQLite, nothing to install)"
"$BIN/sync-server" serve --database "$DB" --listen 127.0.0.1:0 --log-level warning >server.out 2>server.log &
SERVER_PID=$!
for _ in $(seq 1 100); do
    grep -q "listening on" server.out 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat server.log >&2; exit 1; }
    sleep 0.1
done
URL="$(grep -o 'http://[0-9.:]*' server.out | head -1)"
echo "sync-server listening on $URL"

step "An administrator creates the team and enrolment codes"
show "$BIN/sync-server" admin --database "$DB" create-team north
show "$BIN/sync-server" admin --database "$DB" add-adviser --team north mette
show "$BIN/sync-server" admin --database "$DB" add-adviser --team north lars
CODE_METTE="$("$BIN/sync-server" admin --database "$DB" enrolment-code --adviser mette --expires 1h | tail -1)"
CODE_LARS="$("$BIN/sync-server" admin --database "$DB" enrolment-code --adviser lars --expires 1h | tail -1)"
echo "codes: mette $CODE_METTE, lars $CODE_LARS"

METTE=(--store "$WORK/mette-laptop")
LARS=(--store "$WORK/lars-phone")
fc() { show "$BIN/fieldcli" "$@"; }

step "Morning: each adviser creates a store (once) and unlocks it for the day (once)"
fc init "${METTE[@]}" --adviser mette --device-name mette-laptop
fc init "${LARS[@]}" --adviser lars --device-name lars-phone
fc unlock "${METTE[@]}" --for 8h
fc unlock "${LARS[@]}" --for 8h
# From here on no command sees a passphrase: the agent holds both stores' keys until 'fieldcli lock'.
unset FIELDCLI_PASSPHRASE
fc status "${METTE[@]}"

step "Mette writes notes offline, before her laptop is even enrolled"
fc subject add "${METTE[@]}" ung-0142 --name Sofie --consent yes --next-step "Visit the technical college"
NOTE="$("$BIN/fieldcli" note add "${METTE[@]}" ung-0142 -k walk -p "harbour path" -f +14d "Walk along the harbour.
Sofie talked about the carpentry course. #education-ready
Next: call the college counsellor.")"
echo "note $NOTE"
echo '$ fieldcli note add ung-0142 -k phone Short call: Sofie confirms Thursday. -f tomorrow'
CALL="$("$BIN/fieldcli" note add "${METTE[@]}" ung-0142 -k phone Short call: Sofie confirms Thursday. -f tomorrow)"
fc note list "${METTE[@]}"
fc followups "${METTE[@]}" --all
fc followups done "${METTE[@]}" "${CALL:0:8}"

step "Both devices enrol and sync"
fc enroll "${METTE[@]}" --server "$URL" --code "$CODE_METTE"
fc enroll "${LARS[@]}" --server "$URL" --code "$CODE_LARS"
fc sync "${METTE[@]}"
fc sync "${LARS[@]}"
fc note list "${LARS[@]}"

step "Offline, both edit the same note: different lines, and tags"
fc note edit "${METTE[@]}" "${NOTE:0:8}" --text "Walk along the harbour, about an hour.
Sofie talked about the carpentry course.
Next: call the college counsellor."
fc note edit "${LARS[@]}" "${NOTE:0:8}" --tag housing --text "Walk along the harbour.
Sofie talked about the carpentry course.
Next: call the college counsellor (Lars covers this week)."
fc sync "${METTE[@]}"
fc sync "${LARS[@]}"
fc sync "${METTE[@]}"
echo "-- merged by itself, no conflict:"
fc note show "${METTE[@]}" "${NOTE:0:8}"

step "Offline again, both append to the end of the same note: only a person can order that"
fc note edit "${METTE[@]}" "${NOTE:0:8}" --append "Mette: the college has a place from January."
fc note edit "${LARS[@]}" "${NOTE:0:8}" --append "Lars: Sofie wants to start in January."
fc sync "${METTE[@]}"
fc sync "${LARS[@]}"
fc conflicts "${LARS[@]}"
fc status "${LARS[@]}"

step "Lars resolves it with the merged text, and both devices sync again"
# Both values share their first lines; Lars keeps them once and puts both new lines after them.
MERGED="$("$BIN/fieldcli" conflicts "${LARS[@]}" --json | python3 -c '
import json, sys
a, b = [c["value"].split("\n") for c in json.load(sys.stdin)[0]["fields"][0]["candidates"]]
n = 0
while n < min(len(a), len(b)) and a[n] == b[n]:
    n += 1
print("\n".join(a[:n] + a[n:] + b[n:]))')"
fc resolve "${LARS[@]}" "${NOTE:0:8}" --text "$MERGED"
fc sync "${LARS[@]}"
fc sync "${METTE[@]}"
fc conflicts "${METTE[@]}"

step "Both devices hold the same note"
fc note show "${METTE[@]}" "${NOTE:0:8}"
a="$("$BIN/fieldcli" note show "${METTE[@]}" "$NOTE" --json | grep -v updatedAt)"
b="$("$BIN/fieldcli" note show "${LARS[@]}" "$NOTE" --json | grep -v updatedAt)"
if [[ "$a" == "$b" ]]; then echo "OK: mette-laptop and lars-phone agree."; else echo "MISMATCH" >&2; exit 1; fi

step "The young person's readable summary"
fc export "${LARS[@]}" --subject ung-0142

step "The server's audit trail"
show "$BIN/sync-server" admin --database "$DB" audit --limit 8 || true

step "Lars's phone is revoked by mistake while a note waits on it; enrolling again loses nothing"
LARS_DEVICE="$("$BIN/fieldcli" status "${LARS[@]}" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["deviceID"])')"
show "$BIN/sync-server" admin --database "$DB" revoke "$LARS_DEVICE"
fc note add "${LARS[@]}" ung-0142 -k phone "Sofie called: she has the application form."
fc sync "${LARS[@]}" || echo "(exit $?: refused, the note stays queued)"
CODE_LARS2="$("$BIN/sync-server" admin --database "$DB" enrolment-code --adviser lars --expires 1h | tail -1)"
fc enroll "${LARS[@]}" --server "$URL" --code "$CODE_LARS2" --yes
fc sync "${LARS[@]}"
fc sync "${METTE[@]}"
fc note list "${METTE[@]}" --subject ung-0142

step "Lars's phone is put back from an older backup: the server catches it, and enrolled again it continues as a new device"
PLAN="$("$BIN/fieldcli" note add "${LARS[@]}" ung-0142 -k follow-up "Plan: visit the college on Tuesday.")"
fc sync "${LARS[@]}"
show cp -a "$WORK/lars-phone" "$WORK/lars-phone-backup"
fc note edit "${LARS[@]}" "$PLAN" --text "Plan: visit the college on Tuesday at 10."
fc sync "${LARS[@]}"
# The phone is restored from the backup, which does not hold the edit it synced since; then Lars edits again.
rm -rf "$WORK/lars-phone"
show mv "$WORK/lars-phone-backup" "$WORK/lars-phone"
fc note edit "${LARS[@]}" "$PLAN" --text "Plan: visit the college on Wednesday."
fc sync "${LARS[@]}" || echo "(exit $?: refused; both edits are safe, one on the server, one on the phone)"
CODE_LARS3="$("$BIN/sync-server" admin --database "$DB" enrolment-code --adviser lars --expires 1h | tail -1)"
fc enroll "${LARS[@]}" --server "$URL" --code "$CODE_LARS3" --yes
fc sync "${LARS[@]}"
fc sync "${METTE[@]}"
# Both edits survive, as a conflict a person settles.
fc conflicts "${METTE[@]}"
fc resolve "${METTE[@]}" "$PLAN" --text "Plan: visit the college on Wednesday at 10."
fc sync "${METTE[@]}"
fc sync "${LARS[@]}"

step "Sofie moves on to the job centre: a handover with her consent"
show "$BIN/sync-server" admin --database "$DB" create-team jobcentre
show "$BIN/sync-server" admin --database "$DB" add-adviser --team jobcentre jonas
show "$BIN/sync-server" admin --database "$DB" partner --team north --with jobcentre
CODE_JONAS="$("$BIN/sync-server" admin --database "$DB" enrolment-code --adviser jonas --expires 1h | tail -1)"
JONAS=(--store "$WORK/jonas-laptop")
export FIELDCLI_PASSPHRASE="demo passphrase, not for real notes"
fc init "${JONAS[@]}" --adviser jonas --device-name jonas-laptop
fc unlock "${JONAS[@]}" --for 8h
unset FIELDCLI_PASSPHRASE
fc enroll "${JONAS[@]}" --server "$URL" --code "$CODE_JONAS"
# Only the handover note passes on; north keeps reading for 30 days, then its access ends.
fc subject handover "${METTE[@]}" ung-0142 --to jonas --team jobcentre --keep-access 30d --yes \
    --consent "Sofie agrees that the job centre gets the handover note" \
    --note "Starts the carpentry course in January; prefers texts to calls."
fc sync "${METTE[@]}"
fc sync "${JONAS[@]}"
fc subject list "${JONAS[@]}" --mine
fc followups "${JONAS[@]}"
fc note list "${JONAS[@]}"

step "30 days later the north team's access ends, on every north device"
show "$BIN/sync-server" admin --database "$DB" expire-access --as-of "$(date -u -d '+31 days' +%F)"
fc sync "${METTE[@]}"
fc sync "${LARS[@]}"
fc subject list "${LARS[@]}"
fc subject list "${JONAS[@]}"
show "$BIN/sync-server" admin --database "$DB" access-report --subject ung-0142

step "Nightly upkeep on the server: compaction drops what every device has seen (serve does it daily)"
fc sync "${LARS[@]}"
fc sync "${JONAS[@]}"
show "$BIN/sync-server" admin --database "$DB" compact

step "Evening: lock (the key is wiped; the next command asks for the passphrase again)"
fc lock
