"""Shared helpers of the office app's tests: an app per test, form values from the documents' examples."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from generator.config.project import load_project
from generator.web import WebSettings, create_app
from tests.project_fixture import ROOT

POLICY = ROOT / "policies" / "policy.yml"
PROJECT = load_project(POLICY)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(out: Path, **settings: Any) -> Flask:
    return create_app(PROJECT, WebSettings(out_dir=out, secret_key=b"k" * 48, **settings))


def csrf(client: FlaskClient, url: str = "/documents/application/new") -> str:
    page = client.get(url).get_data(as_text=True)
    match = TOKEN.search(page)
    assert match, f"no csrf_token on {url}"
    return match.group(1)


def example_values(doc_id: str = "application", **changes: Any) -> dict[str, Any]:
    """The document's example values, as the form would send them (lists for check boxes)."""
    values: dict[str, Any] = {}
    for f in PROJECT.documents[doc_id].input_fields():
        if f.example is not None:
            values[f.id] = f.example
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def post_form(client: FlaskClient, url: str, values: dict[str, Any], **extra: str) -> Any:
    token = csrf(client, url if url.endswith("/new") else "/documents/application/new")
    data: dict[str, Any] = {"csrf_token": token, **extra}
    data.update(values)
    return client.post(url, data=data)
