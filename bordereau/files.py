"""Writing outputs safely: atomically (a temporary file renamed into place), never over the user's input."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import UsageError


@contextlib.contextmanager
def atomic_path(target: Path, inputs: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename, on failure it is
    removed and `target` is left as it was. Refuses to write over one of `inputs`."""
    target = Path(target)
    if any(target.resolve() == Path(p).resolve() for p in inputs):
        raise UsageError(f"{target} : refus d'écrire par-dessus un fichier d'entrée")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temp, 0o666 & ~mask)  # mkstemp creates 0600; give the file the user's usual permissions
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def write_text(target: Path, text: str, inputs: tuple[Path, ...] = ()) -> None:
    with atomic_path(target, inputs) as temp:
        temp.write_text(text, encoding="utf-8")
