"""How the chapter pages read: phone width, folded solutions, typeset maths, offline, legible figures.

* At a phone's 390×844, no display equation, table or figure reaches past the screen unless it
  sits in a box that scrolls sideways (and nothing sits left of its scroll box, out of reach).
* Instructor site: every solution (text, code, output) is inside a closed dropdown: none of the
  solution text is visible before a click, and every solution code cell sits inside a dropdown.
* No `$` next to typeset maths, no raw `$$` or `\\tag{` in the visible text.
* While a page loads, nothing is requested from any host but the local server (after the MathJax
  substitution of conftest.py).
* At 1400×900, every figure is shown at a scale where matplotlib's tick labels are at least 8 px.
* One numbering: chapter titles "C. …", sections "C.k", equations "(C.k)", exercises "Exercise C.k",
  and the text's cross-references render those numbers.
Screenshots of one chapter at 1400×900 and 390×844 go to _build/browser/.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import pytest

from _browser_support import ARTIFACTS
from test_site import chapter_pages, load, notebook_cells, solution_fragments

PHONE = (390, 844)
DESKTOP = (1400, 900)
MIN_TICK_PX = 8.0
SCREENSHOT_PAGE = "book/04_sde.html"  # many display equations, wide figures, a table


def viewport(browser, size):
    w, h = size
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600})


@pytest.fixture
def at_size(browser):
    yield lambda size: viewport(browser, size)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# What may not reach past the screen, and the check (JavaScript): each such element, and the
# typeset maths inside it, must lie within the screen or within a scroll box that lies within it.
OVERFLOW_JS = r"""
const vw = document.documentElement.clientWidth;
function scroller(el) {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const ox = getComputedStyle(p).overflowX;
    if (ox === 'auto' || ox === 'scroll') return p;
  }
  return null;
}
const bad = [];
const sel = 'article div.math, article mjx-container[display="true"] mjx-math, article table, article .cell_output img, article .anim-controls, article .anim-slider, article p code, article li code';
for (const el of document.querySelectorAll(sel)) {
  if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
  const r = el.getBoundingClientRect();
  if (r.width === 0) continue;
  const box = scroller(el);
  const b = box ? box.getBoundingClientRect() : {left: 0, right: vw};
  const inScreen = b.left >= -1 && b.right <= vw + 1;
  const reachable = r.left >= b.left - 1 && (r.right <= b.right + 1 || (box && box.scrollWidth > box.clientWidth));
  if (!inScreen || !reachable) {
    bad.push(`${el.tagName.toLowerCase()}.${el.className} [${Math.round(r.left)}, ${Math.round(r.right)}] `
             + `in ${box ? box.tagName.toLowerCase() + '.' + box.className : 'page'} [${Math.round(b.left)}, ${Math.round(b.right)}]: `
             + (el.textContent || el.getAttribute('src') || '').trim().slice(0, 60));
  }
}
return {bad, page: document.documentElement.scrollWidth, vw};
"""


def test_phone_width_nothing_past_the_screen(browser, instructor_site, at_size):
    site, base = instructor_site
    at_size(PHONE)
    report = []
    for page in chapter_pages(site):
        load(browser, f"{base}/{page}")
        res = browser.execute_script(OVERFLOW_JS)
        assert not res["bad"], f"{page} at {PHONE}: past the screen, no scroll box: {res['bad'][:5]}"
        assert res["page"] <= res["vw"] + 1, f"{page} at {PHONE}: the page itself is {res['page']} px wide"
        report.append(f"{page}: ok at {PHONE[0]} px")
    (ARTIFACTS / "phone.txt").write_text("\n".join(report) + "\n")


def test_wide_display_maths_scroll_on_desktop(browser, instructor_site, at_size):
    site, base = instructor_site
    at_size(DESKTOP)
    for page in chapter_pages(site):
        load(browser, f"{base}/{page}")
        res = browser.execute_script(OVERFLOW_JS)
        assert not res["bad"], f"{page} at {DESKTOP}: cut at the edge: {res['bad'][:5]}"


# ----------------------------------------------------------------------------- solutions folded
FOLD_JS = r"""
const cells = Array.from(document.querySelectorAll('.tag_solution'));
const loose = cells.filter(c => !c.closest('.solution')).map(c => c.textContent.trim().slice(0, 80));
const shown = cells.filter(c => c.checkVisibility({visibilityProperty: true, opacityProperty: true})).map(c => c.textContent.trim().slice(0, 80));
const open = Array.from(document.querySelectorAll('.solution')).filter(s => {
  const body = s.querySelector('section, .solution-content, #solution-content');
  return body && body.checkVisibility({visibilityProperty: true, opacityProperty: true});
}).length;
return {n: cells.length, loose, shown, open, text: document.body.innerText};
"""


def test_instructor_solutions_folded(browser, instructor_site):
    site, base = instructor_site
    n_cells = 0
    for page in chapter_pages(site):
        frags = solution_fragments(notebook_cells(site, page))
        load(browser, f"{base}/{page}")
        res = browser.execute_script(FOLD_JS)
        n_cells += res["n"]
        assert not res["loose"], f"{page}: solution code cells outside a dropdown: {res['loose'][:3]}"
        assert not res["shown"], f"{page}: solution code visible before a click: {res['shown'][:3]}"
        assert res["open"] == 0, f"{page}: {res['open']} solution dropdown(s) open on load"
        text = re.sub(r"\s+", " ", res["text"])
        visible = [f for f in frags if f in text]
        assert not visible, f"{page}: solution text visible before a click: {visible[:3]}"
    if n_cells == 0:
        pytest.skip("no solution code cell yet")


# ----------------------------------------------------------------------------- maths typeset
DOLLAR_JS = r"""
const near = [];
for (const m of document.querySelectorAll('article mjx-container')) {
  const prev = m.previousSibling, next = m.nextSibling;
  const a = prev && prev.nodeType === 3 ? prev.textContent : '';
  const b = next && next.nodeType === 3 ? next.textContent : '';
  if (/\$\s*$/.test(a) || /^\s*\$/.test(b)) near.push((a.slice(-30) + ' [maths] ' + b.slice(0, 30)).trim());
}
const art = document.querySelector('article');
return {near, text: art ? art.innerText : ''};
"""


def test_no_dollar_next_to_typeset_maths(browser, instructor_site, student_site):
    for site, base in (instructor_site, student_site):
        for page in chapter_pages(site):
            load(browser, f"{base}/{page}")
            res = browser.execute_script(DOLLAR_JS)
            assert not res["near"], f"{base}/{page}: `$` beside typeset maths: {res['near'][:3]}"
            for raw in ("$$", "\\tag{", "\\begin{"):
                assert raw not in res["text"], f"{base}/{page}: raw {raw!r} in the visible text"


# ----------------------------------------------------------------------------- offline
def _requests(browser) -> list[str]:
    urls = []
    for entry in browser.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def test_no_request_to_other_hosts(browser, instructor_site, student_site):
    pages = ["index.html", "search.html?q=posterior"]
    for site, base in (instructor_site, student_site):
        host = urlparse(base).hostname  # both test servers run there (an earlier page may still be
        for page in chapter_pages(site) + pages:  # fetching from the other one: not a foreign host)
            _requests(browser)  # drop earlier entries
            load(browser, f"{base}/{page}")
            foreign = sorted({u for u in _requests(browser)
                              if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname != host})
            assert not foreign, f"{base}/{page} requests other hosts: {foreign}"


# ----------------------------------------------------------------------------- figures
def tick_label_px_at_natural_size() -> float:
    """Height in px of matplotlib's tick labels in a PNG output, at the build's defaults."""
    import matplotlib
    from matplotlib.font_manager import FontProperties

    size = FontProperties(size=matplotlib.rcParams["xtick.labelsize"]).get_size_in_points()
    dpi = matplotlib.rcParams["figure.dpi"]
    return size * dpi / 72


def test_figures_legible_at_desktop_width(browser, instructor_site, at_size):
    site, base = instructor_site
    at_size(DESKTOP)
    natural_px = tick_label_px_at_natural_size()
    lines = []
    for page in chapter_pages(site):
        load(browser, f"{base}/{page}")
        imgs = browser.execute_script(
            "return Array.from(document.querySelectorAll('article .cell_output img'))"
            ".filter(i => i.src.endsWith('.png') && i.checkVisibility({visibilityProperty: true, opacityProperty: true}))"
            ".map(i => [i.src.split('/').pop(), i.naturalWidth, i.getBoundingClientRect().width]);")
        empty = browser.execute_script(
            "return Array.from(document.querySelectorAll('article .cell_output'))"
            ".filter(o => o.checkVisibility() && !o.querySelector('img, svg, canvas, iframe, table, mjx-container')"
            " && !o.innerText.trim()).length;")
        assert empty == 0, f"{page}: {empty} empty output box(es)"
        for name, natural, shown in imgs:
            tick = natural_px * shown / natural
            lines.append(f"{page} {name}: {natural} px shown at {shown:.0f} px, tick labels {tick:.1f} px")
            assert tick >= MIN_TICK_PX, f"{page}: {name} ({natural} px) shown at {shown:.0f} px: tick labels {tick:.1f} px"
    (ARTIFACTS / "figures.txt").write_text("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------- numbering
NUMBERS_JS = r"""
const art = document.querySelector('article');
const h1 = art.querySelector('h1');
const secs = Array.from(art.querySelectorAll('section > h2')).map(h => h.textContent.trim());
const eqs = Array.from(art.querySelectorAll('div.math span.eqno')).map(e => e.textContent.trim());
const exs = Array.from(art.querySelectorAll('.exercise .admonition-title, .exercise p.admonition-title'))
              .map(e => e.textContent.trim());
