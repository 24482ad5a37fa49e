"""The installation's secret key and the keyed hashes made with it.

The key is created once (32 random bytes), stored outside the database in a file readable by its owner only, and
never printed. Without it, a hash in the ledger cannot be linked back to a NIR, even by whoever holds the database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import platformdirs

from bordereau.errors import BordereauError

KEY_ENV = "BORDEREAU_KEY_FILE"


def default_key_file() -> Path:
    return Path(os.environ.get(KEY_ENV) or Path(platformdirs.user_config_dir("bordereau")) / "ledger.key")


def load_key(path: Path | None = None, create: bool = True) -> bytes:
    path = Path(path) if path else default_key_file()
    if not path.exists():
        if not create:
            raise BordereauError(f"clé du registre introuvable : {path} ; ce registre a été créé avec une clé, "
                                 "copiez-la à cet endroit (ou --key-file)")
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)  # appears whole or not at all, and never replaces a key made meanwhile
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (ValueError, UnicodeDecodeError, OSError):
        raise BordereauError(f"clé du registre illisible : {path}") from None
    if len(key) < 32:
        raise BordereauError(f"clé du registre trop courte : {path}")
    return key


def fingerprint(key: bytes) -> str:
    """What identifies a key without revealing it (stored in the ledger)."""
    return hmac.new(key, b"bordereau ledger key fingerprint", hashlib.sha256).hexdigest()[:32]


class Hasher:
    """Keyed hashes of beneficiaries and doses (hex HMAC-SHA256)."""

    def __init__(self, key: bytes):
        self._key = key
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)  # the key's pads hashed once, copied for each text

    def __call__(self, text: str) -> str:
        mac = self._keyed.copy()
        mac.update(text.encode("utf-8"))
        return mac.hexdigest()

    def many(self, texts) -> dict[str, str]:
        """{text: hash} for distinct texts."""
        return {t: self(t) for t in set(texts)}
