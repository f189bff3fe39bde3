"""Builds protocol-spec/vectors/messages.json from hand-written messages.

Canonical strings are computed here, independently of the Swift encoder: keys sorted by code point,
no whitespace, UTF-8 unescaped. Valid messages are also checked against the OpenAPI component schemas.
"""
import copy, json, os

import jsonschema, yaml

from record_format import base_patch, decode_record, encode_record

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, "..", "openapi.yaml")
OUT = os.path.join(HERE, "..", "vectors", "messages.json")

def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

LAP, PHO = "k3v9q2m7x1ab", "p7hx4c2n9wqe"
NOTE_ID = "01JD3X5Q7K2M8N4P6R9T0V1W2Y"
BODY = "Walked past the vocational school with Y.\nAgreed: visit the open day on Thursday.\nNæste skridt: ring fredag.\n"

new_note = {
    "collection": "notes", "id": NOTE_ID, "clock": {LAP: 1},
    "presence": {f"{LAP}:1": True},
    "tags": {"tags": {"housing": [f"{LAP}:1"]}},
    "writes": [{"dot": f"{LAP}:1", "set": {
        "body": {"text": BODY}, "kind": {"str": "walk"},
        "occurredAt": {"time": 1795000000000}, "subject": {"ref": "y-417"}}}],
}
edited_note = copy.deepcopy(new_note)
edited_note["clock"] = {LAP: 2}
edited_note["presence"] = {f"{LAP}:2": True}
del edited_note["writes"][0]["set"]["body"]
EDITED = BODY + "Called: he will come.\n"
edited_note["writes"].append({"base": {"body": base_patch(EDITED, BODY)}, "dot": f"{LAP}:2",
                              "set": {"body": {"text": EDITED}}})
conflicted_note = copy.deepcopy(new_note)
conflicted_note["clock"] = {LAP: 2, PHO: 1}
conflicted_note["presence"] = {f"{LAP}:2": True, f"{PHO}:1": True}
del conflicted_note["writes"][0]["set"]["kind"]
conflicted_note["writes"] += [{"dot": f"{LAP}:2", "set": {"kind": {"str": "phone"}}},
                              {"dot": f"{PHO}:1", "set": {"kind": {"str": "sms"}}}]
deleted_note = copy.deepcopy(new_note)
deleted_note["id"] = "01JD3X5Q7K2M8N4P6R9T0V1W3Z"
deleted_note["clock"] = {LAP: 2}
deleted_note["presence"] = {f"{LAP}:2": False}
purged_note = {"collection": "notes", "id": "01JD3X5Q7K2M8N4P6R9T0V1W4A", "clock": {LAP: 3, "server": 1},
               "purged": "server:1"}
subject = {"collection": "subjects", "id": "y-417", "clock": {PHO: 1}, "presence": {f"{PHO}:1": True},
           "writes": [{"dot": f"{PHO}:1", "set": {"consentRecorded": {"bool": True},
                                                    "reference": {"str": "Y-417"}, "status": {"str": "in-education"}}}]}
# Version 2 (README 14): the same course shared with the job centre, with the young person's consent.
shared_subject = {"collection": "subjects", "id": "y-417", "clock": {PHO: 2}, "presence": {f"{PHO}:2": True},
                  "tags": {"consent": {"jobcentre": [f"{PHO}:2"]},
                           "scope": {"jobcentre": [f"{PHO}:2"], "uu-north": [f"{PHO}:2"]}},
                  "writes": [{"dot": f"{PHO}:1", "set": {"reference": {"str": "Y-417"}}},
                             {"dot": f"{PHO}:2", "set": {"consentLog": {"text": "2026-11-30 lars (uu-north): consent to share with jobcentre\n"}}}]}
# Every record above is in the logical form of record_format.py; messages carry the wire form.
new_note, edited_note, conflicted_note, deleted_note, purged_note, subject, shared_subject = (
    encode_record(r) for r in (new_note, edited_note, conflicted_note, deleted_note, purged_note, subject,
                               shared_subject))
for wire in (new_note, edited_note, conflicted_note, deleted_note, purged_note, subject, shared_subject):
    assert encode_record(decode_record(wire)) == wire, wire  # the two directions of record_format agree
limits = {"maxBodyBytes": 8388608, "maxBatchRecords": 500, "maxPageRecords": 2000, "defaultPageRecords": 500}
server = {"replica": "server", "protocolVersions": [1], "limits": limits}

