#!/usr/bin/env python3
"""Runs the fieldsync server conformance cases (protocol-spec/conformance/cases/*.json) against a server.

Python 3 standard library only. See README.md next to this file for the case format and the setup hooks.

    python3 run.py --server http://127.0.0.1:8080 \
        --team-command 'sync-server admin --database sqlite:/tmp/x.sqlite create-team {team}' \
        --adviser-command 'sync-server admin --database sqlite:/tmp/x.sqlite add-adviser --team {team} {adviser}' \
        --purger-command 'sync-server admin --database sqlite:/tmp/x.sqlite add-adviser --team {team} --can-purge {adviser}' \
        --code-command 'sync-server admin --database sqlite:/tmp/x.sqlite enrolment-code --adviser {adviser}'

or, with a world set up by hand, `--fixture fixture.json` (see `--print-world`).

Exit status: 0 when every case passed (or failed as a declared known failure), 1 on any unexpected failure,
2 on a usage or setup error.
"""

import argparse
import glob
import http.client
import ipaddress
import json
import os
import re
import secrets
import select
import shlex
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))


class CaseFailure(Exception):
    """An expectation that did not hold: the case fails."""


class SetupError(Exception):
    """The runner could not prepare the world (a hook failed): not a verdict about the server."""


# --------------------------------------------------------------------------------------------------------------
# Message shapes, transcribed from openapi.yaml (components/schemas). Checked with `"schema": "Name"` in a case,
# and ErrorBody on every answer with status >= 400. Records are checked only for their top-level members: the
# record format itself is covered by the vectors (merge.md).

IDENT = {"pattern": r"^[A-Za-z0-9._:-]{1,128}$"}
REPLICA = {"pattern": r"^[A-Za-z0-9_-]{1,32}$"}
CURSOR = {"type": "string", "min": 1, "max": 512}
VERSIONS = {"array": {"type": "integer"}, "min": 1, "max": 32}
RECORD = {"object": {"c": {"pattern": r"^[a-z][A-Za-z0-9_]{0,63}$"}, "i": {"pattern": r"^[A-Za-z0-9_-]{1,64}$"},
                     "v": {"type": "object"}},
          "optional": {"w": {"type": "array"}, "p": {"type": "object"}, "x": {"type": "string"}}}
LIMITS = {"object": {"maxBodyBytes": {"type": "integer"}, "maxBatchRecords": {"type": "integer"},
                     "maxPageRecords": {"type": "integer"}, "defaultPageRecords": {"type": "integer"}}}
SERVER_INFO = {"object": {"replica": REPLICA, "protocolVersions": VERSIONS, "limits": LIMITS}}
TEAMS = {"array": IDENT, "max": 1000}
SHAPES = {
    "Health": {"object": {"status": {"enum": ["ok"]}}},
    "ErrorBody": {"object": {"code": {"type": "string", "max": 128}, "message": {"type": "string", "max": 1024},
                             "retryable": {"type": "boolean"}},
                  "optional": {"retryAfterSeconds": {"type": "integer"},
                               "details": {"object": {}, "optional": {
                                   "collection": {"type": "string"}, "id": {"type": "string"},
                                   "path": {"type": "string"}, "index": {"type": "integer"}}}}},
    "EnrollResponse": {"object": {"protocolVersion": {"enum": [1]}, "deviceId": IDENT, "replica": REPLICA,
                                  "token": {"type": "string", "min": 1, "max": 512}, "teams": TEAMS,
                                  "server": SERVER_INFO}},
    "HelloResponse": {"object": {"protocolVersion": {"enum": [1]}, "deviceId": IDENT, "teams": TEAMS,
                                 "server": SERVER_INFO}},
    "PushResult": {"object": {"protocolVersion": {"enum": [1, 2]}, "batchId": IDENT, "sequence": {"type": "integer"},
                              "results": {"array": {"object": {"c": {"type": "string"}, "id": {"type": "string"},
                                                               "status": {"enum": ["accepted", "merged"]}},
                                                    "optional": {"record": RECORD}}}}},
    "PullPage": {"object": {"protocolVersion": {"enum": [1]}, "records": {"array": RECORD}, "nextCursor": CURSOR,
                            "more": {"type": "boolean"}}},
    "PullPageV2": {"object": {"protocolVersion": {"enum": [2]}, "records": {"array": RECORD}, "nextCursor": CURSOR,
                              "more": {"type": "boolean"},
                              "removed": {"array": {"object": {"c": {"pattern": r"^[a-z][A-Za-z0-9_]{0,63}$"},
                                                               "id": {"pattern": r"^[A-Za-z0-9_-]{1,64}$"}}}}}},
    "TeamDirectory": {"object": {"protocolVersion": {"enum": [1]},
                                 "devices": {"array": {"object": {"adviser": IDENT,
                                                                  "device": {"type": "string", "min": 1},
                                                                  "replica": REPLICA},
                                                       "optional": {"revoked": {"enum": [True]}}}}}},
}

