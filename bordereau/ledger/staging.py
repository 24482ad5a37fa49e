"""The private working folders of the service, where copies of files that hold NIRs live while they are checked,
exported or audited: the deposited workbooks of an export (`envois/`) and the export written beside them, an upload
being checked, an agent's files being audited.

They are all in one known place, the `travail/` folder of the data directory (readable by its owner only), or, where
that directory cannot be written (a systemd unit with ProtectHome=yes and ProtectSystem=strict), a folder of this
user in the temporary directory, `bordereau-travail-<uid>` (the unit's own /tmp with PrivateTmp=yes); each is named
after the process that made it: `<kind>-<host>-<pid>-XXXXXXXX`. The process removes its folder when it is
done; a process killed meanwhile (a worker's SIGKILL, a power cut) cannot, and the NIRs would stay on disk. So the
folders whose process is gone are swept whenever the ledger is opened (`open_ledger`: a service's start-up, each
worker's, the replacement of a dead worker, every command), beside the recovery of the ledger's exports.

A folder of this host is abandoned when its process no longer exists (or after a day: its pid was reused); a folder
of another host (a data directory shared between computers) after STALE_AFTER, as a pending export of another host.
A live process's folder is never removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from bordereau.files import owner_tag

STALE_AFTER = dt.timedelta(hours=1)  # a folder of another host is abandoned after this (as in record.py)
REUSED_AFTER = dt.timedelta(days=1)  # a live pid owning a folder this old is another program's
_NAME = re.compile(r"(?P<kind>[a-z]+)-(?P<host>[A-Za-z0-9]*)-(?P<pid>\d+)-[a-z0-9_]{8}")


def root() -> Path:
    """Where the working folders are: `travail/` in the data directory (that of the default ledger)."""
    return Path(platformdirs.user_data_dir("bordereau")) / "travail"


def fallback() -> Path:
    """Where they are when the data directory cannot be written: a folder of this user in the temporary directory."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"bordereau-travail-{uid}"


def _ready(base: Path) -> bool:
    """Create `base` (mode 0700) if need be; whether it is a real folder of this user (not a link someone planted)."""
    try:
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return False
    return _mine(base) and os.access(base, os.W_OK)


def _mine(base: Path) -> bool:
    try:
        info = base.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and (not hasattr(os, "getuid") or info.st_uid == os.getuid())


def make(kind: str) -> Path:
    """A new private folder `<kind>-<host>-<pid>-XXXXXXXX` (mode 0700) of this process; the caller removes it."""
    for base in (root(), fallback()):
        if _ready(base):
            with contextlib.suppress(OSError):
                return Path(tempfile.mkdtemp(prefix=f"{kind}-{owner_tag()}-", dir=base)).absolute()
    return Path(tempfile.mkdtemp(prefix=f"bordereau-{kind}-{owner_tag()}-")).absolute()  # neither: as before


@contextlib.contextmanager
def folder(kind: str) -> Iterator[Path]:
    """A private working folder for the time of a `with` block, removed after it, whatever happens inside."""
    path = make(kind)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def owner(path: Path) -> tuple[str, int] | None:
    """The host tag and pid a working folder's name carries (None: not a working folder)."""
    found = _NAME.fullmatch(path.name)
    return (found["host"], int(found["pid"])) if found else None


def abandoned(path: Path, now: dt.datetime | None = None) -> bool:
    """Whether no live process of this host owns the folder (another host's: older than STALE_AFTER)."""
    named = owner(path)
    if named is None:
        return False
    try:
        age = (now or dt.datetime.now()) - dt.datetime.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return False
    host, pid = named
    if host != owner_tag().rsplit("-", 1)[0]:
        return age > STALE_AFTER
    return not _alive(pid) or age > REUSED_AFTER


def sweep(base: Path | None = None) -> list[Path]:
    """Remove the abandoned working folders (see `abandoned`) of `base` (default: both places); the ones removed."""
    if base is None:
        return sweep(root()) + (sweep(fallback()) if _mine(fallback()) else [])
    try:
        candidates = [p for p in base.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []
    removed = []
    for path in sorted(candidates):
        if abandoned(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows, os.kill would end the process: only age tells there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # another user's process, or a platform that cannot tell: keep the folder
    return True
