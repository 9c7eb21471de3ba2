"""The office app's door against a hostile client: the Host header in open mode, sessions that really end,
``next`` after sign-in, sign-in throttling under concurrency, downloads never cached, bounded forms.

Each family counts its attempts in ``ATTEMPTS`` (printed by ``-s``, for the closing note of issue 19).
"""

from __future__ import annotations

import html
import os
import socket
import stat
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from generator.office.accounts import add_account, begin_attempt, remove_account
from generator.office.audit import audit_entries
from generator.office.db import DB_NAME, OfficeDB
from generator.web import SECRET_NAME
from generator.web.security import FORM_LIMIT, SESSION_HOURS, THROTTLE, same_site_path
from tests.web_helpers import csrf, example_values, make_app, post_form

ATTEMPTS: Counter[str] = Counter()


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def frozen(app: Flask, start: float = 1_000_000.0) -> list[float]:
    """Stop the app's clock (sessions and throttling) at ``start``; move it by changing the list."""
    now = [start]
    app.extensions["wathiqa_clock"] = lambda: now[0]
    return now


def office_with_accounts(out: Path) -> Flask:
    db = OfficeDB(out)
    add_account(db, "clerk1", "clerk", "clerk pass 1")
    add_account(db, "boss", "admin", "boss pass 1")
    return make_app(out)


def login(client: FlaskClient, name: str, password: str, **extra: str) -> Any:
    data = {"csrf_token": csrf(client, "/login"), "name": name, "password": password, **extra}
    return client.post("/login", data=data)


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("wathiqa_session")
    assert cookie is not None
    return cookie.value


def with_cookie(app: Flask, value: str) -> FlaskClient:
    """Another browser holding a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie("wathiqa_session", value, domain="localhost")
    return other


# ------------------------------------------------------------------------------------------ Host header (open mode)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(out: Path) -> Iterator[int]:
    """The app in open mode (no account) behind waitress on a free loopback port, told its port."""
    from waitress.server import create_server

    port = free_port()
    server = create_server(make_app(out, port=port), host="127.0.0.1", port=port, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.close()


def raw_get(port: int, host: str | None, path: str = "/") -> tuple[int, str]:
    """One HTTP/1.1 GET written by hand, so the Host header is exactly what an attacker's page would send."""
    lines = [f"GET {path} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += ["Connection: close", "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall("\r\n".join(lines).encode("utf-8", "surrogateescape"))
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks).decode("utf-8", "replace")
    status = int(answer.split(" ", 2)[1])
    return status, html.unescape(answer)


def test_open_mode_answers_only_requests_addressed_to_this_computer(served: int) -> None:
    port = served
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
        ATTEMPTS["host header"] += 1
        status, page = raw_get(port, host)
        assert status == 200, host
        assert "عمل اليوم" in page
    hostile = [
        f"evil.example:{port}",
        "evil.example",
        f"127.0.0.1.evil.example:{port}",
        f"localhost.evil.example:{port}",
        f"127.0.0.1:{port + 1}",
        "127.0.0.1",
        f"127.0.0.1:{port}@evil.example",
        f"localhost:{port}:{port}",
        "localhost:abc",
        f"[::1]x:{port}",
        f"[::2]:{port}",
        "",
        "\u0644\u0648\u0643\u0627\u0644:80",
        "a" * 5000,
        f"0x7f.0.0.1:{port}",
        f"2130706433:{port}",
    ]
    for host in hostile:
        ATTEMPTS["host header"] += 1
        status, page = raw_get(port, host)
        assert status == 400, host
        assert "وصل الطلب باسم غير اسم هذا الجهاز" in page, host
        assert "عمل اليوم" not in page
    ATTEMPTS["host header"] += 1
    status, page = raw_get(port, f"evil.example:{port}", "/cases")
    assert status == 400 and "REQ-" not in page
    ATTEMPTS["host header"] += 1
    status, _ = raw_get(port, None)
    assert status == 400


def test_with_accounts_any_host_meets_the_sign_in(out: Path) -> None:
    app = office_with_accounts(out)
    response = app.test_client().get("/cases", headers={"Host": "evil.example"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# ------------------------------------------------------------------------------------------ sessions


def test_sign_out_ends_the_session_for_a_copied_cookie(out: Path) -> None:
    app = office_with_accounts(out)
    client = app.test_client()
    assert login(client, "clerk1", "clerk pass 1").status_code == 302
    copied = session_cookie(client)
    assert with_cookie(app, copied).get("/documents").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client, "/documents")})
    ATTEMPTS["session revocation"] += 1
    response = with_cookie(app, copied).get("/documents")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_session_ends_twelve_hours_after_sign_in_whatever_the_cookie_says(out: Path) -> None:
    app = office_with_accounts(out)
    now = frozen(app)
    client = app.test_client()
    login(client, "clerk1", "clerk pass 1")
    copied = session_cookie(client)
    for _ in range(3):  # the browser keeps using it, which renews the cookie
        now[0] += SESSION_HOURS * 3600 / 4
        assert client.get("/documents").status_code == 200
    now[0] += SESSION_HOURS * 3600 / 4 + 1
    ATTEMPTS["session revocation"] += 2
    assert client.get("/documents").status_code == 302
    assert with_cookie(app, copied).get("/documents").status_code == 302


