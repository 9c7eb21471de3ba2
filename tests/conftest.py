"""Fixtures shared by several test modules."""

pytest_plugins = ["tests.web_fixtures"]
