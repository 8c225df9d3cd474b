"""End to end in a real headless Chromium: the seed's workflow in the UI.

Open the runs list, open a run (metric chart, MLmodel, signature, input example), Save its
model as version 1 of a new model, Save another run's model as version 2 of the same name,
point an alias at it, and compare both versions. Every page is saved as a screenshot under
``test-artifacts/ui/`` and must load without a browser console error (a script error or a
Content-Security-Policy violation fails the test).

Needs Debian's ``chromium`` and ``chromium-driver`` packages and the ``selenium`` package
(``ui`` extra); without them these tests fail, saying what to install.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autolog import registry
from autolog.stores.local import LocalStore
from tests.helpers import ROOT
from tests.ui.conftest import ui_process

SCREENSHOTS = ROOT / "test-artifacts" / "ui"
APT_HINT = "apt-get install -y chromium chromium-driver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1400,1000")
WAIT_S = 20


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").is_file()
                                       else None)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium driven through chromedriver (Selenium)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        pytest.fail(f"The browser tests need selenium ({exc}): pip install -e '.[ui,test]'",
                    pytrace=False)
    chromium = _find("chromium", "chromium-browser")
    driver_path = _find("chromedriver")
    if chromium is None or driver_path is None:
        missing = " and ".join(n for n, p in (("chromium", chromium),
                                              ("chromedriver", driver_path)) if p is None)
        pytest.fail(f"The browser tests need a real Chromium: {missing} not found. Install "
                    f"Debian's packages: {APT_HINT}", pytrace=False)
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = Options()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=driver_path,
                      log_output=str(profile.parent / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def ui(seeded_store: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """``autolog ui`` serving a private copy of the seeded store: (url, store path, run ids)."""
    base = tmp_path_factory.mktemp("ui-browser")
    store = base / "store"
    shutil.copytree(seeded_store[0], store)
    with ui_process(store, log=base / "server.log") as (url, _):
        yield url, store, seeded_store[1]


def _wait(driver: Any, css: str, count: int = 1) -> list[Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(
        lambda d: (found := d.find_elements(By.CSS_SELECTOR, css)) and len(found) >= count
        and found, message=f"no {count} element(s) {css!r} on {driver.current_url}")


def _check_page(driver: Any, name: str) -> None:
    """Fail on console errors; save a full-page screenshot as ``<name>.png``."""
    _wait(driver, "body")
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"console errors on {driver.current_url}: {errors}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(700, min(int(height) + 140, 5000)))
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    driver.set_window_size(1400, 1000)


def _text(driver: Any, css: str) -> str:
    return str(_wait(driver, css)[0].text)


def _click(driver: Any, css: str, navigates: bool = True) -> None:
    """Click the first ``css`` element; when it loads a page, wait until the old one is gone."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old_page = driver.find_element(By.TAG_NAME, "html")
    _wait(driver, css)[0].click()
    if navigates:
        WebDriverWait(driver, WAIT_S).until(expected_conditions.staleness_of(old_page),
                                            message=f"clicking {css!r} loaded no page")


def test_runs_list_sorts_and_filters(browser: Any, ui: tuple[str, Path, dict[str, str]]
                                     ) -> None:
    url, _, ids = ui
    browser.get(url)
    assert "iris" in _text(browser, "#experiments")
    _check_page(browser, "experiments")

    _click(browser, "#experiments a")
    rows = _wait(browser, "#runs tbody tr", 3)
    assert {r.get_attribute("data-run-id") for r in rows} == set(ids.values())
    _check_page(browser, "runs")

    _click(browser, "a[data-sort='name']")
    _wait(browser, "th.sorted a[data-sort='name']")
    names = [r.text.split()[0] for r in _wait(browser, "#runs tbody td:first-child a", 3)]
    assert names == sorted(names, reverse=True)

    box = _wait(browser, "#filter")[0]
    box.clear()
    box.send_keys("params.C = 0.1")
    _click(browser, "#apply")
    _wait(browser, "#run-count")
    assert _text(browser, "#run-count") == "1 run"
    rows = _wait(browser, "#runs tbody tr")
    assert [r.get_attribute("data-run-id") for r in rows] == [ids["logreg-C0.1"]]
    _check_page(browser, "runs-filtered")


