# ceasefire-sim: `make run` (the default scenario batch) and `make test` each set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,analysis,app
APP_PORT ?= 8765

.PHONY: run test lint bench app setup clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m sim

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m sim.bench

# The classroom app on this machine only; its page assets come from installed packages (no internet needed).
app: $(STAMP)
	SOLARA_TELEMETRY_MIXPANEL_ENABLE=False $(BIN)/solara run sim.app --host 127.0.0.1 --port $(APP_PORT) \
		--production --no-check-version

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache .ruff_cache
