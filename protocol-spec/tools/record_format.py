"""The compact record wire form of protocol version 1 (merge.md, "Record state"), written independently
of the Swift code so the vectors check it rather than copy it.

A record is described here in its *logical* form, which names everything explicitly:

    {"collection": "notes", "id": "n1", "clock": {"a": 2},
     "writes": [{"dot": "a:1", "set": {"kind": {"str": "walk"}}, "base": {"body": "old text"}}],
     "tags": {"tags": {"housing": ["a:1"]}},
     "presence": {"a:2": True}, "purged": "a:3"}

Values in the logical form are typed objects (`{"str": ...}`, `{"int": ...}`, `{"bool": ...}`, ...); a
base is either the replaced text (a string) or a patch `[prefix, suffix, middle]`.
`encode_record` turns it into the wire form; `decode_record` turns a wire form back into the logical one.
"""


def byte_key(text):
    return text.encode("utf-8")


def value(logical):
    """A field value in wire form: `str`, `int` and `bool` values are bare JSON, the rest keep one type key."""
    if logical is None:
        return None
    if not isinstance(logical, dict):
        raise ValueError(f"not a logical value: {logical!r}")
    (kind, content), = logical.items()
    if kind in ("str", "int", "bool"):
        return content
    if kind == "tags":
        return {"tags": sorted(content, key=byte_key)}
    return {kind: content}


def logical_value(wire):
    """The inverse of `value`."""
    if wire is None:
        return None
    if isinstance(wire, bool):
        return {"bool": wire}
    if isinstance(wire, int):
        return {"int": wire}
    if isinstance(wire, str):
        return {"str": wire}
    return dict(wire)


def base_patch(text, base):
    """The canonical patch that turns `text` into `base`, counted in Unicode scalars (code points)."""
    prefix = 0
    while prefix < len(text) and prefix < len(base) and text[prefix] == base[prefix]:
        prefix += 1
    suffix = 0
    while suffix < len(text) - prefix and suffix < len(base) - prefix and text[-1 - suffix] == base[-1 - suffix]:
        suffix += 1
    return [prefix, suffix, base[prefix:len(base) - suffix]]


def short_patch(patch):
    """The shortest spelling: trailing empty middle and zero suffix left out."""
    prefix, suffix, middle = patch
    if middle:
        return [prefix, suffix, middle]
    if suffix:
        return [prefix, suffix]
    return [prefix]


def parse_dot(text):
    replica, counter = text.rsplit(":", 1)
    return replica, int(counter)


def encode_record(state):
    """The wire form of a logical record, with keys in canonical order."""
    clock = {r: n for r, n in state.get("clock", {}).items() if n > 0}
    replicas = sorted(clock, key=byte_key)
    index = {r: i for i, r in enumerate(replicas)}

    def dot(text):
        replica, counter = parse_dot(text)
        return f"{index[replica]}:{counter}"

    def dot_order(text):
        replica, counter = parse_dot(text)
        return (byte_key(replica), counter)

    groups = {}
    for write in state.get("writes", []):
        group = groups.setdefault(write["dot"], {})
        for name, logical in write["set"].items():
            group.setdefault("s", {})[name] = value(logical)
        for name, base in write.get("base", {}).items():
            text = write["set"][name]["text"]
            patch = base if isinstance(base, list) else base_patch(text, base)
            group.setdefault("b", {})[name] = short_patch(patch)
    for name, elements in state.get("tags", {}).items():
        for tag, dots in elements.items():
            for d in dots:
                groups.setdefault(d, {}).setdefault("t", {}).setdefault(name, []).append(tag)

    wire = {"c": state["collection"], "i": state["id"]}
    presence = state.get("presence", {})
    implied = {f"{r}:{n}": True for r, n in clock.items()}
    if "purged" in state or presence != implied:
        if presence:
            wire["p"] = {dot(d): live for d, live in presence.items()}
    wire["v"] = {r: clock[r] for r in replicas}
    if groups:
        wire["w"] = []
        for d in sorted(groups, key=dot_order):
            group = groups[d]
            out = {}
            if "b" in group:
                out["b"] = group["b"]
            out["d"] = dot(d)
            if "s" in group:
                out["s"] = group["s"]
            if "t" in group:
                out["t"] = {name: sorted(tags, key=byte_key) for name, tags in group["t"].items()}
            wire["w"].append(out)
    if "purged" in state:
        wire["x"] = dot(state["purged"])
    return canonical_order(wire)


def decode_record(wire):
    """The logical form of a wire record (bases as patches)."""
    replicas = sorted(wire["v"], key=byte_key)

    def dot(text):
        i, counter = text.split(":")
        return f"{replicas[int(i)]}:{int(counter)}"

    state = {"collection": wire["c"], "id": wire["i"], "clock": dict(wire["v"])}
    writes, tags = [], {}
    for group in wire.get("w", []):
        d = dot(group["d"])
        if group.get("s"):
            write = {"dot": d, "set": {n: logical_value(v) for n, v in group["s"].items()}}
            if group.get("b"):
                write["base"] = {n: (list(p) + [0, ""][len(p) - 1:])[:3] for n, p in group["b"].items()}
            writes.append(write)
        for name, added in group.get("t", {}).items():
            for tag in added:
                tags.setdefault(name, {}).setdefault(tag, []).append(d)
    if writes:
        state["writes"] = writes
    if tags:
        state["tags"] = tags
    if "p" in wire:
        state["presence"] = {dot(d): live for d, live in wire["p"].items()}
    elif "x" not in wire:
        state["presence"] = {f"{r}:{n}": True for r, n in wire["v"].items()}
    if "x" in wire:
        state["purged"] = dot(wire["x"])
    return state


def canonical_order(obj):
    """The same object with keys in UTF-8 byte order (as canonical JSON writes them)."""
    if isinstance(obj, dict):
        return {k: canonical_order(obj[k]) for k in sorted(obj, key=byte_key)}
    if isinstance(obj, list):
        return [canonical_order(item) for item in obj]
    return obj
