"""Seeded mutations of the shipped project and of case data, for the project's own fuzz test (test_fuzz.py).

Each generator takes a :class:`random.Random` and returns one mutated input; the same seed always gives the
same input, so a failure is reproduced by its seed and case number alone.
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from generator.content.text import first_forbidden

TOKENS = [
    "", "\x00", "\x01", "\x7f", "\ufffe", "\uffff", "\u202e", "\u200f", "\t", "\r", "\u2028", "ـ", "😀", "\u0301",
    "{{", "}}", "{%", "%}", "{#", "[", "]", "{", "}", ":", ": ", "- ", "-", "#", "&a", "*a", "<<: *a", "|", ">",
    "!!python/object/apply:os.system ['true']", "!!binary aGk=", "%YAML 1.1", "---", "...", "'", '"', "\\",
    "=1+1", "@SUM(A1)", "<b>", "&amp;", "1900-01-01", "2077-11-17", "0001-01-01", "1448-13-40", "٣٠/١٣/١٤٤٨",
    "9" * 5000, "-1", "0", "1e308", "nan", "null", "~", "yes", "no", "on", "0o17", "0x1F", "12:30", ".inf",
    "[" * 120 + "]" * 120, "x" * 70_000, "REQ-1448-00001",
]
HUGE = "__huge_number__"
"""Stands for an integer literal of 5,000 digits, written into the file as digits (Python's own int -> str
conversion refuses it, so it cannot go through json.dumps)."""
ESCAPES = ["\\0", "\\x01", "\\x7f", "\\uffff", "\\ufffe", "\\ud800", "\\udfff", "\\u202e", "\\n", "\\t", "\\x85"]
WORDING = [
    "{{ applicant_name.foo }}", "{{ earliest_reply[99] }}", "{% for i in range(10**6) %}{% endfor %}",
    "{{ reference() }}", "{{ reference.__len__() }}", "{{ g('a') }}", "{{ 1/0 }}", "{{ reply_min_days + 1 }}",
    "{{ association['zzz'] }}", "{{ received_on.year }}", "{% include 'x.html' %}", "{{ association.name.foo }}",
    "{{ signatory.title }}", "{{ g('a', 'b') }}", "{% if reference %}x{% endif %}", "{{ association.name }}",
    "{{ document.code }}", "{{ lipsum() }}", "{{ x }}", "{{ reference|e }}", "{% raw %}{{{% endraw %}",
    "{{ g(reference, 'b') }}", "{% if not applicant_name %}{% else %}y{% endif %}", "{{ cycler }}",
    "{{ ''.__class__.__mro__ }}", "{% set a = 1 %}", "{{ 'a' ~ 'b' }}", "{{ [1,2] }}", "{% macro m() %}{% endmacro %}",
]


# --------------------------------------------------------------------------------------------- text


def mutate_text(text: str, rng: random.Random, *, wording: bool = False) -> str:
    """One random edit of a YAML/JSON/CSV text: a token inserted, a value replaced, a line cut or doubled ..."""
    lines = text.split("\n")
    op = rng.choice(["insert", "value", "escape", "delete", "duplicate", "truncate", "swap", "indent", "wording"])
    if op == "wording" and not wording:
        op = "insert"
    i = rng.randrange(len(lines))
    if op == "insert":
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(TOKENS) + text[at:]
    if op == "value":
        candidates = [n for n, line in enumerate(lines) if re.search(r":\s+\S", line)]
        if candidates:
            n = rng.choice(candidates)
            key, _, _ = lines[n].partition(": ")
            token = rng.choice(TOKENS)
            lines[n] = f"{key}: {json.dumps(token, ensure_ascii=False) if rng.random() < 0.5 else token}"
        return "\n".join(lines)
    if op == "escape":
        candidates = [n for n, line in enumerate(lines) if '"' in line]
        if candidates:
            n = rng.choice(candidates)
            quote = lines[n].index('"')
            lines[n] = lines[n][: quote + 1] + rng.choice(ESCAPES) + lines[n][quote + 1 :]
        return "\n".join(lines)
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "truncate":
        return text[: rng.randrange(len(text) + 1)]
    elif op == "swap" and i + 1 < len(lines):
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif op == "indent":
        lines[i] = rng.choice(["  ", " ", "    ", ""]) + lines[i].lstrip(" ")
    elif op == "wording":
        candidates = [n for n, line in enumerate(lines) if "{{" in line] or list(range(len(lines)))
        n = rng.choice(candidates)
        at = rng.randrange(len(lines[n]) + 1)
        lines[n] = lines[n][:at] + rng.choice(WORDING) + lines[n][at:]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- records


def interesting_value(rng: random.Random) -> Any:
    choice = rng.randrange(12)
    if choice == 0:
        return rng.choice([HUGE, -(10**40), 2**63, 0, -1, 1 << 100])
    if choice == 1:
        return rng.choice([1e308, -0.0, 2.5, 1e-300])
    if choice == 2:
        return rng.choice([True, False, None])
    if choice == 3:
        value: Any = "x"
        for _ in range(rng.choice([2, 10, 50])):
            value = [value]
        return value
    if choice == 4:
        return {"a": rng.choice(TOKENS)}
    if choice == 5:
        return [rng.choice(TOKENS) for _ in range(rng.randrange(4))]
    if choice == 6:
        return date(rng.randrange(1, 9999), rng.randrange(1, 13), rng.randrange(1, 29)).isoformat()
    return rng.choice(TOKENS) + rng.choice(["", "عبدالله", "1000000008", "0501234567"])


def mutate_record(record: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out = dict(record)
    for _ in range(rng.randrange(1, 4)):
        op = rng.randrange(4)
        if op == 0 and out:
            out[rng.choice(list(out))] = interesting_value(rng)
        elif op == 1 and out:
            del out[rng.choice(list(out))]
        elif op == 2:
            out[rng.choice(TOKENS) or "unknown"] = interesting_value(rng)
        else:
            key = rng.choice(list(out)) if out else "x"
            value = out.get(key)
            if isinstance(value, str):
                at = rng.randrange(len(value) + 1)
                out[key] = value[:at] + rng.choice([*TOKENS, "\ud800", "\udfff"]) + value[at:]
    return out


def record_file(folder: Path, record: dict[str, Any], rng: random.Random) -> Path:
    """The record as JSON or YAML, sometimes also mutated as text."""
    if rng.random() < 0.5:
        path = folder / "case.json"
        text = json.dumps(record, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 2]), default=str)
    else:
        import yaml

        path = folder / "case.yml"
        text = yaml.safe_dump(record, allow_unicode=True, default_flow_style=rng.random() < 0.3)
    text = re.sub(r"""["']?__huge_number__["']?""", "9" * 5000, text)
    if rng.random() < 0.4:
        text = mutate_text(text, rng)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


# --------------------------------------------------------------------------------------------- batches


def batch_file(folder: Path, header: list[str], rows: list[list[Any]], rng: random.Random) -> Path:
    """A batch in a random format, then damaged in a way that format can be damaged."""
    kind = rng.choice(["csv", "xlsx", "xlsx", "json", "yml"])
    if kind == "csv":
        sep = rng.choice([",", ";", "\u061b", "\t"])
        text = "\n".join(sep.join(str(v) for v in row) for row in [header, *rows]) + "\n"
        text = text.replace(HUGE, "9" * 5000)
        if rng.random() < 0.7:
            text = mutate_text(text, rng)
        path = folder / "batch.csv"
        path.write_bytes(("\ufeff" if rng.random() < 0.5 else "").encode() + text.encode("utf-8", "surrogatepass"))
        return path
    if kind in ("json", "yml"):
        import yaml

        records = [dict(zip(header, row, strict=False)) for row in rows]
        data: Any = {"records": records} if rng.random() < 0.5 else records
        text = json.dumps(data, ensure_ascii=False, default=str) if kind == "json" else yaml.safe_dump(
            data, allow_unicode=True
        )
        text = re.sub(r"""["']?__huge_number__["']?""", "9" * 5000, text)
        if rng.random() < 0.7:
            text = mutate_text(text, rng)
        path = folder / f"batch.{kind}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return path
    return _xlsx(folder / "batch.xlsx", header, rows, rng)


def _xlsx(path: Path, header: list[str], rows: list[list[Any]], rng: random.Random) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append([_cell(v, rng) for v in row])
    if rng.random() < 0.2:
        ws.cell(row=rng.choice([5, 1000, 1048576]), column=rng.choice([1, 2, 300, 16384]), value="x")
    buffer = io.BytesIO()
    wb.save(buffer)
    blob = buffer.getvalue()
    if rng.random() < 0.6:
        blob = _damage_zip(blob, rng)
    path.write_bytes(blob)
    return path


def _cell(value: Any, rng: random.Random) -> Any:
    if rng.random() < 0.15:
        candidate = rng.choice([12.5, -3, 10**15, date(1900, 1, 1), date(2026, 12, 1), True, "=1+1", "x" * 40_000])
        return candidate
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)  # a cell holds a scalar: the text of the structure
    if isinstance(value, str) and (first_forbidden(value, "\t\n\r") is not None or HUGE in value):
        return "x"  # openpyxl itself cannot write these; the damage below puts such bytes in the XML instead
    return value


