"""JupyterLab for real: headless Chromium opens notebooks, runs them, and checks what a user sees.

A JupyterLab server is started on 127.0.0.1 (a free port, a token, a fresh settings and
workspace folder, no network); Debian's chromium, driven through chromedriver by Selenium,
opens the quickstart and a notebook of every explorer *as notebooks* (jupytext), runs all
cells and asserts that

* the notebook opened with its kernel chosen (no "Select Kernel" dialog),
* every chart rendered (an SVG inside each Vega view; the Vega JavaScript comes from the
  kernel, so this passes offline) and no output shows an error or a warning,
* the browser console has no errors,
* changing a control redraws its chart, a click in the forest plot filters the heatmap,
  a click in the IRT audit shows the item, and "Export view" writes files,
* an interactive run exports to the notebook's scratch folder, not to ``figures/``.

Screenshots go to a temporary folder (``HIERLAB_SCREENSHOTS`` to choose it); their paths are
printed. Marked ``browser``: skip it locally with ``-m "not browser"``; when Chromium is
missing it is skipped, except under CI (``CI`` set), where it fails. ``make browser`` (run
by ``.ci/run``) installs Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
TEST_NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
]
#: Chart-free console noise of JupyterLab itself (none is about hierlab or Vega).
BENIGN_CONSOLE = ("favicon.ico",)


def _need(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI runs the browser test: {reason} (run `make browser`)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(folder: Path) -> None:
    """Lab settings: .py files open as notebooks (jupytext); every cell stays in the page
    (no windowing, so the test sees every prompt and chart); no news or update checks."""
    files = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {
            "defaultViewers": {"python": "Jupytext Notebook"}
        },
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content), encoding="utf-8")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 over a scratch folder; yields (url, token, root)."""
    pytest.importorskip("jupyterlab") if not os.environ.get("CI") else None
    root = tmp_path_factory.mktemp("lab-root")
    state = tmp_path_factory.mktemp("lab-state")
    _settings(state / "settings")
    quickstart = (NOTEBOOKS / "00_quickstart.py").read_text(encoding="utf-8")
    small = quickstart.replace("N_ITEMS: int = 600", "N_ITEMS: int = 200")
    small = small.replace("N_MODELS: int = 12", "N_MODELS: int = 5")
    assert small != quickstart, "the quickstart's parameters changed; update the browser test"
    (root / "00_quickstart.py").write_text(small, encoding="utf-8")
    shutil.copy(TEST_NOTEBOOKS / "explorers.py", root / "explorers.py")
    shutil.copy(REPO / "jupytext.toml", root / "jupytext.toml")
    port, token = _free_port(), "hierlab-browser-test"
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
        "JUPYTER_CONFIG_DIR": str(state / "config"),
        "PYTHONPATH": os.pathsep.join(
            p for p in [str(REPO), os.environ.get("PYTHONPATH", "")] if p
        ),
    }
    log = open(state / "lab.log", "w")  # closed when the server stops
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=",
            "--LabApp.extension_manager=readonly",
            "--allow-root",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail("JupyterLab did not start:\n" + (state / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
    try:
        yield url, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Debian chromium through chromedriver, with the console log kept."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    _need(chromium is not None and driver_path is not None, "chromium/chromedriver not found")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _need(False, "selenium is not installed (the dev extra)")
        raise
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots():
    folder = Path(
        os.environ.get("HIERLAB_SCREENSHOTS") or tempfile.mkdtemp(prefix="hierlab-shots-")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --------------------------------------------------------------------------- helpers


def _wait(driver, condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = condition(driver)
        if value:
            return value
        if time.monotonic() > deadline:
            shot = Path(tempfile.gettempdir()) / "hierlab-browser-timeout.png"
            driver.save_screenshot(str(shot))
            prompts = driver.execute_script(
                "return [...document.querySelectorAll('.jp-InputArea-prompt')]"
                ".map(p => p.innerText.trim());"
            )
            pytest.fail(
                f"timed out after {timeout:.0f} s waiting for {what}; prompts {prompts}; "
                f"screenshot {shot}; outputs {_outputs_text(driver)[:6]}"
            )
        time.sleep(0.25)


def _console_errors(driver) -> list[str]:
    entries = driver.get_log("browser")
    return [
        e["message"]
        for e in entries
        if e["level"] == "SEVERE" and not any(b in e["message"] for b in BENIGN_CONSOLE)
    ]


def _open_notebook(driver, lab, name: str) -> None:
    url, token, _ = lab
    driver.get(f"{url}/lab/workspaces/{name.replace('.', '-')}/tree/{name}?reset&token={token}")
    _wait(
        driver,
        lambda d: d.execute_script(
            "const p = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');"
            "return p && p.querySelectorAll('.jp-Cell').length > 0"
            " && document.querySelector('.jp-Notebook-ExecutionIndicator,"
            " .jp-Toolbar-kernelStatus') !== null;"
        ),
        60,
        f"{name} to open as a notebook",
    )
    # the kernel is chosen from the notebook's metadata: no dialog asks for one
    time.sleep(1.0)
    dialogs = driver.execute_script(
        "return [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText);"
    )
    assert not dialogs, f"{name}: a dialog opened: {dialogs}"
    # the page shows "idle" before a kernel is attached; wait for the server's session and
    # for the toolbar to name the kernel (Run All before that asks to select a kernel)
    _wait(driver, lambda d: _session_idle(lab, name), 90, f"the kernel of {name} to start")
    _wait(
        driver,
        lambda d: (
            _kernel_idle(d)
            and d.execute_script(
                "const k = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)"
                " .jp-KernelName');"
                "return k !== null && k.innerText.trim() === 'Python 3 (ipykernel)';"
            )
        ),
        30,
        f"the notebook of {name} to show its kernel",
    )


def _session_idle(lab, name: str) -> bool:
    """The server has a session for the notebook with an idle kernel."""
    url, token, _ = lab
    with urllib.request.urlopen(f"{url}/api/sessions?token={token}", timeout=10) as answer:
        sessions = json.load(answer)
    return any(
        s.get("path", "").endswith(name)
        and (s.get("kernel") or {}).get("execution_state") == "idle"
        for s in sessions
    )


def _kernel_idle(driver) -> bool:
    return bool(
        driver.execute_script(
            "const s = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)"
            " .jp-Notebook-ExecutionIndicator');"
            "return s && s.getAttribute('data-status') === 'idle';"
        )
    )


def _run_all(driver, name: str, timeout: float) -> None:
    driver.execute_script(
        "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook').focus();"
    )
    menu = _wait(
        driver,
        lambda d: next(
            (
                e
                for e in d.find_elements("css selector", ".lm-MenuBar-item")
                if e.text.strip() == "Run"
            ),
            None,
        ),
        10,
        "the Run menu",
    )
    menu.click()
    item = _wait(
        driver,
        lambda d: d.find_elements(
            "css selector", "li.lm-Menu-item[data-command='runmenu:run-all']"
        ),
        10,
        "Run All Cells",
    )
    item[0].click()

    def finished(d) -> bool:
        dialogs = d.execute_script(
            "return [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText);"
        )
        assert not dialogs, f"{name}: Run All opened a dialog: {dialogs}"
        prompts = d.execute_script(
            "return [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden)"
            " .jp-CodeCell .jp-InputArea-prompt')].map(p => p.innerText.trim());"
        )
        return bool(prompts) and all(p.startswith("[") and p[1:-2].isdigit() for p in prompts)

    _wait(driver, finished, timeout, f"every cell of {name} to run")
    _wait(driver, _kernel_idle, 30, f"the kernel of {name} to be idle")


def _charts(driver) -> list[dict]:
    """Each Vega view on show: its SVG text and its number of marks."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden)"
        " .vega-embed')].map(e => {"
        "  const svg = e.querySelector('svg.marks');"
        "  return {svg: svg ? svg.outerHTML.length : 0, html: svg ? svg.outerHTML : '',"
        "          canvas: e.querySelector('canvas') !== null,"
        "          marks: svg ? svg.querySelectorAll('path, rect, line, circle, text').length : 0};"
        "});"
    )


def _outputs_text(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden)"
        " .jp-OutputArea-output')].map(o => (o.getAttribute('data-mime-type') || '') + ' '"
        " + o.innerText.slice(0, 300));"
    )


def _explorer(driver, title: str):
    found = driver.find_elements(
        "xpath", f"//div[contains(@class,'widget-vbox')][./div//b[text()='{title}']]"
    )
    assert found, f"the explorer {title!r} is not on show"
    return found[0]


def _chart_svg(container, index: int = 0) -> str:
    # read in one script: a view redrawn between finding and reading it is never stale
    return container.parent.execute_script(
        "const v = arguments[0].querySelectorAll('.vega-embed svg.marks');"
        "return v.length > arguments[1] ? v[arguments[1]].outerHTML : '';",
        container,
        index,
    )


def _click_mark(driver, container, chart: int, selector: str, *, index: int) -> None:
    """Click one mark (an SVG element) of the ``chart``-th Vega view of ``container``."""
    from selenium.webdriver.common.action_chains import ActionChains

    view = container.find_elements("css selector", ".vega-embed svg.marks")[chart]
    marks = view.find_elements("css selector", selector)
    assert marks, f"no {selector} in the chart"
    mark = marks[index]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", mark)
    ActionChains(driver).move_to_element(mark).click().perform()


def _shoot(driver, shots: Path, name: str) -> Path:
    path = shots / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


# --------------------------------------------------------------------------- tests


def test_quickstart_renders_offline_with_its_kernel(lab, browser, shots) -> None:
    _, _, root = lab
    _open_notebook(browser, lab, "00_quickstart.py")
    _run_all(browser, "00_quickstart.py", timeout=120)
    charts = _wait(browser, lambda d: [c for c in _charts(d) if c["marks"]], 30, "the charts")
    time.sleep(1.0)
    charts = _charts(browser)
    _shoot(browser, shots, "quickstart")
    assert len(charts) >= 2 and all(c["marks"] > 10 or c["canvas"] for c in charts), charts
    outputs = _outputs_text(browser)
    # errors and warnings arrive as stderr or error outputs; printed text may name an error
    # class on purpose (the quickstart shows an AmbiguousLabelError being refused)
    bad = [
        o for o in outputs if o.split(" ", 1)[0].endswith(("stderr", "error")) or "Traceback" in o
    ]
    assert not bad, f"outputs show errors or warnings: {bad}"
    assert not _console_errors(browser)
    # an interactive run exports to the notebook's scratch folder, never to figures/
    exported = sorted(p.name for p in (root / "exports").glob("*"))
    assert "00_forest_region.svg" in exported and "00_forest_region.pdf" in exported, exported
    assert not (root / "figures").exists() and not (root.parent / "figures").exists()


def test_explorers_redraw_and_export_in_the_browser(lab, browser, shots) -> None:
    from selenium.webdriver.support.ui import Select

    _, _, root = lab
    _open_notebook(browser, lab, "explorers.py")
    _run_all(browser, "explorers.py", timeout=150)
    _wait(browser, lambda d: len([c for c in _charts(d) if c["marks"]]) >= 5, 60, "5 charts")
    time.sleep(1.0)
    charts = _charts(browser)
    _shoot(browser, shots, "explorers")
    assert all(c["marks"] > 5 for c in charts), [c["marks"] for c in charts]
    assert not [o for o in _outputs_text(browser) if "stderr" in o or "Error" in o]
    assert "Aurora 2 (display)" in " ".join(c["html"] for c in charts)  # display names

    # a control redraws its chart
    tree = _explorer(browser, "Tree explorer")
    before = _chart_svg(tree)
    Select(tree.find_element("css selector", "select")).select_by_visible_text("treemap")
    _wait(browser, lambda d: _chart_svg(tree) not in ("", before), 30, "the treemap")

    bias = _explorer(browser, "Bias explorer")
    before = _chart_svg(bias)
    Select(bias.find_elements("css selector", "select")[0]).select_by_visible_text("sub_region")
    _wait(browser, lambda d: _chart_svg(bias) not in ("", before), 30, "the sub-region forest")
    heat_before = _chart_svg(bias, 1)
    # a click in the forest plot picks a group: the heatmap keeps only that group
    _click_mark(browser, bias, 0, "g.mark-symbol path", index=-1)
    _wait(
        browser,
        lambda d: (
            _chart_svg(bias, 1) not in ("", heat_before)
            and _chart_svg(bias, 1).count("<text") < heat_before.count("<text")
        ),
        30,
        "the heatmap to show only the clicked group",
    )
    _shoot(browser, shots, "explorers-bias-picked")
    bias.find_element("xpath", ".//button[contains(., 'Export view')]").click()
    _wait(
        browser,
        lambda d: "Saved" in bias.text,
        60,
        "the export to finish",
    )
    exported = sorted(p.name for p in (root / "exports").glob("bias_sub_region_*"))
    assert any(n.endswith(".pdf") for n in exported) and any(
        n.endswith("_heatmap.png") for n in exported
    ), exported

    # a click in the IRT audit shows that item's text and metadata
    irt = _explorer(browser, "IRT explorer")
    _click_mark(browser, irt, 0, "g.mark-symbol path", index=0)
    _wait(browser, lambda d: "demo-" in irt.text and "flags" in irt.text, 30, "the item")
    _shoot(browser, shots, "explorers-irt-item")
    assert not _console_errors(browser)
