"""What the finance officer decides by hand about a payment: set it aside (`reconcile --ignorer ID`: a credit that
is not a CPAM payment) or allocate it to a bordereau (`reconcile --affecter ID NUMERO`). Both are traced in the
ledger (table payment_actions: what, when, by whom: the login of the session in the service, the system's user at the
command line)."""

from __future__ import annotations

import getpass

import sqlalchemy as sa

from bordereau import clock
from bordereau.errors import BordereauError
from bordereau.ledger.schema import allocations, bordereaux, payment_actions, payments


class UnknownPayment(BordereauError):
    """No payment of the ledger has this number."""


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "inconnu"


def _payment(connection, payment_id: int):
    row = connection.execute(sa.select(payments).where(payments.c.id == payment_id)).mappings().first()
    if row is None:
        raise UnknownPayment(f"paiement n° {payment_id} inconnu du registre (voir bordereau status)")
    allocated = connection.execute(sa.select(sa.func.count()).select_from(allocations)
                                   .where(allocations.c.payment_id == payment_id)).scalar()
    if allocated:
        raise BordereauError(f"paiement n° {payment_id} déjà rapproché : rien n'est changé")
    if row["ignored_at"] is not None:
        raise BordereauError(f"paiement n° {payment_id} déjà écarté le {row['ignored_at']:%d/%m/%Y}")
    return row


def ignore(ledger, payment_id: int, by: str | None = None) -> dict:
    """Set an unmatched payment aside: it is no longer « non rapproché »; `by`: who (default: the system's user)."""
    now = clock.now()
    with ledger.engine.begin() as connection:
        row = _payment(connection, payment_id)
        connection.execute(payments.update().where(payments.c.id == payment_id).values(ignored_at=now))
        connection.execute(payment_actions.insert().values(payment_id=payment_id, action="ignorer", done_at=now,
                                                           done_by=by or _user()))
    return dict(row)


def assign(ledger, payment_id: int, number: str, by: str | None = None) -> dict:
    """Allocate the whole of an unmatched payment to bordereau `number`; `by`: who (default: the system's user)."""
    now = clock.now()
    with ledger.engine.begin() as connection:
        row = _payment(connection, payment_id)
        known = connection.execute(sa.select(bordereaux.c.number).where(bordereaux.c.number == number)).first()
        if known is None:
            raise BordereauError(f"bordereau inconnu du registre : {number}")
        connection.execute(allocations.insert().values(payment_id=payment_id, bordereau=number, amount=row["amount"],
                                                       rule="manuel"))
        connection.execute(payment_actions.insert().values(payment_id=payment_id, action="affecter", bordereau=number,
                                                           amount=row["amount"], done_at=now, done_by=by or _user()))
    return dict(row)
