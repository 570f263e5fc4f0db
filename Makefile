# The course's commands (see README.md):
#   make book          instructor website (solutions in dropdowns)  -> _build/html
#   make book-student  student website (no solutions at all)        -> _build/student/_build/html
#   make test          every check (what .ci/run runs)
# All create .venv from the pinned requirements.txt when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The book build must use the inline backend (with MPLBACKEND=Agg, plt.show() outputs no figure);
# --all rewrites every page (cheap: executions stay cached) so navigation follows _toc.yml changes.
JB     := $(INLINE) $(BIN)/jupyter-book build . --all -W --keep-going
SITE   := book/_ext/course_site.py
STUDENT_HTML := _build/student/_build/html
NOTEBOOKS := $(wildcard book/*.ipynb)
CHAPTERS  := $(wildcard book/[0-9][0-9]_*.ipynb)
EXPORT := $(BIN)/python book/_ext/jupyter_export.py $(if $(REF),--ref $(REF))
export COURSE_QUIET := 1
# Thread policy (benchmarks/RESULTS.md, "The book"): torch's OpenMP threads sleep instead of
# spinning when they wait. Alone it costs nothing; beside one busy process a chapter ran 1.4x its
# time alone instead of more than 5x. Kernels started by nbval and the book build inherit it.
export OMP_WAIT_POLICY := PASSIVE
# nbval runs the kernels with the book build's backend, so the executions it stores in the
# jupyter-cache (tests/nbval_cache.py) carry the figures the website shows.
INLINE := MPLBACKEND=module://matplotlib_inline.backend_inline
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: install book book-student notebooks student-notebooks test unit nbval nbval-seeds browser install-check \
        notebooks-check colab-check clean
install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q pip==26.3
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## The instructor website in _build/html; re-executes only changed notebooks (jupyter-cache).
## The download button serves the Jupyter-native instructor notebook (see `notebooks`).
book: $(STAMP)
	$(JB)
	$(EXPORT) --edition instructor $(CHAPTERS)
	cp _build/notebooks/book/*.ipynb _build/html/_sources/book/

## The student website: same sources, every solution removed, Colab buttons on the `student` branch.
## Shares the execution cache with `make book`, so after it nothing is re-executed.
book-student: $(STAMP)
	$(BIN)/python $(SITE) config _config.yml _config_student.yml _build/_config_student.yml
	$(JB) --config _build/_config_student.yml --path-output _build/student
	$(EXPORT) --edition student $(CHAPTERS)
	cp _build/student-notebooks/book/*.ipynb $(STUDENT_HTML)/_sources/book/
	$(BIN)/python $(SITE) check $(STUDENT_HTML)

## Jupyter-native notebooks (no MyST markup; see CONTRIBUTING.md), published on the branches that
## the sites' Colab buttons open (README, "For a fork"): the instructor edition (solutions folded)
## in _build/notebooks/book, the student edition (no solution) in _build/student-notebooks/book.
## Glued numbers come from the book's execution cache (a chapter not in it is executed once).
## The Colab cell installs course_lib at REF (default: the current commit): make notebooks REF=v1.0
notebooks: $(STAMP)
	$(EXPORT) $(CHAPTERS)

## Only the student edition, for the `student` branch.
student-notebooks: $(STAMP)
	$(EXPORT) --edition student $(CHAPTERS)

## The render check on the generated notebooks (no MyST left, no placeholder without a value).
notebooks-check: notebooks
	COURSE_NOTEBOOKS_REQUIRED=1 MPLBACKEND=Agg $(BIN)/python -m pytest -q tests/test_jupyter_export.py

## A fresh environment with only Colab's packages + `pip install .` runs the generated notebooks.
colab-check: notebooks
	$(BIN)/python tests/colab_check.py

## Every check: unit tests, notebooks re-executed by nbval, both sites built with warnings as
## errors, the generated notebooks (render check, Colab-like run), the install path, then the
## sites checked in headless Chromium.
test: unit nbval book book-student notebooks-check colab-check install-check browser

unit: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q tests --ignore=tests/browser

## nbval executes every notebook once; each notebook whose cells all pass is stored, with its
## outputs, in the book build's jupyter-cache (tests/nbval_cache.py), so `make book` and
## `make book-student` after it execute nothing: CI pays for each notebook once.
## nbval exits 5 when it collects nothing; with no notebook yet there is nothing to check.
nbval: $(STAMP)
ifneq ($(NOTEBOOKS),)
	$(INLINE) $(BIN)/python -m pytest -q -p tests.nbval_cache --nbval-cache _build/.jupyter_cache \
		--nbval-lax --nbval-current-env $(NOTEBOOKS)
else
	@echo "nbval: no notebooks in book/ yet"
endif

## Optional (not part of `make test`): re-execute the notebooks with COURSE_SEED=1 and 2, to check that
## every assertion holds for other seeds too (every chapter reads SEED from COURSE_SEED, default 0).
## Pick chapters with NB=..., e.g. `make nbval-seeds NB=book/06_edm.ipynb`.
NB ?= $(CHAPTERS)
nbval-seeds: $(STAMP)
	for s in 1 2; do COURSE_SEED=$$s MPLBACKEND=Agg $(BIN)/python -m pytest -q --nbval-lax --nbval-current-env $(NB) || exit 1; done

## pip-installs the repository into a fresh virtual environment and imports it elsewhere.
install-check: $(STAMP)
	$(BIN)/python tests/install_check.py

## Headless Chromium on the built sites (needs `make book book-student`; see tests/browser/).
## Without Debian's chromium + chromedriver the test is skipped with one line, unless
## COURSE_BROWSER_REQUIRED is set (.ci/run installs them and sets it).
browser: $(STAMP)
	@if [ -z "$$COURSE_BROWSER_REQUIRED" ] && ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then \
		echo "browser test SKIPPED: it needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver) and npm for a local MathJax 3; .ci/run installs them and sets COURSE_BROWSER_REQUIRED=1"; \
	else $(BIN)/python -m pytest -q tests/browser; fi

clean:
	rm -rf _build
