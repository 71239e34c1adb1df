"""The Stepper as a learner sees it: in JupyterLab and as a `save_html` page, in headless Chromium.

JupyterLab runs on 127.0.0.1 with a notebook that displays a Stepper; Chromium (Debian's
`chromium` and `chromium-driver`, driven by selenium: nothing is downloaded) clicks through
every step at 1366x768 and checks what a learner would: the buttons are in view at every
step, so is the highlighted node, the sentence shown is `step.explain()`, the ends disable
the right button, and the page logs no errors.  `make browser` installs all of it; every
process started here is stopped here.  Set STEPGRAD_SCREENSHOTS=DIR to keep a screenshot per
step, to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from autograd import Stepper, Value
from autograd.draw import HIGHLIGHT

pytestmark = pytest.mark.slow
pytest.importorskip("selenium", reason="selenium is missing: `make browser` installs it")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
WIDTH, HEIGHT = 1366, 768
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Seconds for anything to appear. A wait ends as soon as its condition holds, so a generous limit costs
# nothing on a quiet machine and keeps the suite green while other jobs use both cores.
WAIT = float(os.environ.get("STEPGRAD_BROWSER_WAIT", 300))

NOTEBOOK_CODE = '''\
from nets import MLP
from autograd import Stepper

model = MLP(2, [3, 1], seed=0)
loss = (model([0.5, -1.2]) - 1.0) ** 2
loss.label = "loss"
Stepper(loss, params=model)
'''


def the_graph() -> tuple[Value, Any]:
    """The graph the notebook builds, built here too, to know what it must show."""
    from nets import MLP

    model = MLP(2, [3, 1], seed=0)
    loss = (model([0.5, -1.2]) - 1.0) ** 2
    loss.label = "loss"
    return loss, model


def needs(condition: object, what: str) -> None:
    if not condition:
        pytest.skip(f"{what} is missing: `make browser` installs it")


@pytest.fixture
def browser(tmp_path_factory) -> Iterator[Any]:
    """A fresh Chromium for each test, so no console message or page state carries over."""
    needs(CHROMIUM and DRIVER, "Chromium (apt: chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is missing: `make browser` installs it")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium')}", f"--window-size={WIDTH},{HEIGHT}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    # Headless Chromium (150 and later) runs pages without window focus: `document.hasFocus()` is
    # false and `focus()` fires no events, so JupyterLab never records the open notebook as the
    # current tab. Focus emulation makes the page behave like a learner's focused window.
    driver.execute_cdp_cmd("Emulation.setFocusEmulationEnabled", {"enabled": True})
    try:
        yield driver
    finally:
        driver.quit()  # stops Chromium and chromedriver


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory) -> Iterator[str]:
    """A JupyterLab server on 127.0.0.1 serving one notebook; yields the notebook's URL."""
    pytest.importorskip("jupyterlab", reason="jupyterlab is missing: `make browser` installs it")
    root = tmp_path_factory.mktemp("lab")
    home = tmp_path_factory.mktemp("jupyter-home")  # settings, workspaces, runtime files: not the user's
    (root / "stepper.ipynb").write_text(json.dumps(notebook(NOTEBOOK_CODE)))
    quiet = home / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    quiet.mkdir(parents=True)  # no "get notified about Jupyter news?" toast over the page
    (quiet / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port, token = free_port(), os.urandom(16).hex()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "IPYTHONDIR": str(home / "ipython"),
           "JUPYTER_PLATFORM_DIRS": "1"}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--allow-root"]
    log = open(home / "server.log", "wb")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)  # its own process group: the kernels it starts go with it
    try:
        wait_for(lambda: server.poll() is None and answers(f"http://127.0.0.1:{port}/api/status?token={token}"),
                 "JupyterLab to start", lambda: (home / "server.log").read_text(errors="replace")[-2000:])
        yield f"http://127.0.0.1:{port}/lab/tree/stepper.ipynb?token={token}"
    finally:
        stop(server)
        log.close()


