"""End to end, as a person would: headless Chromium drives ``flightsim explore``.

The test starts the page on a free port of 127.0.0.1, raises the pursuit level, waits for the
background run, reads the effect the page shows, saves the scenario YAML from the page, and
checks that ``flightsim compare`` of that file against the baseline (same scale, replicates and
seed) gives the number shown, and that the page's download button gives the same YAML file
as saving to a path. A screenshot goes to the test's temporary folder. Skipped only
where no Chromium and chromedriver are installed (Debian's ``chromium``, ``chromium-driver``;
CI installs them in ``.ci/run``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
BASELINE = "scenarios/baseline.yaml"
SEED = 20141110  # the baseline's run.seed, which the page starts from

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no browser: install Debian's chromium and chromium-driver (CI does, in .ci/run)",
)
selenium = pytest.importorskip("selenium", reason="selenium is in the test extra")
pytest.importorskip("solara", reason="solara is in the explore extra (make test installs it)")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (  # noqa: E402
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from sim.explore.results import format_number  # noqa: E402
from sim.scenario.load import load_scenario  # noqa: E402

WAIT = 240  # seconds at most for the page or a run (a bound, not a timing assertion)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert server.poll() is None, "flightsim explore exited early"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise AssertionError(f"nothing listens on port {port}")


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    """True while a process runs (a zombie waiting to be reaped has ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def browser(downloads: Path) -> webdriver.Chrome:
    """Headless Chromium that saves downloads in ``downloads`` without asking."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1600,2300"):  # fmt: skip
        options.add_argument(arg)
    prefs = {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    options.add_experimental_option("prefs", prefs)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def run_state(driver: webdriver.Chrome) -> str | None:
    """The page's run status (idle, running, stale, done, error), None while it re-renders."""
    try:
        status = driver.find_element(By.ID, "run-status")
        state = status.get_attribute("data-state")
        if state == "error":
            raise AssertionError(status.text)
        return state
    except (NoSuchElementException, StaleElementReferenceException):
        return None


def shown_effect(driver: webdriver.Chrome, outcome: str) -> str:
    """The effect the page shows for one outcome, once its table is on the page."""

    def text(d: webdriver.Chrome) -> str | bool:
        try:
            return d.find_element(By.ID, f"effect-{outcome}").text or False
        except (NoSuchElementException, StaleElementReferenceException):
            return False

    return WebDriverWait(driver, WAIT, poll_frequency=0.2).until(text)


def wait_done(driver: webdriver.Chrome) -> None:
    """Until the page shows results for the levers as they are set (data-state="done")."""
    WebDriverWait(driver, WAIT, poll_frequency=0.3).until(lambda d: run_state(d) == "done")


def type_into(driver: webdriver.Chrome, css: str, text: str) -> None:
    field = driver.find_element(By.CSS_SELECTOR, f"{css} input")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    field.send_keys(text)
    # the field syncs each keystroke to the server; Enter sent in the same burst as the keys
    # can reach it before the last ones, as a person's typing never does
    time.sleep(0.5)
    field.send_keys(Keys.ENTER)


def test_page_effect_matches_flightsim_compare(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sim", "explore", BASELINE, "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, ended by its id below
    )  # fmt: skip
    driver = None
    try:
        wait_for_port(port, server)
        downloads = tmp_path / "downloads"
        downloads.mkdir()
        driver = browser(downloads)
        driver.get(f"http://127.0.0.1:{port}/")
        wait_done(driver)  # the first run: levers as in the baseline
        assert shown_effect(driver, "returned") == "+0.0"

        type_into(driver, ".lever-pursuit-level", "2.5")
        WebDriverWait(driver, WAIT, poll_frequency=0.1).until(
            lambda d: run_state(d) not in ("done", None)
        )
        wait_done(driver)
        # the table may reach the browser just after the status: wait for it to change too
        WebDriverWait(driver, WAIT).until(lambda d: shown_effect(d, "returned") != "+0.0")
        shown = shown_effect(driver, "returned")
        assert run_state(driver) == "done"  # still the run for the levers as set
        driver.save_screenshot(str(tmp_path / "explorer.png"))

        exported = tmp_path / "explored.yaml"
        type_into(driver, ".save-path", str(exported))
        driver.find_element(By.CSS_SELECTOR, ".save-button").click()
        WebDriverWait(driver, 30).until(lambda d: exported.is_file())
        driver.find_element(By.ID, "download-yaml").click()  # the page's download button
        downloaded = downloads / "explored.yaml"  # Chromium writes a .crdownload, then renames
        WebDriverWait(driver, 30).until(lambda d: downloaded.is_file())
        assert downloaded.read_bytes() == exported.read_bytes()
        workers = children(server.pid)
        assert workers  # the runs went to worker processes
        server.terminate()  # as a person stopping the server; its workers must not linger
        server.wait(timeout=60)
        deadline = time.monotonic() + 60  # a bound on the wait, not a timing assertion
        while any(map(alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(map(alive, workers))
    finally:
        if driver is not None:
            driver.quit()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # whatever is left of its process group
        server.wait(timeout=30)

    out = tmp_path / "compare"
    subprocess.run(
        [sys.executable, "-m", "sim", "compare", BASELINE, str(exported), "--set",
         "run.scale=100", "--replicates", "4", "--seed", str(SEED), "--out", str(out),
         "--quiet", "--fixed-parameters"],  # the page's default: the scenarios' parameters
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    steps = load_scenario(exported).policy.pursuit
    assert (steps[-1].start, steps[-1].value) == ("2026-01", 2.5)  # the lever as typed
    effects = pd.read_parquet(out / "effects.parquet").set_index("outcome")
    row = effects.loc["returned"]
    assert row["estimate"] != 0.0  # raising pursuit does change returns
    assert shown == format_number(row["estimate"], row["unit"])
    assert (tmp_path / "explorer.png").stat().st_size > 10_000
