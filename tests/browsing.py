"""What the browser tests share: Debian's chromium driven by selenium (headless, 1366x768, French), the service
listening on a loopback port in a thread of the test's process (so that the test's fixed day applies to it), and the
screenshots each step leaves ($BORDEREAU_SCREENSHOTS when set, else the test's temporary folder).

A browser test is skipped when chromium is not installed, except under CI (.ci/run installs it): there it must run."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from service import TODAY

from bordereau import clock

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER) and os.environ.get("CI") != "true",
    reason="chromium et chromium-driver absents (apt-get install chromium chromium-driver)")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """The app on a free loopback port, on the tests' day, until the block ends; yields its address."""
    import uvicorn

    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    with clock.fixed(TODAY):
        thread.start()
        for _ in range(600):
            if running.started:
                break
            time.sleep(0.05)  # waiting for the server to listen, not timing anything
        try:
            yield f"http://127.0.0.1:{running.config.port}"
        finally:
            running.should_exit = True
            thread.join(30)


class Screenshots:
    """`shot("etape")` saves the page as `<prefix>NN-etape.png`; `taken` lists them in order."""

    def __init__(self, browser, tmp_path: Path, prefix: str = ""):
        self.browser, self.prefix, self.taken = browser, prefix, []
        self.folder = Path(os.environ.get("BORDEREAU_SCREENSHOTS") or tmp_path / "captures")
        self.folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str) -> Path:
        path = self.folder / f"{self.prefix}{len(self.taken) + 1:02d}-{name}.png"
        self.browser.save_screenshot(str(path))
        self.taken.append(path)
        return path


@pytest.fixture
def browser(tmp_path: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "telechargements"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,768",
                     "--lang=fr-FR"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.downloads = downloads
    driver.implicitly_wait(10)
    yield driver
    driver.quit()
