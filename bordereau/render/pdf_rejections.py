"""The audit's rejection statement as a PDF for the Département: the caisse, who billed, the date, each refused line
with the caisse's motive, the total refused, then the « bon à payer » per bordereau and the caisse's signature block
on the last page."""

from __future__ import annotations

from pathlib import Path

from bordereau.audit.model import Audit
from bordereau.render.audit_files import caisse, departement, departement_rows, statement_number
from bordereau.render.pdf_bordereau import eur
from bordereau.render.pdf_layout import Column, Document, texts

REJECTION_COLUMNS = (Column("N° de bordereau", min_mm=42), Column("N° de ligne", "R"), Column("Bénéficiaire"),
                     Column("Code"), Column("Motif du rejet", min_mm=80), Column("Montant refusé", "R"))
PAYMENT_COLUMNS = (Column("N° de bordereau", min_mm=42), Column("Centre"), Column("Lignes", "R"),
                   Column("Lignes rejetées", "R"), Column("Montant réclamé", "R"), Column("Montant accepté", "R"),
                   Column("Montant refusé", "R"))


def rejections_pdf(audit: Audit, reference=None) -> Document:
    t = texts()["rejections"]
    doc = Document(t["title"], statement_number(audit), landscape=True)
    doc.title_block(t["title"])
    who = departement(audit, reference)
    cpam = caisse(audit, reference)
    doc.fields([("Caisse", cpam), ("Destinataire", who), ("Date du contrôle", f"{audit.today:%d/%m/%Y}"),
                ("Bordereaux contrôlés", str(len(audit.bordereaux)))])
    name = reference.cpams[audit.cpam].nom if reference is not None and audit.cpam in reference.cpams else "caisse"
    doc.paragraph(t["intro"].format(cpam=name, departement=who))
    doc.ln(2)
    rows = departement_rows(audit)
    if rows:
        table = [[r["bordereau"], str(r["ligne"]), r["beneficiaire"], r["code"], r["motif"], eur(r["montant"])]
                 for r in rows]
        table.append(["TOTAL", str(len(rows)), "", "", "", eur(audit.total.rejected)])
        doc.grid(REJECTION_COLUMNS, table, bold_last=True)
    else:
        doc.paragraph(t["none"], bold=True)
    doc.heading(t["bon_a_payer"])
    doc.paragraph(t["bon_a_payer_intro"])
    doc.ln(1)
    table = [[s.number, s.centre or "", str(s.amounts.lines), str(s.amounts.rejected_lines), eur(s.amounts.claimed),
              eur(s.amounts.accepted), eur(s.amounts.rejected)] for s in audit.bordereaux]
    total = audit.total
    table.append(["TOTAL", "", str(total.lines), str(total.rejected_lines), eur(total.claimed), eur(total.accepted),
                  eur(total.rejected)])
    doc.grid(PAYMENT_COLUMNS, table, size=8, bold_last=True)
    doc.signature(t["certification"], lead=f"Bon à payer : {eur(total.accepted)} (réclamé {eur(total.claimed)}, "
                                           f"refusé {eur(total.rejected)}).")
    return doc


def write_rejections_pdf(path: Path, audit: Audit, inputs: tuple[Path, ...] = (), reference=None) -> None:
    rejections_pdf(audit, reference).save(path, inputs)
