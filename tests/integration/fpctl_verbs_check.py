#!/usr/bin/python3
"""Checks fpctl_verbs_netns_test.sh's outputs: every verb fpctl lists ran in
text and JSON form and has a schema; each JSON output is valid against it.

usage: fpctl_verbs_check.py SCHEMA-DIR OUTPUT-DIR VERB-LIST

SCHEMA-DIR holds VERB.json per verb ("of dump-flows" is of_dump-flows.json,
"ovs/route/show" ovs_route_show.json) and common.json (shapes several share);
OUTPUT-DIR holds KEY.text and KEY.json, the test's last output of each form,
and all/KEY.N.json, every JSON output (each is validated);
VERB-LIST is `fpctl --list-verbs`. Exits 1 on any problem, naming each.
"""
import json
import pathlib
import sys

import jsonschema


def key_of(verb):
    return verb.replace(" ", "_").replace("/", "_")


def main():
    schema_dir, out_dir = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2])
    verbs = [v for v in pathlib.Path(sys.argv[3]).read_text().splitlines() if v]
    if not verbs:
        print("  fpctl --list-verbs listed no verb")
        return 1
    schemas = {p: json.loads(p.read_text()) for p in sorted(schema_dir.glob("*.json"))}
    store = {p.as_uri(): s for p, s in schemas.items()}
    problems = []
    known = {key_of(v) for v in verbs} | {"common"}
    for path in schemas:
        if path.stem not in known:
            problems.append(f"{path.name}: a schema for no verb fpctl has")
    for verb in verbs:
        key = key_of(verb)
        path = schema_dir / f"{key}.json"
        for form in ("text", "json"):
            if not (out_dir / f"{key}.{form}").exists():
                problems.append(f"{verb}: never ran in {form} form (add it to the test)")
        if path not in schemas:
            problems.append(f"{verb}: no schema {path.name}")
            continue
        schema = schemas[path]
        jsonschema.Draft202012Validator.check_schema(schema)
        resolver = jsonschema.RefResolver(path.as_uri(), schema, store=store)
        validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
        for output in sorted((out_dir / "all").glob(f"{key}.*.json")):
            try:
                document = json.loads(output.read_text())
            except ValueError as e:
                problems.append(f"{verb}: {output.name} does not parse: {e}")
                continue
            errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
            for e in errors[:5]:
                where = "/".join(str(p) for p in e.absolute_path) or "(top)"
                problems.append(f"{verb}: {output.name} at {where}: {e.message}")
    for p in problems:
        print("  " + p)
    print(f"  {len(verbs)} verbs, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
