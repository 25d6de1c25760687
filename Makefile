# MyData Counter — `make demo` and `make test` on a fresh Debian 12 machine (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config/demo.toml

# Debian packages the project needs: card service and virtual cards, PKCS#11 tokens, barcode
# library, CJK font for receipts, the browser for e2e tests and the kiosk, PDF rasteriser, CUPS.
APT_PACKAGES := pcscd libpcsclite-dev swig pcsc-tools vsmartcard-vpcd python3-virtualsmartcard espeak-ng \
	softhsm2 opensc libzbar0 fonts-wqy-zenhei chromium poppler-utils cups cups-bsd cups-ipp-utils \
	libgl1 libglib2.0-0 python3-venv python3-dev gcc systemd cage curl

PREFIX ?= $(CURDIR)
UNITS := mydata-counter-kiosk mydata-counter-clerk mydata-counter-kiosk-browser

.PHONY: screenshots openapi fuzz install-system help install system-packages demo test lint typecheck pytest bench fuzz soak screenshots receipts clean

help:
	@echo "make demo   - install what is missing, then run sandbox broker, kiosk and clerk (simulated devices)"
	@echo "make test   - install what is missing, then ruff, mypy and pytest (incl. browser e2e)"
	@echo "make bench  - run every benchmark, write bench/results.json and bench/results.md"
	@echo "make lint   - ruff, the layering contract (import-linter) and mypy"

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
	$(BIN)/mypy counter_core counter_web mydata_counter kiosk clerk broker_client broker_sandbox hardware tests

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/mydata-counter bench all --config $(CONFIG) --output bench/results.json

# Field install (as root): service users, config template (kept if present), systemd units.
install-system: install
	id -u mydata >/dev/null 2>&1 || useradd --system --home-dir /var/lib/mydata-counter --shell /usr/sbin/nologin mydata
	id -u mydata-screen >/dev/null 2>&1 || useradd --system --create-home --shell /usr/sbin/nologin mydata-screen
	usermod -a -G video,input,render mydata-screen 2>/dev/null || true
	install -d -m 0750 -g mydata /etc/mydata-counter
	test -f /etc/mydata-counter/config.toml || install -m 0640 -g mydata config/example.toml /etc/mydata-counter/config.toml
	for unit in $(UNITS); do \
		sed 's#@PREFIX@#$(PREFIX)#g' systemd/$$unit.service.in > /etc/systemd/system/$$unit.service; \
	done
	systemd-analyze verify $(addprefix /etc/systemd/system/,$(addsuffix .service,$(UNITS)))
	if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "installed; enable with: systemctl enable --now pcscd.socket $(UNITS)"

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
	rm -rf var .pytest_cache .mypy_cache .ruff_cache build *.egg-info