JSON_TYPES = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list, "null": type(None)}


def json_type(value):
    if isinstance(value, bool):
        return "boolean"
    for name, kind in JSON_TYPES.items():
        if name != "boolean" and isinstance(value, kind):
            return name
    return "number"


def check_shape(value, shape, where):
    """Raises CaseFailure when value does not have the shape."""
    if "object" in shape:
        if not isinstance(value, dict):
            raise CaseFailure(f"{where or '(body)'}: expected an object, got {json_type(value)}")
        required, optional = shape["object"], shape.get("optional", {})
        for name in required:
            if name not in value:
                raise CaseFailure(f"{where}.{name}: required member missing")
        for name, member in value.items():
            if name not in required and name not in optional:
                raise CaseFailure(f"{where}.{name}: member not in the schema (additionalProperties: false)")
            check_shape(member, required.get(name) or optional[name], f"{where}.{name}")
        return
    if "array" in shape:
        if not isinstance(value, list):
            raise CaseFailure(f"{where}: expected an array, got {json_type(value)}")
        if len(value) < shape.get("min", 0) or len(value) > shape.get("max", 10_000):
            raise CaseFailure(f"{where}: {len(value)} items, outside the schema's bounds")
        for index, item in enumerate(value):
            check_shape(item, shape["array"], f"{where}[{index}]")
        return
    if "enum" in shape:
        if value not in shape["enum"] or json_type(value) != json_type(shape["enum"][0]):
            raise CaseFailure(f"{where}: {json.dumps(value)[:80]} is not one of {shape['enum']}")
        return
    if "pattern" in shape:
        if not isinstance(value, str) or not re.match(shape["pattern"], value):
            raise CaseFailure(f"{where}: {json.dumps(value)[:80]} does not match {shape['pattern']}")
        return
    kind = shape.get("type")
    if kind and json_type(value) != kind:
        raise CaseFailure(f"{where}: expected {kind}, got {json_type(value)}")
    if kind == "string" and not shape.get("min", 0) <= len(value.encode()) <= shape.get("max", 1 << 30):
        raise CaseFailure(f"{where}: string of {len(value.encode())} bytes, outside the schema's bounds")
    if kind == "integer" and abs(value) > 2**53 - 1:
        raise CaseFailure(f"{where}: integer beyond 2^53 - 1")


# --------------------------------------------------------------------------------------------------------------
# Variables: "${name}" anywhere in a string (also in object keys); a string that is exactly "${name}" takes the
# variable's JSON value (numbers stay numbers). "${name+1}" / "${name-1}" add to an integer variable.

VAR = re.compile(r"\$\{([A-Za-z0-9_.]+)([+-][0-9]+)?\}")


