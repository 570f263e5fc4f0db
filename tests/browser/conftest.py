"""Fixtures for the browser test: a local HTTP server for each built site, local MathJax, Chromium.

Sites (override with environment variables, e.g. to test a build made with --path-output):
  COURSE_SITE_HTML     instructor site, default _build/html           (make book)
  COURSE_STUDENT_HTML  student site,    default _build/student/_build/html  (make book-student)
MathJax: the site loads it from cdn.jsdelivr.net, which CI cannot reach. The server rewrites that
URL in every HTML page to /__mathjax__/ and serves a local MathJax 3 package from
COURSE_MATHJAX_DIR (default ~/.cache/course-mathjax/package), fetched once with `npm pack mathjax@3`.
Chromium: Debian's /usr/bin/chromium with /usr/bin/chromedriver (apt-get install chromium
chromium-driver); all other hosts are unresolvable, so nothing is downloaded during the test.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from _browser_support import ARTIFACTS, MATHJAX_CDN, MATHJAX_LOCAL, ROOT

# `make browser` sets COURSE_BROWSER_REQUIRED=1: a missing site or browser is then an error;
# a plain `pytest tests` skips these tests instead.
REQUIRED = bool(os.environ.get("COURSE_BROWSER_REQUIRED"))


def _missing(msg: str):
    (pytest.fail if REQUIRED else pytest.skip)(msg)


def mathjax_dir() -> Path:
    """The local MathJax 3 package (with es5/tex-mml-chtml.js), fetched from npm when missing."""
    env = os.environ.get("COURSE_MATHJAX_DIR")
    target = Path(env) if env else Path.home() / ".cache" / "course-mathjax" / "package"
    if (target / "es5" / "tex-mml-chtml.js").is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        _missing(f"no local MathJax in {target} and no npm to fetch it (apt-get install npm)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", "mathjax@3", "--pack-destination", tmp], check=True, capture_output=True)
        tgz = next(Path(tmp).glob("mathjax-*.tgz"))
        with tarfile.open(tgz) as tar:
            tar.extractall(target.parent, filter="data")  # the archive's root folder is package/
    return target


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves a built site; swaps the MathJax CDN for the local copy in HTML pages."""

    mathjax_root: Path = Path()

    def log_message(self, *args):  # keep pytest output clean
        pass

    def translate_path(self, path):
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if clean.startswith(MATHJAX_LOCAL):
            return str(self.mathjax_root / clean[len(MATHJAX_LOCAL):])
        return super().translate_path(path)

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            body = path.read_text(encoding="utf-8").replace(MATHJAX_CDN, MATHJAX_LOCAL).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            import io

            return io.BytesIO(body)
        return super().send_head()


def _serve(directory: Path, mj: Path):
    handler = type("Handler", (SiteHandler,), {"mathjax_root": mj})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def _site(env: str, default: str, make: str) -> Path:
    path = Path(os.environ.get(env) or ROOT / default)
    if not (path / "index.html").is_file():
        _missing(f"no built site in {path}: run `{make}` first (or set {env})")
    return path


@pytest.fixture(scope="session", autouse=True)
def wall_time():
    """Write the browser test's wall time to _build/browser/timing.txt (for the lead's note)."""
    import time

    start = time.perf_counter()
    yield
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timing.txt").write_text(f"browser test wall time: {time.perf_counter() - start:.1f} s\n")


@pytest.fixture(scope="session")
def mathjax():
    return mathjax_dir()


@pytest.fixture(scope="session")
def instructor_site(mathjax):
    path = _site("COURSE_SITE_HTML", "_build/html", "make book")
    server = _serve(path, mathjax)
    yield path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def student_site(mathjax):
    path = _site("COURSE_STUDENT_HTML", "_build/student/_build/html", "make book-student")
    server = _serve(path, mathjax)
    yield path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    try:
        from selenium import webdriver
    except ImportError:
        _missing("selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not Path(driver_path).exists():
        _missing("chromedriver not found: apt-get install -y chromium chromium-driver")
    profile = tempfile.mkdtemp(prefix="course-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--window-size=1280,1600", f"--user-data-dir={profile}",
                 # offline on purpose: every host but the local server is unresolvable
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})  # performance: network requests
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
