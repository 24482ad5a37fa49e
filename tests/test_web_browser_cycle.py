"""The weekly cycle end to end in a real browser (Debian's chromium, headless, driven by selenium), every step on the
pages, a screenshot of each: three centres log in and drop their October bordereau on their page and deposit it; the
Département exports for CPAM 595 and 599 and marks both sent; the CPAM 595 agent downloads its export, audits a copy
whose Haubourdin line is dated outside the period (that line rejected, its whole amount) and downloads the rejection
statement; the Département imports that statement and a bank statement on its follow-up page, which then shows each
bordereau's state: payé, partiel, rejeté. Skipped when chromium is not installed (.ci/run installs it).

Screenshots go to $BORDEREAU_SCREENSHOTS when set, else to the test's temporary folder."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from browsing import Screenshots, browser, pytestmark, serving  # noqa: F401 (the fixture and the skip mark)
from conftest import edit_workbook
from service import CAMBRAI, LILLE, PASSWORD, REF, TODAY, workbook

from bordereau import clock

HAUBOURDIN = "590780094"  # the SPS d'Haubourdin, CPAM 595 like Lille; Cambrai is CPAM 599
CENTRES = (("lille", LILLE, 3, 0), ("haubourdin", HAUBOURDIN, 1, 10), ("cambrai", CAMBRAI, 2, 20))
FIRST, DATE_COLUMN = 10, 10  # exported layout: first line on row 10, « Date d'administration » in column J


@pytest.fixture
def server(tmp_path: Path):
    """The service on a loopback port (tests/browsing.py), with the three centres' accounts, the Département's and
    the CPAM 595 agent's; nothing deposited yet."""
    from bordereau.ledger import open_ledger
    from bordereau.ledger.accounts import add_user
    from bordereau.web import create_app

    db, key = str(tmp_path / "ledger.sqlite"), tmp_path / "ledger.key"
    ledger = open_ledger(db, key)
    for login, finess, _, _ in CENTRES:
        add_user(ledger, REF, login, PASSWORD, "centre", [finess])
    add_user(ledger, REF, "finances", PASSWORD, "departement")
    add_user(ledger, REF, "agent595", PASSWORD, "cpam", None, "595")
    app = create_app(db, key, checkers=1)
    with serving(app) as url, clock.fixed(TODAY):
        yield url
    app.state.checker.close()


