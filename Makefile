# Two set-up commands on a fresh clone (Python >= 3.11 and make only):
#   make run    creates .venv, installs flightsim, runs scenarios/baseline.yaml into results/baseline/
#               (--force: a rerun replaces that run folder, never a folder flightsim did not write)
#   make test   creates .venv, installs flightsim with the test and explore extras, runs the tests
#   make explore  creates .venv, installs flightsim with the explore extra, starts the explorer
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/baseline.yaml

.PHONY: run test lint bench clean explore

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,explore]"
	touch $@ $(VENV)/.installed $(VENV)/.installed-explore

run: $(VENV)/.installed
	$(BIN)/flightsim run $(SCENARIO) --force

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check sim tests benchmarks tools
	$(BIN)/ruff format --check sim tests benchmarks tools
	$(BIN)/lint-imports

$(VENV)/.installed-explore: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[explore]"
	touch $@ $(VENV)/.installed

explore: $(VENV)/.installed-explore
	$(BIN)/flightsim explore $(SCENARIO)

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_model.py

clean:
	rm -rf $(VENV) .pytest_cache
