"""What an audit reads of its inputs besides the bordereaux, read once per audit: each export folder's
manifest.json, parsed once, and each file's SHA-256, computed once (the digest that tells two presentations of a
bordereau apart is also the one FILE_MODIFIED compares with the manifest's)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


class Inputs:
    def __init__(self) -> None:
        self._manifests: dict[Path, object] = {}
        self._digests: dict[Path, str] = {}

    def manifest(self, folder: Path) -> object:
        """The parsed manifest.json of `folder`; OSError or ValueError as reading and parsing it raise them (the
        failure is not kept: asked again, it is read again)."""
        if folder not in self._manifests:
            self._manifests[folder] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return self._manifests[folder]

    def sha256(self, path: Path) -> str:
        """The SHA-256 of the file at `path`, hex."""
        if path not in self._digests:
            self._digests[path] = hashlib.sha256(path.read_bytes()).hexdigest()
        return self._digests[path]
