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

from bordereau.findings import title


@functools.cache
def _table() -> tuple[dict[str, str], tuple[re.Pattern, ...]]:
    from bordereau.render.html import data

    table = data("motifs_rejet.yaml")
    return table["motifs"], tuple(re.compile(p, re.IGNORECASE) for p in table.get("retirer", ()))


_WORD = re.compile(r"[^\s«»()]+")
_FILE_NAME = re.compile(r"[^/\\]+?\.(?:xlsx|xlsm|xls|ods|csv)", re.IGNORECASE)


def file_names_only(text: str) -> str:
    r"""Each path to a workbook in `text` reduced to the file's name: no folder of the agent's or a centre's computer.
    Word by word, in linear time (a regular expression over the whole text backtracked for minutes on a long word).

    >>> file_names_only("la ligne 25 de C:\\Users\\agent\\Bureau\\lille.xlsx (Bordereau), /tmp/x/b.ods.")
    'la ligne 25 de lille.xlsx (Bordereau), b.ods.'
    >>> file_names_only("a/b" * 50_000 + " 1/2 et 3/4")[-10:]
    '1/2 et 3/4'
    """
    def shorten(word: re.Match) -> str:
        text = word.group()
        cut = max(text.rfind("/"), text.rfind("\\"))
        return text[cut + 1:] if cut >= 0 and _FILE_NAME.match(text, cut + 1) else text

    return _WORD.sub(shorten, text)


def detail(message: str) -> str:
    """A finding's message without advice, the tool's files, nor the agent's folders (a file's name only).

    >>> detail("même date que la ligne 23 de /home/agent/reçus/sps-lille.xlsx (Bordereau)")
    'même date que la ligne 23 de sps-lille.xlsx (Bordereau)'
    """
    message = file_names_only(message)
    for pattern in _table()[1]:
        message = pattern.sub("", message)
    return message.strip(" ;")


def motive(code: str, messages: list[str]) -> str:
    reason = _table()[0].get(code) or title(code)
    details = [d for d in dict.fromkeys(detail(m) for m in messages) if d]
    if not details:
        return reason
    return f"{reason} – {' ; '.join(details)}"
