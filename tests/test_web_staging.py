"""The service's working folders (copies of files holding NIRs, bordereau.ledger.staging): in one known place, named
after their process, removed when done, and, when their process was killed, swept at the next opening of the ledger
(a worker's start-up, its replacement's, any command), never while their process lives."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from service import LILLE, TODAY, service, workbook  # noqa: F401 (service: the fixture)
from test_web_departement import deposit, post
from workers import ROOT

from bordereau.files import owner_tag
from bordereau.ledger import open_ledger, staging


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    probe = subprocess.Popen([sys.executable, "-c", "pass"])
    probe.wait()
    return probe.pid


def folder_of(pid: int, host: str | None = None, kind: str = "export") -> Path:
    """A working folder as a process `pid` of `host` (default: this one) leaves it, a copy of a workbook inside."""
    host = owner_tag().rsplit("-", 1)[0] if host is None else host
    path = staging.root() / f"{kind}-{host}-{pid}-abcd_123"
    (path / "envois").mkdir(parents=True)
    (path / "envois" / "envoi-1.xlsx").write_bytes(b"copie d'un classeur (NIR)")
    return path


def test_a_working_folder_is_private_named_after_its_process_and_removed_after_use():
    with staging.folder("export") as made:
        assert made.parent == staging.root() and staging.owner(made) == (owner_tag().rsplit("-", 1)[0], os.getpid())
        if os.name == "posix":
            assert made.stat().st_mode & 0o777 == 0o700 and staging.root().stat().st_mode & 0o077 == 0
        (made / "envoi.xlsx").write_bytes(b"x")
        assert staging.sweep(staging.root()) == []  # this process lives: kept
    assert not made.exists()
    with pytest.raises(RuntimeError), staging.folder("audit") as failed:
        raise RuntimeError("boom")
    assert not failed.exists()


def test_the_sweep_removes_the_folders_of_dead_processes_only():
    staging.root().mkdir(parents=True, exist_ok=True)
    dead = folder_of(dead_pid())
    mine = folder_of(os.getpid(), kind="audit")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        living = folder_of(sleeper.pid, kind="envoi")
        young_elsewhere = folder_of(4242, host="autreposte")
        old_elsewhere = folder_of(4243, host="autreposte2")
        two_hours_ago = (dt.datetime.now() - dt.timedelta(hours=2)).timestamp()
        os.utime(old_elsewhere, (two_hours_ago, two_hours_ago))
        foreign = staging.root() / "notes-de-quelquun"
        foreign.mkdir()
        assert sorted(staging.sweep(staging.root())) == sorted([dead, old_elsewhere])
        assert all(p.exists() for p in (mine, living, young_elsewhere, foreign))
        assert not dead.exists() and not old_elsewhere.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert staging.sweep(staging.root()) == [living]  # its process is gone now


def test_without_a_writable_data_directory_the_folders_go_to_this_users_temporary_folder(tmp_path: Path,
                                                                                          monkeypatch):
    """A systemd unit with ProtectHome=yes cannot write the data directory: a folder of this user in the temporary
    directory takes its place (swept the same way); one planted by someone else (a link) is never used."""
    blocked = tmp_path / "fichier"
    blocked.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked / "data"))  # under a file: cannot be created
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    with staging.folder("export") as made:
        assert made.parent == staging.fallback() and staging.owner(made)[1] == os.getpid()
        if os.name == "posix":
            assert staging.fallback().stat().st_mode & 0o077 == 0
    dead = staging.fallback() / f"envoi-{owner_tag()}-abcd_123".replace(f"-{os.getpid()}-", f"-{dead_pid()}-")
    dead.mkdir()
    assert staging.sweep() == [dead]
    staging.fallback().rmdir()
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    staging.fallback().symlink_to(elsewhere)
    with staging.folder("export") as made:
        assert made.parent == tmp_path / "tmp" and made.name.startswith("bordereau-export-")
    assert staging.sweep() == [] and list(elsewhere.iterdir()) == []


def test_opening_the_ledger_sweeps_abandoned_folders(tmp_path: Path):
    dead = folder_of(dead_pid())
    open_ledger(str(tmp_path / "ledger.sqlite"), tmp_path / "ledger.key").engine.dispose()
    assert not dead.exists()


KILLED_EXPORT = """
import sys, datetime as dt
from bordereau.ledger import open_ledger
from bordereau.ledger.accounts import get_user
from bordereau.reference.data import load_reference
from bordereau.web.exports import export_cpam
ledger = open_ledger(sys.argv[1], sys.argv[2])
with ledger.engine.connect() as connection:
    user = get_user(connection, "departement")
today = dt.date.fromisoformat(sys.argv[3])
export_cpam(ledger, load_reference(), user, "595", today, dt.datetime.combine(today, dt.time(10)))
"""


@pytest.mark.parametrize("stage", ["after-reserve", "after-rename"])
def test_a_service_export_killed_midway_leaves_no_copy_once_the_ledger_is_reopened(service, tmp_path: Path, stage):
    """A process of the service killed (SIGKILL) during an export leaves its working folder, with the copies of the
    deposited workbooks; the next opening of the ledger (a worker's replacement) removes it, undoes the export, and
    the upload can be exported again."""
    path = workbook(tmp_path / "lille.xlsx", LILLE)
    upload = deposit(service, "centre_a", path)
    killed = subprocess.run([sys.executable, "-c", KILLED_EXPORT, service.db, str(service.key), TODAY.isoformat()],
                            cwd=ROOT, env={**os.environ, "BORDEREAU_TEST_CRASH": stage}, capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr[-2000:]
    [left] = list(staging.root().iterdir())
    assert staging.owner(left)[0] == owner_tag().rsplit("-", 1)[0] and left.name.startswith("export-")
    assert (left / "envois" / f"envoi-{upload}.xlsx").read_bytes() == path.read_bytes()  # the NIRs, on disk
    open_ledger(service.db, service.key).engine.dispose()
    assert not left.exists()
    assert service.as_("departement").get(f"/api/bordereaux/{upload}").json()["state"] == "déposé"
    made = post(service, "departement", "/api/exports", json={"cpam": "595"})
    assert made.status_code == 201, made.text
    assert service.as_("departement").get(f"/api/bordereaux/{upload}").json()["state"] == "exporté"
    assert list(staging.root().iterdir()) == []  # the service's own export removed its folder when done
