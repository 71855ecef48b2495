# hierlab: `make figures` runs the notebook series, `make test` runs the test suite.
# Both create the virtual environment on first use; nothing else needs installing by hand
# (`make test` also installs Debian's chromium and chromium-driver for the browser test).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= notebooks,dev,embed,io
# the embed extra needs torch; 2.13.0 is a CPU build (any other resolution pulls CUDA)
TORCH  ?= torch==2.13.0
comma  := ,
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
PIP    := $(BIN)/python -m pip --disable-pip-version-check
INSTALL := $(PIP) install --progress-bar off
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup test lint format figures lab bench browser clean

setup: $(STAMP)  ## create .venv and install hierlab with the extras the targets need

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "== creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "== installing hierlab[$(EXTRAS)] into $(VENV) (the first time takes several minutes)"
	$(INSTALL) --quiet --upgrade pip
	$(if $(findstring embed,$(EXTRAS)),$(INSTALL) '$(TORCH)')
	$(INSTALL) -e '.[$(EXTRAS)]'
	@rm -f $(VENV)/.installed-*
	@touch $@
	@echo "== $(VENV) is ready"

browser:  ## install Debian's chromium and chromium-driver when missing (the browser test)
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then \
	  echo "== chromium and chromedriver are installed"; \
	else \
	  echo "== installing chromium and chromium-driver (Debian packages)"; \
	  { $(SUDO) apt-get update -q && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	      chromium chromium-driver; } || \
	  { if [ -n "$$CI" ]; then exit 1; fi; \
	    echo "== could not install chromium: the browser test will be skipped on this machine"; }; \
	fi

lint: setup  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup  ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup lint browser  ## lint, then the whole test suite in parallel (skip the browser: PYTEST_ARGS='-m "not browser"')
	$(BIN)/python -m pytest -n 2 --durations=10 $(PYTEST_ARGS)

figures: setup  ## run every notebook headless and export figures/ (plus the README gallery)
	@echo "== gallery -> figures/gallery"
	$(BIN)/python tools/gallery.py figures/gallery
	@echo "== notebooks -> figures (each notebook prints its progress)"
	$(BIN)/python tools/run_notebooks.py notebooks figures

lab: setup  ## open JupyterLab on notebooks/ (.py files open as notebooks via jupytext)
	$(BIN)/jupyter lab notebooks

bench:  ## speed against the reference libraries, printed as ratios (installs the bench extra)
	$(MAKE) setup EXTRAS=notebooks,dev,embed,bench
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
