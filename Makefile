# Two commands on a fresh machine: `make demo` (the main job on the embedded default) and `make test`.
# Each creates the virtual environment first if it is missing.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Caches (the anny body-model build, the demo's reference walkers) go where `gaitcraft` itself puts them:
# $GAITCRAFT_CACHE if set, else .cache/ in this checkout (gaitcraft/paths.py), so make and direct runs share them.

.PHONY: demo test lint bench env clean-env

$(STAMP): pyproject.toml
	@echo "setting up $(VENV): torch 2.13.0 (CPU build) and GaitCraft's dependencies; about 1-3 min, once"
	test -x $(PY) || python3 -m venv $(VENV)
	# torch first, pinned: a bare `torch` requirement would pull a multi-GB CUDA build on a CPU machine
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

env: $(STAMP)

demo: $(STAMP)
	$(PY) -m gaitcraft.cli demo --out out/demo

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean-env:
	rm -rf $(VENV)
