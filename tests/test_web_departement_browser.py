"""The Département's week in a real browser (Debian's chromium, headless, driven by selenium), a screenshot of each
step at 1366x768: log in with the keyboard, see the week's deposits (the missing centres stand out), export for a
CPAM, download the zip and the PDF to sign, mark it sent, import a payment statement and a rejection statement, see
the follow-up with its chart and the audit log. Skipped when chromium is not installed (.ci/run installs it).

Screenshots go to $BORDEREAU_SCREENSHOTS when set, else to the test's temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import Screenshots, browser, pytestmark, serving  # noqa: F401 (the fixture and the skip mark)
from service import CAMBRAI, LILLE, PASSWORD, REF, TODAY, workbook

from bordereau import clock


@pytest.fixture
def server(tmp_path: Path):
    """The service with three accounts, Lille and Cambrai having deposited their October bordereaux."""
    from service import TestClient

    from bordereau.ledger import open_ledger
    from bordereau.ledger.accounts import add_user
    from bordereau.web import create_app

    db, key = str(tmp_path / "ledger.sqlite"), tmp_path / "ledger.key"
    ledger = open_ledger(db, key)
    for login, centre in (("lille", LILLE), ("cambrai", CAMBRAI)):
        add_user(ledger, REF, login, PASSWORD, "centre", [centre])
    add_user(ledger, REF, "finances", PASSWORD, "departement")
    app = create_app(db, key, checkers=1)
    with clock.fixed(TODAY):
        for login, centre, first in (("lille", LILLE, 0), ("cambrai", CAMBRAI, 10)):
            client = TestClient(app)
            csrf = client.post("/api/session", json={"login": login, "password": PASSWORD}).json()["csrf"]
            path = workbook(tmp_path / f"{login}.xlsx", centre, n=3, first=first)
            sent = client.post("/api/bordereaux", files={"fichier": (path.name, path.read_bytes())},
                               headers={"X-CSRF-Token": csrf}).json()
            client.post(f"/api/bordereaux/{sent['id']}/depot", headers={"X-CSRF-Token": csrf})
    with serving(app) as url:
        yield url
    app.state.checker.close()


def test_the_departements_week_in_a_browser(server, browser, tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    shot = Screenshots(browser, tmp_path, "departement-")

    def wait_for(css: str):
        return WebDriverWait(browser, 60).until(ready.presence_of_element_located((By.CSS_SELECTOR, css)))

    browser.get(server + "/")
    browser.find_element(By.ID, "login").send_keys("finances")
    browser.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    WebDriverWait(browser, 20).until(ready.url_contains("/departement"))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Dépôts du 23/11/2026 au 29/11/2026" in main and "Rien reçu depuis 7 jours" in main
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.error")) == len(REF.centres) - 2  # the silent centres
    shot("depots-de-la-semaine")

    browser.find_element(By.XPATH, "//button[normalize-space()='Exporter pour la CPAM 595']").click()
    assert "Export 1 fait pour la CPAM 595" in wait_for(".flash.ok").text
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    shot("export-fait")
    browser.find_element(By.LINK_TEXT, "Télécharger le dossier PETRA (zip)").click()
    target = browser.downloads / "export-1-595-lille-douai.zip"
    WebDriverWait(browser, 30).until(lambda _: target.exists() and target.stat().st_size > 0)
    browser.find_element(By.LINK_TEXT, "recapitulatif-595.pdf").click()
    pdf = browser.downloads / "recapitulatif-595.pdf"
    WebDriverWait(browser, 30).until(lambda _: pdf.exists() and pdf.read_bytes().startswith(b"%PDF"))

    browser.find_element(By.XPATH, "//button[normalize-space()='Enregistrer']").click()
    WebDriverWait(browser, 20).until(lambda b: "envoyé le 23/11/2026" in b.page_source)
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    shot("envoye")

    browser.find_element(By.LINK_TEXT, "Suivi des paiements").click()
    statement = tmp_path / "releve-novembre.csv"
    number = f"HPV-595-{LILLE}-20261123-1"
    statement.write_text(f"Date;Payeur;Montant;Libellé\n23/11/2026;CPAM 595;50,00;VIR {number}\n"
                         "23/11/2026;MAIRIE DE LILLE;12,00;SUBVENTION\n", encoding="utf-8")
    browser.find_element(By.ID, "releve").send_keys(str(statement))
    browser.find_element(By.XPATH, "//button[normalize-space()='Importer les paiements']").click()
    assert "2 paiement(s) nouveau(x), 1 rapproché(s)" in wait_for(".flash.ok").text
    shot("paiements-importes")
    rejections = tmp_path / "rejets-595.csv"
    rejections.write_text(f"N° de bordereau;N° de ligne;Code;Motif\n{number};2;R12;Droits non ouverts\n",
                          encoding="utf-8")
    browser.find_element(By.ID, "etat").send_keys(str(rejections))
    browser.find_element(By.XPATH, "//button[normalize-space()='Importer les rejets']").click()
    WebDriverWait(browser, 60).until(lambda b: "État de rejets importé" in b.page_source)  # the page after the post
    assert "1 ligne(s) rejetée(s)" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    browser.execute_script("window.scrollTo(0, document.querySelector('svg').getBoundingClientRect().top - 20)")
    shot("suivi-graphique")
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    assert "SUBVENTION" in browser.page_source
    shot("suivi-non-rapproches")

    browser.find_element(By.LINK_TEXT, "Bordereaux des centres").click()
    states = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "td .state")]
    assert sorted(states) == ["déposé", "partiel"]
    shot("bordereaux-des-centres")
    browser.find_element(By.LINK_TEXT, "Journal").click()
    text = browser.find_element(By.TAG_NAME, "main").text
    for what in ("export", "envoyé", "téléchargement", "paiements", "rejets"):
        assert what in text
    shot("journal")
    assert all(p.stat().st_size > 10_000 for p in shot.taken)