valid = [
    ("hello-request", "HelloRequest", "A client offering version 1.",
     {"protocolVersions": [1], "client": "fieldcli/0.1.0"}),
    ("hello-request-minimal", "HelloRequest", "`client` is optional.", {"protocolVersions": [1]}),
    ("hello-response", "HelloResponse", "Version 1 chosen; the device, its teams, the server's limits.",
     {"protocolVersion": 1, "deviceId": "dev-01JD3X", "teams": ["north", "north.youth-guides"], "server": server}),
    ("enroll-request", "EnrollRequest", "Non-ASCII text stays UTF-8 in canonical JSON.",
     {"code": "K7QF-2MZP-9WXD", "deviceName": "Annes bærbare", "protocolVersions": [1]}),
    ("enroll-request-with-replica", "EnrollRequest",
     "A device that took notes offline brings the replica id its records already carry.",
     {"code": "K7QF-2MZP-9WXD", "deviceName": "laptop", "protocolVersions": [1], "replica": LAP}),
    ("enroll-request-again", "EnrollRequest",
     "Re-enrolment: a fresh replica id, and the earlier enrolment's token proving the store's replica ids its own.",
     {"code": "Q4MR-8TZK-2HVC", "deviceName": "laptop", "protocolVersions": [1, 2], "replica": "r2bq8w5n3kdx",
      "previousToken": "fs1_3q6Hc0xvV9S1n0c8yQJZ2mQf3xM8pWd4kT7rB5sL"}),
    ("enroll-response", "EnrollResponse", "The token appears only in this answer.",
     {"protocolVersion": 1, "deviceId": "dev-01JD3X", "replica": LAP,
      "token": "fs1_3q6Hc0xvV9S1n0c8yQJZ2mQf3xM8pWd4kT7rB5sL", "teams": ["north"], "server": server}),
    ("push-batch-new-note", "PushBatch", "One note created offline: one write group, a tag, presence.",
     {"protocolVersion": 1, "replica": LAP, "batchId": "b-5kq2m7x1abp7hx4c2n9wqe3z", "records": [new_note]}),
    ("push-batch-edit-delete-subject", "PushBatch",
     "An edited note (its text write carries the replaced text as base), a deleted note, a subject.",
     {"protocolVersion": 1, "replica": LAP, "batchId": "b-2", "records": [edited_note, deleted_note, subject]}),
    ("push-batch-final-with-cursor", "PushBatch",
     "The last batch of a push that emptied the outbox, with the cursor the device had applied when it began.",
     {"protocolVersion": 1, "replica": LAP, "batchId": "b-3", "records": [new_note], "cursor": "41", "final": True}),
    ("push-batch-checkpoint", "PushBatch",
     "Nothing to push, but the cursor moved: an empty final batch tells the server what the device has seen.",
     {"protocolVersion": 1, "replica": PHO, "batchId": "b-4", "records": [], "cursor": "44", "final": True}),
    ("push-result-checkpoint", "PushResult", "The answer to a checkpoint has no results.",
     {"protocolVersion": 1, "batchId": "b-4", "sequence": 44, "results": []}),
    ("push-result-accepted-and-merged", "PushResult",
     "The first record was taken as sent; the second met a concurrent edit and comes back merged (in conflict).",
     {"protocolVersion": 1, "batchId": "b-2", "sequence": 42, "results": [
         {"c": "notes", "id": "01JD3X5Q7K2M8N4P6R9T0V1W3Z", "status": "accepted"},
         {"c": "notes", "id": NOTE_ID, "status": "merged", "record": conflicted_note}]}),
    ("pull-request-first", "PullRequest", "The first pull: no cursor, server's default page size.", {}),
    ("pull-request-next", "PullRequest", "A later pull.", {"cursor": "42", "limit": 200}),
    ("pull-page-more", "PullPage", "A page with a purged note and a subject; more changes wait.",
     {"protocolVersion": 1, "records": [purged_note, subject], "nextCursor": "44", "more": True}),
    ("pull-page-empty", "PullPage", "Nothing new: the cost of a no-change sync.",
     {"protocolVersion": 1, "records": [], "nextCursor": "44", "more": False}),
    ("pull-request-v2", "PullRequest", "Version 2 states the negotiated version (the query's protocolVersion).",
     {"cursor": "42", "protocolVersion": 2}),
    ("pull-page-v2-removed", "PullPage",
     "Version 2: a course shared with the job centre arrives, and this team stopped reading a note (README 14.4).",
     {"protocolVersion": 2, "records": [shared_subject], "removed": [{"c": "notes", "id": NOTE_ID}],
      "nextCursor": "46", "more": False}),
    ("pull-page-v2-empty", "PullPage", "Version 2 always lists removals, possibly none.",
     {"protocolVersion": 2, "records": [], "removed": [], "nextCursor": "46", "more": False}),
    ("team-directory", "TeamDirectory",
     "Who writes with which replica id, sorted by replica; a revoked device stays listed (its writes remain).",
     {"protocolVersion": 1, "devices": [
         {"adviser": "mette", "device": "Mettes bærbare", "replica": LAP},
         {"adviser": "lars", "device": "phone", "replica": "m2zq8c4k7wtr", "revoked": True},
         {"adviser": "lars", "device": "laptop", "replica": PHO}]}),
    ("team-directory-empty", "TeamDirectory", "A team whose advisers have no devices yet.",
     {"protocolVersion": 1, "devices": []}),
    ("error-rate-limited", "ErrorBody", "429 with Retry-After: 30.",
     {"code": "rate_limited", "message": "too many requests from this device", "retryable": True,
      "retryAfterSeconds": 30}),
    ("error-forbidden-record", "ErrorBody", "403 naming the record.",
     {"code": "forbidden_record", "message": "record notes/n-7 belongs to another team", "retryable": False,
      "details": {"collection": "notes", "id": "n-7", "index": 3}}),
    ("error-consent-required", "ErrorBody",
     "403 (version 2): a subject's scope grows by a team its consent does not name; names teams, never content.",
     {"code": "consent_required", "message": "no consent recorded for sharing with team 'jobcentre'",
      "retryable": False, "details": {"collection": "subjects", "id": "y-417", "index": 0}}),
    ("error-forbidden-scope", "ErrorBody", "403 (version 2): the team pushed to may not share with that team.",
     {"code": "forbidden_scope", "message": "team 'psychiatry' is not a partner of team 'uu-north'",
      "retryable": False, "details": {"collection": "subjects", "id": "y-417", "index": 0}}),
    ("error-clock-ahead", "ErrorBody",
     "400: a pushed clock advances another replica beyond what the server holds (README 11.3); names the path "
     "and the rule, never a counter or content.",
     {"code": "clock_ahead", "message": "records[1].v (record notes/n-7) claims writes of another replica that "
      "this server has not received; a push may only advance its own replica's entries. Nothing in the batch "
      "was written", "retryable": False,
      "details": {"collection": "notes", "id": "n-7", "index": 1, "path": "records[1].v"}}),
    ("error-replica-rolled-back", "ErrorBody",
     "409: a pushed record lacks operations of the batch's own replica that the server holds (README 11.3).",
     {"code": "replica_rolled_back", "message": "records[0].v (record notes/n-7) lacks writes of the batch's "
      "own replica that this server has received: the device's store is older than what it synced (restored "
      "or copied), and its next writes would reuse their dots. Nothing in the batch was written; the device "
      "must continue as a new replica", "retryable": False,
      "details": {"collection": "notes", "id": "n-7", "index": 0, "path": "records[0].v"}}),
]

