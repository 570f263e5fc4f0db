"""Manual check (not part of `make test`): do EXTRA boxes collapse and typeset in Jupyter too?

nbconvert's HTML stands in for Jupyter/Colab. nbconvert is not in requirements.txt, so run it from
any environment that has it, with a local MathJax 2 (nbconvert's pages load MathJax 2.7.7 from a
CDN); the page is then loaded in headless Chromium, offline:

    python -m venv /tmp/nbc && /tmp/nbc/bin/pip install nbconvert
    (cd /tmp && npm pack mathjax@2.7.7 && mkdir -p mj2 && tar xzf mathjax-2.7.7.tgz -C mj2)
    NBCONVERT=/tmp/nbc/bin/jupyter-nbconvert COURSE_MATHJAX2_DIR=/tmp/mj2/package \\
        .venv/bin/python tests/browser/jupyter_probe.py book/*.ipynb

Prints, for every EXTRA box, whether it is closed, opens on click, and holds typeset maths, and
exits with 1 if one does not. Result on 2026-11-23 (chapters 1-6, 11 boxes): every box closed,
opened on click, typeset, no raw `$$`.
"""
from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MATHJAX2_CDN = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js"


def main(notebooks: list[str]) -> int:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    nbconvert = os.environ.get("NBCONVERT", "jupyter-nbconvert")
    mj2 = Path(os.environ["COURSE_MATHJAX2_DIR"])
    out = Path(tempfile.mkdtemp(prefix="jupyter-probe-"))
    for nb in notebooks:
        subprocess.run([nbconvert, "--to", "html", "--output-dir", str(out), nb], check=True, capture_output=True)
    for html in out.glob("*.html"):
        html.write_text(html.read_text(encoding="utf-8").replace(MATHJAX2_CDN, "/__mj2__/MathJax.js"), encoding="utf-8")
    (out / "__mj2__").symlink_to(mj2)
    quiet = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    handler = functools.partial(quiet, directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    opts = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tempfile.mkdtemp()}",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    bad = 0
    try:
        for html in sorted(out.glob("*.html")):
            driver.get(f"http://127.0.0.1:{server.server_address[1]}/{html.name}")
            for _ in range(150):  # wait for MathJax 2 to finish its queue
                if driver.execute_script("return !!(window.MathJax && MathJax.Hub && MathJax.Hub.queue"
                                         " && MathJax.Hub.queue.pending === 0"
                                         " && document.querySelector('.MathJax_CHTML, .MathJax'));"):
                    break
                time.sleep(0.2)
            for i, box in enumerate(driver.find_elements(By.CSS_SELECTOR, "details.extra")):
                closed = box.get_attribute("open") is None
                box.find_element(By.TAG_NAME, "summary").click()
                opened = box.get_attribute("open") is not None
                n_math = len(box.find_elements(By.CSS_SELECTOR, ".MathJax_CHTML, .MathJax"))
                raw = "$$" in driver.execute_script("return arguments[0].innerText;", box)
                ok = closed and opened and n_math > 0 and not raw
                bad += not ok
                print(f"{html.name} box {i}: closed={closed} opens={opened} typeset={n_math} raw$$={raw}"
                      + ("" if ok else "   <-- FAIL"))
    finally:
        driver.quit()
        server.shutdown()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
