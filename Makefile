# Quick start: `make demo` (set up and diagnose a bundled example) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_BUNDLE ?= examples/kubeapps-audience-mismatch
DEMO_NOW ?= 2026-11-28T10:25:12Z

.PHONY: demo test lint typecheck unit bench bench-quick fuzz docs clean krew-archive screenshot

$(VENV)/.base: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.base
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The test identity provider (npm oidc-provider), installed exactly from the lock file.
.PHONY: idp
idp:
	@if [ -f tests/idp/package-lock.json ]; then \
		if [ ! -f tests/idp/node_modules/.package-lock.json ] || \
		   [ tests/idp/package-lock.json -nt tests/idp/node_modules/.package-lock.json ]; then \
			cd tests/idp && npm ci --no-audit --no-fund --loglevel=error; \
		fi; \
	fi

# The browser test's driver (npm playwright-core, exactly from the lock file). It drives the
# system's Chromium (Debian: apt-get install -y chromium); it never downloads a browser.
.PHONY: browser-deps
browser-deps:
	@if [ ! -f tests/browser/node_modules/.package-lock.json ] || \
	   [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then \
		cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error; \
	fi

# The README's picture of an HTML report, taken in the system's Chromium.
screenshot: $(VENV)/.test browser-deps
	$(BIN)/python tests/browser/screenshot.py docs/img/html-report.png

# Exit 0 when the diagnosis ran: finding the problem (exit 1) is the demo's point.
demo: $(VENV)/.base
	@$(BIN)/oidc-doctor diagnose --bundle $(DEMO_BUNDLE) --now $(DEMO_NOW); \
		status=$$?; [ $$status -le 1 ] || exit $$status; \
		echo; echo "demo: diagnosis ran (exit $$status: 1 means a root cause was found, as intended)"

lint: $(VENV)/.test
	$(BIN)/ruff check oidc_doctor tests benchmarks examples setup.py

typecheck: $(VENV)/.test
	$(BIN)/mypy

unit: $(VENV)/.test idp browser-deps
	OIDC_DOCTOR_STRICT=1 $(BIN)/pytest

test: lint typecheck unit

bench: $(VENV)/.test idp
	$(BIN)/python benchmarks/run.py

# The same with a tenth of the big inputs (5,500 bindings, a 64 MiB log), for iterating.
bench-quick: $(VENV)/.test idp
	$(BIN)/python benchmarks/run.py --quick

# Hypothesis over hostile bundles, token shapes, secret shapes and fix quoting (>= 10,000
# examples; seed corpus in benchmarks/fuzz_corpus/). Not part of `make test`.
FUZZ_EXAMPLES ?= 10000
fuzz: $(VENV)/.test
	$(BIN)/python benchmarks/fuzz.py --examples $(FUZZ_EXAMPLES)

docs: $(VENV)/.base
	$(BIN)/python -m oidc_doctor.causes > docs/causes.md

# The krew plugin's archive (the launcher in deploy/krew) and its sha256 for deploy/krew/oidc-doctor.yaml.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
krew-archive:
	mkdir -p dist
	tar -czf dist/kubectl-oidc_doctor-v$(VERSION).tar.gz -C deploy/krew kubectl-oidc_doctor
	sha256sum dist/kubectl-oidc_doctor-v$(VERSION).tar.gz

clean:
	rm -rf $(VENV) tests/idp/node_modules tests/browser/node_modules .mypy_cache .ruff_cache .pytest_cache benchmarks/data