def notebook(code: str) -> dict[str, Any]:
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "cells": [{"cell_type": "code", "id": "stepper", "metadata": {}, "source": code, "outputs": [],
                       "execution_count": None}]}


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    """Stop the server and everything in its process group (its kernels), by that group's id."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_for(ready: Callable[[], Any], what: str, details: Callable[[], str] = lambda: "") -> Any:
    result = wait_for_briefly(ready, WAIT)
    if result:
        return result
    pytest.fail(f"timed out after {WAIT} s waiting for {what}. {details()}")


# What a learner sees, measured in the page: an element is visible if it lies inside the window
# and inside every scrolling box around it, and nothing covers its centre.
VISIBLE = """
const element = arguments[0];
const r = element.getBoundingClientRect();
let top = 0, left = 0, bottom = window.innerHeight, right = window.innerWidth;
for (let p = element.parentElement; p && p !== document.body; p = p.parentElement) {  // the body's overflow is the window's
  const style = getComputedStyle(p);
  if (/(auto|scroll|hidden)/.test(style.overflow + style.overflowX + style.overflowY)) {
    const box = p.getBoundingClientRect();
    top = Math.max(top, box.top); left = Math.max(left, box.left);
    bottom = Math.min(bottom, box.bottom); right = Math.min(right, box.right);
  }
}
const inside = r.width > 0 && r.height > 0 && r.top >= top - 1 && r.left >= left - 1
  && r.bottom <= bottom + 1 && r.right <= right + 1;
const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
const svg = element.closest("svg");
const uncovered = hit !== null && (element.contains(hit) || hit === element || (svg !== null && svg.contains(hit)));
return {inside: inside, uncovered: uncovered, hit: hit && hit.outerHTML.slice(0, 120), rect: [r.left, r.top, r.right, r.bottom], area: [left, top, right, bottom]};
"""


def assert_visible(driver, element, what: str) -> None:
    seen = driver.execute_script(VISIBLE, element)
    assert seen["inside"] and seen["uncovered"], f"{what} is not in view: {seen}"


def highlighted(root) -> list:
    """The current node's shapes in the drawing (its record and its operation, in orange)."""
    return root.find_elements("css selector", f'svg [fill="{HIGHLIGHT}"]')


def shown_text(element) -> str:
    return " ".join(element.text.split())


def check_steps(driver, root, expected: list[str], step: Callable[[int], None], shots: str) -> None:
    """Walk every step with `step(i)` (to reach step i from i - 1) and check what is shown."""
    previous = root.find_element("xpath", ".//button[contains(., 'Previous')]")
    next_ = root.find_element("xpath", ".//button[contains(., 'Next')]")
    for i, sentence in enumerate(expected):
        if i:
            step(i)
        counter, wanted = f"Step {i + 1} of {len(expected)}", " ".join(sentence.split())

        def shown() -> tuple[str, str]:
            return (root.find_element("css selector", ".stepgrad-counter").text,
                    shown_text(root.find_element("css selector", ".stepgrad-sentence")))

        wait_for(lambda: shown() == (counter, wanted), f"{counter} and its sentence {wanted!r}",
                 lambda: f"shown: {shown()}")
        wait_for(lambda: (previous.get_attribute("disabled"), next_.get_attribute("disabled")) == (
            "true" if i == 0 else None, "true" if i == len(expected) - 1 else None), "the right buttons disabled")
        assert_visible(driver, previous, f"Previous at step {i + 1}")
        assert_visible(driver, next_, f"Next at step {i + 1}")
        name = sentence.split(" = ", 1)[0]  # the current node, drawn in orange with its name on it
        wait_for(lambda: name in [shape.find_element("xpath", "..").text.split("\n")[0].strip()
                                  for shape in highlighted(root)], f"{name} highlighted in the drawing")
        for shape in highlighted(root):
            assert_visible(driver, shape, f"the highlighted node at step {i + 1}")
        if os.environ.get("STEPGRAD_SCREENSHOTS"):
            driver.save_screenshot(os.path.join(os.environ["STEPGRAD_SCREENSHOTS"], f"{shots}-{i + 1:02d}.png"))


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_the_stepper_in_jupyterlab(browser, jupyterlab):
    loss, model = the_graph()
    expected = [step.explain() for step in Stepper(loss, params=model).steps]
    browser.get(jupyterlab)
    wait_for(lambda: browser.execute_script(KERNEL_READY), "the notebook and its kernel")
    console_errors(browser)  # JupyterLab's own start-up is not under test; the notebook's run is

    def run_cell() -> Any:  # retried until the widget shows
        browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        return wait_for_briefly(lambda: browser.find_elements("css selector", ".stepgrad-stepper"), 30)

    (root,) = wait_for(run_cell, "the Stepper widget")
    assert not browser.find_elements("css selector", ".jp-Dialog"), "a dialog is in the way"
    output = root.find_element("xpath", "ancestor::div[contains(@class, 'jp-OutputArea-output')]")
    for box in (output, root):
        assert browser.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth + 1", box), \
            "the widget is wider than the notebook's output: it scrolls sideways"
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
    next_ = root.find_element("xpath", ".//button[contains(., 'Next')]")
    previous = root.find_element("xpath", ".//button[contains(., 'Previous')]")
    check_steps(browser, root, expected, lambda i: next_.click(), "lab")
    previous.click()  # and back again
    wait_for(lambda: f"Step {len(expected) - 1} of" in root.find_element("css selector", ".stepgrad-counter").text,
             "Previous to go back")
    assert console_errors(browser) == []


