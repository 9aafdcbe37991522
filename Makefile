# Chillproxy: `make run` starts everything, `make test` runs every test. Only Python 3.11 and make needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install system-deps run demo test test-compose lint format clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,embedded]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	$(BIN)/python -m libs.embedded.stack

# `make run` with the test fakes as upstreams: try everything without a TorBox or Prowlarr account
demo: install
	$(BIN)/python -m tests.demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

system-deps:
	@bash tests/system-deps.sh

test: install system-deps lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# deploy/docker-compose.yml built and run for real, one journey through it (needs Docker): tests/compose/
test-compose: install
	$(BIN)/python -m tests.compose.journey
	$(BIN)/python -m tests.compose.journey --cluster

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
