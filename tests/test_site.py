"""The course website as a reader sees it: built from the sources, served on 127.0.0.1, opened
in headless Chromium (the same set-up as test_browser.py: a fresh browser per test).

Every link of the index is followed: no page is missing, no page names or loads anything
outside the site, no page logs a console error, and the math is typeset. Search works,
each lesson prints (a PDF of several pages, the sidebars left out), and the pages fit
at 1366x768 and at a 390 px phone width. Set STEPGRAD_SCREENSHOTS=DIR to keep screenshots.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Iterator

import pytest

from nets import course

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("site")]  # one build, one worker
pytest.importorskip("selenium", reason="selenium is missing: `make browser` installs it")
pytest.importorskip("sphinx", reason="Sphinx is missing: `make site` installs what the site needs")
from test_browser import HEIGHT, WIDTH, answers, browser, console_errors, free_port, stop, wait_for  # noqa: E402, F401 - a fixture

LESSONS = sorted(p.stem for p in course.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
MATH_DONE = """return typeof MathJax === 'undefined'
  || (MathJax.isReady === true && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running)"""
# every address the page names or loaded: attributes of the document, and the resources fetched
ADDRESSES = """
const named = [...document.querySelectorAll('[src], [href], [data], [poster], [action]')]
  .flatMap(e => ['src', 'href', 'data', 'poster', 'action'].map(a => e.getAttribute(a)).filter(v => v !== null));
const css = [...document.querySelectorAll('[style]')].map(e => e.getAttribute('style')).join(' ').match(/url\\([^)]*\\)/g) || [];
return {named: named.concat(css), loaded: performance.getEntriesByType('resource').map(r => r.name)};
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[str]:
    """`make site`'s build, into a fresh folder, served by a static file server on 127.0.0.1."""
    output = tmp_path_factory.mktemp("site") / "site"
    course.build_site(output)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(output)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/index.html"), "the site's file server")
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(server)


def outside(base: str, address: str) -> bool:
    """True when `address` leaves the site (another host, or a scheme other than the site's own)."""
    if address.startswith(("#", "data:", "javascript:", "about:blank")) or not address.strip():
        return False
    address = address.strip().strip("'\"")
    if address.startswith("url("):
        address = address[4:-1].strip("'\"")
    parsed = urllib.parse.urlparse(urllib.parse.urljoin(base, address))
    return parsed.scheme not in ("http", "https") or parsed.netloc != urllib.parse.urlparse(base).netloc


def open_page(driver, url: str) -> None:
    driver.get(url)
    wait_for(lambda: driver.execute_script("return document.readyState") == "complete", f"{url} to load")
    wait_for(lambda: driver.execute_script(MATH_DONE), f"the math of {url} to be typeset")


def shoot(driver, name: str) -> None:
    if os.environ.get("STEPGRAD_SCREENSHOTS"):
        driver.save_screenshot(os.path.join(os.environ["STEPGRAD_SCREENSHOTS"], f"site-{name}.png"))


def test_every_index_link_opens_a_page_with_no_error_and_nothing_from_outside(browser, site):
    open_page(browser, site + "index.html")
    links = browser.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
    pages = sorted({link.split("#")[0] for link in links if not outside(site, link)})
    for lesson in LESSONS:
        assert f"{site}{lesson}.html" in pages, f"the index does not link {lesson}"
        if (course.NOTEBOOKS / "zh" / f"{lesson}.ipynb").exists():
            assert f"{site}zh/{lesson}.html" in pages, f"the index does not link the Chinese {lesson}"
    assert f"{site}TEACHERS_GUIDE.html" in pages
    assert {f"{site}_static/steppers/{name}" for name, _, _ in course.STEPPERS} <= set(pages)
    console_errors(browser)  # the index's own messages were checked when it is visited below
    for page in pages:
        assert answers(page), f"{page} is missing (linked from the index)"
        open_page(browser, page)
        title = browser.title
        assert "404" not in title and "Error response" not in title, f"{page}: {title}"
        found = browser.execute_script(ADDRESSES)
        leaving = [a for a in found["named"] + found["loaded"] if outside(site, a) and "www.w3.org/" not in a]
        assert not leaving, f"{page} names or loads addresses outside the site: {leaving[:5]}"
        errors = console_errors(browser)
        assert not errors, f"{page} logged console errors: {errors}"
        for folder, heading in (("", "Exercises"), ("zh/", "练习")):  # the Chinese series, where there is one
            if page in {f"{site}{folder}{lesson}.html" for lesson in LESSONS}:
                text = browser.find_element("tag name", "main").text
                assert heading in text and "check(" in text, f"{page} has no {heading} section"
                assert not re.findall(r"\\\(|\\\[", text), f"{page} shows untypeset TeX"


