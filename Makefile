# Gangway: `make run` launches the app, `make test` runs lint, types and the whole test suite.
# Both create .venv from the lock file first when it is missing or out of date.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run demo test lint typecheck pytest screenshots bench icons build package package-check clean

$(STAMP): requirements/dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Gangway needs Python 3.11 or later")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/gangway

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check app tests bench scripts installers

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

icons: $(STAMP)
	$(BIN)/python scripts/make_icons.py build/icons

build: icons
	$(BIN)/pyinstaller --noconfirm --clean build.spec

# What this OS can build, into dist/: the bundle, then the .deb and tarball (and a check of
# the Windows installer script), the NSIS installer, or the dmg (docs/packaging.md).
package: $(STAMP)
	$(BIN)/python scripts/package.py

# The built app and packages, tested as installed (the .deb part needs root; .ci/run is).
package-check: $(STAMP)
	GANGWAY_FROZEN_APP=dist/gangway/gangway $(BIN)/python -m pytest tests/packaging -q

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
