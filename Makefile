# MyData Counter — `make demo` and `make test` on a fresh Debian 12 machine (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config/demo.toml

# Debian packages for development and tests: card service and virtual cards, PKCS#11 tokens, barcode
# library, CJK font for receipts, the browser for e2e tests and the kiosk, PDF rasteriser, CUPS; and
# for `make deb` and its tests, lintian and patchelf; promtool (prometheus) checks the alert rules.
# Stations never get these from here: they install the .deb, whose Depends are Debian 12's own packages
# and none of the test tools (vsmartcard-vpcd, softhsm2, gcc, prometheus, lintian …).
APT_PACKAGES := pcscd libpcsclite-dev swig pcsc-tools vsmartcard-vpcd python3-virtualsmartcard espeak-ng \
	softhsm2 opensc libzbar0 fonts-wqy-zenhei chromium poppler-utils cups cups-bsd cups-ipp-utils \
	libgl1 libglib2.0-0 python3-venv python3-dev gcc systemd cage xwayland curl \
	lintian patchelf prometheus

DEB_VERSION ?= $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)

.PHONY: screenshots openapi fuzz deb deb-test help install system-packages demo test lint typecheck pytest bench fuzz soak screenshots receipts clean

help:
	@echo "make demo   - install what is missing, then run sandbox broker, kiosk and clerk (simulated devices)"
	@echo "make test   - install what is missing, then ruff, mypy and pytest (incl. browser e2e)"
	@echo "make bench  - run every benchmark, write bench/results.json and bench/results.md"
	@echo "make lint   - ruff, the layering contract (import-linter) and mypy"
	@echo "make deb    - build dist/mydata-counter_<version>_amd64.deb (offline station install) and lintian it"

install: system-packages $(STAMP)

# Installs missing Debian packages when run as root; otherwise says which are missing.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian packages:$$missing"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
		else \
			echo "missing Debian packages (run 'sudo make install' or apt-get install):$$missing"; exit 1; \
		fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/mydata-counter demo --config $(CONFIG)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy counter_core counter_web mydata_counter kiosk clerk broker_client broker_sandbox hardware tests deploy

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/mydata-counter bench all --config $(CONFIG) --output bench/results.json

# The station package: the application with its own Python environment, units, config template, users
# (docs/deploy.md). `make test` builds it too (tests/deb: lintian, install, doctor, upgrade, purge).
deb: install
	$(BIN)/python deploy/debian/build.py --out dist --version $(DEB_VERSION)
	lintian --fail-on error dist/mydata-counter_$(DEB_VERSION)_amd64.deb

# Only the package's tests (they build two packages of their own and install them on this machine, as root).
deb-test: install
	$(BIN)/pytest tests/deb tests/ops/test_ops_systemd.py

# Regenerate the broker API spec from the protocol models (a test fails when they drift apart).
openapi: install
	$(BIN)/python -c "import yaml; from broker_client.openapi import build_spec; \
	open('docs/broker-api.yaml', 'w').write(yaml.safe_dump(build_spec(), allow_unicode=True, sort_keys=False, width=110))"

# Long schemathesis run (>= 2000 cases) against a running sandbox.
# Load and soak: 50 clerk sessions + 2 kiosks against a fresh sandbox (make test runs 20 s of it).
SOAK_MINUTES ?= 10
soak: install
	$(BIN)/mydata-counter sandbox --config $(CONFIG) soak --minutes $(SOAK_MINUTES)

fuzz: install
	MYDATA_FUZZ_EXAMPLES=150 $(BIN)/pytest -q tests/broker/test_broker_schema.py

# Every kiosk screen in zh-TW and en, from a real run, into docs/screens/.
screenshots: install
	$(BIN)/python -m mydata_counter.testing.screenshots

# The sample receipts in docs/receipts/ (fixed code and time: a diff shows only layout changes).
receipts: install
	$(BIN)/mydata-counter hw receipt-samples --out docs/receipts

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
