"""Manual payment matching through the service: the Département allocates an unmatched payment to a bordereau, or
sets it aside, through the API and the page /suivi; the answers are `reconcile --affecter/--ignorer --json`'s on a
ledger fed the same files by the CLI, the follow-up is `status --json`'s, each decision is in payment_actions under
the session's login and in the audit log; anyone else gets 404 (401 without a session)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import sqlalchemy as sa
from service import TODAY, service  # noqa: F401 (service: the fixture)
from test_web_departement import DEP, cli_run, post, runner, three_centres

from bordereau.ledger.schema import payment_actions
from cli import app as cli


def statement(path: Path) -> Path:
    """Two credits that no rule matches: a CPAM transfer without a bordereau number, a town's grant."""
    path.write_text("Date;Payeur;Montant;Libellé\n"
                    "23/11/2026;CPAM 595;7,77;VIR DIVERS NOVEMBRE\n"
                    "23/11/2026;MAIRIE;12,00;SUBVENTION\n", encoding="utf-8")
    return path


def cli_json(*args) -> dict:
    result = runner.invoke(cli, [*map(str, args), "--json", "--today", TODAY.isoformat()], catch_exceptions=False)
    return json.loads(result.stdout)


def test_the_api_allocates_and_sets_aside_as_reconcile_does(service, tmp_path: Path):
    files = three_centres(service, tmp_path / "envois")
    made = post(service, DEP, "/api/exports", json={"cpam": "595"}).json()
    number = made["manifest"]["files"][0]["number"]
    releve = statement(tmp_path / "releve.csv")
    imported = post(service, DEP, "/api/paiements", files={"releve": ("releve.csv", releve.read_bytes())}).json()
    ids = {u["label"]: u["id"] for u in imported["unmatched"]}
    assert set(ids) == {"VIR DIVERS NOVEMBRE", "SUBVENTION"}
    assigned = post(service, DEP, f"/api/paiements/{ids['VIR DIVERS NOVEMBRE']}/affecter", json={"bordereau": number})
    ignored = post(service, DEP, f"/api/paiements/{ids['SUBVENTION']}/ignorer")
    assert assigned.status_code == 200 and ignored.status_code == 200, (assigned.text, ignored.text)
    # the CLI on its own ledger, the same files, the same decisions
    db, key = tmp_path / "cli.sqlite", tmp_path / "cli.key"
    cli_run("export", files["centre_a"], files["centre_c"], "--out", tmp_path / "export-cli", "--db", db,
            "--key-file", key)
    assert cli_json("reconcile", releve, "--db", db, "--key-file", key)["unmatched"] == imported["unmatched"]
    expected_assign = cli_json("reconcile", "--affecter", ids["VIR DIVERS NOVEMBRE"], number, "--db", db,
                               "--key-file", key)
    expected_ignore = cli_json("reconcile", "--ignorer", ids["SUBVENTION"], "--db", db, "--key-file", key)
    assert assigned.json() == expected_assign and ignored.json() == expected_ignore
    assert assigned.json()["manual"] == [{"id": ids["VIR DIVERS NOVEMBRE"], "action": "affecté", "bordereau": number}]
    assert ignored.json()["unmatched"] == []
    follow = service.as_(DEP).get("/api/suivi").json()
    assert follow == cli_json("status", "--db", db, "--key-file", key)
    # traced: who (the session's login), what; and in the audit log
    with service.ledger.engine.connect() as connection:
        traced = connection.execute(sa.select(payment_actions.c.action, payment_actions.c.done_by,
                                              payment_actions.c.bordereau).order_by(payment_actions.c.id)).all()
    assert [tuple(t) for t in traced] == [("affecter", DEP, number), ("ignorer", DEP, None)]
    details = [e["detail"] for e in service.as_(DEP).get("/api/journal", params={"action": "payment"}).json()]
    assert any(f"affecté à la main au bordereau {number}" in d for d in details)
    assert any(f"paiement n° {ids['SUBVENTION']} (12,00" in d and "écarté à la main" in d for d in details)


