"""The ledger shared by several processes, as the workers and instances of the service share it: exports through
the library the service uses (tests/ledger_worker.py), two processes of two exports each, all started at once, on
SQLite and (when BORDEREAU_TEST_PG gives a server) PostgreSQL. Never a line nor a number in two exports; a process
killed during an export leaves all or nothing, and the next one to open the ledger recovers."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_ledger import db, rows, workbook  # noqa: F401  (db: the fixture)

from bordereau.ledger.schema import billed_lines, bordereaux, counters, exports

ROOT = Path(__file__).resolve().parent.parent
DAY = "2026-11-23"
PREFIX = f"HPV-595-590780102-{DAY.replace('-', '')}-"


def start(url: str, key: Path, jobs: list[tuple[Path, Path]], env: dict | None = None) -> subprocess.Popen:
    """A process that will run `jobs` (workbook, export folder) at once, in threads, when told to."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "ledger_worker.py"), url, str(key), DAY, *(f"{p}={o}" for p, o in jobs)],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready", process.stderr.read()[-2000:]
    return process


def together(*processes: subprocess.Popen) -> list[dict]:
    """Tell every process to go, and collect what each export answered."""
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    answers = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        answers += [json.loads(line) for line in stdout.splitlines() if line.strip()]
        assert process.returncode in (0, -9), stderr[-2000:]
    return answers


def lille(ref, folder: Path, name: str, pupils: range) -> Path:
    return workbook(ref, folder / name, [(n, dt.date(2026, 10, 5), 1) for n in pupils])


def test_four_exports_of_one_cpam_from_two_processes_never_share_a_line_or_a_number(db, ref, tmp_path: Path):
    key = tmp_path / "ledger.key"
    books = [lille(ref, tmp_path, f"b{k}.xlsx", range(12 * k, 12 * k + 12)) for k in range(4)]
    jobs = [(book, tmp_path / f"export{k}") for k, book in enumerate(books)]
    first, second = start(db, key, jobs[:2]), start(db, key, jobs[2:])
    answers = together(first, second)
    assert sorted(a["file"] for a in answers) == [b.name for b in books]
    assert all("numbers" in a for a in answers), answers
    numbers = sorted(n for a in answers for n in a["numbers"])
    assert numbers == [f"{PREFIX}{k}" for k in range(1, 5)]  # one counter, four numbers, none twice
    lines = rows(db, billed_lines)
    assert len(lines) == 48 and len({line["dose_key"] for line in lines}) == 48
    assert sorted(b["number"] for b in rows(db, bordereaux)) == numbers
    assert {b["number"]: b["lines"] for b in rows(db, bordereaux)} == dict.fromkeys(numbers, 12)
    assert [e["state"] for e in rows(db, exports)] == ["done"] * 4
    assert all((tmp_path / f"export{k}").is_dir() for k in range(4))


def test_four_exports_of_the_same_lines_from_two_processes_bill_them_once(db, ref, tmp_path: Path):
    key = tmp_path / "ledger.key"
    same = [lille(ref, tmp_path, f"copie{k}.xlsx", range(20)) for k in range(4)]
    jobs = [(book, tmp_path / f"export{k}") for k, book in enumerate(same)]
    answers = together(start(db, key, jobs[:2]), start(db, key, jobs[2:]))
    won = [a for a in answers if "numbers" in a]
    assert len(won) == 1 and len(won[0]["numbers"]) == 1, answers
    for lost in (a for a in answers if "refused" in a):  # checked after the winner recorded its lines, or during
        assert lost["refused"] == ["ALREADY_BILLED"] or "vient d'être facturée" in lost["refused"][0], lost
    lines = rows(db, billed_lines)
    assert len(lines) == 20 and {line["bordereau"] for line in lines} == set(won[0]["numbers"])
    assert [e["state"] for e in rows(db, exports)] == ["done"]
    assert sum((tmp_path / f"export{k}").exists() for k in range(4)) == 1


