"""Issue 11 (part B) benchmark: a CPAM agent's audit through the service against the command, on loopback only.

An export (by `export`, into a fresh ledger) of a bordereau of N lines; then, alternated, ROUNDS times each:
- in one warm process: what `audit FOLDER --cpam 595 --json --report --xlsx --pdf` does with the ledger (audit,
  history, JSON, report, statement and its PDF);
- through `bordereau serve` (one worker): `POST /api/audits` with that export (HTTP, session, CSRF, the audit in a child
  process, the same files, stored in the ledger).
Medians without the first run (it warms the caches). Target: at most 1.3x.

    .venv/bin/python benchmarks/bench_serve_audit.py [--lines 2000] [--db postgresql://...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_serve import PASSWORD, session, start
from common import ROOT, big_workbook

ROUNDS = 7


def in_process(folder: Path, db: str, key: Path, ref) -> float:
    from bordereau.audit.run import audit_files
    from bordereau.ledger import open_ledger
    from bordereau.ledger.audits import LedgerAuditHistory
    from bordereau.render.audit_files import audit_report, write_statement
    from bordereau.render.audit_json import dumps
    from bordereau.render.pdf_rejections import write_rejections_pdf

    begin = time.perf_counter()
    ledger = open_ledger(db, key)
    result = audit_files([folder], ref, None, "595", LedgerAuditHistory(ledger))
    with tempfile.TemporaryDirectory() as out:
        write_statement(Path(out) / "r.xlsx", result, (), ref)
        write_rejections_pdf(Path(out) / "r.pdf", result, (), ref)
        audit_report(result)
        dumps(result)
    ledger.engine.dispose()
    return time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--db", default=None, help="registre (défaut : un SQLite neuf)")
    args = parser.parse_args()
    from bordereau.ledger import open_ledger
    from bordereau.ledger.accounts import add_user
    from bordereau.reference.data import load_reference

    ref = load_reference()
    temp = Path(tempfile.mkdtemp(prefix="bench-serve-audit-"))
    db, key = args.db or str(temp / "ledger.sqlite"), temp / "ledger.key"
    add_user(open_ledger(db, key), ref, "agent-595", PASSWORD, "cpam", None, "595")
    book = big_workbook(args.lines)
    subprocess.run([sys.executable, "-c", "from cli import main; main()", "export", str(book), "--out",
                    str(temp / "petra"), "--db", db, "--key-file", str(key)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    [folder] = (temp / "petra").glob("595-*")
    process, url = start(db, key, 1)
    cli_s, served = [], []
    try:
        client, csrf = session(url, "agent-595")
        [export] = client.get("/api/exports").json()
        for _ in range(ROUNDS):  # alternated, so that the load of a shared machine weighs on both alike
            cli_s.append(in_process(folder, db, key, ref))
            begin = time.perf_counter()
            answer = client.post("/api/audits", data={"export": str(export["id"])}, headers={"X-CSRF-Token": csrf})
            served.append((time.perf_counter() - begin, answer.status_code))
    finally:
        process.terminate()
        process.wait(30)
    assert all(status == 201 for _, status in served), served
    one, two = statistics.median(cli_s[1:]), statistics.median(t for t, _ in served[1:])
    results = {"lines": args.lines, "audit_s": round(one, 3), "serve_s": round(two, 3), "ratio": round(two / one, 2)}
    print(f"audit de {args.lines} lignes : commande {one:.3f} s, service {two:.3f} s ({two / one:.2f}x)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