class Scope:
    def __init__(self):
        self.values = {}

    def lookup(self, name, offset):
        if name not in self.values:
            raise CaseFailure(f"variable ${{{name}}} is not set (an earlier step or case that sets it failed?)")
        value = self.values[name]
        if offset:
            if not isinstance(value, int) or isinstance(value, bool):
                raise CaseFailure(f"${{{name}{offset}}}: {name} is not an integer")
            value += int(offset)
        return value

    def substitute(self, template, extra=None):
        if isinstance(template, str):
            whole = VAR.fullmatch(template)
            if whole:
                return self._value(whole, extra)
            return VAR.sub(lambda m: str(self._value(m, extra)), template)
        if isinstance(template, list):
            out = []
            for item in template:
                if isinstance(item, dict) and set(item) == {"$repeat"}:
                    out.extend(self._repeat(item["$repeat"], extra))
                else:
                    out.append(self.substitute(item, extra))
            return out
        if isinstance(template, dict):
            if set(template) == {"$object"}:
                spec = template["$object"]
                count = self.substitute(spec["count"], extra)
                return {self.substitute(spec["key"], dict(extra or {}, i=index)):
                        self.substitute(spec["value"], dict(extra or {}, i=index)) for index in range(count)}
            if set(template) == {"$sorted_index"}:
                # The index of a replica id among others sorted by UTF-8 bytes (dot indexes, merge.md Wire form).
                spec = self.substitute(template["$sorted_index"], extra)
                return sorted(spec["among"], key=lambda r: r.encode()).index(spec["of"])
            if set(template) == {"$string"}:
                spec = template["$string"]
                return str(spec["text"]) * int(self.substitute(spec["count"], extra))
            return {self.substitute(k, extra): self.substitute(v, extra) for k, v in template.items()}
        return template

    def _value(self, match, extra):
        name, offset = match.group(1), match.group(2)
        if extra and name in extra:
            value = extra[name]
            return value + int(offset) if offset else value
        return self.lookup(name, offset)

    def _repeat(self, spec, extra):
        count = self.substitute(spec["count"], extra)
        if not isinstance(count, int):
            raise CaseFailure(f"$repeat count is not an integer: {count!r}")
        return [self.substitute(spec["item"], dict(extra or {}, i=index)) for index in range(count)]


# --------------------------------------------------------------------------------------------------------------
# Paths: JSON pointers ("/results/0/status"), "" the whole body; a "*" segment maps over an array (or an object's
# values) and gives a list. Missing members give MISSING (or are left out of a "*" list).

MISSING = object()


def resolve(document, pointer):
    if pointer in ("", "/"):
        return document
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    return _resolve(document, parts)


def _resolve(node, parts):
    if not parts:
        return node
    head, rest = parts[0], parts[1:]
    if head == "*":
        items = node if isinstance(node, list) else list(node.values()) if isinstance(node, dict) else []
        out = []
        for item in items:
            value = _resolve(item, rest)
            if value is not MISSING:
                out.append(value)
        return out
    if isinstance(node, dict):
        return _resolve(node[head], rest) if head in node else MISSING
    if isinstance(node, list) and re.fullmatch(r"0|[1-9][0-9]*", head):
        return _resolve(node[int(head)], rest) if int(head) < len(node) else MISSING
    return MISSING


def show(value):
    return "(missing)" if value is MISSING else json.dumps(value, ensure_ascii=False)[:160]


