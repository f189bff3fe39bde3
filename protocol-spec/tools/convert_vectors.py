"""Rewrites the hand-written vector files so every record and value is in its wire form.

Cases may be written with records in the *logical* form of `record_format.py` (long keys, explicit
presence, tags per field, values as typed objects such as `{"str": "walk"}`); this script turns them into
the wire form that the files hold and the tests read. It is idempotent: records and values already in
wire form are left alone. Run: `python3 protocol-spec/tools/convert_vectors.py`.
"""
import json, os

from record_format import encode_record, short_patch

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors")
WRAPPED = ("str", "int", "bool")


def value(v):
    """A value in wire form; a logical `{"str": ...}`, `{"int": ...}` or `{"bool": ...}` becomes bare."""
    if isinstance(v, dict) and len(v) == 1:
        (kind, content), = v.items()
        if kind in WRAPPED:
            return content
    return v


def values(mapping):
    return {name: value(v) for name, v in mapping.items()}


def record(r):
    return r if "c" in r else encode_record(r)


def convert_view(view):
    view["values"] = values(view.get("values", {}))
    for conflict in view.get("conflicts", []):
        for candidate in conflict.get("candidates", []):
            candidate["value"] = value(candidate.get("value"))


def convert_operation(op):
    if "create" in op:
        op["create"]["values"] = values(op["create"].get("values", {}))
    if "update" in op:
        op["update"] = values(op["update"])
    if "resolveField" in op:
        op["resolveField"]["value"] = value(op["resolveField"].get("value"))


def convert(name):
    path = os.path.join(VECTORS, name)
    document = json.load(open(path))
    for case in document.get("merges", []):
        case["inputs"] = [record(r) for r in case["inputs"]]
        case["merged"] = record(case["merged"])
        convert_view(case["view"])
    for case in document.get("operations", []):
        case["record"] = record(case["record"])
        case["result"] = record(case["result"])
        convert_operation(case["operation"])
        if "view" in case:
            convert_view(case["view"])
    for case in document.get("encodings", []):
        case["json"] = json.dumps(value(json.loads(case["json"])), separators=(",", ":"), ensure_ascii=False)
    for case in document.get("basePatches", []):
        case["patch"] = short_patch((case["patch"] + [0, ""][len(case["patch"]) - 1:])[:3])
    with open(path, "w") as f:
        f.write(readable(document) + "\n")


def readable(obj, indent=0, width=110):
    """JSON for people: a value stays on one line when it fits in `width` columns, else one member a line."""
    flat = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    if not isinstance(obj, (dict, list)) or not obj or indent + len(flat) <= width:
        return flat
    pad = " " * (indent + 2)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {readable(v, indent + 2, width)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + readable(v, indent + 2, width) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


if __name__ == "__main__":
    for file_name in ["fields.json", "text-merge.json", "conflicts.json", "deletes-purges.json"]:
        convert(file_name)
        print("converted", file_name)