def _damage_zip(blob: bytes, rng: random.Random) -> bytes:
    with zipfile.ZipFile(io.BytesIO(blob)) as zin:
        parts = {name: zin.read(name) for name in zin.namelist()}
    name = rng.choice(sorted(parts))
    data = parts[name]
    op = rng.randrange(7)
    if op == 0:
        parts[name] = data[: rng.randrange(len(data) + 1)]
    elif op == 1:
        del parts[name]
    elif op == 2:
        sheet = parts.get("xl/worksheets/sheet1.xml", b"")
        parts["xl/worksheets/sheet1.xml"] = re.sub(rb"<v>[^<]*</v>", b"<v>abc</v>", sheet, count=1)
    elif op == 3:
        sheet = parts.get("xl/worksheets/sheet1.xml", b"")
        parts["xl/worksheets/sheet1.xml"] = sheet.replace(b't="inlineStr"><is><t>', b't="s"><v>7</v><is><t>', 1)
    elif op == 4:
        at = rng.randrange(len(data) + 1)
        parts[name] = data[:at] + rng.choice([b"\x00", b"<", b"&#0;", b"&#xFFFF;", b"]]>", b"<!DOCTYPE x>"]) + data[at:]
    elif op == 5:
        sheet = parts.get("xl/worksheets/sheet1.xml", b"")
        parts["xl/worksheets/sheet1.xml"] = sheet.replace(b'r="2"', b'r="99999999"', 1)
    else:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for part, content in parts.items():
                zout.writestr(part, content)
        raw = bytearray(out.getvalue())
        for _ in range(rng.randrange(1, 8)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for part, content in parts.items():
            zout.writestr(part, content)
    return out.getvalue()
