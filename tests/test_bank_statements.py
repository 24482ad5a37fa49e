"""Real bank statements in `reconcile`: cp1252, Date / Libellé / Débit / Crédit, debits ignored, unreadable lines
reported; a payment known again by date, amount and account; payments set aside or allocated by hand, traced."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from test_ledger import _deposit_and_pay, db, invoke, rows  # noqa: F401  (fixtures)

from bordereau.ledger import open_ledger
from bordereau.ledger.schema import allocations, payment_actions, payments, schema_version


def bank_statement(path: Path, lines: list[str], label_of_first: str = "VIR CPAM LILLE DOUAI HPV") -> Path:
    """What a bank exports: a preamble naming the account, then Date;Libellé;Débit;Crédit, in cp1252."""
    text = "\r\n".join([
        "Relevé de compte;;;", "Compte courant n° 0012 3456 789;;;", "IBAN : FR76 3000 1000 6400 0000 0000 123;;;",
        ";;;", "Date;Libellé;Débit;Crédit",
        "30/09/2026;PRÉLÈVEMENT URSSAF;1 250,00;",
        f"02/10/2026;{label_of_first};;128,06",
        *lines,
    ]) + "\r\n"
    path.write_bytes(text.encode("cp1252"))
    return path


def test_a_bank_statement_in_cp1252_imports_its_credits_and_reports_unreadable_lines(db, ref, tmp_path: Path):
    first, second = _deposit_and_pay(db, ref, tmp_path)  # 128,06 EUR and 64,03 EUR
    statement = bank_statement(tmp_path / "releve.csv", [
        "03/10/2026;FRAIS DE TENUE DE COMPTE;4,50;",
        "05/10/2026;VIR CPAM 595 RÈGLEMENT;;64,03",
        "07/10/2026;VIR ???;;douze euros",
        "08/10/2026;VIR MAIRIE DE LILLE SUBVENTION;;12,00",
    ])
    result = invoke("reconcile", statement, "--json", code=1)
    doc = json.loads(result.stdout)
    assert [(p["date"], p["amount"]) for p in doc["payments"]] == [
        ("2026-10-02", "128.06"), ("2026-10-05", "64.03"), ("2026-10-08", "12.00")]
    assert [p["allocations"][0]["bordereau"] if p["allocations"] else None for p in doc["payments"]] == [
        first, second, None]
    assert doc["unreadable"] == [{"file": "releve.csv", "row": 10, "reason": "date ou montant illisible"}]
    assert [u["label"] for u in doc["unmatched"]] == ["VIR MAIRIE DE LILLE SUBVENTION"]
    text = invoke("reconcile", statement, code=1)
    assert "Ligne illisible, non importée : releve.csv, ligne 10 : date ou montant illisible" in text.stderr
    assert [r["account"] for r in rows(db, payments)] == ["FR7630001000640000000000123"] * 3


def test_an_edited_label_imported_again_is_the_same_payment(db, ref, tmp_path: Path):
    _deposit_and_pay(db, ref, tmp_path)
    invoke("reconcile", bank_statement(tmp_path / "a.csv", ["05/10/2026;VIR;;64,03", "05/10/2026;VIR;;64,03"]),
           code=1)  # the second 64,03 of that day matches nothing
    edited = bank_statement(tmp_path / "b.csv", ["05/10/2026;VIR CPAM;;64,03", "05/10/2026;VIR CPAM bis;;64,03"],
                            label_of_first="VIR CPAM HPV SEPTEMBRE (libellé corrigé)")
    doc = json.loads(invoke("reconcile", edited, "--json", code=1).stdout)
    assert [p["duplicate"] for p in doc["payments"]] == [True, True, True]
    assert len(rows(db, payments)) == 3  # two equal transfers on one day stay two payments, none is added


def test_a_payment_set_aside_or_allocated_by_hand_is_traced(db, ref, tmp_path: Path):
    first, _ = _deposit_and_pay(db, ref, tmp_path)
    statement = tmp_path / "releve.csv"
    statement.write_text("Date;Payeur;Montant;Libellé\n06/10/2026;MAIRIE DE LILLE;12,00;SUBVENTION\n"
                         "07/10/2026;TRESOR PUBLIC;128,06;VIREMENT DIVERS\n", encoding="utf-8")
    doc = json.loads(invoke("reconcile", statement, "--json", code=1).stdout)
    mairie, tresor = (p["id"] for p in doc["payments"])
    status = invoke("status")
    assert "2 paiement(s) non rapproché(s)" in status.stdout and f"n° {mairie}" in status.stdout
    assert [u["id"] for u in json.loads(invoke("status", "--json").stdout)["unmatched_payments"]] == [mairie, tresor]
    page = tmp_path / "suivi.html"
    invoke("status", "--report", page)
    assert "Paiements non rapprochés" in page.read_text(encoding="utf-8")

    result = invoke("reconcile", "--ignorer", mairie, code=1)  # the Trésor's payment is still unmatched
    assert f"Paiement n° {mairie} du 06/10/2026 (12,00 EUR) écarté" in result.stdout
    assert "déjà écarté" in invoke("reconcile", "--ignorer", mairie, code=2).stderr
    invoke("reconcile", "--affecter", tresor, first)
    assert "déjà rapproché" in invoke("reconcile", "--affecter", tresor, first, code=2).stderr
    assert "inconnu du registre" in invoke("reconcile", "--ignorer", 999, code=2).stderr
    assert "donnez un relevé" in invoke("reconcile", code=2).stderr
    actions = sorted((r["payment_id"], r["action"], r["bordereau"], r["amount"]) for r in rows(db, payment_actions))
    assert actions == [(mairie, "ignorer", None, None), (tresor, "affecter", first, 12806)]
    assert {(r["bordereau"], r["rule"]) for r in rows(db, allocations)} >= {(first, "manuel")}
    doc = json.loads(invoke("status", "--json").stdout)
    assert doc["unmatched_payments"] == []
    assert {b["bordereau"]: b["state"] for b in doc["bordereaux"]}[first] == "payé"
    assert json.loads(invoke("reconcile", statement, "--json").stdout)["unmatched"] == []  # exit 0 from now on


def test_migration_6_recomputes_the_fingerprints_of_payments_imported_before(db, tmp_path: Path):
    ledger = open_ledger(db)
    with ledger.engine.begin() as connection:  # as a version-5 ledger left them: label in the fingerprint
        for n, label in enumerate(("VIR HPV", "VIR HPV corrigé")):
            connection.execute(payments.insert().values(
                paid_on=sa.func.current_date(), payer="CPAM 595", amount=6403, label=label, source="r.csv",
                fingerprint=f"old-{n}", imported_at=sa.func.current_timestamp()))
        connection.execute(schema_version.delete().where(schema_version.c.version >= 6))  # v6 and those after
    ledger.engine.dispose()
    again = open_ledger(db)
    again.engine.dispose()
    fingerprints = [r["fingerprint"] for r in rows(db, payments)]
    assert len(set(fingerprints)) == 2 and not any(f.startswith(("old-", "v6-")) for f in fingerprints)