const refs = Array.from(art.querySelectorAll('a.reference.internal')).map(a => a.textContent.trim());
return {h1: h1 ? h1.textContent.trim() : '', secs, eqs, exs, refs};
"""


def test_one_numbering_scheme(browser, instructor_site):
    site, base = instructor_site
    for c, page in enumerate(chapter_pages(site), start=1):
        load(browser, f"{base}/{page}")
        res = browser.execute_script(NUMBERS_JS)
        assert re.match(rf"{c}\. \S", res["h1"]), f"{page}: chapter title {res['h1']!r}"
        numbered = [s for s in res["secs"] if re.match(r"\d", s)]
        assert numbered, f"{page}: no numbered section"
        for k, s in enumerate(numbered, start=1):
            assert re.match(rf"{c}\.{k}\.? \S", s), f"{page}: section {k} is headed {s!r}"
        for k, e in enumerate(res["eqs"], start=1):
            assert e.startswith(f"({c}.{k})"), f"{page}: equation {k} is numbered {e!r}"
        for k, e in enumerate(res["exs"], start=1):
            assert e.startswith(f"Exercise {c}.{k}"), f"{page}: exercise {k} is titled {e!r}"
        prose = browser.execute_script(  # code may cite labels, as docstrings do; the prose may not
            "const a = document.querySelector('article').cloneNode(true);"
            "a.querySelectorAll('pre, .cell_input, .cell_output').forEach(e => e.remove());"
            "return a.textContent;")
        raw = re.findall(r"\(ch\d-[\w-]+\)|Exercise \d+(?!\.\d)\b", prose)
        assert not raw, f"{page}: typed labels or unnumbered exercises in the text: {raw[:5]}"


# ----------------------------------------------------------------------------- screenshots
def test_screenshots_of_one_chapter(browser, instructor_site, at_size):
    site, base = instructor_site
    page = SCREENSHOT_PAGE if SCREENSHOT_PAGE in chapter_pages(site) else chapter_pages(site)[0]
    names = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        at_size(size)
        load(browser, f"{base}/{page}")
        browser.save_screenshot(str(ARTIFACTS / f"chapter_{label}_top.png"))
        for what, sel in (("equation", "article div.math"), ("figure", "article div.cell.wide-figure img"),
                          ("table", "article table")):
            found = browser.execute_script(
                "const e = document.querySelector(arguments[0]); if (!e) return false;"
                "e.scrollIntoView({block: 'center'}); return true;", sel)
            if found:
                browser.save_screenshot(str(ARTIFACTS / f"chapter_{label}_{what}.png"))
                names.append(f"chapter_{label}_{what}.png")
        names.append(f"chapter_{label}_top.png")
    (ARTIFACTS / "screenshots_layout.txt").write_text(f"{page}: " + ", ".join(sorted(names)) + "\n")


def test_instructor_table_numbers_every_exercise(browser, instructor_site):
    site, base = instructor_site
    if not (site / "book" / "instructor.html").is_file():
        pytest.skip("no instructor page")
    load(browser, f"{base}/book/instructor.html")
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('.course-exercise-list tbody tr'))"
        ".map(r => r.cells.length > 1 ? r.cells[1].innerText.trim() : '');")
    assert cells, "the instructor page has no exercise table"
    unnumbered = [c for c in cells if not re.match(r"Exercise \d+\.\d+\b", c)]
    # an exercise label with capitals loses its number in references (Sphinx lower-cases ids)
    assert not unnumbered, f"exercise rows without a number C.k: {unnumbered}"


def test_search_snippets_without_raw_tex(browser, instructor_site):
    import time

    _, base = instructor_site
    load(browser, f"{base}/search.html?q=posterior+variance")
    snippets = []
    for _ in range(100):  # results arrive asynchronously, page by page
        snippets = browser.execute_script(
            "return Array.from(document.querySelectorAll('#search-results li p.context, #search-results li'))"
            ".map(e => e.innerText);")
        if snippets and browser.execute_script("return !!document.querySelector('#search-results p.search-summary');"):
            break
        time.sleep(0.1)
    assert snippets, "the search page found nothing for 'posterior variance'"
    raw = [s for s in snippets if re.search(r"\\\(|\\\[|\$", s)]
    assert not raw, f"search snippets show raw TeX: {raw[:2]}"


# ----------------------------------------------------------------------------- self-checks folded
CHECKS_JS = r"""
const first = document.querySelector('article .exercise');
const before = el => !first || (el.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING);
const shown = Array.from(document.querySelectorAll('article .cell_input pre'))
  .filter(p => before(p) && p.checkVisibility({visibilityProperty: true}))
  .flatMap(p => p.innerText.split('\n'))
  .filter(l => /^assert\b|^glue\(/.test(l));  // top-level ones (a loop that also computes stays)
const boxes = Array.from(document.querySelectorAll('details.course-checks'));
return {shown, boxes: boxes.length, open: boxes.filter(b => b.open).length,
        typeset: boxes.filter(b => b.querySelector('pre') === null).length};
"""


def test_self_checks_folded_in_the_text(browser, instructor_site):
    site, base = instructor_site
    n = 0
    for page in chapter_pages(site):
        load(browser, f"{base}/{page}")
        res = browser.execute_script(CHECKS_JS)
        n += res["boxes"]
        assert not res["shown"], f"{page}: self-check lines shown in the text's code: {res['shown'][:3]}"
        assert res["open"] == 0 and res["typeset"] == 0, f"{page}: self-check boxes open or empty: {res}"
    if n == 0:
        pytest.skip("no self-check in the chapters")
