"""Issue 11 benchmark, run by bench_serve.py (`--parts export,soak`): the service beyond the centres.

- export: the Département's export of 10 deposited bordereaux of CPAM 595 (its 3 centres, one month each, 2,000
  lines each: 20,000 lines) through the service (`POST /api/exports {cpam}`, SERVICE.md) against the library doing
  the same export in one warm process (check with the ledger, then export: what `bordereau export` does once
  started), over a ledger of its own. Each round has its own months (the lines of a round are billed by it), 3 rounds
  alternated, medians. Uploading and depositing are not timed. Target: at most 1.3x.
- soak: 10 centres (each uploads its 200-line bordereau, lists its uploads, reads the answer and the report, again
  and again) and 2 CPAM agents (their exports, the PETRA zip, an audit of its workbooks, per SERVICE.md) at once
  against `bordereau serve --workers 2`, for 5 minutes: p50/p95 per kind of request, errors, and the memory (RSS,
  with its checking processes) of each worker every 10 s.

A route of the contract that the service does not have yet answers 404: it is reported as absent, never timed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import statistics
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx
import psutil
from bench_serve import PASSWORD, centre_workbooks, session, start, upload
from common import DATA

CPAM, AGENTS, ROUNDS, LINES = "595", ("595", "599"), 3, 2_000
MONTHS = [(2025, m) for m in range(9, 13)] + [(2026, m) for m in range(1, 7)]  # 10 months of the campaign


def accounts(db: str, key: Path, ref) -> None:
    from bordereau.ledger import open_ledger
    from bordereau.ledger.accounts import add_user

    ledger = open_ledger(db, key)
    add_user(ledger, ref, "departement-banc", PASSWORD, "departement")
    for code in AGENTS:
        add_user(ledger, ref, f"cpam-{code}", PASSWORD, "cpam", cpam=code)
    ledger.engine.dispose()


def month_book(ref, centre, year: int, month: int) -> Path:
    from bordereau.samples import campaign_lines, write_bordereau

    start = dt.date(year, month, 1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    path = DATA / f"cycle-{centre.finess_geographique}-{year}{month:02d}-{LINES}.xlsx"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        seed = int(centre.finess_geographique) % 10_000 * 100 + month
        write_bordereau(path, centre, start, end, campaign_lines(ref, centre, LINES, start, end, seed=seed))
    return path


def rounds(ref) -> list[list[tuple[str, Path]]]:
    centres = [c for c in ref.centre_by_finess.values() if c.cpam == CPAM]
    pairs = [(c.finess_geographique, month_book(ref, c, y, m)) for y, m in MONTHS for c in centres]
    return [pairs[10 * r:10 * r + 10] for r in range(ROUNDS)]


def second_ledger(db: str, folder: Path) -> str:
    """A ledger for the library's side: another database of the same server, or another SQLite file."""
    if "://" not in db:
        return str(folder / "export-ledger.sqlite")
    import sqlalchemy as sa

    base, name = db.rsplit("/", 1)
    other = f"{name}_export"
    admin = sa.create_engine(f"{base}/postgres".replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{other}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{other}"')
    admin.dispose()
    return f"{base}/{other}"


def export_part(db: str, key: Path, ref) -> dict:
    import bordereau.export.run as exporting
    from bordereau import clock
    from bordereau.check.run import check_files
    from bordereau.ledger import open_ledger

    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    library = open_ledger(second_ledger(db, folder), key)
    plan = rounds(ref)
    process, url = start(db, key, 2)
    served, in_process, answers = [], [], []
    try:
        departement, csrf = session(url, "departement-banc")
        if departement.get("/api/exports").status_code == 404:  # the Département's routes are not there yet
            return {"absent": "GET /api/exports répond 404 : les routes d'export ne sont pas encore dans le service"}
        centres = {finess: session(url, f"centre-{finess}") for finess in {f for r in plan for f, _ in r}}
        for number, books in enumerate(plan):
            for finess, path in books:  # deposits, not timed
                client, token = centres[finess]
                elapsed, status, sent = upload(client, token, path, answer=True)
                assert status == 201 and sent["deposable"], (path.name, status, sent)
                deposited = client.post(f"/api/bordereaux/{sent['id']}/depot", headers={"X-CSRF-Token": token})
                assert deposited.status_code == 200, deposited.text
            begin = time.perf_counter()
            answer = departement.post("/api/exports", json={"cpam": CPAM}, headers={"X-CSRF-Token": csrf})
            elapsed = time.perf_counter() - begin
            answers.append(answer.status_code)
            if answer.status_code == 404:
                return {"absent": "POST /api/exports répond 404 : la route n'est pas encore dans le service"}
            assert answer.status_code == 201, answer.text[:2000]
            served.append(elapsed)
            paths = [path for _, path in books]
            begin = time.perf_counter()
            result = check_files(paths, ref, clock.today(), library)
            assert not result.errors and len(result.lines) == 10 * LINES
            exporting.run(result, ref, folder / f"export{number}", tuple(paths), clock.now().astimezone(), library)
            in_process.append(time.perf_counter() - begin)
    finally:
        process.terminate()
        process.wait(30)
        library.engine.dispose()
    export_s, serve_s = statistics.median(in_process), statistics.median(served)
    return {"bordereaux": 10, "lines": 10 * LINES, "rounds": ROUNDS, "export_s": round(export_s, 3),
            "serve_s": round(serve_s, 3), "ratio": round(serve_s / export_s, 2),
            "served_runs": [round(t, 3) for t in served], "export_runs": [round(t, 3) for t in in_process]}


class Soak:
    def __init__(self, url: str, seconds: float):
        self.url, self.deadline = url, time.monotonic() + seconds
        self.times: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.absent: set[str] = set()
        self.lock = threading.Lock()

    def timed(self, kind: str, call, expected: int = 200) -> httpx.Response | None:
        begin = time.perf_counter()
        try:
            answer = call()
        except httpx.HTTPError as exc:
            with self.lock:
                self.errors.append(f"{kind}: {exc.__class__.__name__}")
            return None
        elapsed = time.perf_counter() - begin
        with self.lock:
            if answer.status_code == expected:
                self.times.setdefault(kind, []).append(elapsed)
            elif answer.status_code == 404 and kind.startswith("agent"):
                self.absent.add(kind)
            else:
                self.errors.append(f"{kind}: {answer.status_code}")
        return answer if answer.status_code == expected else None

    def centre(self, finess: str, book: Path) -> None:
        client, csrf = session(self.url, f"centre-{finess}")
        content = book.read_bytes()
        while time.monotonic() < self.deadline:
            sent = self.timed("envoi", lambda: client.post("/api/bordereaux", files={"fichier": (book.name, content)},
                                                           headers={"X-CSRF-Token": csrf}), 201)
            self.timed("liste", lambda: client.get("/api/bordereaux"))
            if sent is not None:
                upload_id = sent.json()["id"]
                self.timed("lecture", lambda i=upload_id: client.get(f"/api/bordereaux/{i}"))
                self.timed("rapport", lambda i=upload_id: client.get(f"/api/bordereaux/{i}/rapport.html"))

    def agent(self, code: str) -> None:
        client, csrf = session(self.url, f"cpam-{code}")
        while time.monotonic() < self.deadline:
            self.timed("agent page", lambda: client.get("/cpam"))
            listed = self.timed("agent exports", lambda: client.get("/api/exports"))
            if listed is None or not listed.json():
                time.sleep(1)  # nothing to audit yet
                continue
            latest = listed.json()[0]["id"]
            folder = self.timed("agent zip", lambda i=latest: client.get(f"/api/exports/{i}.zip"))
            if folder is None:
                continue
            with zipfile.ZipFile(io.BytesIO(folder.content)) as archive:
                books = [(Path(n).name, archive.read(n)) for n in archive.namelist() if n.endswith(".xlsx")]
            self.timed("agent audit", lambda b=books: client.post(
                "/api/audits", files=[("fichiers", item) for item in b], headers={"X-CSRF-Token": csrf}), 201)


def workers_of(process) -> list[psutil.Process]:
    return [c for c in psutil.Process(process.pid).children()
            if any(conn.status == psutil.CONN_LISTEN for conn in c.net_connections("tcp"))]


def rss_mib(worker: psutil.Process) -> float:
    total = 0
    for p in [worker, *worker.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return round(total / 2**20, 1)


def soak_part(db: str, key: Path, ref, seconds: float) -> dict:
    books = centre_workbooks(ref, 200)
    process, url = start(db, key, 2)
    soak, samples = Soak(url, seconds), {}
    try:
        workers = workers_of(process)
        threads = [threading.Thread(target=soak.centre, args=item) for item in books.items()]
        threads += [threading.Thread(target=soak.agent, args=(code,)) for code in AGENTS]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            for w in workers_of(process):
                samples.setdefault(w.pid, []).append(rss_mib(w))
            time.sleep(10)
        for t in threads:
            t.join()
    finally:
        process.terminate()
        process.wait(30)
    every = [t for kind in soak.times.values() for t in kind]
    per_kind = {kind: {"n": len(ts), "p50_s": round(statistics.median(ts), 3),
                       "p95_s": round(statistics.quantiles(ts, n=20)[18], 3) if len(ts) > 1 else round(ts[0], 3)}
                for kind, ts in sorted(soak.times.items())}
    return {"seconds": seconds, "centres": len(books), "agents": len(AGENTS), "requests": len(every),
            "p95_s": round(statistics.quantiles(every, n=20)[18], 3), "errors": len(soak.errors),
            "error_kinds": sorted(set(soak.errors)), "absent_routes": sorted(soak.absent), "per_kind": per_kind,
            "workers_at_start": [w.pid for w in workers], "rss_mib": samples}


def run(parts: set[str], db: str, key: Path, ref, soak_seconds: float) -> dict:
    accounts(db, key, ref)
    results = {}
    if "export" in parts:
        results["export_10_bordereaux"] = e = export_part(db, key, ref)
        if "absent" in e:
            print(f"Export du Département : non mesuré, {e['absent']}")
        else:
            print(f"Export de 10 bordereaux ({e['lines']} lignes) : bibliothèque {e['export_s']:.3f} s, "
                  f"service {e['serve_s']:.3f} s ({e['ratio']:.2f}x)")
    if "soak" in parts:
        results["soak"] = s = soak_part(db, key, ref, soak_seconds)
        print(f"Endurance {s['seconds']:.0f} s, 10 centres et 2 agents, 2 workers : {s['requests']} requêtes, "
              f"p95 {s['p95_s']:.3f} s, erreurs {s['errors']}, routes absentes {s['absent_routes'] or 'aucune'}")
        for pid, mib in s["rss_mib"].items():
            print(f"  worker {pid} : mémoire {mib[0]} -> {mib[-1]} Mio (max {max(mib)}) sur {len(mib)} mesures")
    return results
