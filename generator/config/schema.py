"""JSON Schemas of policy.yml and forms/*.yml, for editors (yaml-language-server) and `wathiqa schema`."""

from __future__ import annotations

from typing import Any

from .model import Document, Policy, Register

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schemas() -> dict[str, dict[str, Any]]:
    """The three schemas by name: policy, document, register."""
    out: dict[str, dict[str, Any]] = {}
    for name, model in (("policy", Policy), ("document", Document), ("register", Register)):
        schema = model.model_json_schema(by_alias=True)
        out[name] = {"$schema": SCHEMA_DIALECT, "$id": f"wathiqa/{name}.schema.json", **schema}
    return out
