"""Constants shared by the browser test's conftest and test module."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
MATHJAX_LOCAL = "/__mathjax__/"
ARTIFACTS = ROOT / "_build" / "browser"
