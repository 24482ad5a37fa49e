"""The CPAM's motive for a rejected line, as the rejection statement says it to the Département: the caisse's
reason (templates/motifs_rejet.yaml), then the finding's detail without advice to a centre nor the tool's files.

>>> motive("VACCINE_UNKNOWN", ["Code « 3400930000001 » : vaccin inconnu des tarifs (vérifiez le code sur la boîte ; "
...                             "s'il est juste, signalez-le au Département)"])
'Vaccin non inscrit aux tarifs de la campagne – Code « 3400930000001 » : vaccin inconnu des tarifs'
>>> motive("CENTRE_UNKNOWN", ["FINESS géographique « 590000000 » : aucun centre de centres.yaml ne porte ce numéro"])
'Centre de vaccination non conventionné – FINESS géographique « 590000000 » : aucun centre ne porte ce numéro'
"""

from __future__ import annotations

import functools
import re

from .findings import title


@functools.cache
def _table() -> tuple[dict[str, str], tuple[re.Pattern, ...]]:
    from .render.html import data

    table = data("motifs_rejet.yaml")
    return table["motifs"], tuple(re.compile(p, re.IGNORECASE) for p in table.get("retirer", ()))


PATH = re.compile(r"(?:[A-Za-z]:)?[^\s«»()]*[/\\]([^/\\\s«»()]+\.(?:xlsx|xlsm|xls|ods|csv))", re.IGNORECASE)


def detail(message: str) -> str:
    """A finding's message without advice, the tool's files, nor the agent's folders (a file's name only).

    >>> detail("même date que la ligne 23 de /home/agent/reçus/sps-lille.xlsx (Bordereau)")
    'même date que la ligne 23 de sps-lille.xlsx (Bordereau)'
    """
    message = PATH.sub(r"\1", message)
    for pattern in _table()[1]:
        message = pattern.sub("", message)
    return message.strip(" ;")


def motive(code: str, messages: list[str]) -> str:
    reason = _table()[0].get(code) or title(code)
    details = [d for d in dict.fromkeys(detail(m) for m in messages) if d]
    if not details:
        return reason
    return f"{reason} – {' ; '.join(details)}"
