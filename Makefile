# hierlab: `make figures` runs the notebook series, `make test` runs the test suite.
# Both create the virtual environment on first use; nothing else needs installing by hand.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= notebooks,dev,embed,io
# the embed extra needs torch; 2.13.0 is a CPU build (any other resolution pulls CUDA)
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
comma  := ,

.PHONY: setup test lint format figures lab bench clean

setup: $(STAMP)  ## create .venv and install hierlab with the extras the targets need

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(if $(findstring embed,$(EXTRAS)),$(PIP) install '$(TORCH)')
	$(PIP) install -e '.[$(EXTRAS)]'
	@rm -f $(VENV)/.installed-*
	@touch $@

lint: setup  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup  ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup lint  ## lint, then the whole test suite in parallel
	$(BIN)/python -m pytest -n 2 --durations=10

figures: setup  ## run every notebook headless and export figures/ (plus the README gallery)
	$(BIN)/python tools/gallery.py figures/gallery
	$(BIN)/python tools/run_notebooks.py notebooks figures

lab: setup  ## open JupyterLab on notebooks/ (.py files open as notebooks via jupytext)
	$(BIN)/jupyter lab notebooks

bench:  ## speed against the reference libraries, printed as ratios (installs the bench extra)
	$(MAKE) setup EXTRAS=notebooks,dev,embed,bench
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