def test_the_weekly_cycle_in_a_browser(server, browser, tmp_path: Path):
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    shot = Screenshots(browser, tmp_path, "cycle-")

    def _gone(element) -> bool:
        """Whether the page that held `element` was replaced (chromium says so in more than one way)."""
        try:
            element.is_enabled()
        except WebDriverException:  # stale, or chromium's « Node with given id does not belong to the document »
            return True
        return False

    def wait_for(css: str, seconds: int = 60):
        return WebDriverWait(browser, seconds).until(ready.presence_of_element_located((By.CSS_SELECTOR, css)))

    def submit(button) -> None:
        """Click a form's button and wait for the page it posts to (the old page gone first)."""
        old = browser.find_element(By.TAG_NAME, "html")
        button.click()
        WebDriverWait(browser, 120).until(lambda _: _gone(old))
        WebDriverWait(browser, 120).until(lambda b: b.execute_script("return document.readyState") == "complete")

    def click(text: str) -> None:
        submit(browser.find_element(By.XPATH, f"//button[normalize-space()=\"{text}\"]"))

    def log_in(login: str, lands_on: str) -> None:
        browser.get(server + "/")
        browser.find_element(By.ID, "login").send_keys(login)
        browser.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
        WebDriverWait(browser, 20).until(ready.url_contains(lands_on))

    def log_out() -> None:
        click("Se déconnecter")
        WebDriverWait(browser, 20).until(ready.url_contains("/connexion"))

    def downloaded(pattern: str) -> Path:
        return WebDriverWait(browser, 30).until(lambda _: next(
            (p for p in browser.downloads.glob(pattern) if p.stat().st_size > 0), None))

    def main_text() -> str:
        return browser.find_element(By.TAG_NAME, "main").text.replace("\u202f", " ")

    # 1. each centre logs in, drops its bordereau on its page and deposits it
    for login, finess, lines, first in CENTRES:
        log_in(login, "/bordereaux")
        browser.find_element(By.ID, "fichiers").send_keys(str(workbook(tmp_path / f"sps-{login}-2026-10.xlsx", finess,
                                                                       n=lines, first=first)))
        submit(browser.find_element(By.CSS_SELECTOR, ".drop button[type=submit]"))
        wait_for(".badge.ok")
        assert "Aucune anomalie" in browser.page_source
        click("Déposer ce bordereau")
        assert "Bordereau déposé" in wait_for(".flash.ok").text
        shot(f"depot-{login}")
        log_out()

    # 2. the Département exports for both CPAM, takes both folders and marks both exports sent
    log_in("finances", "/departement")
    assert len(browser.find_elements(By.CSS_SELECTOR, "td .state.déposé")) == 3
    shot("departement-trois-depots")
    click("Exporter pour la CPAM 595")
    assert "Export 1 fait pour la CPAM 595" in wait_for(".flash.ok").text
    browser.get(server + "/departement")
    click("Exporter pour la CPAM 599")
    assert "Export 2 fait pour la CPAM 599" in wait_for(".flash.ok").text
    browser.get(server + "/departement")
    for link in browser.find_elements(By.LINK_TEXT, "Télécharger le dossier PETRA (zip)"):
        link.click()
    totals = {}
    for cpam in ("595", "599"):
        with zipfile.ZipFile(downloaded(f"export-*-{cpam}-*.zip")) as archive:
            [name] = [n for n in archive.namelist() if n.endswith("/manifest.json")]
            totals.update({f["number"]: f for f in json.loads(archive.read(name))["files"]})
    for _ in range(2):
        click("Enregistrer")
    assert browser.page_source.count("envoyé le 23/11/2026") == 2
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    shot("exports-envoyes")
    log_out()
    number = {finess: next(n for n in totals if f"-{finess}-" in n) for _, finess, _, _ in CENTRES}
    assert {n: f["lines"] for n, f in totals.items()} == {number[LILLE]: 3, number[HAUBOURDIN]: 1, number[CAMBRAI]: 2}

    # 3. the CPAM 595 agent downloads its export, audits a copy with Haubourdin's line moved out of October
    log_in("agent595", "/cpam")
    text = main_text()
    assert number[LILLE] in text and number[HAUBOURDIN] in text and number[CAMBRAI] not in text
    shot("cpam-exports")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Télécharger (zip)").click()
    received = tmp_path / "recu"
    with zipfile.ZipFile(downloaded("export-1-595-*.zip")) as archive:
        [name] = [n for n in archive.namelist() if f"/{number[HAUBOURDIN]}" in n and n.endswith(".xlsx")]
        archive.extract(name, received)
    forged = Path(shutil.copy(received / name, tmp_path / Path(name).name))
    edit_workbook(forged, lambda ws: ws.cell(FIRST, DATE_COLUMN, dt.datetime(2026, 11, 5)))
    browser.find_element(By.ID, "fichiers").send_keys(str(forged))
    submit(browser.find_element(By.CSS_SELECTOR, ".drop button[type=submit]"))
    wait_for(".flash.error", 120)
    text = main_text()
    roubaix_eur = totals[number[HAUBOURDIN]]["total"].replace(".", ",")
    assert "1 rejetée(s)" in text and "DATE_OUTSIDE_PERIOD" in text and f"refusé : {roubaix_eur} EUR" in text
    shot("cpam-audit-une-ligne-rejetee")
    browser.find_element(By.LINK_TEXT, "État des rejets (classeur)").click()
    statement = downloaded("REJETS-595-*.xlsx")
    log_out()

    # 4. the Département imports the rejection statement and a bank statement on its follow-up page
    log_in("finances", "/departement")
    submit(browser.find_element(By.LINK_TEXT, "Suivi des paiements"))
    lille, cambrai = totals[number[LILLE]], totals[number[CAMBRAI]]
    half = (Decimal(lille["total"]) / 2).quantize(Decimal("0.01"))
    bank = tmp_path / "releve-banque.csv"
    bank.write_text("Date;Payeur;Montant;Libellé\n"
                    f"23/11/2026;CPAM 599;{cambrai['total'].replace('.', ',')};VIR {number[CAMBRAI]}\n"
                    f"23/11/2026;CPAM 595;{str(half).replace('.', ',')};VIR {number[LILLE]}\n"
                    "23/11/2026;MAIRIE;12,00;SUBVENTION\n", encoding="utf-8")
    browser.find_element(By.ID, "etat").send_keys(str(statement))
    click("Importer les rejets")
    assert "1 ligne(s) rejetée(s) enregistrée(s)" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    shot("suivi-rejets-importes")
    browser.find_element(By.ID, "releve").send_keys(str(bank))
    click("Importer les paiements")
    assert "3 paiement(s) nouveau(x), 2 rapproché(s)" in wait_for(".flash.ok").text
    shot("suivi-paiements-importes")

    # 5. the follow-up shows each bordereau's state and amounts
    browser.get(server + "/suivi")
    rows = {}
    for row in browser.find_elements(By.XPATH, "//tr[td[1][starts-with(normalize-space(), 'HPV-')]]"):
        cells = [c.text.replace("\u202f", " ") for c in row.find_elements(By.TAG_NAME, "td")]
        rows[cells[0]] = cells
    assert {n: cells[-1] for n, cells in rows.items()} == {number[CAMBRAI]: "payé", number[LILLE]: "partiel",
                                                           number[HAUBOURDIN]: "rejeté"}
    assert str(half).replace(".", ",") in rows[number[LILLE]][6]  # « Payé »: half of Lille's total
    assert roubaix_eur in rows[number[HAUBOURDIN]][5]  # « Rejeté »: Haubourdin's whole line
    browser.execute_script("window.scrollTo(0, document.querySelector('svg').getBoundingClientRect().top - 20)")
    shot("suivi-graphique")
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    shot("suivi-etats")
    browser.find_element(By.LINK_TEXT, "Bordereaux des centres").click()
    states = sorted(e.text for e in browser.find_elements(By.CSS_SELECTOR, "td .state"))
    assert states == ["partiel", "payé", "rejeté"]
    shot("bordereaux-des-centres")
    assert all(p.stat().st_size > 10_000 for p in shot.taken)