def same(a, b):
    """JSON equality that keeps true and 1 apart."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def check(actual, op, expected, path):
    def fail(why):
        raise CaseFailure(f"{path or '(body)'}: {why}")

    def number(v):
        if not isinstance(v, int) or isinstance(v, bool):
            fail(f"{show(v)} is not an integer")
        return v

    if op == "eq":
        if not same(actual, expected):
            fail(f"expected {show(expected)}, got {show(actual)}")
    elif op == "ne":
        if same(actual, expected):
            fail(f"expected anything but {show(expected)}")
    elif op in ("gt", "ge", "lt", "le"):
        a, e = number(actual), number(expected)
        ok = {"gt": a > e, "ge": a >= e, "lt": a < e, "le": a <= e}[op]
        if not ok:
            fail(f"expected {op} {e}, got {a}")
    elif op == "exists":
        if actual is MISSING:
            fail("expected to be present")
    elif op == "absent":
        if actual is not MISSING:
            fail(f"expected to be absent, got {show(actual)}")
    elif op == "type":
        if actual is MISSING or json_type(actual) != expected:
            fail(f"expected a JSON {expected}, got {show(actual)}")
    elif op == "len":
        if not isinstance(actual, (list, dict, str)) or len(actual) != expected:
            fail(f"expected length {expected}, got {show(actual)}")
    elif op == "len_le":
        if not isinstance(actual, (list, dict, str)) or len(actual) > number(expected):
            fail(f"expected length <= {expected}, got {len(actual) if isinstance(actual, (list, dict, str)) else show(actual)}")
    elif op == "in":
        if not any(same(actual, e) for e in expected):
            fail(f"expected one of {show(expected)}, got {show(actual)}")
    elif op == "matches":
        if not isinstance(actual, str) or not re.search(expected, actual):
            fail(f"expected to match /{expected}/, got {show(actual)}")
    elif op == "set_eq":
        if not isinstance(actual, list) or sorted(map(show, actual)) != sorted(map(show, expected)):
            fail(f"expected the set {show(expected)}, got {show(actual)}")
    elif op == "contains":
        if not isinstance(actual, list) or not any(same(a, expected) for a in actual):
            fail(f"expected to contain {show(expected)}, got {show(actual)}")
    elif op == "excludes":
        if isinstance(actual, list) and any(same(a, expected) for a in actual):
            fail(f"expected not to contain {show(expected)}")
    elif op == "sorted_bytes":
        if not isinstance(actual, list) or not all(isinstance(a, str) for a in actual):
            fail(f"expected a list of strings, got {show(actual)}")
        keys = [a.encode() for a in actual]
        if keys != sorted(keys) or len(set(keys)) != len(keys):
            fail(f"expected strictly increasing by UTF-8 bytes, got {show(actual)}")
    elif op == "unique":
        if not isinstance(actual, list) or len(set(map(show, actual))) != len(actual):
            fail(f"expected no repeated items, got {show(actual)}")
    elif op == "has_members":
        if not isinstance(actual, dict):
            fail(f"expected an object, got {show(actual)}")
        for key, value in expected.items():
            if key not in actual or not same(actual[key], value):
                fail(f"expected member {key} = {show(value)}, got {show(actual.get(key, MISSING))}")
    else:
        raise SetupError(f"unknown check op {op!r}")


# --------------------------------------------------------------------------------------------------------------
# HTTP


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        self.json = MISSING
        try:
            self.json = json.loads(body.decode("utf-8")) if body else MISSING
        except (UnicodeDecodeError, ValueError):
            pass

    def header(self, name):
        return self.headers.get(name.lower())


class Client:
    def __init__(self, base_url, timeout, verbose, ca_cert=None):
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SetupError(f"--server must be http://HOST:PORT or https://HOST:PORT, got {base_url!r}")
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout, self.verbose = timeout, verbose
        self.requests = 0
        # HTTPS: the server certificate is verified (README §11.1), against --ca-cert when given.
        self.tls = ssl.create_default_context(cafile=ca_cert) if parts.scheme == "https" else None

    def _send_body(self, sock, body):
        """Sends the body, but stops as soon as the server starts answering (a server may answer 413 and stop
        reading at its limit). Returns whether the whole body was sent."""
        view, sent = memoryview(body), 0
        deadline = time.monotonic() + self.timeout
        while sent < len(view):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout()
            readable, writable, _ = select.select([sock], [sock], [], remaining)
            if readable:
                return False
            if writable:
                try:
                    sent += sock.send(view[sent:sent + 65536])
                except (BrokenPipeError, ConnectionResetError):
                    return False
        return True

    def connection(self):
        if self.tls:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.tls)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def send_raw(self, data, half_close):
        """Sends bytes as they are (a malformed request, a body shorter than its Content-Length) and reads one
        answer. half_close: end the sending side afterwards, as a client that gives up mid-body does."""
        self.requests += 1
        connection = self.connection()
        try:
            connection.connect()
            sock = connection.sock
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
            raw = http.client.HTTPResponse(sock, method="GET")
            raw.begin()
            body = raw.read()
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, body)
        except socket.timeout:
            raise CaseFailure(f"raw request: no answer within {self.timeout} s")
        except (OSError, http.client.HTTPException) as error:
            raise CaseFailure(f"raw request: {error.__class__.__name__}: {error}")
        finally:
            connection.close()

    def send(self, method, target, headers, body, chunked=False):
        """One request on a fresh connection (Connection: close)."""
        self.requests += 1
        connection = self.connection()
        try:
            connection.connect()
            sock = connection.sock
            headers = dict(headers)
            headers.setdefault("Connection", "close")
            if body is not None and chunked:
                headers["Transfer-Encoding"] = "chunked"
                body = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536])
                                for i in range(0, len(body), 65536)) + b"0\r\n\r\n"
            elif body is not None:
                headers["Content-Length"] = str(len(body))
            connection.putrequest(method, self.prefix + target, skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            if body:
                self._send_body(sock, body)  # may stop early: then the server has answered already
            raw = connection.getresponse()
            data = raw.read()
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)
        except socket.timeout:
            raise CaseFailure(f"{method} {target}: no answer within {self.timeout} s")
        except (OSError, http.client.HTTPException) as error:
            raise CaseFailure(f"{method} {target}: {error.__class__.__name__}: {error}")
        finally:
            connection.close()


# --------------------------------------------------------------------------------------------------------------
# Runner


class Runner:
    def __init__(self, args, world):
        self.args, self.world = args, world
        self.scope = Scope()
        self.client = Client(args.server, args.timeout, args.verbose, args.ca_cert)
        self.fixture_codes = {}
        self.rate_limited_waits = 0

    # ---- world --------------------------------------------------------------------------------------------

    def prepare(self):
        run = self.args.run_id or secrets.token_hex(4)
        self.scope.values["run"] = run
        self.scope.values["nonce"] = secrets.token_hex(12)
        if self.args.fixture:
            with open(self.args.fixture, encoding="utf-8") as f:
                fixture = json.load(f)
            for kind in ("teams", "advisers"):
                for name in self.world[kind]:
                    if name not in fixture.get(kind, {}):
                        raise SetupError(f"--fixture has no {kind}.{name}")
                    self.scope.values[f"{kind[:-1]}.{name}"] = fixture[kind][name]
            self.fixture_codes = {k: list(v) for k, v in fixture.get("codes", {}).items()}
            return
        if not self.args.code_command:
            raise SetupError("give --code-command (or --fixture)")
        for name in self.world["teams"]:
            self.scope.values[f"team.{name}"] = f"cf{run}-{name}"
        for name in self.world["advisers"]:
            self.scope.values[f"adviser.{name}"] = f"cf{run}-{name}"
        if self.args.setup_command:
            # One command for the whole world, described as JSON on its standard input.
            world = {"teams": [self.scope.values[f"team.{t}"] for t in self.world["teams"]],
                     "advisers": [{"name": self.scope.values[f"adviser.{name}"],
                                   "teams": [self.scope.values[f"team.{t}"] for t in adviser["teams"]],
                                   "canPurge": bool(adviser.get("canPurge"))}
                                  for name, adviser in self.world["advisers"].items()]}
            self.hook(self.args.setup_command, stdin=json.dumps(world))
            return
        for hook in ("team_command", "adviser_command"):
            if not getattr(self.args, hook):
                raise SetupError(f"give --setup-command, or --team-command and --adviser-command (or --fixture)")
        for name in self.world["teams"]:
            self.hook(self.args.team_command, team=self.scope.values[f"team.{name}"])
        for name, adviser in self.world["advisers"].items():
            real = self.scope.values[f"adviser.{name}"]
            template = self.args.adviser_command
            if adviser.get("canPurge"):
                if not self.args.purger_command:
                    raise SetupError(f"adviser {name} needs the purge right: give --purger-command")
                template = self.args.purger_command
            for team in adviser["teams"]:
                self.hook(template, team=self.scope.values[f"team.{team}"], adviser=real)

    def hook(self, template, stdin=None, **values):
        command = template.format(**{k: shlex.quote(v) for k, v in values.items()})
        try:
            done = subprocess.run(command, shell=True, capture_output=True, text=True, input=stdin,
                                  stdin=None if stdin is not None else subprocess.DEVNULL,
                                  timeout=self.args.hook_timeout)
        except subprocess.TimeoutExpired:
            raise SetupError(f"hook did not finish within {self.args.hook_timeout} s: {command}")
        if done.returncode != 0:
            raise SetupError(f"hook exited with {done.returncode}: {command}\n{done.stderr.strip()[-2000:]}")
        lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def enrolment_code(self, adviser):
        if adviser not in self.world["advisers"]:
            raise SetupError(f"enrolment_code for {adviser!r}, who is not in world.json")
        if self.args.fixture:
            codes = self.fixture_codes.get(adviser) or []
            if not codes:
                raise SetupError(f"--fixture has no enrolment code left for {adviser}")
            return codes.pop(0)
        code = self.hook(self.args.code_command, adviser=self.scope.values[f"adviser.{adviser}"])
        if not code:
            raise SetupError(f"--code-command printed no code for {adviser}")
        return code

    # ---- cases --------------------------------------------------------------------------------------------

    def run_case(self, case):
        for index, step in enumerate(case["steps"]):
            label = step.get("name") or f"step {index + 1}"
            try:
                self.run_step(step)
            except CaseFailure as failure:
                raise CaseFailure(f"{label}: {failure}")

    def run_step(self, step):
        if "enrolment_code" in step:
            self.scope.values[step["save"]] = self.enrolment_code(step["enrolment_code"])
            return
        if "assert" in step:
            for item in step["assert"]:
                check(self.scope.substitute(item["value"]), item["op"], self.scope.substitute(item.get("expected")),
                      str(item["value"]))
            return
        if "set" in step:
            for name, value in step["set"].items():
                self.scope.values[name] = self.scope.substitute(value)
            return
        if "revoke" in step:
            self.hook(self.args.revoke_command, device=str(self.scope.substitute(step["revoke"])))
            return
        if "parallel" in step:
            # Requests sent concurrently (a list, or one template per index ${i}); every answer is checked.
            spec = step["parallel"]
            if "requests" in spec:
                requests = [self.scope.substitute(request) for request in spec["requests"]]
            else:
                requests = [self.scope.substitute(spec["request"], {"i": index})
                            for index in range(self.scope.substitute(spec["count"]))]
            count = len(requests)
            results = [None] * count

            def worker(index):
                try:
                    results[index] = self.exchange(requests[index])
                except CaseFailure as failure:
                    results[index] = failure

            threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            for index, result in enumerate(results):
                if isinstance(result, CaseFailure):
                    raise CaseFailure(f"request {index}: {result}")
                try:
                    self.verify(result, step.get("expect", {}))
                except CaseFailure as failure:
                    raise CaseFailure(f"request {index}: {failure}")
            return
        request = self.scope.substitute(step["request"])
        if "repeat_until_status" in step:
            # Sends the request again until the answer has this status (at most max_attempts times).
            wanted, attempts = step["repeat_until_status"], step.get("max_attempts", 1000)
            for _ in range(attempts):
                response = self.exchange(request, wait_out_429=False)
                if response.status == wanted:
                    break
                if response.status >= 500:
                    raise CaseFailure(f"status {response.status} while repeating the request")
        else:
            response = self.exchange(request)
        expect = step.get("expect", {})
        if "any_of" in expect:
            reasons = []
            for alternative in expect["any_of"]:
                try:
                    self.verify(response, dict(alternative, **{k: v for k, v in expect.items() if k != "any_of"}))
                    break
                except CaseFailure as failure:
                    reasons.append(str(failure))
            else:
                raise CaseFailure(" / or: ".join(reasons))
        else:
            self.verify(response, expect)
        for name, pointer in step.get("save", {}).items():
            value = resolve(response.json, pointer) if response.json is not MISSING else MISSING
            if value is MISSING:
                raise CaseFailure(f"cannot save {name}: {pointer} is not in the answer")
            self.scope.values[name] = value

    def exchange(self, request, wait_out_429=True):
        if "raw" in request:
            response = self.client.send_raw(request["raw"].encode("utf-8"), request.get("half_close", False))
            if self.args.verbose:
                print(f"    (raw) -> {response.status} {response.body[:300]!r}", file=sys.stderr)
            return response
        method = request.get("method", "GET")
        target = request["path"]
        if "query" in request:
            pairs = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in request["query"].items()
                     if v is not None]
            target += "?" + urllib.parse.urlencode(pairs)
        elif "raw_query" in request:
            target += "?" + request["raw_query"]
        headers = {"Accept": "application/json"}
        body = None
        if "json" in request:
            body = json.dumps(request["json"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif "body" in request:
            body = request["body"].encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif "body_hex" in request:
            body = bytes.fromhex(request["body_hex"])
            headers["Content-Type"] = "application/json"
        if request.get("token") is not None:
            headers["Authorization"] = "Bearer " + request["token"]
        headers.update(request.get("headers", {}))
        deadline = time.monotonic() + (self.args.rate_limit_wait if wait_out_429 else 0)
        while True:
            response = self.client.send(method, target, headers, body, chunked=request.get("chunked", False))
            if self.args.verbose:
                print(f"    {method} {target[:100]} -> {response.status} {response.body[:300]!r}", file=sys.stderr)
            if response.status != 429:
                return response
            # Rate limiting is always allowed (README §7); wait as told, within a bound, then retry.
            wait = int(response.header("retry-after") or "1")
            if time.monotonic() + wait > deadline:
                return response
            self.rate_limited_waits += 1
            time.sleep(max(wait, 0.2))

    def verify(self, response, expect):
        statuses = expect.get("status")
        if statuses is not None:
            statuses = statuses if isinstance(statuses, list) else [statuses]
            if response.status not in statuses:
                raise CaseFailure(f"status {response.status}, expected {' or '.join(map(str, statuses))}"
                                  f"; body {response.body[:200].decode('utf-8', 'replace')!r}")
        if "status_range" in expect:
            low, high = expect["status_range"]
            if not low <= response.status <= high:
                raise CaseFailure(f"status {response.status}, expected {low}-{high}"
                                  f"; body {response.body[:200].decode('utf-8', 'replace')!r}")
        if response.status >= 400:
            if response.json is MISSING:
                raise CaseFailure(f"error {response.status} without a JSON ErrorBody (body {response.body[:200]!r})")
            check_shape(response.json, SHAPES["ErrorBody"], "")
        content_type = (response.header("content-type") or "").split(";")[0].strip().lower()
        if expect.get("content_type", "application/json") != "any" and content_type != "application/json":
            raise CaseFailure(f"Content-Type {content_type!r}, expected application/json")
            if response.status in (429, 503):
                retry_after = response.header("retry-after") or ""
                if not re.fullmatch(r"[0-9]+", retry_after):
                    raise CaseFailure(f"{response.status} without a Retry-After header (whole seconds)")
                in_body = response.json.get("retryAfterSeconds", MISSING)
                if in_body is not MISSING and in_body != int(retry_after):
                    raise CaseFailure(f"Retry-After {retry_after} differs from retryAfterSeconds {in_body}")
        if "code" in expect:
            codes = self.scope.substitute(expect["code"])
            codes = codes if isinstance(codes, list) else [codes]
            actual = resolve(response.json, "/code") if response.json is not MISSING else MISSING
            if actual not in codes:
                raise CaseFailure(f"error code {show(actual)}, expected {' or '.join(codes)}")
        for name, value in expect.get("headers", {}).items():
            actual = response.header(name)
            # Compared as comma-separated lists, in any order (Allow: GET, POST).
            if actual is None or sorted(v.strip() for v in actual.split(",")) != sorted(
                    v.strip() for v in str(self.scope.substitute(value)).split(",")):
                raise CaseFailure(f"header {name}: {actual!r}, expected {value!r}")
        if "schema" in expect:
            if response.json is MISSING:
                raise CaseFailure("the answer is not JSON")
            check_shape(response.json, SHAPES[expect["schema"]], "")
        for pointer, value in expect.get("json", {}).items():
            actual = resolve(response.json, pointer) if response.json is not MISSING else MISSING
            check(actual, "eq", self.scope.substitute(value), pointer)
        for item in expect.get("checks", []):
            actual = resolve(response.json, item["path"]) if response.json is not MISSING else MISSING
            check(actual, item["op"], self.scope.substitute(item.get("value")), item["path"])
        for secret in self.scope.substitute(expect.get("body_excludes", [])):
            if str(secret).encode("utf-8") in response.body:
                raise CaseFailure(f"the answer echoes a value it must not ({str(secret)[:12]}...)")


def load_cases(directory, only):
    cases = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        for case in document["cases"]:
            case["file"] = os.path.basename(path)
            if not only or any(word in case["id"] for word in only):
                cases.append(case)
    ids = [case["id"] for case in cases]
    if len(ids) != len(set(ids)):
        raise SetupError("case ids are not unique")
    return cases


def count_codes(cases):
    needed = {}
    for case in cases:
        for step in case["steps"]:
            if "enrolment_code" in step:
                needed[step["enrolment_code"]] = needed.get(step["enrolment_code"], 0) + 1
    return needed


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the fieldsync server conformance cases.")
    parser.add_argument("--server", help="base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--setup-command",
                        help="shell command run once that creates the world's teams and advisers, described as "
                             "JSON on its standard input (instead of --team-command/--adviser-command/--purger-command)")
    parser.add_argument("--team-command", help="shell template run once per team; {team} is replaced")
    parser.add_argument("--adviser-command",
                        help="shell template run once per (adviser, team) membership; {team}, {adviser}")
    parser.add_argument("--purger-command",
                        help="like --adviser-command, for advisers who must have the purge right")
    parser.add_argument("--code-command",
                        help="shell template that prints a fresh one-time enrolment code for {adviser} "
                             "on its last non-empty line of standard output")
    parser.add_argument("--revoke-command",
                        help="optional shell template that revokes the device {device} (a deviceId); "
                             "cases that need it are skipped without it")
    parser.add_argument("--fixture", help="JSON file mapping the world's teams/advisers to existing ones, "
                                          "with enrolment codes (instead of the command hooks)")
    parser.add_argument("--ca-cert", help="PEM file of the CA that signed an HTTPS server's certificate")
    parser.add_argument("--cases", default=os.path.join(HERE, "cases"), help="directory of case files")
    parser.add_argument("--world", default=os.path.join(HERE, "world.json"), help="the world the cases need")
    parser.add_argument("--only", action="append", default=[], help="run cases whose id contains this (repeatable)")
    parser.add_argument("--run-id", help="suffix for the names of teams and advisers (default: random)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP request (default 10)")
    parser.add_argument("--hook-timeout", type=float, default=60.0, help="seconds per hook command (default 60)")
    parser.add_argument("--rate-limit-wait", type=float, default=10.0,
                        help="most seconds to spend waiting out 429 answers per request (default 10)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a server that is not on loopback (the cases write test data to it)")
    parser.add_argument("--strict", action="store_true", help="also fail when a known failure passes")
    parser.add_argument("--fail-on-skip", action="store_true",
                        help="fail when a case is skipped for want of a hook (CI)")
    parser.add_argument("--print-world", action="store_true",
                        help="print the teams, advisers and number of enrolment codes the cases need, and exit")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every exchange on stderr")
    args = parser.parse_args(argv)

    try:
        with open(args.world, encoding="utf-8") as f:
            world = json.load(f)
        cases = load_cases(args.cases, args.only)
        if args.print_world:
            print(json.dumps(dict(world, codes=count_codes(cases)), indent=2))
            return 0
        if not args.server:
            parser.error("--server is required")
        runner = Runner(args, world)
        if not is_loopback(runner.client.host) and not args.allow_remote:
            raise SetupError(f"{runner.client.host} is not a loopback address; give --allow-remote to "
                             "write conformance data to it")
        started = time.monotonic()
        runner.prepare()
    except SetupError as error:
        print(f"conformance: setup failed: {error}", file=sys.stderr)
        return 2

    print(f"conformance: {len(cases)} cases against {args.server} (run {runner.scope.values['run']})")
    counts = {"PASS": 0, "FAIL": 0, "KNOWN": 0, "XPASS": 0, "SKIP": 0}
    for case in cases:
        known = case.get("known_failure")
        missing = [hook for hook in case.get("requires", []) if not getattr(args, hook.replace("-", "_"), None)]
        if missing:
            counts["SKIP"] += 1
            print(f"SKIP  {case['id']}  -- needs --{', --'.join(missing)}", flush=True)
            continue
        try:
            runner.run_case(case)
            verdict, why = ("XPASS", f"passes, but is marked known_failure: {known}") if known else ("PASS", "")
        except CaseFailure as failure:
            verdict, why = ("KNOWN", f"{known} [{failure}]") if known else ("FAIL", str(failure))
        except SetupError as error:
            print(f"conformance: setup failed in {case['id']}: {error}", file=sys.stderr)
            return 2
        except Exception as error:  # an answer the runner did not foresee must not hide the other cases
            why = f"runner error on an unexpected answer: {error.__class__.__name__}: {error}"
            verdict, why = ("KNOWN", f"{known} [{why}]") if known else ("FAIL", why)
        counts[verdict] += 1
        print(f"{verdict:5} {case['id']}" + (f"  -- {why}" if why else ""), flush=True)
    elapsed = time.monotonic() - started
    print(f"conformance: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['KNOWN']} known failures, "
          f"{counts['XPASS']} known failures now passing, {counts['SKIP']} skipped; {runner.client.requests} requests"
          + (f", {runner.rate_limited_waits} rate-limit waits" if runner.rate_limited_waits else "")
          + f", {elapsed:.1f} s")
    unexpected = (counts["FAIL"] + (counts["XPASS"] if args.strict else 0)
                  + (counts["SKIP"] if args.fail_on_skip else 0))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
