"""The office app: a warm app's issue against `wathiqa issue`, and 4 concurrent clients against one.

The app runs as `wathiqa serve` (waitress, its issue workers warm) in a child process; clients are threads
speaking HTTP with their own session and CSRF token, as browsers do. Figures: p50/p95 of the form page and of
an issue (POST to the redirect to the case page), the command line's issue of the same case (fresh process,
median), and issues per second with 1 and with 4 clients. Beside the throughput ratio, the parallelism the
machine offers at that moment (pure CPU work in 2 processes against 1), without which it cannot be read.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "policy.yml"
FORM_TOKEN = re.compile(r'name="_token" value="([^"]+)"')
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    """One browser: its own cookies (session) and CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        self.token = ""
        self.form_token = ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=120) as response:
            page: str = response.read().decode("utf-8")
        found = TOKEN.search(page)
        if found:
            self.token = found.group(1)
        drawn = FORM_TOKEN.search(page)
        self.form_token = drawn.group(1) if drawn else ""
        return page

    def issue(self, values: list[tuple[str, str]]) -> str:
        # the same example applicant every time: the clerk confirms it is another request of theirs
        fields = [("csrf_token", self.token), ("_action", "issue"), ("_same_person", "1"), *values]
        if self.form_token:  # a drawn form is sent once; the timed loops then issue new cases without drawing
            fields.append(("_token", self.form_token))
            self.form_token = ""
        data = urllib.parse.urlencode(fields).encode()
        try:
            self.opener.open(self.base + "/documents/application/new", data=data, timeout=300)
        except urllib.error.HTTPError as err:
            if err.code != 302:
                raise RuntimeError(f"issue answered {err.code}: {err.read()[:300]!r}") from err
            return err.headers["Location"]
        raise RuntimeError("issue did not redirect to the case page")


def _values() -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    from generator.config.project import load_project

    document = load_project(POLICY).documents["application"]
    pairs: list[tuple[str, str]] = []
    for f in document.input_fields():
        if isinstance(f.example, list):
            pairs.extend((f.id, v) for v in f.example)
        elif f.example is not None:
            pairs.append((f.id, f.example))
    return pairs


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_parallelism(n: int = 8_000_000) -> float:
    """How much faster two processes do two equal pieces of pure CPU work than one process does both: the most
    that several clients can gain on this machine now (2 on two idle cores; about 1 when other work fills them)."""
    import multiprocessing

    started = time.perf_counter()
    _burn(n)
    _burn(n)
    alone = time.perf_counter() - started
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_burn, [1, 1])
        started = time.perf_counter()
        pool.map(_burn, [n, n])
        together = time.perf_counter() - started
    return alone / together


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _cli_issue_ms(tmp: Path, runs: int) -> float:
    status = subprocess.run(
        [sys.executable, "-m", "generator", "example", "application", "--policy", str(POLICY)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    data = tmp / "case.yml"
    data.write_text(status.stdout, encoding="utf-8")
    times = []
    for n in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "issue",
                "application",
                "--data",
                str(data),
                "--out",
                str(tmp / f"cli-{n}"),
                "--policy",
                str(POLICY),
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"wathiqa serve ended: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            urllib.request.urlopen(base + "/static/app.css", timeout=2).close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("wathiqa serve did not start in 120 s")


def run(form_requests: int = 40, single_issues: int = 12, clients: int = 4, per_client: int = 6) -> dict[str, float]:
    values = _values()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cli_ms = _cli_issue_ms(tmp, 3)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "generator",
                "serve",
                "--port",
                str(port),
                "--out",
                str(tmp / "app"),
                "--policy",
                str(POLICY),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_until_up(base, server)
            one = Client(base)
            one.get("/documents/application/new")
            one.issue(values)  # the first case creates the register; not counted
            form_ms = []
            for _ in range(form_requests):
                started = time.perf_counter()
                one.get("/documents/application/new")
                form_ms.append((time.perf_counter() - started) * 1000)
            issue_ms = []
            started_all = time.perf_counter()
            for _ in range(single_issues):
                started = time.perf_counter()
                one.issue(values)
                issue_ms.append((time.perf_counter() - started) * 1000)
            single_rate = single_issues / (time.perf_counter() - started_all)

            many = [Client(base) for _ in range(clients)]
            for client in many:
                client.get("/documents/application/new")
            references: list[str] = []
            lock = threading.Lock()

            def work(client: Client) -> None:
                for _ in range(per_client):
                    location = client.issue(values)
                    with lock:
                        references.append(location)

            threads = [threading.Thread(target=work, args=(c,)) for c in many]
            started_all = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            many_rate = len(references) / (time.perf_counter() - started_all)
            parallelism = machine_parallelism()
            if len(set(references)) != clients * per_client:
                raise RuntimeError(f"{len(set(references))} distinct cases for {clients * per_client} issues")
        finally:
            server.terminate()
            server.wait(timeout=60)
    form_p50, form_p95 = _percentiles(form_ms)
    issue_p50, issue_p95 = _percentiles(issue_ms)
    return {
        "form_p50_ms": form_p50,
        "form_p95_ms": form_p95,
        "issue_p50_ms": issue_p50,
        "issue_p95_ms": issue_p95,
        "cli_issue_ms": cli_ms,
        "cli_ratio": cli_ms / issue_p50,
        "single_per_s": single_rate,
        "concurrent_per_s": many_rate,
        "clients": clients,
        "throughput_ratio": many_rate / single_rate,
        "machine_parallelism": parallelism,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