def test_a_removed_account_added_again_does_not_revive_its_old_cookie(out: Path) -> None:
    app = office_with_accounts(out)
    client = app.test_client()
    login(client, "clerk1", "clerk pass 1")
    copied = session_cookie(client)
    db = OfficeDB(out)
    remove_account(db, "clerk1")
    add_account(db, "clerk1", "admin", "another pass 1")
    ATTEMPTS["session revocation"] += 1
    response = with_cookie(app, copied).get("/accounts")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_password_change_signs_out_every_other_browser(out: Path) -> None:
    app = office_with_accounts(out)
    here, there = app.test_client(), app.test_client()
    login(here, "clerk1", "clerk pass 1")
    login(there, "clerk1", "clerk pass 1")
    token = csrf(here, "/password")
    response = here.post(
        "/password",
        data={
            "csrf_token": token,
            "old_password": "clerk pass 1",
            "password": "new pass 12",
            "password_again": "new pass 12",
        },
    )
    assert response.status_code == 302
    assert "غُيّرت كلمة المرور" in text(here.get("/"))
    assert here.get("/documents").status_code == 200  # this browser stays in
    ATTEMPTS["session revocation"] += 1
    assert there.get("/documents").status_code == 302
    assert login(app.test_client(), "clerk1", "clerk pass 1").status_code == 401
    assert login(app.test_client(), "clerk1", "new pass 12").status_code == 302


def test_the_database_keeps_no_usable_session_id(out: Path) -> None:
    app = office_with_accounts(out)
    client = app.test_client()
    login(client, "clerk1", "clerk pass 1")
    with OfficeDB(out).read() as conn:
        stored = [row[0] for row in conn.execute("SELECT digest FROM sessions")]
    assert len(stored) == 1
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    sid = serializer.loads(session_cookie(client))["sid"]
    assert sid not in stored


def test_the_account_pages_refuse_a_clerk_and_a_post_without_its_token(out: Path) -> None:
    app = office_with_accounts(out)
    client = app.test_client()
    login(client, "clerk1", "clerk pass 1")
    token = csrf(client, "/documents")
    new = {"password": "taken over 1", "password_again": "taken over 1"}
    for method, url, data in (
        ("GET", "/accounts/boss/password", None),
        ("POST", "/accounts/boss/password", {"csrf_token": token, **new}),
        ("GET", "/accounts/boss/remove", None),
        ("POST", "/accounts/boss/remove", {"csrf_token": token, "confirm": "yes"}),
        ("POST", "/accounts", {"csrf_token": token, "name": "mine", "role": "admin", **new}),
    ):
        ATTEMPTS["access control"] += 1
        assert client.open(url, method=method, data=data).status_code == 403, url
    for url, data in (
        ("/password", {"old_password": "clerk pass 1", **new}),
        ("/accounts/boss/password", new),
        ("/logout", {}),
    ):
        ATTEMPTS["csrf"] += 1
        assert client.post(url, data=data).status_code == 400, url
    assert login(app.test_client(), "boss", "boss pass 1").status_code == 302  # unchanged
    assert client.get("/documents").status_code == 200  # the forged sign-out did nothing


def test_open_mode_has_no_own_password_page(client: FlaskClient) -> None:
    ATTEMPTS["access control"] += 1
    assert client.get("/password").status_code == 404


# ------------------------------------------------------------------------------------------ next after sign-in


def browser_destination(location: str) -> str:
    """Where a browser goes with ``Location: location`` from http://127.0.0.1:8000/login (WHATWG URL rules:
    tabs and line breaks removed, leading/trailing C0 controls and spaces trimmed, ``\\`` read as ``/``)."""
    cleaned = "".join(c for c in location if c not in "\t\n\r").strip("".join(map(chr, range(0x21))))
    cleaned = cleaned.replace("\\", "/")
    return urlsplit(urljoin("http://127.0.0.1:8000/login", cleaned)).netloc


ODD = st.sampled_from(["/", "\\", "\t", "\n", "\r", ":", "@", ".", "%", "e", " ", "?", "#", "\x00", "\u2028", "h"])


