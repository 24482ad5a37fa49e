"""What the Département decides by hand about a payment that nothing matched, through the service: set it aside or
allocate it to a bordereau, as `reconcile --ignorer ID` and `reconcile --affecter ID NUMERO` do (bordereau.ledger
.manual, traced in payment_actions under the session's login), written to the audit log; the answer is
`reconcile --json`'s for that action. The API (departement.py) and the page /suivi (departement_pages.py) call it."""

from __future__ import annotations

from bordereau.ledger import manual
from bordereau.ledger.journal import log
from bordereau.ledger.payments import unmatched
from bordereau.render.ledger_views import eur, reconcile_json

UnknownPayment = manual.UnknownPayment


def decide(ledger, user, payment_id: int, number: str | None = None) -> dict:
    """Set payment `payment_id` aside (`number` None) or allocate it to bordereau `number`. Raises UnknownPayment
    (404) or BordereauError (already matched or set aside, unknown bordereau: 422), nothing changed."""
    if number is None:
        row = manual.ignore(ledger, payment_id, by=user.login)
        done = [("écarté", row, None)]
        log(ledger, user.login, "payment", f"paiement n° {payment_id} ({eur(row['amount'])}) écarté à la main")
    else:
        row = manual.assign(ledger, payment_id, number, by=user.login)
        done = [("affecté", row, number)]
        log(ledger, user.login, "payment",
            f"paiement n° {payment_id} ({eur(row['amount'])}) affecté à la main au bordereau {number}")
    return reconcile_json([], unmatched(ledger), [], done)
