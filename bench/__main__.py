"""`make bench`: every figure of PRODUCT.md's performance table, measured in one run against its naive baseline.

Each line gives the measured value, the naive baseline measured in the same run, their ratio and the target.
Peak memory of this process is printed at the end; the merge memory figure runs in child processes.
"""

from __future__ import annotations

import json
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _row(what: str, ours: str, naive: str, ratio: str, target: str, ok: bool) -> str:
    return f"| {what} | {ours} | {naive} | {ratio} | {target} | {'yes' if ok else 'NO'} |"


def _safe(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    started = time.perf_counter()
    try:
        result = fn()
    except Exception as exc:  # a failed figure is reported, the others still run
        print(f"{name}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    print(f"{name}: {json.dumps(result)} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return result


def main() -> int:
    from bench import (
        docx_bench,
        memory_bench,
        pdf_bench,
        register_bench,
        report_bench,
        scan_bench,
        search_bench,
        startup_bench,
        web_bench,
        web_load,
    )

    rows = [
        "| what | wathiqa | naive baseline | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    failed = False

    docx = _safe("docx", lambda: docx_bench.run())
    if docx:
        ok = docx["ratio"] >= 4
        rows.append(
            _row(
                "DOCX letter, per record",
                f"{docx['ours_ms']:.1f} ms",
                f"{docx['naive_ms']:.1f} ms",
                f"{docx['ratio']:.1f}x",
                ">= 4x",
                ok,
            )
        )
        failed |= not ok

    pdf = _safe("pdf", lambda: pdf_bench.run())
    if pdf:
        ok = pdf["speedup"] >= 3
        rows.append(
            _row(
                f"print PDF of {pdf['letters']:.0f} letters, per page (every page checked)",
                f"{pdf['batch_ms_per_page']:.1f} ms",
                f"{pdf['naive_ms_per_page']:.1f} ms",
                f"{pdf['speedup']:.2f}x",
                ">= 3x",
                ok,
            )
        )
        failed |= not ok

    with tempfile.TemporaryDirectory() as tmp:
        reg = _safe("register", lambda: register_bench.run(Path(tmp)))
    if reg:
        ok = reg["ratio"] >= 10
        rows.append(
            _row(
                "append 1 row to a 10,000-row register",
                f"{reg['ours_ms']:.0f} ms",
                f"{reg['naive_ms']:.0f} ms",
                f"{reg['ratio']:.1f}x",
                ">= 10x",
                ok,
            )
        )
        failed |= not ok
        lookup, decoding = reg["journal_append_ms"], reg["journal_append_decoding_rows_ms"]
        rows.append(
            _row(
                "sync 1 journaled row into a 10,000-row register",
                f"{lookup:.0f} ms",
                f"{decoding:.0f} ms (every row decoded)",
                f"{decoding / lookup:.1f}x",
                "informative",
                True,
            )
        )

    mem = _safe("memory", lambda: memory_bench.run())
    if mem:
        ok = mem["growth_pct"] < 20 and mem["large_mib"] < 400
        rows.append(
            _row(
                "peak RSS of a 5,000-letter merge",
                f"{mem['large_mib']:.0f} MiB",
                f"{mem['small_mib']:.0f} MiB (1,000 letters)",
                f"{mem['growth_pct']:+.0f}%",
                "< +20%, < 400 MiB",
                ok,
            )
        )
        failed |= not ok

    start = _safe("startup", lambda: startup_bench.run())
    if start:
        ok = start["check_ms"] < start["import_weasyprint_ms"]
        rows.append(
            _row(
                "`wathiqa check` start-up (project unchanged)",
                f"{start['check_ms']:.0f} ms (first check after a change: {start['first_check_ms']:.0f} ms)",
                f"{start['import_weasyprint_ms']:.0f} ms (import weasyprint)",
                f"{start['ratio']:.1f}x",
                "faster than the import",
                ok,
            )
        )
        failed |= not ok

    web = _safe("web", lambda: web_bench.run())
    if web:
        ok = web["cli_ratio"] >= 3
        rows.append(
            _row(
                "issue a case through the warm office app (p50)",
                f"{web['issue_p50_ms']:.0f} ms",
                f"{web['cli_issue_ms']:.0f} ms (`wathiqa issue`)",
                f"{web['cli_ratio']:.1f}x",
                ">= 3x",
                ok,
            )
        )
        failed |= not ok
        ok = web["throughput_ratio"] >= 1.5
        rows.append(
            _row(
                f"office app throughput, {web['clients']:.0f} concurrent clients",
                f"{web['concurrent_per_s']:.2f} cases/s",
                f"{web['single_per_s']:.2f} cases/s (1 client)",
                f"{web['throughput_ratio']:.2f}x",
                ">= 1.5x",
                ok,
            )
        )
        failed |= not ok
        print(
            f"office app latencies: form page p50 {web['form_p50_ms']:.0f} ms, p95 {web['form_p95_ms']:.0f} ms; "
            f"issue p50 {web['issue_p50_ms']:.0f} ms, p95 {web['issue_p95_ms']:.0f} ms; "
            f"parallelism the machine offered meanwhile: {web['machine_parallelism']:.2f}x",
            file=sys.stderr,
        )

    load = _safe("web load", lambda: web_load.run(clients=8, seconds=20))  # short form; full: python -m bench.web_load
    if load:
        ok = load["status_5xx"] == 0 and load["references_distinct"] and load["rows_equal_cases"]
        ok = ok and load["login_p95_s"] < 1.0
        rows.append(
            _row(
                f"/login while {load['clients']} clerks issue for {load['seconds']:.0f} s (p50 / p95)",
                f"{load['login_p50_s'] * 1000:.0f} / {load['login_p95_s'] * 1000:.0f} ms",
                f"issue {load['issue_p50_s']:.1f} / {load['issue_p95_s']:.1f} s, {load['issued']} cases",
                f"5xx {load['status_5xx']}",
                "p95 < 1 s, no 5xx, rows = cases",
                ok,
            )
        )
        failed |= not ok

    report = _safe("report", lambda: report_bench.run())
    if report:
        ok = report["ratio"] < 3 and report["peak_mib"] < 300
        rows.append(
            _row(
                "report of a year (20,000 requests, 50,000 contacts, 10,000 surveys): PDF + XLSX",
                f"{report['ours_s']:.1f} s, {report['peak_mib']:.0f} MiB",
                f"{report['naive_s']:.1f} s (openpyxl read-only load)",
                f"{report['ratio']:.2f}x",
                "< 3x, < 300 MiB",
                ok,
            )
        )
        failed |= not ok

    search = _safe("search", lambda: search_bench.run())
    if search:
        ok = search["p95_ms"] < 500 and search["ratio"] >= 10
        rows.append(
            _row(
                f"find a case on /cases in a register of {search['rows']:,} requests, p50 / p95 (first search "
                f"{search['first_ms'] / 1000:.1f} s, after an edit {search['after_edit_ms'] / 1000:.1f} s)",
                f"{search['p50_ms']:.0f} / {search['p95_ms']:.0f} ms",
                f"{search['naive_ms']:.0f} ms (the register decoded per request)",
                f"{search['ratio']:.0f}x",
                "p95 < 500 ms, >= 10x",
                ok,
            )
        )
        failed |= not ok

    scan = _safe("scan", lambda: scan_bench.run())
    if scan:
        ok = scan["read_rate_200"] >= 0.99 and scan["pages_per_s_200"] >= 5
        rows.append(
            _row(
                f"scan a signed stack at 200 dpi ({scan['pages_200']} pages: turned, skewed, noisy, JPEG)",
                f"{scan['pages_per_s_200']:.1f} pages/s, {100 * scan['read_rate_200']:.1f}% filed without a hand, "
                f"{scan['peak_mib_200']:.0f} MiB",
                f"150 dpi: {scan['pages_per_s_150']:.1f} pages/s, {100 * scan['read_rate_150']:.1f}% filed",
                "-",
                ">= 5 pages/s, >= 99% filed",
                ok,
            )
        )
        failed |= not ok

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"date: {time.strftime('%Y-%m-%d')}, peak RSS of this process: {peak:.0f} MiB"
    )
    print("\n".join(rows))
    return 1 if failed or None in (docx, pdf, reg, mem, start, web, report, scan) else 0


if __name__ == "__main__":
    sys.exit(main())