@given(st.lists(ODD, max_size=12).map("".join) | st.text(max_size=30))
def test_an_accepted_next_never_leaves_this_site(target: str) -> None:
    ATTEMPTS["open redirect"] += 1
    if same_site_path(target):
        assert browser_destination(target) == "127.0.0.1:8000", repr(target)


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\/evil.example",
        "https://evil.example/",
        "/ /evil.example",
        "/\r\nSet-Cookie: x=1",
        "/\n/evil.example",
        " //evil.example",
        "javascript:alert(1)",
        "/\u2028/evil.example",
        "\x00/evil",
        "",
    ],
)
def test_sign_in_never_goes_to_another_site(out: Path, target: str) -> None:
    ATTEMPTS["open redirect"] += 1
    client = office_with_accounts(out).test_client()
    page = client.get("/login", query_string={"next": target})
    assert page.status_code == 200
    response = login(client, "boss", "boss pass 1", next=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert browser_destination(location) == "127.0.0.1:8000", location
    if target not in ("/ /evil.example",):
        assert location == "/"


def test_a_next_of_this_site_is_followed(out: Path) -> None:
    client = office_with_accounts(out).test_client()
    response = client.get("/cases?q=x")
    assert response.status_code == 302
    nxt = response.headers["Location"].split("next=", 1)[1]
    from urllib.parse import unquote

    assert login(client, "boss", "boss pass 1", next=unquote(nxt)).headers["Location"] == "/cases?q=x"


# ------------------------------------------------------------------------------------------ sign-in throttling


def test_concurrent_wrong_passwords_are_all_counted_and_the_owner_elsewhere_gets_in(out: Path) -> None:
    app = office_with_accounts(out)
    frozen(app)
    clients = [app.test_client() for _ in range(24)]
    tokens = [csrf(c, "/login") for c in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def attack(client: FlaskClient, token: str) -> None:
        start.wait()
        data = {"csrf_token": token, "name": "clerk1", "password": "guess guess"}
        response = client.post("/login", data=data, environ_base={"REMOTE_ADDR": "10.0.0.66"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attack, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ATTEMPTS["sign-in throttling"] += len(statuses)
    counts = Counter(statuses)
    assert counts == {401: THROTTLE.free, 429: len(clients) - THROTTLE.free}, counts
    failed = [e for e in audit_entries(OfficeDB(out)) if e.action == "login_failed"]
    assert len(failed) == THROTTLE.free  # only the checked ones; the others were refused before any check
    owner = app.test_client()
    token = csrf(owner, "/login")
    data = {"csrf_token": token, "name": "clerk1", "password": "clerk pass 1"}
    ATTEMPTS["sign-in throttling"] += 1
    assert owner.post("/login", data=data, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 302


def test_throttle_doubles_and_forgets(out: Path) -> None:
    db = OfficeDB(out)
    now = 1000.0
    for _ in range(THROTTLE.free):
        assert begin_attempt(db, "a", "ip", now, THROTTLE) == 0
    assert begin_attempt(db, "a", "ip", now, THROTTLE) == 1
    assert begin_attempt(db, "a", "other ip", now, THROTTLE) == 0
    assert begin_attempt(db, "b", "ip", now, THROTTLE) == 0
    now += 1
    assert begin_attempt(db, "a", "ip", now, THROTTLE) == 0  # the 4th, counted
    assert begin_attempt(db, "a", "ip", now, THROTTLE) == 2
    for _ in range(20):
        now += THROTTLE.max_wait
        assert begin_attempt(db, "a", "ip", now, THROTTLE) == 0
    assert begin_attempt(db, "a", "ip", now, THROTTLE) == THROTTLE.max_wait
    now += THROTTLE.forget_after + 1
    assert begin_attempt(db, "a", "ip", now, THROTTLE) == 0


def test_a_right_password_clears_the_count(out: Path) -> None:
    app = office_with_accounts(out)
    frozen(app)
    client = app.test_client()
    for _ in range(THROTTLE.free - 1):
        assert login(client, "clerk1", "wrong one").status_code == 401
    assert login(client, "clerk1", "clerk pass 1").status_code == 302
    client.post("/logout", data={"csrf_token": csrf(client, "/documents")})
    for _ in range(THROTTLE.free - 1):
        assert login(client, "clerk1", "wrong one").status_code == 401
    assert login(client, "clerk1", "clerk pass 1").status_code == 302


# ------------------------------------------------------------------------------------------ caches, files, forms


def test_no_download_of_personal_data_is_cached(client: FlaskClient, out: Path) -> None:
    response = post_form(client, "/documents/application/new", example_values(), _action="issue")
    reference = response.headers["Location"].rsplit("/", 1)[1]
    preview = post_form(client, "/documents/application/new", example_values(), _action="preview")
    downloads = {
        "preview": preview,
        "case pdf": client.get(f"/cases/{reference}/application.pdf"),
        "case docx": client.get(f"/cases/{reference}/application.docx"),
        "combined": client.get(f"/cases/{reference}/{reference}.pdf"),
        "register": client.get("/registers/requests.xlsx"),
        "register print": client.get("/registers/requests/print.pdf"),
        "case page": client.get(f"/cases/{reference}"),
    }
    for what, got in downloads.items():
        assert got.status_code == 200, what
        assert got.headers["Cache-Control"] == "no-store", what
        assert "ETag" not in got.headers and "Last-Modified" not in got.headers, what
    css = client.get("/static/app.css")
    assert "no-store" not in css.headers.get("Cache-Control", "")


def test_office_db_and_the_secret_are_readable_by_their_owner_only(out: Path) -> None:
    out.mkdir(parents=True)
    (out / SECRET_NAME).write_bytes(b"s" * 48)
    os.chmod(out / SECRET_NAME, 0o644)
    from generator.web import WebSettings, create_app
    from tests.web_helpers import PROJECT

    app = create_app(PROJECT, WebSettings(out_dir=out))
    post_form(app.test_client(), "/documents/application/new", example_values(), _action="draft")
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", SECRET_NAME):
        path = out / name
        if path.exists():
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name


def test_a_form_too_long_is_refused_in_arabic_and_nothing_saved(client: FlaskClient, out: Path) -> None:
    values = example_values(notes="ن" * FORM_LIMIT)
    response = post_form(client, "/documents/application/new", values, _action="draft")
    assert response.status_code == 413
    page = text(response)
    assert "ما كُتب في النموذج أطول مما يقبله التطبيق" in page
    assert "لا توجد مسودات محفوظة" in text(client.get("/drafts"))
    response = post_form(client, "/documents/application/new", example_values(notes="ن" * 2000), _action="draft")
    assert response.status_code == 302


def test_print_attempts() -> None:
    """Keeps the counts of this module's hostile families visible with ``pytest -s``."""
    print(dict(ATTEMPTS))


# ------------------------------------------------------------------------------------------ the render queue


def test_a_full_render_queue_says_the_office_is_busy_and_pages_are_served(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator

    app = make_app(out, render_queue=1)
    client = app.test_client()
    first = post_form(client, "/documents/application/new", example_values(), _action="issue")
    assert first.status_code == 302
    issuer = app.extensions["wathiqa"].issuer
    rendering, finish = threading.Event(), threading.Event()
    real_issue = generator.issue

    def slow_issue(*args: Any, **kwargs: Any) -> Any:
        rendering.set()
        finish.wait()  # a long render holds the only place of the queue
        return real_issue(*args, **kwargs)

    monkeypatch.setattr(generator, "issue", slow_issue)
    answer: list[Any] = []
    other = app.test_client()
    values = example_values(applicant_name="هند سالم المطيري")
    holder = threading.Thread(
        target=lambda: answer.append(
            post_form(other, "/documents/application/new", values, _action="issue", _same_person="1")
        )
    )
    holder.start()
    try:
        assert rendering.wait(60) and issuer.in_progress == 1
        values = example_values(applicant_name="سارة")
        busy = post_form(client, "/documents/application/new", values, _action="issue", _same_person="1")
        assert busy.status_code == 409
        assert "المكتب مشغول الآن بإصدار حالات أخرى" in text(busy)
        assert 'value="سارة"' in text(busy)  # nothing typed is lost
        preview = post_form(client, "/documents/application/new", example_values(), _action="preview")
        assert preview.status_code == 503 and "المكتب مشغول" in text(preview)
        assert preview.headers["Retry-After"] == "5"
        assert client.get("/login").status_code in (200, 302)
        assert client.get("/cases").status_code == 200
    finally:
        finish.set()
        holder.join()
    assert answer[0].status_code == 302


def test_pages_opened_while_an_issue_holds_the_write_lock_wait_instead_of_calling_the_database_damaged(
    client: FlaskClient, out: Path
) -> None:
    import sqlite3

    assert post_form(client, "/documents/application/new", example_values(), _action="issue").status_code == 302
    blocker = sqlite3.connect(out / DB_NAME, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # a clerk's issue giving its reference
    try:
        with OfficeDB(out).read() as conn:  # what every page that makes its own OfficeDB does first
            assert conn.execute("SELECT count(*) FROM journal").fetchone()[0] == 1
        assert client.get("/cases").status_code == 200
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
