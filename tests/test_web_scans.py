"""The scan upload of the office app, through Flask's test client: one press, one scan."""

from __future__ import annotations

import re
from pathlib import Path

import generator as api
from generator.scan import waiting
from tests.scan_sim import printed, stack_pdf
from tests.web_helpers import PROJECT, csrf, example_values, make_app


def test_the_same_upload_sent_twice_scans_the_stack_once(tmp_path: Path) -> None:
    """A double press on «مسح الحزمة» (no script on the page needed): the second request is shown the first one's
    scan; the stack is read once, so its pages are not put in the queue a second time as «مسح من قبل»."""
    out = tmp_path / "out"
    reference = api.issue(PROJECT, "application", example_values(), out).reference
    (declaration,) = printed(out, reference, "declaration")
    stack = stack_pdf(tmp_path / "stack.pdf", [declaration])
    app = make_app(out)
    client = app.test_client()
    page = client.get("/scans").get_data(as_text=True)
    token = re.search(r'name="_token" value="([^"]+)"', page)
    assert token
    jobs = []
    for _ in range(2):
        with stack.open("rb") as sent:
            data = {"csrf_token": csrf(client, "/scans"), "_token": token.group(1), "stack": (sent, "stack.pdf")}
            response = client.post("/scans", data=data, content_type="multipart/form-data")
        assert response.status_code == 302
        jobs.append(response.headers["Location"])
    assert jobs[0] == jobs[1]
    state = app.extensions["wathiqa"]
    state.jobs._pool.submit(lambda: None).result()  # the one worker has finished what was before this
    assert (out / "cases" / reference / "signed-declaration.pdf").is_file()
    assert waiting(state.db) == []
    assert "حُفظ ١ مستند" in client.get(jobs[0]).get_data(as_text=True)
    fresh = re.search(r'name="_token" value="([^"]+)"', client.get("/scans").get_data(as_text=True))
    assert fresh and fresh.group(1) != token.group(1)  # the next stack is a new press
