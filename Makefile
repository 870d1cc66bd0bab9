# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make run   - the whole system on embedded defaults, demo data included
#   make test  - the whole suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-quick browser nginx clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	exec env DEBUG=$${DEBUG-1} $(PY) -m examsite.launcher

browser:
	@bash scripts/ensure-chromium.sh

nginx:
	@bash scripts/ensure-nginx.sh

test: $(STAMP) browser nginx
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	DEBUG=1 $(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m pip install --quiet -r requirements-bench.txt
	$(PY) -m bench.run

# The capacity probe alone at a small scale (under 3 minutes), report in var/bench-quick/.
bench-quick: $(STAMP)
	$(PY) -m pip install --quiet -r requirements-bench.txt
	BENCH_QUICK=1 $(PY) -m bench.run

clean:
	rm -rf $(VENV) var
