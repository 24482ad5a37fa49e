"""The centre's flow in a real browser (Debian's chromium, headless, driven by selenium), with a screenshot of each
step: log in, drop the example with errors, see its findings, download the annotated copy, fail to deposit it, drop a
clean bordereau and deposit it. Skipped when chromium is not installed (.ci/run installs it; under CI it must run).

Screenshots go to $BORDEREAU_SCREENSHOTS when set, else to the test's temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import EXAMPLES, Screenshots, browser, pytestmark, serving  # noqa: F401 (fixture, skip mark)
from service import PASSWORD, REF, workbook

DUNKERQUE = "590780045"


@pytest.fixture
def server(tmp_path: Path):
    """The service on a loopback port, in a thread of this process (so that the fixed day applies to it)."""

    from bordereau.ledger import open_ledger
    from bordereau.ledger.accounts import add_user
    from bordereau.web import create_app

    db, key = str(tmp_path / "ledger.sqlite"), tmp_path / "ledger.key"
    add_user(open_ledger(db, key), REF, "dunkerque", PASSWORD, "centre", [DUNKERQUE])
    app = create_app(db, key, checkers=1)
    with serving(app) as url:
        yield url


def test_a_centre_manager_checks_and_deposits_in_a_browser(server, browser, tmp_path: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    shot = Screenshots(browser, tmp_path, "")

    def drop(path: Path) -> None:
        browser.find_element(By.ID, "fichiers").send_keys(str(path))
        browser.find_element(By.CSS_SELECTOR, ".drop button[type=submit]").click()

    browser.get(server + "/bordereaux")  # no session: the login page
    assert browser.current_url.endswith("/connexion")
    shot("connexion")
    browser.find_element(By.ID, "login").send_keys("dunkerque")
    browser.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)  # the keyboard alone
    WebDriverWait(browser, 20).until(ready.url_contains("/bordereaux"))
    assert "Bordereaux de mon centre" in browser.page_source
    shot("page-du-centre")

    drop(EXAMPLES / "sps-dunkerque-2026-10-erreurs.xlsx")
    WebDriverWait(browser, 60).until(ready.presence_of_element_located((By.CSS_SELECTOR, "tr.error")))
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "NIR_INVALID" in text and "DUPLICATE_LINE" in text and "(2 14 07 59 *** *** **)" in text
    assert browser.find_elements(By.CSS_SELECTOR, ".card b")[1].text == "13"
    shot("anomalies")
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight / 2)")
    shot("anomalies-suite")

    browser.find_element(By.LINK_TEXT, "Télécharger la copie annotée").click()
    target = browser.downloads / "sps-dunkerque-2026-10-erreurs-anomalies.xlsx"
    WebDriverWait(browser, 30).until(lambda _: target.exists() and target.stat().st_size > 0)
    import openpyxl

    assert openpyxl.load_workbook(target).sheetnames[0] == "Anomalies"

    browser.find_element(By.XPATH, "//button[normalize-space()='Déposer ce bordereau']").click()
    WebDriverWait(browser, 20).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".flash.error")))
    assert "Dépôt refusé" in browser.find_element(By.CSS_SELECTOR, ".flash.error").text
    shot("depot-refuse")

    clean = workbook(tmp_path / "sps-dunkerque-2026-10.xlsx", DUNKERQUE, n=12)
    browser.get(server + "/bordereaux")
    drop(clean)
    WebDriverWait(browser, 60).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".badge.ok")))
    assert "Aucune anomalie" in browser.page_source
    shot("bordereau-sans-erreur")
    browser.find_element(By.XPATH, "//button[normalize-space()='Déposer ce bordereau']").click()
    WebDriverWait(browser, 20).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".flash.ok")))
    assert "Bordereau déposé" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    shot("depose")
    browser.get(server + "/bordereaux")
    states = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "td .state")]
    assert states == ["déposé", "remplacé"]
    shot("envois")
    assert all(p.stat().st_size > 10_000 for p in shot.taken)