def test_search_finds_the_lessons_that_use_a_word(browser, site):
    open_page(browser, site + "search.html?q=gradcheck")
    results = wait_for(lambda: browser.find_elements("css selector", "#search-results li a"), "search results")
    found = {r.get_attribute("href").split("/")[-1].split(".")[0] for r in results}
    assert "03_checking_gradients" in found, found


def test_pages_fit_a_laptop_and_a_phone(browser, site):
    for width, height, label in [(WIDTH, HEIGHT, "1366"), (390, 844, "390")]:
        browser.set_window_size(width, height)
        for page in ["index", "04_from_a_neuron_to_an_mlp", "TEACHERS_GUIDE"]:
            open_page(browser, f"{site}{page}.html")
            sideways = browser.execute_script(
                "return document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")
            assert sideways <= 1, f"{page} scrolls sideways by {sideways} px at {width} px"
            shoot(browser, f"{page}-{label}")
        open_page(browser, f"{site}04_from_a_neuron_to_an_mlp.html")
        browser.execute_script("document.getElementById('exercises').scrollIntoView()")
        shoot(browser, f"exercises-{label}")


def test_a_lesson_prints_without_the_sidebars(browser, site):
    open_page(browser, f"{site}02_backprop_one_node_at_a_time.html")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    hidden = browser.execute_script("""return ['.bd-sidebar-primary', '.bd-sidebar-secondary', '.bd-header-article']
        .map(s => document.querySelector(s)).filter(e => e && getComputedStyle(e).display !== 'none').length""")
    assert hidden == 0, "the print view still shows sidebars or buttons"
    shoot(browser, "print-view")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})["data"])
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") + pdf.count(b"/Type /Page/") >= 0
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) > 3, "a whole lesson should print on several pages"


def test_a_stepper_page_steps(browser, site):
    name, _, _ = course.STEPPERS[0]
    open_page(browser, f"{site}_static/steppers/{name}")
    counter = browser.find_element("css selector", ".stepgrad-counter")
    first = counter.text
    browser.find_element("xpath", "//button[contains(., 'Next')]").click()
    wait_for(lambda: browser.find_element("css selector", ".stepgrad-counter").text != first, "the next step")
    assert browser.find_element("css selector", ".stepgrad-counter").text.startswith("Step 2 of")
    assert not console_errors(browser)


def test_the_chinese_site_speaks_chinese_in_the_themes_words_too(browser, site):
    """The Chinese series is a site of its own, built with Sphinx's language zh_CN: the theme's
    navigation, search, previous/next and print labels are Chinese, at 1366 and at 390 px."""
    for width, height, label in [(WIDTH, HEIGHT, "1366"), (390, 844, "390")]:
        browser.set_window_size(width, height)
        open_page(browser, f"{site}zh/02_backprop_one_node_at_a_time.html")
        words = browser.execute_script("""return {
            lang: document.documentElement.lang,
            caption: document.querySelector('.bd-sidebar-primary .caption-text').textContent,
            search: document.querySelector('.search-button__default-text').textContent,
            pager: document.querySelector('.prev-next-area').textContent,
            print: ['data-bs-original-title', 'title'].map(  // Bootstrap moves the tooltip's title
                a => document.querySelector('[onclick="window.print()"]').getAttribute(a)).find(t => t),
            toc: document.querySelector('.bd-sidebar-secondary').textContent}""")
        assert words["lang"] == "zh-CN" and words["caption"] == "课程" and words["search"].strip() == "搜索", words
        assert "上一页" in words["pager"] and "下一页" in words["pager"] and "PDF" in words["print"], words
        assert "目录" in words["toc"] and "Contents" not in words["toc"], words
        assert not re.search(r"\b(Previous|Next|Search|Contents|Print)\b", words["pager"] + words["print"]), words
        sideways = browser.execute_script("return document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")
        assert sideways <= 1, f"the Chinese lesson scrolls sideways by {sideways} px at {width} px"
        shoot(browser, f"zh-02-{label}")
    browser.set_window_size(WIDTH, HEIGHT)
    open_page(browser, site + "zh/search.html?q=" + urllib.parse.quote("检验"))
    results = wait_for(lambda: browser.find_elements("css selector", "#search-results li a"), "Chinese search results")
    found = {r.get_attribute("href").split("/")[-1].split(".")[0] for r in results}
    assert "03_checking_gradients" in found, found
