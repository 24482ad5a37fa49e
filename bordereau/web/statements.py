"""Statements the Département sends to the service: payment statements (`reconcile`) and the CPAM's rejection
statements (`reject`). Each is read in one of the checker's child processes, as uploaded workbooks are (a hostile
file kills a child, never the service), with the same library functions and the same answer as the commands."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from bordereau import clock
from bordereau.errors import BordereauError
from bordereau.ledger import staging
from bordereau.ledger.journal import log
from bordereau.web.checker import Config, _context
from bordereau.web.security import MAX_UPLOAD, TooLarge
from bordereau.web.upload import display_name

STATEMENT_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")


class Unreadable(BordereauError):
    """The statement could not be read or applied (422): nothing was imported."""


@contextlib.contextmanager
def _staged(content: bytes, name: str) -> Iterator[Path]:
    """The file under its shown name (the ledger records it as the statement's source) in a private folder."""
    with staging.folder("releve") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        yield path


# -- in the child -----------------------------------------------------------------------------------------------


def _reconcile(config: Config, path: str, today: dt.date) -> dict:
    from bordereau.ledger.payments import reconcile, unmatched
    from bordereau.render.ledger_views import reconcile_json

    reference, ledger = _context(config)
    with clock.fixed(today):
        found, problems = reconcile(ledger, [Path(path)], reference)
        return reconcile_json(found, unmatched(ledger), problems, [])


def _reject(config: Config, path: str, today: dt.date) -> dict:
    from bordereau.ledger.rejects import reject
    from bordereau.render.ledger_views import reject_json

    _reference, ledger = _context(config)
    with clock.fixed(today):
        return reject_json(reject(ledger, [Path(path)], today))


# -- in the service ---------------------------------------------------------------------------------------------


def _run(state, function, given_name: str | None, content: bytes) -> dict:
    if len(content) > MAX_UPLOAD:
        raise TooLarge()
    name = display_name(given_name)
    if Path(name).suffix.lower() not in STATEMENT_SUFFIXES:
        raise Unreadable(f"{name} : type de fichier non pris en charge ({', '.join(STATEMENT_SUFFIXES)})")
    with _staged(content, name) as path:
        try:
            return state.checker.call(function, state.checker.config, str(path), clock.today())
        except BordereauError as exc:
            raise Unreadable(str(exc).replace(str(path), name)) from None
        except (cf.process.BrokenProcessPool, cf.TimeoutError, MemoryError):
            raise Unreadable(f"{name} : fichier illisible (endommagé, ou trop long à lire) ; rien n'a été "
                             "importé") from None


def payments(state, user, given_name: str | None, content: bytes) -> dict:
    """`reconcile RELEVÉ --json` of an uploaded statement; written to the audit log."""
    answer = _run(state, _reconcile, given_name, content)
    new = [p for p in answer["payments"] if not p["duplicate"]]
    numbers = sorted({a["bordereau"] for p in answer["payments"] for a in p["allocations"]})
    log(state.ledger, user.login, "payment",
        f"relevé {display_name(given_name)} : {len(new)} paiement(s) importé(s), "
        f"{sum(1 for p in new if p['allocations'])} rapproché(s) ; bordereaux {', '.join(numbers) or 'aucun'}")
    return answer


def rejections(state, user, given_name: str | None, content: bytes) -> dict:
    """`reject ÉTAT` of an uploaded rejection statement; written to the audit log."""
    answer = _run(state, _reject, given_name, content)
    numbers = sorted({r["bordereau"] for r in answer["applied"]})
    log(state.ledger, user.login, "rejection",
        f"état de rejets {display_name(given_name)} : {len(answer['applied'])} ligne(s) rejetée(s), "
        f"{len(answer['already'])} déjà connue(s) ; bordereaux {', '.join(numbers) or 'aucun'}")
    return answer
