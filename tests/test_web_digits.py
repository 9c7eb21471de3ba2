"""One kind of digit in the office app: every number a clerk reads is in the policy's digits (Arabic-Indic in the
shipped policy), on every page of a working day. Codes (references, form codes, file names) are isolated left to
right and keep the digits they are printed with."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from tests.test_web_forms import FORM, drawn_form
from tests.web_helpers import PROJECT, example_values

CODE = re.compile(r'<bdi dir="ltr"[^>]*>.*?</bdi>', re.S)
NOT_TEXT = re.compile(r"<(script|style|title|option|textarea)\b.*?</\1>|<[^>]+>", re.S)


def visible_text(response: Any) -> str:
    """What a reader sees on the page, codes left out (they are isolated left to right on purpose)."""
    page = response.get_data(as_text=True)
    page = page[page.index("<main") :] if "<main" in page else page
    return html.unescape(NOT_TEXT.sub(" ", CODE.sub(" ", page)))


def test_every_page_of_a_working_day_writes_its_numbers_in_the_policys_digits(client: FlaskClient, out: Path) -> None:
    assert PROJECT.policy.settings.digits == "arabic"
    issued = client.post(FORM, data={**drawn_form(client), **example_values(), "_action": "issue"})
    assert issued.status_code == 302, issued.get_data(as_text=True)[:300]
    case = issued.headers["Location"]
    client.post(FORM, data={**drawn_form(client), **example_values(), "_action": "draft"})
    pages = ["/", "/documents", "/drafts", "/cases", case, "/decisions", "/registers", "/registers/requests",
             "/batches/new", "/scans", "/audit", "/accounts"]  # fmt: skip
    latin = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        found = re.findall(r"\S*[0-9]\S*", visible_text(response))
        if found:
            latin[url] = found
    assert latin == {}


def test_codes_and_addresses_keep_their_digits_every_other_number_takes_the_policys() -> None:
    from generator.web.display import shown

    policy = PROJECT.policy
    assert shown("REQ-1448-00012", policy) == '<bdi dir="ltr">REQ-1448-00012</bdi>'
    assert shown("25 طالبًا", policy) == "٢٥ طالبًا"
    assert shown("https://maps.example.com/?q=24.7,46.6", policy) == (
        '<bdi dir="ltr">https://maps.example.com/?q=24.7,46.6</bdi>'
    )
    assert shown("ردّ على REQ-1448-00012 بعد 3 أيام", policy) == (
        'ردّ على <bdi dir="ltr">REQ-1448-00012</bdi> بعد ٣ أيام'
    )
    assert shown('<script>alert("1")</script>', policy) == "&lt;script&gt;alert(&#34;١&#34;)&lt;/script&gt;"


@given(st.text(max_size=60))
def test_what_is_shown_reads_back_as_what_was_stored(stored: str) -> None:
    from generator.web.display import shown

    page = str(shown(stored, PROJECT.policy))
    read = html.unescape(re.sub(r'<bdi dir="ltr">|</bdi>', "", page))
    assert read.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")) == stored.translate(
        str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
    )
    assert "<" not in re.sub(r'<bdi dir="ltr">|</bdi>', "", page)  # nothing stored becomes markup
