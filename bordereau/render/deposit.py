"""What goes onto PETRA for one caisse, in what order, and what is signed: said the same way by LISEZMOI.txt, the
recap page and the recap PDF.

The CPAM pays on signed documents: each bordereau's PDF and the recap's PDF are printed, dated, signed and stamped,
then scanned; the workbooks go with them, unchanged, for the caisse's processing, and manifest.json lets it check
they were not modified.
"""

from __future__ import annotations

from dataclasses import dataclass

from bordereau.export.plan import Bordereau


@dataclass(frozen=True)
class Step:
    name: str  # the file, as written in the export folder
    what: str  # what to do with it
    signed: bool


def recap_pdf_name(code: str) -> str:
    return f"recapitulatif-{code}.pdf"


def pdf_name(b: Bordereau) -> str:
    return f"{b.number}.pdf"


def deposit_steps(code: str, bordereaux: list[Bordereau]) -> list[Step]:
    """The files to deposit on PETRA, in order."""
    steps = [Step(recap_pdf_name(code), "récapitulatif imprimé, daté, signé et cacheté, puis numérisé (PDF)", True)]
    for b in bordereaux:
        steps.append(Step(pdf_name(b), f"bordereau de {b.centre.nom} imprimé, daté, signé et cacheté, puis numérisé "
                                       "(PDF)", True))
        steps.append(Step(b.file_name, "le même bordereau en tableau, tel quel (saisie par la caisse)", False))
    steps.append(Step("manifest.json", "empreintes des fichiers (la caisse vérifie qu'ils n'ont pas été modifiés)",
                      False))
    return steps


def deposit_lines(code: str, bordereaux: list[Bordereau]) -> list[str]:
    """The steps as numbered French lines."""
    return [f"{k}. {s.name} : {s.what}" for k, s in enumerate(deposit_steps(code, bordereaux), start=1)]


def to_sign(code: str, bordereaux: list[Bordereau]) -> list[str]:
    return [s.name for s in deposit_steps(code, bordereaux) if s.signed]
