"""The validated reference data kept between commands, so that a command does not parse and validate the YAML files
again (pyyaml and the pydantic schemas: a fifth of a short check) while they have not changed.

One file per reference folder in the user's cache folder (`~/.cache/bordereau/reference/` on Linux, or
`$XDG_CACHE_HOME/bordereau/reference/`), never beside the data or inside the installed package (a read-only install
works the same). The file holds the key it was made for: a SHA-256 of the files' names and contents, of the loader's
own source and of the tool's and Python's versions. A file made for another key, unreadable, foreign (another owner)
or holding anything but the reference data's own types is ignored and made again; a cache that cannot be written
(read-only home, full disk) is simply not kept. Written atomically: a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# what a cached file may hold besides containers, strings and numbers: anything else is refused when it is read
_STANDARD = {("decimal", "Decimal"), ("datetime", "date"), ("pathlib", "PosixPath"), ("pathlib", "WindowsPath"),
             ("pathlib", "PurePosixPath"), ("pathlib", "PureWindowsPath")}


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("bordereau")) / "reference"


def cache_file(folder: Path) -> Path:
    """The cache file of one reference folder (named by its absolute path, so a folder has one file, replaced)."""
    name = hashlib.sha256(str(Path(folder).resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return cache_dir() / f"{name}.pickle"


def make_key(*parts: str, sources: Iterable[str] = ()) -> str:
    """A SHA-256 over `parts` and the contents of the `sources` files (the code that builds what is cached)."""
    from bordereau import __version__

    digest = hashlib.sha256(f"{__version__}\0{sys.version_info[:2]}\0".encode())
    for part in parts:
        digest.update(part.encode() + b"\0")
    for source in sources:
        digest.update(Path(source).read_bytes() + b"\0")
    return digest.hexdigest()


class _Unpickler(pickle.Unpickler):
    """Builds only the allowed classes: a planted file cannot run code."""

    def __init__(self, file, allowed: set[tuple[str, str]]):
        super().__init__(file)
        self.allowed = allowed

    def find_class(self, module: str, name: str):
        if (module, name) not in self.allowed:
            raise pickle.UnpicklingError(f"{module}.{name} refusé")
        return super().find_class(module, name)


def read(path: Path, key: str, classes: Iterable[type]) -> object | None:
    """What `path` holds if it was made for `key` by this user and holds only `classes` (and standard values); else
    None, whatever is wrong with the file."""
    allowed = _STANDARD | {(c.__module__, c.__qualname__) for c in classes}
    try:
        with open(path, "rb") as file:
            if hasattr(os, "geteuid") and os.fstat(file.fileno()).st_uid != os.geteuid():
                return None
            data = file.read()
        found_key, value = _Unpickler(io.BytesIO(data), allowed).load()
    except Exception:  # missing, unreadable, truncated, from another version, planted: made again
        return None
    return value if found_key == key else None


def write(path: Path, key: str, value: object) -> None:
    """Keep `value` for `key` in `path`, atomically; silently nothing when it cannot be written."""
    temp = None
    try:
        data = pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temp, path)
        temp = None
    except Exception:  # a read-only or full disk, an unpicklable value: the next command validates again
        pass
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def cached(folder: Path, parts: Iterable[str], sources: Iterable[str], classes: Iterable[type],
           build: Callable[[], T]) -> T:
    """`build()`, or what the cache keeps of it for `folder`, made for the same `parts` (e.g. a digest of the files
    read) and the same code (`sources`). Whatever fails in the cache, `build()` still answers."""
    try:
        path, key = cache_file(folder), make_key(*parts, sources=sources)
    except Exception:  # no cache folder, a source file missing (a zipped install): no cache
        return build()
    found = read(path, key, classes)
    if found is not None:
        return found  # type: ignore[return-value]
    value = build()
    write(path, key, value)
    return value
