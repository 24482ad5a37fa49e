"""What a check finds: a summary of each bordereau read, the findings, and every dose line with its split."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from bordereau.findings import CountsFindings, Finding
from bordereau.identifiers import hide_all, hide_nirs
from bordereau.read.layout import Table


@dataclass(frozen=True)
class TableSummary:
    path: str
    sheet: str | None
    centre: str | None
    finess_geographique: str | None
    cpam: str | None
    lines: int
    errors: int
    warnings: int

    def as_dict(self) -> dict:
        """As every output shows it: a NIR-shaped run in the path, sheet name or header block masked."""
        return hide_all(dict(self.__dict__))


@dataclass
class CheckResult(CountsFindings):
    files: list[TableSummary]
    findings: list[Finding]
    lines: pd.DataFrame  # every dose line: typed columns + derived ones + `excluded` (an error touches it)
    tables: dict[tuple[str, str], Table] = field(default_factory=dict)  # (path, sheet) -> the bordereau read there

    def as_json(self) -> dict:
        return {"files": [s.as_dict() for s in self.files], "findings": [f.as_dict() for f in self.findings]}

    def pupils(self, only: set[tuple] | None = None) -> dict[tuple, str]:
        """The pupil of each dose line (of those `only` names, when given), as findings name it beside the cell:
        (path, sheet, row) -> « NOM P. »."""
        if self.lines.empty or "nom" not in self.lines:
            return {}
        lines = self.lines
        keys = zip(lines["path"].tolist(), lines["sheet"].tolist(), lines["row"].tolist(), strict=True)
        if only is not None:
            at = [k in only for k in keys]
            lines = lines[at]
            keys = zip(lines["path"].tolist(), lines["sheet"].tolist(), lines["row"].tolist(), strict=True)
        names = map(pupil_name, lines["nom"].tolist(), lines["prenom"].tolist())
        return {key: name for key, name in zip(keys, names, strict=True) if name}

    def shown(self) -> CheckResult:
        """The result as the terminal and the report show it: every NIR-shaped run masked (a NIR typed in a sheet
        name or the header block included); the lines and tables, for the annotated copy, are the workbook's."""
        return CheckResult([TableSummary(**s.as_dict()) for s in self.files],
                           [Finding(**f.as_dict()) for f in self.findings], self.lines, self.tables)


def pupil_name(nom: object, prenom: object) -> str:
    """A pupil as findings name them: last name and initial, a NIR typed there masked.

    >>> pupil_name("DUPONT", "Emma"), pupil_name("DUPONT", None), pupil_name(None, None)
    ('DUPONT E.', 'DUPONT', '')
    """
    parts = [str(nom) if isinstance(nom, str) else "", f"{prenom[0]}." if isinstance(prenom, str) and prenom else ""]
    return hide_nirs(" ".join(p for p in parts if p))