def test_run_page_shows_chart_mlmodel_signature(browser: Any,
                                                ui: tuple[str, Path, dict[str, str]]) -> None:
    url, _, ids = ui
    browser.get(url + "runs")
    _click(browser, f"tr[data-run-id='{ids['logreg-C1.0']}'] a.run-link")
    assert _text(browser, "#run-id") == ids["logreg-C1.0"]

    canvas = _wait(browser, "figure.chart[data-metric='val_loss'] canvas")[0]
    assert int(canvas.get_attribute("width")) > 100
    # uPlot drew the 12 epochs: its legend shows the series and the x scale spans the steps.
    span = browser.execute_script(
        "const c = document.querySelector(\"figure.chart[data-metric='val_loss']\");"
        "return c.querySelectorAll('.u-series').length;")
    assert span == 2

    mlmodel = _text(browser, "#mlmodel")
    assert "flavors:" in mlmodel and "sklearn:" in mlmodel and ids["logreg-C1.0"] in mlmodel
    tree = _text(browser, "#file-tree")
    assert "MLmodel" in tree and "model.pkl" in tree
    inputs = _text(browser, "#signature-inputs")
    assert "sepal length (cm)" in inputs and "double" in inputs
    assert "sepal length (cm)" in _text(browser, "#input-example")
    assert "C" in _text(browser, "#params")
    _check_page(browser, "run")

    _click(browser, "#file-tree a[href$='/MLmodel']")
    assert "python_function" in _text(browser, "body")


def _save(browser: Any, url: str, run_id: str, *, new_name: str | None = None,
          existing: str | None = None) -> None:
    from selenium.webdriver.support.ui import Select

    browser.get(f"{url}runs/{run_id}")
    if new_name is not None:
        _click(browser, "#mode-new", navigates=False)
        _wait(browser, "#new-name")[0].send_keys(new_name)
    else:
        _click(browser, "#mode-existing", navigates=False)
        Select(_wait(browser, "#existing-name")[0]).select_by_visible_text(existing)
    _click(browser, "#save-button")


def test_save_two_versions_then_compare(browser: Any, ui: tuple[str, Path, dict[str, str]]
                                        ) -> None:
    url, store_path, ids = ui
    _save(browser, url, ids["logreg-C0.1"], new_name="iris-ui")
    assert _text(browser, "#version-title").startswith("iris-ui v1")
    assert "version 1 of 'iris-ui'" in _text(browser, ".flash-success")
    assert "flavors:" in _text(browser, "#mlmodel")
    _check_page(browser, "version-1")

    _save(browser, url, ids["logreg-C1.0"], existing="iris-ui")
    assert _text(browser, "#version-title").startswith("iris-ui v2")

    _wait(browser, "#alias-name")[0].send_keys("champion")
    _click(browser, "#alias-button")
    assert "@champion" in _text(browser, "#version-title")
    _check_page(browser, "version-2")

    store = LocalStore(store_path)
    versions = registry.list_versions("iris-ui", store=store)
    assert [(v.version, v.run_id) for v in versions] == [
        (1, ids["logreg-C0.1"]), (2, ids["logreg-C1.0"])]
    assert registry.get_registered_model("iris-ui", store=store).aliases == {"champion": 2}

    browser.get(url + "runs/" + ids["logreg-C1.0"])
    assert "iris-ui v2" in _text(browser, "#saved-as")

    browser.get(url + "models")
    assert "iris-ui" in _text(browser, "#models")
    _check_page(browser, "models")
    _click(browser, "#models a")
    assert len(_wait(browser, "#versions tbody tr", 2)) == 2
    _check_page(browser, "model")

    _click(browser, "#compare-button")
    heads = [h.text for h in _wait(browser, "#comparison th.version-head", 2)]
    assert heads == ["v1", "v2"]
    table = _text(browser, "#comparison")
    assert "★" in table and "champion" in table and "params that differ" in table
    expected = registry.compare("iris-ui", store=store)
    charts = _wait(browser, "#version-charts figure.chart canvas", len(expected.metric_names))
    assert len(charts) == len(expected.metric_names)
    _check_page(browser, "compare")
