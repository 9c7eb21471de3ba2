from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import yamlio
from generator.config.yamlio import load_yaml, parse_yaml
from generator.errors import ProjectError

P = Path("f.yml")


def _error(text: str) -> str:
    with pytest.raises(ProjectError) as info:
        parse_yaml(text, P)
    return str(info.value)


def test_plain_scalars_stay_text_as_written() -> None:
    data = parse_yaml("a: no\nb: 0501234567\nc: 12:30\nd: 1e3\ne: 2026-01-01\nf: 14\n", P).data
    assert data == {"a": "no", "b": "0501234567", "c": "12:30", "d": "1e3", "e": "2026-01-01", "f": "14"}


def test_booleans_and_null_are_resolved() -> None:
    assert parse_yaml("a: true\nb: false\nc: ~\nd:\n", P).data == {"a": True, "b": False, "c": None, "d": None}


def test_quoted_true_is_text() -> None:
    assert parse_yaml("a: 'true'\n", P).data == {"a": "true"}


def test_marks_are_one_based_line_and_column() -> None:
    loaded = parse_yaml("a:\n  b:\n    - x\n    - y\n", P)
    assert loaded.where(("a", "b", 1)) == (4, 7)
    assert loaded.where(("a", "missing")) == (2, 3)


def test_duplicate_key() -> None:
    assert _error("a: 1\nb: 2\na: 3\n") == "f.yml:3:1: duplicate key 'a' (first given on line 1)"


def test_python_tag_is_refused() -> None:
    msg = _error("a: !!python/object/apply:os.system ['true']\n")
    assert msg.startswith("f.yml:1:4: the tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed")


def test_custom_tag_is_refused() -> None:
    assert "the tag '!env' is not allowed" in _error("a: !env HOME\n")


def test_tab_indentation() -> None:
    assert _error("a:\n\tb: 1\n") == "f.yml:2:1: a tab is used for indentation; indent with spaces"


def test_unclosed_quote() -> None:
    msg = _error('a: "unclosed\nb: 2\n')
    assert msg == (
        "f.yml:3:1: malformed YAML: while scanning a quoted scalar (begun at 1:4), found unexpected end of stream"
    )


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    started = time.perf_counter()
    msg = _error("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 1.0
    assert msg == "f.yml:2:8: anchors and aliases (& and *) are not allowed in wathiqa files: write the value out"


def test_merge_key_is_refused() -> None:
    assert "merge keys (<<) are not allowed" in _error("a:\n  <<: {b: 1}\n")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ProjectError) as info:
        load_yaml(path)
    assert str(info.value) == f"{path}: the file is empty; expected a mapping"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes("a: 1\nname: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ProjectError) as info:
        load_yaml(path)
    assert str(info.value) == f"{path}:2: is not UTF-8 text (byte 0xe9 at offset 14); save it as UTF-8"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as info:
        load_yaml(tmp_path / "nope.yml")
    assert str(info.value) == f"{tmp_path / 'nope.yml'}: file not found"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as info:
        load_yaml(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a folder, expected a YAML file"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yml"
    path.write_bytes("\ufeffa: نعم\n".encode())
    assert load_yaml(path).data == {"a": "نعم"}


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), max_size=30),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=8), inner),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(data=st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=8), _values, min_size=1), flow=st.booleans())
def test_libyaml_reads_what_the_python_parser_reads(data: dict[str, object], flow: bool) -> None:
    """The fast parser (libyaml) and the one that words errors give the same values and the same marks."""
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow, sort_keys=False)
    path = Path("case.yml")
    fast = parse_yaml(text, path)
    slow = yamlio._finish(yamlio._compose_slowly(text, path, yamlio.MAX_DEPTH), path, allow_empty=False,
                          strict_text=True)  # fmt: skip
    assert fast.data == slow.data
    assert fast.marks == slow.marks and fast.key_marks == slow.key_marks