KERNEL_READY = """
const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
const context = panel && panel.sessionContext;
return Boolean(context && context.isReady && context.session && context.session.kernel
               && context.session.kernel.connectionStatus === "connected"
               && document.querySelector(".jp-Notebook .jp-Cell") !== null);
"""


def wait_for_briefly(ready: Callable[[], Any], seconds: float = 15) -> Any:
    """`ready()` once it is truthy, or None after `seconds`; a page element replaced while
    being read (the widget redraws) counts as not ready yet."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = ready()
        except StaleElementReferenceException:
            result = None
        if result:
            return result
        time.sleep(0.5)
    return None


def stepper_page(tmp_path: Path) -> tuple[Path, list[str]]:
    loss, model = the_graph()
    stepper = Stepper(loss, params=model)
    return stepper.save_html(tmp_path / "steps.html"), [step.explain() for step in stepper.steps]


def explain_page(tmp_path: Path) -> tuple[Path, list[str]]:
    from nets.cli.explain import explain

    page = tmp_path / "explain.html"
    text = explain("tanh(x1*w1 + x2*w2 + b)", ["x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"], html=str(page))
    backward = text.split("backward pass")[1].split("\n\n")[0].splitlines()[1:]
    return page, [line.split(". ", 1)[1] for line in backward]  # the sentences it printed


@pytest.mark.parametrize("make_page", [stepper_page, explain_page], ids=["save_html", "explain --html"])
def test_the_html_page_steps_with_the_keyboard(browser, tmp_path, make_page):
    from selenium.webdriver.common.keys import Keys

    page, expected = make_page(tmp_path)
    browser.get(page.as_uri())
    root = browser.find_element("tag name", "body")

    def visible_step(i: int) -> None:
        root.send_keys(Keys.ARROW_RIGHT)

    class Shown:  # what check_steps reads: only the step on show
        def find_element(self, by, selector):
            if selector == ".stepgrad-sentence":
                return root.find_element("css selector", ".stepgrad-step:not([hidden]) .stepgrad-sentence")
            return root.find_element(by, selector)

        def find_elements(self, by, selector):
            return root.find_elements("css selector", f".stepgrad-step:not([hidden]) {selector}")

    check_steps(browser, Shown(), expected, visible_step, page.stem)
    root.send_keys(Keys.ARROW_LEFT)
    assert root.find_element("id", "counter").text == f"Step {len(expected) - 1} of {len(expected)}"
    assert console_errors(browser) == []
