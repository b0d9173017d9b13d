# ceasefire-sim: `make run` (the default scenario batch) and `make test` each set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,analysis,app
APP_PORT ?= 8765

.PHONY: run test lint bench fuzz app setup clean

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

# Property-based fuzzing (tests/test_fuzz.py, hypothesis profile `fuzz`) of the configuration space and of the
# command line (override strings, CEASEFIRE_SIM_MEMORY_BYTES, output directories: never a traceback): FUZZ_EXAMPLES
# configurations (and a thirtieth as many command lines, each a whole run) split over FUZZ_JOBS processes with
# independent random seeds; each prints its statistics. A failing example is kept in .hypothesis/ and replayed
# first by the next run.
FUZZ_EXAMPLES ?= 10000
FUZZ_JOBS ?= 2
fuzz: $(STAMP)
	@mkdir -p .hypothesis; pids=""; for i in $$(seq 1 $(FUZZ_JOBS)); do \
		HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$$(( $(FUZZ_EXAMPLES) / $(FUZZ_JOBS) )) $(BIN)/python -m pytest -q \
			-p no:cacheprovider --hypothesis-show-statistics tests/test_fuzz.py > .hypothesis/fuzz-$$i.log 2>&1 & \
		pids="$$pids $$!"; done; \
	status=0; for pid in $$pids; do wait $$pid || status=1; done; \
	for i in $$(seq 1 $(FUZZ_JOBS)); do echo "=== fuzz process $$i of $(FUZZ_JOBS)"; cat .hypothesis/fuzz-$$i.log; done; \
	exit $$status

# The classroom app on this machine only; its page assets come from installed packages (no internet needed).
app: $(STAMP)
	SOLARA_TELEMETRY_MIXPANEL_ENABLE=False $(BIN)/solara run sim.app --host 127.0.0.1 --port $(APP_PORT) \
		--production --no-check-version

# The workshop notebooks in JupyterLab, on this machine only, with its update and news checks off. The first run
# installs the `workshop` extra: run it once while online, before the day.
.PHONY: notebooks
NOTEBOOK_PORT ?= 8888
$(VENV)/.installed-workshop: pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS),workshop]"
	touch $@

notebooks: $(VENV)/.installed-workshop
	$(BIN)/jupyter lab --ip 127.0.0.1 --port $(NOTEBOOK_PORT) --notebook-dir experiments/workshop \
		--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate --LabApp.news_url=None \
		--LabApp.extension_manager=readonly

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache .ruff_cache
