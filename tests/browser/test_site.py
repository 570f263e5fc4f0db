"""The built websites, driven in headless Chromium (see conftest.py for servers and browser).

Instructor site: every chapter page loads with its figures and no JavaScript error; every EXTRA
box is closed, opens on click, and its maths is typeset by MathJax (no raw `$$`); the Colab and
download buttons point at the right notebook; solutions are present (in dropdowns).
Student site: the same pages hold no trace of any solution (not even hidden), the Colab buttons
open the student branch, and the downloadable notebooks hold no solution cell.
Screenshots of one chapter page (EXTRA box closed and open) go to _build/browser/.
"""
from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
import yaml

from _browser_support import ARTIFACTS, ROOT

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
STUDENT_CONFIG = yaml.safe_load((ROOT / "_config_student.yml").read_text(encoding="utf-8"))
REPO = CONFIG["repository"]["url"].rstrip("/").removeprefix("https://github.com/")
COLAB = CONFIG["launch_buttons"]["colab_url"].rstrip("/")


# ----------------------------------------------------------------------------- helpers
def chapter_pages(site: Path) -> list[str]:
    """Pages built from notebooks: those with a notebook under _sources/."""
    return sorted(p.relative_to(site / "_sources").with_suffix(".html").as_posix()
                  for p in (site / "_sources").rglob("*.ipynb"))


def notebook_cells(site: Path, page: str) -> list[dict]:
    nb = json.loads((site / "_sources" / page).with_suffix(".ipynb").read_text(encoding="utf-8"))
    return nb["cells"]


