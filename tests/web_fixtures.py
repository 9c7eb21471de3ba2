"""The office app's test fixtures: an output folder, an app on it and a test client, per test.

Registered for every test module through ``pytest_plugins`` in ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web_helpers import make_app


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def app(out: Path) -> Flask:
    return make_app(out)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
