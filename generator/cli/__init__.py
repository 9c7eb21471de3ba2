"""The `wathiqa` command line: a thin layer over the library API."""

from .main import main

__all__ = ["main"]
