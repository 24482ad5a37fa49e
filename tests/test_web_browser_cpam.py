"""The CPAM agent's flow in a real browser (Debian's chromium, headless), a screenshot of each step: log in with the
keyboard, see the caisse's export, download it, audit a copy of its bordereau forged by one cent (one line
rejected), download the rejection statement, then audit the export itself (the same bordereau presented again: the
ledger's history says so). Skipped when chromium is not installed (.ci/run installs it).

Screenshots go to $BORDEREAU_SCREENSHOTS when set, else to the test's temporary folder."""

from __future__ import annotations

import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from browsing import EXAMPLES, Screenshots, browser, pytestmark, serving  # noqa: F401 (fixture, skip mark)
from conftest import edit_workbook
from service import LILLE as LILLE_FINESS
from service import PASSWORD, REF

FIRST, TOTAL_COLUMN = 10, 15  # exported layout: first line on row 10, « Montant total » in column O


@pytest.fixture
def server(tmp_path: Path):
    """The service on a loopback port, in a thread of this process, with an export of the SPS de Lille (CPAM 595)
    deposited by its centre and made by the Département through the service, and the agent `agent595`."""
    import httpx

    from bordereau.ledger import open_ledger
    from bordereau.ledger.accounts import add_user
    from bordereau.web import create_app
    from bordereau.web.exports import unpack_folder

    db, key = str(tmp_path / "ledger.sqlite"), tmp_path / "ledger.key"
    ledger = open_ledger(db, key)
    add_user(ledger, REF, "agent595", PASSWORD, "cpam", None, "595")
    add_user(ledger, REF, "lille", PASSWORD, "centre", [LILLE_FINESS], None)
    add_user(ledger, REF, "finances", PASSWORD, "departement", None, None)
    app = create_app(db, key, checkers=1)
    with serving(app) as url:

        def session(login: str) -> tuple[httpx.Client, dict]:
            client = httpx.Client(base_url=url, timeout=120)
            csrf = client.post("/api/session", json={"login": login, "password": PASSWORD}).json()["csrf"]
            return client, {"X-CSRF-Token": csrf}

        centre, headers = session("lille")
        with (EXAMPLES / "sps-lille-2026-10.xlsx").open("rb") as sent:
            upload = centre.post("/api/bordereaux", files={"fichier": ("sps-lille-2026-10.xlsx", sent)},
                                 headers=headers).json()["id"]
        assert centre.post(f"/api/bordereaux/{upload}/depot", headers=headers).status_code == 200
        departement, headers = session("finances")
        assert departement.post("/api/exports", json={"cpam": "595"}, headers=headers).status_code == 201
        [made] = departement.get("/api/exports").json()
        unpack_folder(departement.get(f"/api/exports/{made['id']}.zip").content, made["folder"], tmp_path / "petra")
        yield url, tmp_path / "petra"


def test_a_cpam_agent_audits_and_takes_the_rejection_statement_in_a_browser(server, browser, tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    url, petra = server
    shot = Screenshots(browser, tmp_path, "cpam-")

    def downloaded(name: str) -> Path:
        target = browser.downloads / name
        WebDriverWait(browser, 30).until(lambda _: target.exists() and target.stat().st_size > 0)
        return target

    browser.get(url + "/cpam")  # no session: the login page
    assert browser.current_url.endswith("/connexion")
    browser.find_element(By.ID, "login").send_keys("agent595")
    browser.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)  # the keyboard alone
    WebDriverWait(browser, 20).until(ready.url_contains("/cpam"))
    main = browser.find_element(By.TAG_NAME, "main").text.replace("\u202f", " ")
    assert "CPAM 595" in main and f"HPV-595-{LILLE_FINESS}" in main and "3 352,80 EUR" in main
    shot("exports-de-la-caisse")

    browser.find_element(By.PARTIAL_LINK_TEXT, "Télécharger (zip)").click()
    with zipfile.ZipFile(downloaded("export-1-595-lille-douai.zip")) as archive:
        assert "595-lille-douai/manifest.json" in archive.namelist()

    [exported] = (petra / "595-lille-douai").glob("HPV-*.xlsx")
    forged = Path(shutil.copy(exported, tmp_path / exported.name))
    edit_workbook(forged, lambda ws: ws.cell(FIRST, TOTAL_COLUMN, float(
        Decimal(str(ws.cell(FIRST, TOTAL_COLUMN).value)) - Decimal("0.01"))))
    browser.find_element(By.ID, "fichiers").send_keys(str(forged))
    shot("fichier-choisi")
    browser.find_element(By.CSS_SELECTOR, ".drop button[type=submit]").click()
    WebDriverWait(browser, 120).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".flash.error")))
    text = browser.find_element(By.TAG_NAME, "main").text.replace("\u202f", " ")
    assert "1 rejetée(s)" in text and "AMOUNT_MISMATCH" in text and "refusé : 64,02 EUR" in text
    shot("audit-avec-rejet")
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    shot("lignes-rejetees")

    browser.find_element(By.LINK_TEXT, "État des rejets (classeur)").click()
    [statement] = WebDriverWait(browser, 30).until(
        lambda _: [p for p in browser.downloads.glob("REJETS-595-*.xlsx") if p.stat().st_size > 0])
    import openpyxl

    assert openpyxl.load_workbook(statement).sheetnames == ["Rejets", "Bordereaux"]
    browser.get(url + "/cpam")
    # the export itself, audited next: the same bordereau presented again, its lines already audited
    browser.find_element(By.XPATH, "//button[starts-with(normalize-space(), \"Auditer l'export\")]").click()
    WebDriverWait(browser, 120).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".flash.error")))
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "53 rejetée(s)" in text and "BORDEREAU_SEEN_BEFORE" in text and "déjà présenté" in text
    shot("export-deja-presente")
    browser.find_element(By.LINK_TEXT, "← Exports et audits de la caisse").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#audits ~ table tr")
    assert len(rows) == 3  # the header, then the two audits
    browser.execute_script("document.getElementById('audits').scrollIntoView()")
    shot("historique")
    assert all(p.stat().st_size > 10_000 for p in shot.taken)
