# One entry point for people and CI. `make install` then `make test` on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
# Python 3.12 as pinned in .python-version (pyenv), else whatever python3.12 is on PATH.
PYTHON ?= $(shell pyenv which python3.12 2>/dev/null || command -v python3.12 || echo python3.12)
STACK  ?= dev
SRC    := $(wildcard __main__.py components offline policies functions scripts benchmarks tests)

.PHONY: help install layers test lint typecheck unit plan check policy-docs bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# checkov in a virtualenv of its own: its pins (boto3 among them) clash with requirements-dev.txt.
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

install: $(VENV)/.installed $(CHECKOV_VENV)/.installed layers ## Create .venv and .venv-checkov (Python 3.12, pinned dependencies) and build the Lambda layers

layers: $(VENV)/.installed ## Build each function's dependencies as an arm64 layer under build/layers
	$(PY) scripts/build_layers.py

lint: install ## ruff on the project's code
	$(VENV)/bin/ruff check $(SRC)

typecheck: install ## mypy (strict) on the project's code
	$(VENV)/bin/mypy $(SRC)

unit: install ## pytest; "no tests collected" (exit 5) is a failure, not a pass
	@rc=0; $(VENV)/bin/pytest -q || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

test: lint typecheck unit ## Every check: lint, types, all tests

plan: install ## Offline preview of a stack with the packs' verdicts: make plan STACK=dev|prod
	$(PY) -m offline.plan --stack "$(STACK)"

check: install ## All three policy packs over a stack, offline: make check STACK=prod [FORMAT=json|sarif]
	$(PY) -m policies.check --program . --stack "$(STACK)" --format "$(or $(FORMAT),text)"

policy-docs: install ## Regenerate policies/README.md (the policy table)
	$(PY) -m policies.docs --write

bench: install ## Benchmarks (figures only, never pass/fail): plan, graph queries, function init, thumbnails vs sharp
	$(PY) benchmarks/run.py
	$(PY) benchmarks/graph_bench.py
	$(PY) benchmarks/cold_start.py
	cd benchmarks/node && npm ci --silent --no-audit --no-fund
	$(PY) benchmarks/thumbnail_bench.py

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) $(CHECKOV_VENV) build .mypy_cache .ruff_cache .pytest_cache
