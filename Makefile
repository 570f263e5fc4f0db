# The course's two commands: `make book` builds the website, `make test` runs every check.
# Both create .venv from the pinned requirements.txt when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export COURSE_QUIET := 1
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: install book book-student test unit nbval book-strict clean
install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q pip==26.3
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## The instructor website (solutions visible) in _build/html; re-runs only changed notebooks.
book: $(STAMP)
	$(BIN)/jupyter-book build . -W --keep-going

## Every check: unit tests, notebooks re-executed by nbval, then the site built with warnings as errors.
test: $(STAMP)
	$(BIN)/python -m pytest -q tests
	$(BIN)/python -m pytest -q --nbval-lax --nbval-current-env book
	$(BIN)/jupyter-book build . -W --keep-going

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests

nbval: $(STAMP)
	$(BIN)/python -m pytest -q --nbval-lax --nbval-current-env book

clean:
	rm -rf _build