def _src(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _is_solution(cell):
    return "solution" in (cell.get("metadata", {}).get("tags") or []) or re.search(r"\{solution", _src(cell))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def solution_fragments(cells: list[dict]) -> list[str]:
    """Distinctive pieces of solution text (plain-word runs, code lines) absent from other cells."""
    others = _norm(" ".join(_src(c) for c in cells if not _is_solution(c)))
    frags = []
    for cell in filter(_is_solution, cells):
        s = _src(cell)
        if cell["cell_type"] == "markdown":
            s = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|\{[^}]*\}`[^`]*`", " | ", s, flags=re.S)
            for run in re.findall(r"(?:[A-Za-z][A-Za-z'’-]*[,;.]? ){5,}[A-Za-z][A-Za-z'’-]*", s):
                frags.append(_norm(run))
        else:
            frags += [_norm(line) for line in s.splitlines()
                      if len(line.strip()) >= 20 and not line.strip().startswith("#")]
    return [f for f in frags if f not in others]


def load(browser, url: str) -> list[dict]:
    """Open ``url``, wait for MathJax, return the console entries that are real errors."""
    browser.get_log("browser")  # drop entries of earlier pages
    browser.get(url)
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const wait = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
        "  ? MathJax.startup.promise.then(() => done(true), () => done(false))"
        "  : (document.readyState === 'complete' && !document.querySelector('script[src*=mathjax]')"
        "     ? done(true) : setTimeout(wait, 50));"
        "wait();")
    errors = []
    for entry in browser.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        msg = entry["message"]
        # unreachable third-party hosts (widget manager CDN etc.) are offline on purpose
        if "net::ERR_NAME_NOT_RESOLVED" in msg or "net::ERR_INTERNET_DISCONNECTED" in msg:
            if "127.0.0.1" not in msg.split(" ")[0]:
                continue
        errors.append(entry)
    return errors


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


# ----------------------------------------------------------------------------- instructor site
def test_chapters_listed_and_built(instructor_site):
    site, _ = instructor_site
    pages = chapter_pages(site)
    assert pages, f"no chapter page in {site}"
    if site == ROOT / "_build" / "html":  # the repository's own build: compare with _toc.yml
        toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
        listed = {ch["file"] + ".html" for part in toc["parts"] for ch in part["chapters"]
                  if (ROOT / ch["file"]).with_suffix(".ipynb").exists()}
        assert listed <= set(pages)


def test_chapter_pages_load_with_figures_and_no_js_error(browser, instructor_site):
    site, base = instructor_site
    report = []
    for page in chapter_pages(site):
        errors = load(browser, f"{base}/{page}")
        assert not errors, f"{page}: console errors {errors}"
        sizes = browser.execute_script(
            "return Array.from(document.querySelectorAll('article img')).map(i => [i.src, i.complete, i.naturalWidth]);")
        broken = [s for s in sizes if not s[1] or s[2] == 0]
        assert not broken, f"{page}: images that did not load {broken}"
        n_code_figs = sum(1 for c in notebook_cells(site, page) if c["cell_type"] == "code" and "plt." in _src(c))
        if n_code_figs:
            assert sizes, f"{page}: the notebook draws figures but the page shows no image"
        report.append(f"{page}: {len(sizes)} images")
    (ARTIFACTS / "pages.txt").write_text("\n".join(report) + "\n")


def test_extra_boxes_closed_open_on_click_and_typeset(browser, instructor_site):
    site, base = instructor_site
    from selenium.webdriver.common.by import By

    seen = 0
    shots = False
    for page in chapter_pages(site):
        load(browser, f"{base}/{page}")
        boxes = browser.find_elements(By.CSS_SELECTOR, "details.extra")
        for i, box in enumerate(boxes):
            seen += 1
            summary = box.find_element(By.TAG_NAME, "summary")
            assert summary.text.startswith("EXTRA — "), f"{page} box {i}: summary {summary.text!r}"
            assert box.get_attribute("open") is None, f"{page} box {i} is open by default"
            body = box.find_elements(By.XPATH, "./*[not(self::summary)]")
            assert body, (f"{page} box {i}: its content was not parsed as markdown (raw text/maths inside the "
                          "HTML block: blank lines missing after </summary> or before </details>?)")
            assert not any(el.is_displayed() for el in body), f"{page} box {i}: content visible while closed"
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
            if not shots:
                browser.save_screenshot(str(ARTIFACTS / "extra_closed.png"))
            summary.click()
            assert box.get_attribute("open") is not None, f"{page} box {i} did not open on click"
            assert any(el.is_displayed() for el in body), f"{page} box {i}: content hidden after click"
            text = box.get_attribute("textContent")
            assert "$$" not in text, f"{page} box {i}: raw $$ shown (maths not typeset)"
            assert not re.search(r"(?<!\\)\$[^$\s][^$]*\$", text), f"{page} box {i}: raw $...$ shown"
            n_math = len(box.find_elements(By.CSS_SELECTOR, "mjx-container"))
            n_src_math = len(box.find_elements(By.CSS_SELECTOR, ".math"))
            assert n_math >= n_src_math and n_math > 0, f"{page} box {i}: {n_math} typeset of {n_src_math} maths"
            if not shots:
                browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", box)
                browser.save_screenshot(str(ARTIFACTS / "extra_open.png"))
                (ARTIFACTS / "screenshots.txt").write_text(f"{page}, first EXTRA box: {summary.text}\n")
                shots = True
            summary.click()
            assert box.get_attribute("open") is None, f"{page} box {i} did not close on a second click"
    if seen == 0:
        pytest.skip("no chapter has an EXTRA box yet")


def _launch_links(browser):
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('a')).map(a => a.href)"
        ".filter(h => h.includes('colab.research.google.com'));")


def _download_link(browser):
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('a')).map(a => a.href)"
        ".filter(h => h.includes('/_sources/') && h.endsWith('.ipynb'));")
    return links[0] if links else None


def test_colab_and_download_buttons(browser, instructor_site):
    site, base = instructor_site
    branch = CONFIG["repository"].get("branch", "main")
    for page in chapter_pages(site):
        load(browser, f"{base}/{page}")
        nb = Path(page).with_suffix(".ipynb").as_posix()
        assert _launch_links(browser) == [f"{COLAB}/github/{REPO}/blob/{branch}/{nb}"], page
        if site == ROOT / "_build" / "html":
            assert (ROOT / nb).is_file(), f"the Colab link of {page} names {nb}, which is not in the repository"
        link = _download_link(browser)
        assert link, f"{page}: no .ipynb download button"
        cells = json.loads(fetch(link))["cells"]
        assert len(cells) == len(notebook_cells(site, page))


def test_instructor_site_shows_solutions(browser, instructor_site):
    site, base = instructor_site
    found = 0
    for page in chapter_pages(site):
        frags = solution_fragments(notebook_cells(site, page))
        if not frags:
            continue
        load(browser, f"{base}/{page}")
        text = _norm(browser.execute_script("return document.body.textContent;"))
        found += sum(f in text for f in frags)
        assert browser.execute_script("return document.querySelectorAll('.solution').length;") > 0, page
    if found == 0:
        pytest.skip("no chapter has a solution yet")


# ----------------------------------------------------------------------------- student site
def test_student_site_has_no_solution(browser, instructor_site, student_site):
    isite, _ = instructor_site
    ssite, sbase = student_site
    branch = STUDENT_CONFIG["repository"]["branch"]
    pages = chapter_pages(isite)
    assert chapter_pages(ssite) == pages, "the student site must have the same chapters"
    assert not list(ssite.rglob("_sources/**/*.md")) and not list(ssite.rglob("*.md.txt")), "student site publishes sources"
    checked = 0
    for page in pages:
        frags = solution_fragments(notebook_cells(isite, page))  # from the instructor's sources
        errors = load(browser, f"{sbase}/{page}")
        assert not errors, f"student {page}: console errors {errors}"
        html = browser.page_source
        text = _norm(browser.execute_script("return document.body.textContent;"))
        leaks = [f for f in frags if f in text or f in html]
        assert not leaks, f"student {page} shows solution text: {leaks[:3]}"
        assert browser.execute_script("return document.querySelectorAll('.solution, .tag_solution').length;") == 0
        nb = Path(page).with_suffix(".ipynb").as_posix()
        assert _launch_links(browser) == [f"{COLAB}/github/{REPO}/blob/{branch}/{nb}"], page
        link = _download_link(browser)
        assert link, f"student {page}: no .ipynb download button"
        cells = json.loads(fetch(link))["cells"]
        assert not any(_is_solution(c) for c in cells), f"student download of {page} holds a solution"
        dl = _norm(" ".join(_src(c) for c in cells))
        assert not [f for f in frags if f in dl], f"student download of {page} holds solution text"
        checked += len(frags)
    (ARTIFACTS / "student.txt").write_text(f"{len(pages)} student pages, {checked} solution fragments checked absent\n")


def _repository_links(browser):
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('a')).map(a => a.href)"
        f".filter(h => h.startsWith('https://github.com/{REPO}'));")


def test_buttons_serve_the_generated_notebooks(browser, instructor_site, student_site):
    """Downloads are the Jupyter-native editions (`make notebooks`), and the student site's
    repository button opens the student branch, never `main` (which holds the solutions)."""
    for (site, base), edition in ((instructor_site, "instructor"), (student_site, "student")):
        for page in chapter_pages(site):
            load(browser, f"{base}/{page}")
            nb = json.loads(fetch(_download_link(browser)))
            assert nb["metadata"].get("course_export", {}).get("edition") == edition, f"{edition} {page}"
            assert not re.search(r"\{(glue|cite|eq|ref|numref|doc)[\w:-]*\}`|^:::", " ".join(_src(c) for c in nb["cells"]), re.M)
            repo = set(_repository_links(browser))
            if edition == "student":
                assert repo == {f"https://github.com/{REPO}/tree/{STUDENT_CONFIG['repository']['branch']}"}, page
