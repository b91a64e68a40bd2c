# The two commands of the README: `make demo` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint typecheck lock docs clean browser screenshots

$(BIN)/oneplan: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

install: $(BIN)/oneplan

## Build the demo company into ./oneplan.db and run the S&OP cycle on it.
demo: install
	$(BIN)/oneplan demo-data demo-company
	$(BIN)/oneplan cycle run demo-company

## Lint, type-check and run the whole test suite (SQLite, the PostgreSQL server, Chromium).
test: install browser lint typecheck
	$(BIN)/pytest -n 2 --dist loadfile

## Debian's Chromium for the browser tests (Playwright cannot download browsers offline).
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

## Refresh docs/screenshots from the browser journey (the pages as each role sees them).
screenshots: install browser
	mkdir -p docs/screenshots
	ONEPLAN_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -q tests/browser

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

## Re-pin every dependency after changing pyproject.toml (needs network access to PyPI).
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--output-file requirements.lock --no-header --quiet

## Regenerate docs/data-package.md and docs/datapackage.json from the models.
docs: install
	$(BIN)/python -c 'from oneplan.datapack import write_docs; write_docs("docs")'

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
