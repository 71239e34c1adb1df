"""The Stepper as a learner sees it: in JupyterLab and as a `save_html` page, in headless Chromium.

For the neuron, a 2-4-1 MLP, micrograd's 2-16-16-1 and a 3-step RNN (and, on the saved page,
a small CNN's output), Chromium (Debian's `chromium` and `chromium-driver`, driven by
selenium: nothing is downloaded) steps through the saved page and the JupyterLab widget at
1366x768 and at a 390x844 phone screen, and checks at every step (a sample of the
2-16-16-1's) what a learner would: the heading, every clause of the step's sentence, the current node in view in the close-up with its text at
11 px or more (on the phone, the node, its operation and inputs across the screen, with
no sideways scrolling), the node highlighted and scrolled into view in the whole graph, the
buttons in view, the legend, the final table of gradients, and no errors logged.  The quiz is
answered right and wrong, with the keyboard alone.  `make browser` installs all of it;
every process started here is stopped here.  Set STEPGRAD_SCREENSHOTS=DIR to keep a
screenshot per checked step, to look at.
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

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]  # one JupyterLab, one worker
pytest.importorskip("selenium", reason="selenium is missing: `make browser` installs it")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
WIDTH, HEIGHT = 1366, 768
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Seconds for anything to appear. A wait ends as soon as its condition holds, so a generous limit costs
# nothing on a quiet machine and keeps the suite green while other jobs use both cores.
WAIT = float(os.environ.get("STEPGRAD_BROWSER_WAIT", 300))

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))
from stepper_graphs import make  # noqa: E402 - the notebook's kernel imports the same module

NAMES = ["neuron", "2-4-1", "2-16-16-1", "rnn"]
PAGE_ONLY = ["cnn"]  # a CNN's output: on the saved page only (the JupyterLab walk is long enough)
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
NOTEBOOK_CELLS = [f"import sys\nsys.path.insert(0, {str(TESTS)!r})\nfrom stepper_graphs import make"]
NOTEBOOK_CELLS += [f"make({name!r})" for name in NAMES] + ["make('neuron', quiz=True)"]


def stepper(name: str, **options: Any) -> Stepper:
    return make(name, **options)


def sampled(count: int, name: str) -> list[int]:
    """Every frame of the small graphs; of micrograd's network, a spread of them and the ends."""
    if name != "2-16-16-1":
        return list(range(count))
    return sorted({0, 1, count // 4, count // 2, count // 2 + 1, count // 2 + 20, count - 30, count - 3, count - 2, count - 1})


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
    (root / "stepper.ipynb").write_text(json.dumps(notebook(NOTEBOOK_CELLS)))
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


def notebook(cells: list[str]) -> dict[str, Any]:
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "cells": [{"cell_type": "code", "id": f"cell{i}", "metadata": {}, "source": code, "outputs": [],
                       "execution_count": None} for i, code in enumerate(cells)]}


def answers(url: str) -> bool:
    """True when `url` answers 200; a refused or timed-out request is False, for `wait_for` to retry."""
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


# The current node's record in the close-up, how large its smallest text is drawn, and every text of the
# close-up; and where the node lies in the whole graph's scrolling box.
FOCUS = """
const frame = arguments[0], id = arguments[1];
const focus = Array.from(frame.querySelectorAll(".stepgrad-focus")).find(f => f.offsetParent !== null);
if (!focus) return null;
const node = focus.querySelector('g[id="' + id + '"]');
const px = t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
const texts = Array.from(focus.querySelectorAll("text"));
return {node: node, nodeText: node ? Math.min(...Array.from(node.querySelectorAll("text")).map(px)) : 0,
        smallest: Math.min(...texts.map(px)), fill: node && node.querySelector("path, polygon").getAttribute("fill")};
"""
OVERVIEW = """
const root = arguments[0], id = arguments[1];
const box = root.querySelector(".stepgrad-overview");
const node = box && box.querySelector('g[id="' + id + '"]');
if (!node) return null;
const shape = node.querySelector("path, polygon"), b = box.getBoundingClientRect(), r = shape.getBoundingClientRect();
return {fill: getComputedStyle(shape).fill, inside: r.left >= b.left - 1 && r.right <= b.right + 1
        && r.top >= b.top - 1 && r.bottom <= b.bottom + 1, rect: [r.left, r.top, r.right, r.bottom],
        box: [b.left, b.top, b.right, b.bottom]};
"""
# On a phone: the current node's neighbourhood in the close-up (the node, its operation, its inputs and
# a long step's folded weights) lies across the screen, inside the close-up's box, which does not scroll
# sideways; the boxes that stick out, if any.
NEIGHBOURHOOD = """
const frame = arguments[0], ids = arguments[1];
const focus = Array.from(frame.querySelectorAll(".stepgrad-focus")).find(f => f.offsetParent !== null);
const b = focus.getBoundingClientRect(), left = Math.max(0, b.left) - 1, right = Math.min(innerWidth, b.right) + 1;
const outside = [];
for (const id of ids) {
  const node = focus.querySelector('g[id="' + id + '"]');
  if (!node) { outside.push(id + " is not drawn"); continue; }
  const r = node.getBoundingClientRect();
  if (r.width === 0 || r.left < left || r.right > right) outside.push(id + " at " + [r.left, r.right]);
}
return {outside: outside, box: [b.left, b.right], window: innerWidth, drawing: focus.scrollWidth,
        shown: focus.clientWidth, page: document.documentElement.scrollWidth};
"""
WIDEST = """
const box = arguments[0], right = box.getBoundingClientRect().right;
return Array.from(box.querySelectorAll("*")).filter(e => e.getBoundingClientRect().right > right + 1)
  .slice(0, 3).map(e => e.outerHTML.slice(0, 150) + " " + getComputedStyle(e).width);
"""
ORANGE = "rgb(255, 204, 128)"  # HIGHLIGHT, as the browser computes it


def wanted_clauses(stepper: Stepper, index: int) -> list[str]:
    """Every clause frame `index` must show: a forward step's sentence, or a backward step's
    head and each clause, the folded weights' too."""
    from autograd.steps import Step, sentence_parts

    frame = stepper.frames[index]
    if frame is None:
        return []
    if not isinstance(frame, Step):
        return [frame.explain()]
    head, shown, weights, _ = sentence_parts(frame, frame.walk.names)
    return [head] + [c + ";" for c in shown[:-1]] + shown[-1:] + weights


def neighbourhood(stepper: Stepper, index: int) -> list[str]:
    """The ids, in the close-up, of frame `index`'s node, its operation, the inputs it shows
    and the box of a long step's weights."""
    from autograd.steps import folded

    walk, node = stepper.walk, stepper.frames[index].node
    fold = folded(node)
    ids = [walk.ids[node], walk.ids[node] + "_op"] + [walk.ids[p] for i, p in enumerate(node.parents) if i not in fold]
    return ids + [walk.ids[node] + "_op_fold"] * bool(fold)


def check_frame(driver, root, frame_root, stepper: Stepper, index: int, shots: str, size: str = "desktop",
                page: bool = False) -> None:
    """What frame `index` must show, once its heading is on screen; on a phone, the current
    node's neighbourhood across the screen too, with no sideways scrolling; on the page at
    any size, the neighbourhood across the close-up's box (its script scrolls the inputs in)."""
    from autograd import texts
    from autograd.i18n import language

    with language(stepper.lang):  # the page's words are in the Stepper's language
        labels, clauses = (texts.PREVIOUS, texts.NEXT), wanted_clauses(stepper, index)
    counter = stepper.heading(index)
    wait_for(lambda: root.find_element("css selector", ".stepgrad-counter").text == counter, counter,
             lambda: root.find_element("css selector", ".stepgrad-counter").text)
    frame = frame_root()
    previous = root.find_element("xpath", f".//button[contains(., '{labels[0]}')]")
    next_ = root.find_element("xpath", f".//button[contains(., '{labels[1]}')]")
    wait_for(lambda: (previous.get_attribute("disabled"), next_.get_attribute("disabled")) == (
        "true" if index == 0 else None, "true" if index == len(stepper.frames) - 1 else None), "the right buttons disabled")
    assert_visible(driver, previous, f"Previous at {counter}")
    assert_visible(driver, next_, f"Next at {counter}")
    assert root.find_elements("css selector", ".stepgrad-legend"), "no legend"
    wanted = [" ".join(c.split()) for c in clauses]

    def clauses() -> list[str]:
        return [" ".join(e.get_attribute("textContent").split())
                for e in frame_root().find_elements("css selector", ".stepgrad-head, .stepgrad-clause")]

    wait_for(lambda: clauses() == wanted, f"every clause at {counter}: {wanted}", lambda: f"shown: {clauses()}")
    frame = frame_root()
    current = stepper.frames[index]
    if current is None:  # the final table: a row per leaf
        rows = frame.find_elements("css selector", ".stepgrad-table tbody tr")
        assert len(rows) == len(stepper.gradients()) and rows[0].text.split()[0] == stepper.gradients()[0][0]
    else:
        node_id = stepper.walk.ids[current.node]
        seen = wait_for(lambda: driver.execute_script(FOCUS, frame, node_id), f"the close-up at {counter}")
        assert seen["node"] is not None and seen["fill"] == HIGHLIGHT, f"the current node is not drawn at {counter}"
        assert_visible(driver, seen["node"], f"the current node at {counter}")
        assert seen["nodeText"] >= 11 and seen["smallest"] >= 11, f"text below 11 px at {counter}: {seen}"
        if size == "phone" or page:
            across = driver.execute_script(NEIGHBOURHOOD, frame, neighbourhood(stepper, index))
            assert not across["outside"], f"the current node's neighbourhood is not across the screen at {counter}: {across}"
        if size == "phone":
            assert across["drawing"] <= across["shown"] + 1, f"the close-up scrolls sideways at {counter}: {across}"
            assert across["page"] <= across["window"], f"the page scrolls sideways at {counter}: {across}"
        if len(stepper.walk.nodes) <= stepper.max_nodes:
            where = wait_for(lambda: (lambda w: w if w and w["fill"] == ORANGE and w["inside"] else None)(
                driver.execute_script(OVERVIEW, root, node_id)), f"the node highlighted and in view in the whole graph at {counter}",
                lambda: str(driver.execute_script(OVERVIEW, root, node_id)))
            assert where
    if os.environ.get("STEPGRAD_SCREENSHOTS"):
        driver.save_screenshot(os.path.join(os.environ["STEPGRAD_SCREENSHOTS"], f"{shots}-{index + 1:03d}.png"))


def set_size(driver, size: str) -> None:
    """The window's size; a phone is emulated (a desktop window cannot be made 390 px wide)."""
    width, height = SIZES[size]
    if size == "phone":
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.set_window_size(width, height)


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def open_notebook(browser, jupyterlab) -> None:
    """The notebook open, every cell run, every Stepper widget shown."""
    browser.get(jupyterlab)
    wait_for(lambda: browser.execute_script(KERNEL_READY), "the notebook and its kernel")
    console_errors(browser)  # JupyterLab's own start-up is not under test; the notebook's run is

    def run_cells() -> Any:  # retried until every widget shows
        browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        return wait_for_briefly(lambda: len(browser.find_elements("css selector", ".stepgrad-stepper")) == len(NAMES) + 1, 120)

    wait_for(run_cells, "the Stepper widgets")
    assert not browser.find_elements("css selector", ".jp-Dialog"), "a dialog is in the way"


def test_the_quiz_in_jupyterlab(browser, jupyterlab):
    open_notebook(browser, jupyterlab)
    quiz_in_widget(browser)
    assert console_errors(browser) == []


def test_the_stepper_in_jupyterlab(browser, jupyterlab):
    open_notebook(browser, jupyterlab)
    for size in SIZES:
        set_size(browser, size)
        if size == "phone":  # a learner on a phone closes the file browser, to give the notebook the screen
            browser.execute_script("window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight()")
        for k, name in enumerate(NAMES):
            check_widget(browser, k, stepper(name), name, size)
    assert console_errors(browser) == []


def widget_root(driver, k: int):
    return driver.find_elements("css selector", ".stepgrad-stepper")[k]


def check_widget(driver, k: int, expected: Stepper, name: str, size: str) -> None:
    """Step through widget `k` with its buttons: forwards on a desktop, backwards on a phone
    (where the desktop pass left it), checking the sampled frames."""
    root = widget_root(driver, k)
    output = root.find_element("xpath", "ancestor::div[contains(@class, 'jp-OutputArea-output')]")
    if os.environ.get("STEPGRAD_SCREENSHOTS"):
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
        driver.save_screenshot(os.path.join(os.environ["STEPGRAD_SCREENSHOTS"], f"lab-{size}-{name}-start.png"))
    for box in (output, root):
        assert driver.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth + 1", box), \
            f"the widget is wider than the notebook's output: it scrolls sideways: {driver.execute_script(WIDEST, box)}"
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
    forwards = size == next(iter(SIZES))  # the first pass goes forwards, the second back
    button = root.find_element("xpath", f".//button[contains(., '{'Next' if forwards else 'Previous'}')]")
    count = len(expected.frames)
    checked = set(sampled(count, name))
    if not forwards and name == "2-16-16-1":  # back from the end: the table and the steps into the first layer
        checked = {index for index in checked if index >= count - 40}
    order = range(count) if forwards else range(count - 1, min(checked) - 1, -1)
    for n, index in enumerate(order):
        if n:
            button.click()
        if index in checked:
            check_frame(driver, root, lambda: root, expected, index, f"lab-{size}-{name}", size)
        else:
            wait_for(lambda: root.find_element("css selector", ".stepgrad-counter").text == expected.heading(index),
                     expected.heading(index))


def quiz_in_widget(driver) -> None:
    """The neuron's quiz in the widget: wrong, then right on the second try; wrong twice; by keyboard."""
    from selenium.webdriver.common.keys import Keys

    set_size(driver, "desktop")
    expected = stepper("neuron", quiz=True)
    root = widget_root(driver, len(NAMES))
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", root)
    next_ = root.find_element("xpath", ".//button[contains(., 'Next')]")
    first = len(expected.forward)
    for index in range(first):
        next_.click()
        wait_for(lambda: root.find_element("css selector", ".stepgrad-counter").text == expected.heading(index + 1),
                 expected.heading(index + 1))
    score = lambda: root.find_element("css selector", ".stepgrad-score").text  # noqa: E731 - redrawn on each change
    feedback = lambda: root.find_element("css selector", ".stepgrad-quiz").text  # noqa: E731
    local, grad = root.find_elements("css selector", ".stepgrad-quiz input[type=text]")
    local.send_keys("0.5", Keys.TAB)
    driver.switch_to.active_element.send_keys("0.7", Keys.TAB)  # a wrong grad; the focus moves on to Check
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(lambda: "Hint: o = tanh(n), so do/dn = 1 - o**2" in feedback(), "the hint", feedback)
    assert "Score: 0 of 0" in score()
    grad.clear()
    grad.send_keys("0.5", Keys.TAB)
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(lambda: "Right." in feedback() and "Score: 1 of 1" in score(), "a right answer scored", feedback)
    wait_for(lambda: "do/dn = 1 - o**2 = 0.5000" in root.text, "the step revealed")
    next_.click()
    local, grad = root.find_elements("css selector", ".stepgrad-quiz input[type=text]")
    wait_for(lambda: local.is_displayed(), "the next question")
    for _ in range(2):
        local.clear()
        local.send_keys("9")
        grad.clear()
        grad.send_keys("9", Keys.TAB)
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait_for_briefly(lambda: "Hint" in feedback() or "Still not right" in feedback(), 30)
    wait_for(lambda: "Still not right" in feedback() and "Score: 1 of 2" in score(), "a wrong answer scored", feedback)


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


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, tuple[Path, Stepper]]:
    """Each graph's page, and the explain --html page of the neuron; written once for both sizes."""
    from nets.cli.explain import explain

    folder = tmp_path_factory.mktemp("pages")
    made = {}
    for name in NAMES + PAGE_ONLY:
        s = stepper(name)
        made[name] = (s.save_html(folder / f"{name}.html"), s)
    page = folder / "explain.html"
    explain("tanh(x1*w1 + x2*w2 + b)", ["x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"], html=str(page))
    made["explain --html"] = (page, stepper("neuron"))  # same frames, the names explain gives
    page = folder / "explain-zh.html"  # the Chinese page: the same checks, against the Chinese Stepper's texts
    explain("tanh(x1*w1 + x2*w2 + b)", ["x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"], html=str(page), lang="zh")
    made["explain --html --lang zh"] = (page, stepper("neuron", lang="zh"))
    return made


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", NAMES + PAGE_ONLY + ["explain --html", "explain --html --lang zh"])
def test_the_html_page_steps_with_the_keyboard(browser, pages, name, size):
    from selenium.webdriver.common.keys import Keys

    if name == "explain --html" and size == "phone":
        pytest.skip("the same page as the neuron's")
    page, expected = pages[name]
    if name.startswith("explain --html"):
        from nets.cli.explain import _graph

        root = _graph("tanh(x1*w1 + x2*w2 + b)", ["x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"], None)[0]
        expected = Stepper(root, lang="zh" if name.endswith("zh") else "en")
    set_size(browser, size)
    browser.get(page.as_uri())
    body = browser.find_element("tag name", "body")
    checked = set(sampled(len(expected.frames), name))
    for index in range(len(expected.frames)):
        if index:
            body.send_keys(Keys.ARROW_RIGHT)
        if index in checked:
            check_frame(browser, body, lambda: body.find_element("css selector", ".stepgrad-step:not([hidden])"),
                        expected, index, f"page-{size}-{name}", size, page=True)
    body.send_keys(Keys.ARROW_LEFT)
    assert browser.find_element("id", "counter").text == expected.heading(len(expected.frames) - 2)
    assert console_errors(browser) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_quiz_page_with_the_keyboard_alone(browser, tmp_path, lang):
    """Right on the second try after a hint, wrong twice, and the score, without a mouse; in
    English and in Chinese (the words change, the formulas and the keys do not)."""
    from selenium.webdriver.common.keys import Keys

    from autograd import texts
    from autograd.i18n import language

    def score_text(right: int, asked: int) -> str:
        with language(lang):
            return texts.score(right, asked)

    expected = stepper("neuron", lang=lang)
    page = expected.save_html(tmp_path / "quiz.html", quiz=True)
    browser.get(page.as_uri())
    body = browser.find_element("tag name", "body")
    for _ in expected.forward:
        body.send_keys(Keys.ARROW_RIGHT)
    step = lambda: browser.find_element("css selector", ".stepgrad-step:not([hidden])")  # noqa: E731
    shown = lambda kind: step().find_element("css selector", f'.stepgrad-feedback[data-kind="{kind}"]').is_displayed()  # noqa: E731
    score = browser.find_element("id", "score")
    wait_for(lambda: browser.switch_to.active_element.get_attribute("name") == "local", "the answer box focused")
    assert not step().find_element("css selector", ".stepgrad-answer").is_displayed()  # the sentence waits
    browser.switch_to.active_element.send_keys("0.5", Keys.TAB)
    browser.switch_to.active_element.send_keys("0.7", Keys.ENTER)  # the grad is wrong
    assert shown("hint") and "do/dn = 1 - o**2" in step().text and score.text == score_text(0, 0)
    browser.switch_to.active_element.send_keys(Keys.TAB)  # the focus went back to the first box
    grad = browser.switch_to.active_element
    grad.send_keys(Keys.CONTROL, "a")
    grad.send_keys("0.5004", Keys.ENTER)  # within the stated tolerance
    assert shown("right") and score.text == score_text(1, 1)
    assert step().find_element("css selector", ".stepgrad-answer").is_displayed()
    assert "do/dn = 1 - o**2 = 0.5000" in step().text
    browser.switch_to.active_element.send_keys(Keys.ENTER)  # the focus is on Next
    for _ in range(2):
        browser.switch_to.active_element.send_keys("9", Keys.TAB)
        browser.switch_to.active_element.send_keys("9", Keys.ENTER)
        browser.switch_to.active_element.send_keys(Keys.CONTROL, "a")
    assert shown("wrong") and score.text == score_text(1, 2)
    assert console_errors(browser) == []
