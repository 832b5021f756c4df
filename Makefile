# The two commands a fresh machine needs are `make run` and `make test`; both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PROTOS := $(wildcard proto/knowport/v1/*.proto)

.PHONY: setup run serve test lint proto proto-check bench clean

# The virtual environment is rebuilt whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

setup: $(STAMP)

run: setup
	$(BIN)/knowport serve

test: setup
	$(BIN)/python -m pytest -q

lint: setup proto-check
	$(BIN)/ruff check .
	$(BIN)/buf lint
	$(BIN)/buf format --diff --exit-code
	$(BIN)/python -m tests.tools.container_build  # CPU torch, non-root USER, full lock
	@if git rev-parse --verify -q main >/dev/null; then \
	  $(BIN)/buf breaking --against '.git#branch=main'; \
	else echo "buf breaking: no main branch yet, nothing to compare"; fi

bench: setup
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench.parse
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.docs_index
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.retrieval
	$(BIN)/python -m bench.embed
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.pathological
	$(BIN)/python -m bench.http
	$(BIN)/python -m bench.workspaces
	$(BIN)/python -m bench.symbols

# Generated Python is committed; the import path equals the proto package (knowport.v1).
proto: setup
	$(BIN)/python -m grpc_tools.protoc -Iproto --python_out=. --pyi_out=. --grpc_python_out=. $(PROTOS)

# Fails when the committed generated code differs from what `make proto` would write.
proto-check: setup
	$(BIN)/python -m tests.tools.proto_freshness

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
