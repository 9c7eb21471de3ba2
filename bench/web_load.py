"""Twenty clerks issuing at once while someone opens the sign-in page: `wathiqa serve` under a bounded load.

Starts ``wathiqa serve`` (its own output folder, one clerk account, a free port on 127.0.0.1 only), then for
``--seconds`` runs ``--clients`` threads that sign in and issue cases one after another (a «المكتب مشغول» answer
is counted and pressed again a second later, as a clerk would) and one probe that opens ``/login`` without a
session. Prints throughput, p50/p95 of issue and of ``/login``, the 5xx count, whether the references are
distinct and whether the register rows equal the case folders. Never contacts anything but 127.0.0.1.

    .venv/bin/python -m bench.web_load --clients 20 --seconds 120
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "policy.yml"
FIELD = re.compile(r'name="(csrf_token|_token)" value="([^"]*)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Browser:
    """One clerk's browser: a keep-alive connection to 127.0.0.1 and the session cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, method: str, path: str, form: dict[str, Any] | None = None) -> tuple[int, str, dict[str, str]]:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
                if attempt == 2:
                    raise
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, text, dict(response.getheaders())

    def tokens(self, path: str) -> dict[str, str]:
        _, page, _ = self.request("GET", path)
        return dict(FIELD.findall(page))


def _example(doc_id: str = "application") -> dict[str, Any]:
    from generator.config.project import load_project

    project = load_project(POLICY)
    return {f.id: f.example for f in project.documents[doc_id].input_fields() if f.example is not None}


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(clients: int = 20, seconds: float = 120.0) -> dict[str, Any]:
    from generator import read_register
    from generator.config.project import load_project
    from generator.office.accounts import add_account
    from generator.office.db import OfficeDB

    out = Path(tempfile.mkdtemp(prefix="wathiqa-load-")) / "out"
    for n in range(clients):  # one account per clerk, as in an office
        add_account(OfficeDB(out), f"clerk{n}", "clerk", "clerk pass 1")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--policy", str(POLICY), "--out", str(out),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    for line in server.stdout:  # "the office app is served at ..." once the workers are warm
        if "served at" in line:
            break
    threading.Thread(target=server.stdout.read, daemon=True).start()
    values = _example()
    issue_times: list[float] = []
    login_times: list[float] = []
    references: list[str] = []
    statuses: dict[int, int] = {}
    busy = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def count(status: int) -> None:
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    def clerk(n: int) -> None:
        browser = Browser(port)
        tokens = browser.tokens("/login")
        browser.request("POST", "/login", {**tokens, "name": f"clerk{n}", "password": "clerk pass 1"})
        i = 0
        while time.monotonic() < stop:
            i += 1
            tokens = browser.tokens("/documents/application/new")
            form = {**values, **tokens, "_action": "issue", "_same_person": "1", "applicant_name": f"مستفيد {n} {i}"}
            started = time.perf_counter()
            status, _, headers = browser.request("POST", "/documents/application/new", form)
            elapsed = time.perf_counter() - started
            count(status)
            if status == 302 and "/cases/" in headers.get("Location", ""):
                with lock:
                    issue_times.append(elapsed)
                    references.append(headers["Location"].rsplit("/", 1)[1])
            elif status == 409:
                with lock:
                    busy[0] += 1
                time.sleep(1.0)  # the clerk reads «المكتب مشغول» and presses again

    def probe() -> None:
        browser = Browser(port)
        while time.monotonic() < stop:
            started = time.perf_counter()
            status, _, _ = browser.request("GET", "/login")
            login_times.append(time.perf_counter() - started)
            count(status)
            time.sleep(0.25)

    threads = [threading.Thread(target=clerk, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=probe))
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - began
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=120)
    rows = read_register(load_project(POLICY), "requests", out).rows
    cases = [p.name for p in (out / "cases").iterdir()] if (out / "cases").exists() else []
    return {
        "clients": clients,
        "seconds": round(took, 1),
        "issued": len(references),
        "issues_per_minute": round(len(references) / took * 60, 1),
        "issue_p50_s": round(_pct(issue_times, 0.5), 2),
        "issue_p95_s": round(_pct(issue_times, 0.95), 2),
        "login_p50_s": round(_pct(login_times, 0.5), 3),
        "login_p95_s": round(_pct(login_times, 0.95), 3),
        "login_requests": len(login_times),
        "busy_answers": busy[0],
        "status_5xx": sum(n for s, n in statuses.items() if s >= 500),
        "statuses": statuses,
        "references_distinct": len(set(references)) == len(references),
        "rows_equal_cases": sorted(str(r.values["reference"]) for r in rows) == sorted(cases) == sorted(references),
        "login_mean_s": round(statistics.fmean(login_times), 3) if login_times else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    print(json.dumps(run(args.clients, args.seconds), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