def batch(records, **extra):
    b = {"protocolVersion": 1, "replica": LAP, "batchId": "b-9", "records": records}
    b.update(extra)
    return b

bad_record = copy.deepcopy(new_note); bad_record["colour"] = "red"
bad_group = copy.deepcopy(new_note); bad_group["w"][0]["who"] = "anna"
big_counter = copy.deepcopy(new_note); big_counter["v"] = {LAP: 9007199254740992}
unseen_dot = copy.deepcopy(new_note); unseen_dot["w"][0]["d"] = "0:2"
bad_index = copy.deepcopy(new_note); bad_index["w"][0]["d"] = "1:1"
zero_counter = copy.deepcopy(new_note); zero_counter["v"] = {LAP: 1, PHO: 0}
long_patch = copy.deepcopy(edited_note); long_patch["w"][1]["b"]["body"] = long_patch["w"][1]["b"]["body"] + [0, ""]
wrong_patch = copy.deepcopy(edited_note); wrong_patch["w"][1]["b"]["body"] = [3, 0, BODY[3:]]
wrapped_string = copy.deepcopy(new_note); wrapped_string["w"][0]["s"]["kind"] = {"str": "walk"}
missing_batch = batch([new_note]); del missing_batch["batchId"]
late_time = copy.deepcopy(new_note); late_time["w"][0]["s"]["occurredAt"] = {"time": 9007199254740992}
early_time = copy.deepcopy(new_note); early_time["w"][0]["s"]["occurredAt"] = {"time": -9007199254740992}
# A repeated member name cannot be built from a dict: splice the second member into the canonical text.
twice_batch_id = canonical(batch([new_note])).replace('"batchId":"b-9"', '"batchId":"b-9","batchId":"b-8"', 1)
twice_record_id = canonical(batch([new_note])).replace(f'"i":"{NOTE_ID}"', f'"i":"{NOTE_ID}","i":"n-2"', 1)
fractional_version = canonical(batch([new_note])).replace('"protocolVersion":1', '"protocolVersion":1.0', 1)