@pytest.mark.parametrize("stage", ["after-reserve", "before-rename", "after-rename"])
def test_a_process_killed_during_an_export_leaves_all_or_nothing_beside_another(db, ref, tmp_path: Path,
                                                                                 stage: str):
    key = tmp_path / "ledger.key"
    doomed, other = lille(ref, tmp_path, "a.xlsx", range(10)), lille(ref, tmp_path, "b.xlsx", range(10, 25))
    killed = start(db, key, [(doomed, tmp_path / "a")], env={"BORDEREAU_TEST_CRASH": stage})
    alive = start(db, key, [(other, tmp_path / "b")])
    answers = together(killed, alive)
    assert killed.returncode == -9 and [a["file"] for a in answers] == ["b.xlsx"]
    # the next process that opens the ledger finishes or undoes the killed export, then exports what is left
    again = start(db, key, [(doomed, tmp_path / "a2")])
    retried = together(again)[0]
    lines = rows(db, billed_lines)
    taken = {c["last"] for c in rows(db, counters)}
    if stage == "after-rename":  # its folder was in place: the export is completed, its lines are billed
        assert retried["refused"] == ["ALREADY_BILLED"] and (tmp_path / "a").is_dir()
        assert all(b["sha256"] for b in rows(db, bordereaux))
    else:  # nothing of it is left, and its lines go out with the next export, under a number never given before
        assert "numbers" in retried and not (tmp_path / "a").exists() and (tmp_path / "a2").is_dir()
        assert len(rows(db, bordereaux)) == 2 and taken == {3}
    assert len(lines) == 25 and len({line["dose_key"] for line in lines}) == 25
    assert [e["state"] for e in rows(db, exports)] == ["done", "done"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_on_postgresql_a_pending_export_of_another_machine_is_kept_while_its_process_lives(db, ref, tmp_path: Path,
                                                                                          monkeypatch):
    """Its owner holds the export's advisory lock: another process, on any machine, leaves it alone; once the owner
    is gone, the next opening of the ledger recovers it at once (not an hour later)."""
    import threading

    import sqlalchemy as sa

    import bordereau.export.run as exporting
    from bordereau import clock
    from bordereau.check.run import check_files
    from bordereau.ledger import open_ledger

    if "://" not in db:
        pytest.skip("a SQLite ledger lives on one machine: its host and pid say whether its process lives")
    key, book = tmp_path / "ledger.key", lille(ref, tmp_path, "a.xlsx", range(6))
    ledger = open_ledger(db, key)
    written, go = threading.Event(), threading.Event()
    real_write = exporting.write

    def slow_write(*args, **kwargs):
        written.set()
        go.wait(120)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(exporting, "write", slow_write)
    result = check_files([book], ref, clock.today(), ledger)
    thread = threading.Thread(target=exporting.run, args=(result, ref, tmp_path / "a", (book,),
                                                          clock.now().astimezone(), ledger))
    thread.start()
    assert written.wait(120)
    engine = sa.create_engine(db.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:  # as if it ran on another machine, under a pid that means nothing here
        connection.execute(exports.update().values(host="autre-machine", pid=1))
    open_ledger(db, key).engine.dispose()  # another process opens the ledger: the export is alive, left alone
    assert [e["state"] for e in rows(db, exports)] == ["pending"] and len(rows(db, billed_lines)) == 6
    go.set()
    thread.join(120)
    assert [e["state"] for e in rows(db, exports)] == ["done"] and (tmp_path / "a").is_dir()

    other = lille(ref, tmp_path, "b.xlsx", range(10, 14))
    killed = start(db, key, [(other, tmp_path / "b")], env={"BORDEREAU_TEST_CRASH": "after-reserve"})
    together(killed)
    with engine.begin() as connection:  # killed on "another machine", a minute ago
        connection.execute(exports.update().where(exports.c.state == "pending").values(host="autre-machine", pid=1))
    engine.dispose()
    open_ledger(db, key).engine.dispose()  # its lock went with its process: undone at once
    assert [e["state"] for e in rows(db, exports)] == ["done"] and len(rows(db, billed_lines)) == 6
