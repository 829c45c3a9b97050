# Gangway: `make run` launches the app, `make test` runs lint, types and the whole test suite.
# Both create .venv from the lock file first when it is missing or out of date.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The AWS CLI v1 for the tests (it reads AWS_ENDPOINT_URL_<SERVICE>), in a venv of its own so
# it cannot disturb the app's pins; ~10 s, once.
AWSCLI_VENV := .venv-awscli
AWSCLI_STAMP := $(AWSCLI_VENV)/.installed-stamp

.PHONY: run demo test lint typecheck pytest awscli screenshots bench icons build package package-check clean

$(STAMP): requirements/dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Gangway needs Python 3.11 or later")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(AWSCLI_STAMP): requirements/awscli-v1.lock
	test -x $(AWSCLI_VENV)/bin/python || $(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/awscli-v1.lock
	touch $(AWSCLI_STAMP)

awscli: $(AWSCLI_STAMP)

run: $(STAMP)
	$(BIN)/gangway

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check app tests bench scripts installers

typecheck: $(STAMP)
	$(BIN)/mypy

# Coverage of app/ (lines and branches, child processes included; see [tool.coverage] in
# pyproject.toml), printed after the tests; below fail_under the run fails.
pytest: $(STAMP) $(AWSCLI_STAMP)
	rm -f .coverage .coverage.*
	$(BIN)/python -m coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m coverage combine --quiet
	mkdir -p build
	$(BIN)/python -m coverage json --quiet -o build/coverage.json
	$(BIN)/python scripts/coverage_summary.py build/coverage.json
	$(BIN)/python -m coverage report

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
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