invalid = [
    ("reject-malformed-json", "PushBatch", "Truncated body.", '{"protocolVersion":1,"records":[', "malformed_json", ""),
    ("reject-unknown-top-field", "PushBatch", "Unknown fields are refused, never ignored.",
     canonical(batch([new_note], colour="red")), "unknown_field", "colour"),
    ("reject-unknown-record-field", "PushBatch", "Also inside a record.",
     canonical(batch([bad_record])), "unknown_field", "records[0].colour"),
    ("reject-unknown-write-group-field", "PushBatch", "Also inside a write group.",
     canonical(batch([bad_group])), "unknown_field", "records[0].w[0].who"),
    ("reject-wrong-type", "PushBatch", "protocolVersion must be a number, not a string.",
     canonical(batch([new_note], protocolVersion="1")), "wrong_type", "protocolVersion"),
    ("reject-missing-field", "PushBatch", "batchId is required.", canonical(missing_batch), "missing_field", "batchId"),
    ("reject-unsupported-version", "PushBatch", "A version this build does not speak.",
     canonical(batch([new_note], protocolVersion=3)), "unsupported_version", "protocolVersion"),
    ("reject-counter-too-large", "PushBatch", "Counters stop at 2^53 - 1.",
     canonical(batch([big_counter])), "invalid_value", f"records[0].v.{LAP}"),
    ("reject-dot-not-in-clock", "PushBatch", "Every dot must be covered by the record's clock.",
     canonical(batch([unseen_dot])), "invalid_value", "records[0]"),
    ("reject-dot-index-outside-clock", "PushBatch", "A dot's index must name an entry of the record's clock.",
     canonical(batch([bad_index])), "invalid_value", "records[0].w[0].d"),
    ("reject-zero-counter", "PushBatch", "A record's clock has no zero entries (dots index into it).",
     canonical(batch([zero_counter])), "invalid_value", f"records[0].v.{PHO}"),
    ("reject-long-base-patch", "PushBatch", "A base patch leaves out a zero suffix and an empty middle.",
     canonical(batch([long_patch])), "invalid_value", "records[0].w[1].b.body"),
    ("reject-non-canonical-base-patch", "PushBatch", "The patch's prefix must be the longest common prefix.",
     canonical(batch([wrong_patch])), "invalid_value", "records[0].w[1].b.body"),
    ("reject-wrapped-string", "PushBatch", "A string value is a bare JSON string; `str` is not a type key.",
     canonical(batch([wrapped_string])), "invalid_value", "records[0].w[0].s.kind"),
    ("reject-duplicate-record", "PushBatch", "A record appears at most once per batch.",
     canonical(batch([new_note, new_note])), "invalid_value", "records[1]"),
    ("reject-empty-batch", "PushBatch", "A batch that is not a final checkpoint holds at least one record.",
     canonical(batch([])), "invalid_value", "records"),
    ("reject-bad-batch-id", "PushBatch", "Identifiers are [A-Za-z0-9._:-]{1,128}.",
     canonical(batch([new_note], batchId="batch 1")), "invalid_value", "batchId"),
    ("reject-repeated-member-name", "PushBatch", "A member name appears at most once per object (README 7).",
     twice_batch_id, "malformed_json", "batchId"),
    ("reject-repeated-member-name-in-record", "PushBatch", "Also inside a record.",
     twice_record_id, "malformed_json", "records[0].i"),
    ("reject-repeated-member-name-hello", "HelloRequest", "Also in the messages without records.",
     '{"protocolVersions":[1],"protocolVersions":[1]}', "malformed_json", "protocolVersions"),
    ("reject-time-too-late", "PushBatch", "A time is an integer of the protocol: at most 2^53 - 1 (README 8).",
     canonical(batch([late_time])), "invalid_value", "records[0].w[0].s.occurredAt.time"),
    ("reject-time-too-early", "PushBatch", "And at least -(2^53 - 1).",
     canonical(batch([early_time])), "invalid_value", "records[0].w[0].s.occurredAt.time"),
    ("reject-integer-with-fraction", "PushBatch",
     "Integers are written without a fraction or an exponent: 1.0 is not the integer 1 (README 8).",
     fractional_version, "invalid_value", "protocolVersion"),
    ("reject-null-optional-member", "PushBatch",
     "An optional member is left out when absent; null is a wrong type (README 7).",
     canonical(batch([new_note], cursor=None)), "wrong_type", "cursor"),
    ("reject-null-optional-member-hello", "HelloRequest", "Also where Foundation-style decoders read it.",
     '{"client":null,"protocolVersions":[1]}', "wrong_type", "client"),
    ("reject-control-character-in-label", "EnrollRequest",
     "Labels (device and client names) hold no control characters (README 8).",
     '{"code":"K7QF-2MZP-9WXD","deviceName":"laptop\\u0000anna","protocolVersions":[1]}', "invalid_value",
     "deviceName"),
    ("reject-integer-with-fraction-hello", "HelloRequest", "Also in the messages without records.",
     '{"protocolVersions":[1.0]}', "invalid_value", "protocolVersions[0]"),
    ("reject-v2-page-without-removals", "PullPage", "A version-2 page always has `removed`.",
     canonical({"protocolVersion": 2, "records": [], "nextCursor": "46", "more": False}), "missing_field", "removed"),
    ("reject-v1-page-with-removals", "PullPage", "Version 1 has no `removed`.",
     canonical({"protocolVersion": 1, "records": [], "removed": [], "nextCursor": "46", "more": False}),
     "unknown_field", "removed"),
    ("reject-removed-extra-member", "PullPage", "A removal is a key, nothing more.",
     canonical({"protocolVersion": 2, "records": [], "removed": [{"c": "notes", "id": NOTE_ID, "reason": "x"}],
                "nextCursor": "46", "more": False}), "unknown_field", "removed[0].reason"),
    ("reject-zero-limit", "PullRequest", "A page of zero records is absurd.", '{"limit":0}', "invalid_value", "limit"),
    ("reject-merged-without-record", "PushResult", "A merged outcome must carry the merged record.",
     canonical({"protocolVersion": 1, "batchId": "b-2", "sequence": 1,
                "results": [{"c": "notes", "id": NOTE_ID, "status": "merged"}]}), "missing_field", "results[0].record"),
    ("reject-directory-token", "TeamDirectory", "The directory carries names only; a token field is refused.",
     canonical({"protocolVersion": 1, "devices": [{"adviser": "lars", "device": "laptop", "replica": PHO,
                                                   "token": "fs1_x"}]}), "unknown_field", "devices[0].token"),
    ("reject-directory-unsorted", "TeamDirectory", "Devices are sorted by replica id, each replica once.",
     canonical({"protocolVersion": 1, "devices": [{"adviser": "lars", "device": "laptop", "replica": PHO},
                                                  {"adviser": "mette", "device": "laptop", "replica": LAP}]}),
     "invalid_value", "devices[1]"),
    ("reject-no-versions", "HelloRequest", "At least one version must be offered.",
     '{"protocolVersions":[]}', "invalid_value", "protocolVersions"),
    ("reject-null-required", "ErrorBody", "null is not a boolean.",
     '{"code":"unavailable","message":"x","retryable":null}', "wrong_type", "retryable"),
]

