"""Issue 9 benchmark: the service (`bordereau serve`), on loopback only, bounded in time.

1. Upload-to-answer time of a 2,000-line workbook through the service (HTTP, session, CSRF, check in a child process,
   storage in the ledger) against `check --json` of the same file in one warm process with the same ledger. Median of
   10 runs each (after one to warm up), alternated. Target: at most 1.3x.
2. 10 centres uploading at once (each its own account and a 200-line bordereau, one request after another) for a
   minute against `bordereau serve --workers 2`: p50, p95 and errors.

Issue 11 (bench_serve_cycle.py, run from here):
3. The Département's export of 10 deposited bordereaux of one CPAM (2,000 lines each, 20,000 in all) through the
   service (`POST /api/exports`, SERVICE.md) against the same export by the library in one warm process (what
   `export` does once started), each over its own ledger. Median of 3 rounds, alternated. Target: at most 1.3x.
4. A soak: 10 centres and 2 CPAM agents for 5 minutes against `bordereau serve --workers 2` on PostgreSQL: p95,
   errors (none), and the memory of each worker (with its checking processes) sampled every 10 s (flat).

    .venv/bin/python benchmarks/bench_serve.py [--seconds 60] [--soak-seconds 300] [--db postgresql://...]
        [--parts single,crowd,export,soak]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from common import DATA, PERIOD, ROOT, big_workbook

PASSWORD = "mot de passe du banc d'essai"
ROUNDS = 11


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def centre_workbooks(ref, lines: int) -> dict[str, Path]:
    from bordereau.samples import campaign_lines, write_bordereau

    out = {}
    for finess, centre in ref.centre_by_finess.items():
        path = DATA / f"serve-{finess}-{lines}.xlsx"
        if not path.exists():
            DATA.mkdir(parents=True, exist_ok=True)
            write_bordereau(path, centre, *PERIOD, campaign_lines(ref, centre, lines, *PERIOD, seed=3))
        out[finess] = path
    return out


def start(db: str, key: Path, workers: int, *options: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "BORDEREAU_DB": db, "BORDEREAU_KEY_FILE": str(key)}
    process = subprocess.Popen([sys.executable, "-c", "from cli import main; main()", "serve", "--port", str(port),
                                "--workers", str(workers), *options], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            if httpx.get(url + "/connexion", timeout=1).status_code == 200:
                time.sleep(3)  # let every worker warm its checking processes
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("le service n'a pas démarré")


def session(url: str, login: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, timeout=120)
    csrf = client.post("/api/session", json={"login": login, "password": PASSWORD}).json()["csrf"]
    return client, csrf


def upload(client: httpx.Client, csrf: str, path: Path, answer: bool = False):
    """(seconds, status), and the answer's JSON when `answer`."""
    content = path.read_bytes()
    begin = time.perf_counter()
    sent = client.post("/api/bordereaux", files={"fichier": (path.name, content)}, headers={"X-CSRF-Token": csrf})
    elapsed = time.perf_counter() - begin
    return (elapsed, sent.status_code, sent.json()) if answer else (elapsed, sent.status_code)


def single(db: str, key: Path, ref) -> dict:
    from bordereau.check.run import check_files
    from bordereau.ledger import open_ledger

    path = big_workbook(2_000)
    ledger = open_ledger(db, key)
    process, url = start(db, key, 1)
    in_process, served = [], []
    try:
        client, csrf = session(url, "centre-590780102")
        for _ in range(ROUNDS):  # alternated, so that the load of a shared machine weighs on both alike
            begin = time.perf_counter()
            json.dumps(check_files([path], ref, None, ledger).as_json(), ensure_ascii=False)
            in_process.append(time.perf_counter() - begin)
            served.append(upload(client, csrf, path))
    finally:
        process.terminate()
        process.wait(30)
    assert all(status == 201 for _, status in served), served
    check_s = statistics.median(in_process[1:])  # the first run warms the caches, in both
    serve_s = statistics.median(t for t, _ in served[1:])
    return {"check_s": round(check_s, 3), "serve_s": round(serve_s, 3), "ratio": round(serve_s / check_s, 2)}


def crowd(db: str, key: Path, ref, seconds: float) -> dict:
    books = centre_workbooks(ref, 200)
    process, url = start(db, key, 2)
    times, errors, lock = [], [], threading.Lock()
    deadline = time.monotonic() + seconds

    def centre(finess: str) -> None:
        client, csrf = session(url, f"centre-{finess}")
        while time.monotonic() < deadline:
            try:
                elapsed, status = upload(client, csrf, books[finess])
            except httpx.HTTPError as exc:
                elapsed, status = 0.0, exc.__class__.__name__
            with lock:
                (times if status == 201 else errors).append(elapsed if status == 201 else status)

    try:
        threads = [threading.Thread(target=centre, args=(f,)) for f in books]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 180)
    finally:
        process.terminate()
        process.wait(30)
    cuts = statistics.quantiles(times, n=20)
    return {"centres": len(books), "seconds": seconds, "uploads": len(times), "errors": len(errors),
            "p50_s": round(statistics.median(times), 3), "p95_s": round(cuts[18], 3),
            "error_kinds": sorted({str(e) for e in errors})}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--soak-seconds", type=float, default=300)
    parser.add_argument("--db", default=None, help="registre (défaut : un SQLite neuf ; PostgreSQL pour 3 et 4)")
    parser.add_argument("--parts", default="single,crowd,export,soak")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    from bordereau.ledger import open_ledger
    from bordereau.ledger.accounts import add_user
    from bordereau.reference.data import load_reference

    ref = load_reference()
    folder = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    db, key = args.db or str(folder / "ledger.sqlite"), folder / "ledger.key"
    ledger = open_ledger(db, key)
    for finess in ref.centre_by_finess:
        add_user(ledger, ref, f"centre-{finess}", PASSWORD, "centre", [finess])
    ledger.engine.dispose()
    results = {}
    if "single" in parts:
        results["single_2000_lines"] = one = single(db, key, ref)
        print(f"2 000 lignes : check {one['check_s']:.3f} s, service {one['serve_s']:.3f} s ({one['ratio']:.2f}x)")
    if "crowd" in parts:
        results["ten_centres_two_workers"] = many = crowd(db, key, ref, args.seconds)
        print(f"10 centres, {many['seconds']:.0f} s, 2 workers : {many['uploads']} envois, p50 {many['p50_s']:.3f} s, "
              f"p95 {many['p95_s']:.3f} s, erreurs {many['errors']}")
    if parts & {"export", "soak"}:
        import bench_serve_cycle

        results.update(bench_serve_cycle.run(parts, db, key, ref, args.soak_seconds))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
