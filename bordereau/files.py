"""Writing outputs safely: atomically (a temporary file renamed into place), never over the user's input."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bordereau.errors import BordereauError, UsageError, os_cause, os_error


@contextlib.contextmanager
def atomic_path(target: Path, inputs: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename, on failure it is
    removed and `target` is left as it was. Refuses to write over one of `inputs`."""
    target = Path(target)
    if any(target.resolve() == Path(p).resolve() for p in inputs):
        raise UsageError(f"{target} : refus d'écrire par-dessus un fichier d'entrée")
    with cannot_write(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    temp = Path(name)
    try:
        with cannot_write(target):
            yield temp
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(temp, 0o666 & ~mask)  # mkstemp creates 0600; give the file the user's usual permissions
            os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


@contextlib.contextmanager
def cannot_write(target: Path) -> Iterator[None]:
    """An OS error while writing `target` (a full disk, a read-only folder), even wrapped by a library, becomes one
    French line naming `target` and the cause (BordereauError)."""
    try:
        yield
    except BordereauError:
        raise
    except Exception as exc:
        found = os_error(exc)
        if found is None:
            raise
        cause = os_cause(found)
        if found.errno in (errno.EEXIST, errno.ENOTDIR) and (blocking := file_in_the_way(target)) is not None:
            cause = f"{blocking} est un fichier, pas un dossier"  # mkdir says « exists »: true, and of no help
        raise BordereauError(f"{target} : écriture impossible, {cause}") from None


def file_in_the_way(target: Path) -> Path | None:
    """The first folder of `target`'s path that is in fact a file, if one is.

    >>> file_in_the_way(Path(__file__) / "copie.xlsx") == Path(__file__)
    True
    >>> file_in_the_way(Path(__file__).parent / "copie.xlsx") is None
    True
    """
    for folder in reversed(Path(target).parents):
        if folder.exists() and not folder.is_dir():
            return folder
    return None


def distinct_names(sources: list[Path], suffix: str) -> dict[Path, str]:
    """An output name per source, `<stem><suffix>`, made distinct when two sources share a stem (files of the same
    name in different folders), by adding their folder's name.

    >>> names = distinct_names([Path("a/b.xlsx"), Path("c/b.xlsx"), Path("c/d.xlsx")], "-x.xlsx")
    >>> [names[p] for p in (Path("a/b.xlsx"), Path("c/b.xlsx"), Path("c/d.xlsx"))]
    ['b-a-x.xlsx', 'b-c-x.xlsx', 'd-x.xlsx']
    """
    stems: dict[str, int] = {}
    for source in sources:
        stems[source.stem] = stems.get(source.stem, 0) + 1
    names, taken = {}, set()
    for source in sources:
        name = f"{source.stem}{suffix}" if stems[source.stem] == 1 else f"{source.stem}-{source.parent.name}{suffix}"
        base, n = name, 2
        while name in taken:  # same stem, same folder name: number them
            name = base.replace(suffix, f"-{n}{suffix}")
            n += 1
        taken.add(name)
        names[source] = name
    return names


def write_text(target: Path, text: str, inputs: tuple[Path, ...] = ()) -> None:
    with atomic_path(target, inputs) as temp:
        temp.write_text(text, encoding="utf-8")


def owner_tag() -> str:
    """<host>-<pid> of this process, as a file name part."""
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:24] or "hote"
    return f"{host}-{os.getpid()}"