def test_the_apis_refusals_change_nothing(service, tmp_path: Path):
    three_centres(service, tmp_path / "envois")
    number = post(service, DEP, "/api/exports", json={"cpam": "595"}).json()["manifest"]["files"][0]["number"]
    releve = statement(tmp_path / "releve.csv")
    ids = [u["id"] for u in post(service, DEP, "/api/paiements",
                                 files={"releve": ("releve.csv", releve.read_bytes())}).json()["unmatched"]]
    unknown = post(service, DEP, "/api/paiements/999/ignorer")
    assert unknown.status_code == 404 and "paiement n° 999 inconnu" in unknown.json()["detail"]
    no_number = post(service, DEP, f"/api/paiements/{ids[0]}/affecter", json={})
    assert no_number.status_code == 400
    wrong = post(service, DEP, f"/api/paiements/{ids[0]}/affecter", json={"bordereau": "HPV-595-0-20261123-9"})
    assert wrong.status_code == 422 and "bordereau inconnu du registre" in wrong.json()["detail"]
    assert post(service, DEP, f"/api/paiements/{ids[0]}/ignorer").status_code == 200
    again = post(service, DEP, f"/api/paiements/{ids[0]}/affecter", json={"bordereau": number})
    assert again.status_code == 422 and "déjà écarté" in again.json()["detail"]
    client = service.as_(DEP)
    assert client.post(f"/api/paiements/{ids[1]}/ignorer").status_code == 403  # no CSRF token
    assert service.count("payment_actions") == 1


def test_only_the_departement_reaches_the_actions(service, tmp_path: Path):
    three_centres(service, tmp_path / "envois")
    post(service, DEP, "/api/exports", json={"cpam": "595"})
    releve = statement(tmp_path / "releve.csv")
    [first, _] = [u["id"] for u in post(service, DEP, "/api/paiements",
                                        files={"releve": ("releve.csv", releve.read_bytes())}).json()["unmatched"]]
    for url in (f"/api/paiements/{first}/ignorer", f"/api/paiements/{first}/affecter",
                f"/suivi/paiements/{first}/ignorer", f"/suivi/paiements/{first}/affecter"):
        assert service.client().post(url).status_code == (401 if url.startswith("/api/") else 303), url
        for role in ("centre_a", "centre_b", "cpam_595", "cpam_599"):
            client = service.as_(role)
            answer = client.post(url, headers={"X-CSRF-Token": service.csrf[role]},
                                 json={"bordereau": "x"} if "/api/" in url else None,
                                 data=None if "/api/" in url else {"csrf": service.csrf[role], "bordereau": "x"})
            assert answer.status_code == 404, (url, role, answer.status_code)
    assert service.count("payment_actions") == 0


def test_the_follow_up_page_lists_the_actions_and_applies_them(service, tmp_path: Path):
    three_centres(service, tmp_path / "envois")
    number = post(service, DEP, "/api/exports", json={"cpam": "595"}).json()["manifest"]["files"][0]["number"]
    client, csrf = service.login(DEP)
    imported = client.post("/suivi/paiements", data={"csrf": csrf},
                           files={"releve": ("releve.csv", statement(tmp_path / "releve.csv").read_bytes())})
    assert imported.status_code == 200 and "SUBVENTION" in imported.text
    page = client.get("/suivi").text
    first, second = (int(n) for n in sorted(re.findall(r"/suivi/paiements/(\d+)/ignorer", page)))
    assert f'action="/suivi/paiements/{first}/affecter"' in page and f'<option value="{number}">' in page
    assert "bordereau reconcile --affecter" not in page  # the page's own actions, not the command's
    assert client.post(f"/suivi/paiements/{first}/ignorer", data={}).status_code == 403  # no CSRF token
    missing = client.post(f"/suivi/paiements/{first}/affecter", data={"csrf": csrf, "bordereau": " "})
    assert missing.status_code == 422 and "Saisissez le numéro du bordereau" in missing.text
    wrong = client.post(f"/suivi/paiements/{first}/affecter", data={"csrf": csrf, "bordereau": "HPV-X"})
    assert wrong.status_code == 422 and "bordereau inconnu du registre : HPV-X" in wrong.text
    done = client.post(f"/suivi/paiements/{first}/affecter", data={"csrf": csrf, "bordereau": number})
    assert done.status_code == 200 and f"Paiement n° {first} affecté au bordereau {number}." in done.text
    aside = client.post(f"/suivi/paiements/{second}/ignorer", data={"csrf": csrf})
    assert aside.status_code == 200 and f"Paiement n° {second} écarté" in aside.text
    assert "Paiements non rapprochés" not in aside.text
    assert client.post("/suivi/paiements/999/ignorer", data={"csrf": csrf}).status_code == 404
    assert service.count("payment_actions") == 2