spec = yaml.safe_load(open(SPEC))
schemas = spec["components"]["schemas"]
def check(type_name, obj):
    schema = {"$ref": f"#/components/schemas/{type_name}", "components": {"schemas": schemas}}
    resolver_doc = {"components": {"schemas": schemas}}
    jsonschema.validate(obj, {**schema}, cls=jsonschema.Draft202012Validator)

cases = []
for name, type_name, description, message in valid:
    check(type_name, message)
    cases.append({"name": name, "type": type_name, "description": description,
                  "message": message, "canonical": canonical(message)})
for name, type_name, description, text, code, path in invalid:
    cases.append({"name": name, "type": type_name, "description": description,
                  "input": text, "error": {"code": code, "path": path}})

document = {
    "file": "messages",
    "protocolVersion": 2,
    "description": "Wire message encodings. Valid cases: decoding `message` or `canonical` gives the same value, "
                   "and encoding it gives exactly `canonical`. Invalid cases: decoding `input` as `type` fails "
                   "with `error.code` at `error.path`. See vectors/README.md.",
    "cases": cases,
}
with open(OUT, "w") as f:
    json.dump(document, f, indent=2, ensure_ascii=False)
    f.write("\n")
print(len(cases), "cases", sum(1 for c in cases if "canonical" in c), "valid")
