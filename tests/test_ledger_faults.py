"""Faults of the ledger found by fault injection (issue 15): the dose history, copies of the ledger, interrupted
exports, line numbers, payment labels."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from conftest import GARDASIL, LILLE, pupil
from test_ledger import db, invoke, rows  # noqa: F401 - db is a fixture

from bordereau.samples import dose_line, write_bordereau

OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def test_a_dose_on_the_fir_statement_counts_in_the_history(db, ref, tmp_path: Path):  # noqa: F811
    centre = ref.centre_by_finess[LILLE]
    birth = dt.date(2013, 3, 12)
    without_rights = dose_line(ref, centre, pupil(3, birth, coverage="sans_droits", regime=None), GARDASIL,
                               dt.date(2026, 10, 2), 1)
    first = write_bordereau(tmp_path / "a.xlsx", centre, *OCTOBER, [without_rights])
    invoke("export", first, "--out", tmp_path / "e1")
    later = write_bordereau(tmp_path / "b.xlsx", centre, *OCTOBER,
                            [dose_line(ref, centre, pupil(3, birth), GARDASIL, dt.date(2026, 10, 3), 2)])
    doc = json.loads(invoke("check", later, "--json", code=1).stdout)
    [finding] = doc["findings"]
    assert finding["code"] == "DOSE_INTERVAL_TOO_SHORT"
    assert "la dose du 02/10/2026 (état FIR de l'export du " in finding["message"]
    refused = invoke("export", later, "--out", tmp_path / "e2", code=1)
    assert "DOSE_INTERVAL_TOO_SHORT" in refused.stdout and not (tmp_path / "e2").exists()


def test_reconcile_masks_nirs_in_payment_labels(db, tmp_path: Path):  # noqa: F811
    from bordereau.ledger.schema import payments

    statement = tmp_path / "releve.csv"
    statement.write_text("Date;Payeur;Montant;Libellé\n"
                         "01/10/2026;CPAM NORD 2 14 03 59 865 395 36;64,03;HPV ELEVE 214035986539536 SEPT\n",
                         encoding="utf-8")
    shown = invoke("reconcile", statement, code=1)
    stored = rows(db, payments)
    for text in (shown.stdout, stored[0]["label"], stored[0]["payer"]):
        assert "214035986539536" not in text.replace(" ", "") and "865" not in text
    assert stored[0]["label"] == "HPV ELEVE 2 14 03 59 *** *** ** SEPT"
    assert stored[0]["payer"] == "CPAM NORD 2 14 03 59 *** *** **"
    assert "HPV ELEVE 2 14 03 59 *** *** ** SEPT" in " ".join(shown.stdout.split())
