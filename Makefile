# Rudder: `make run` opens the app on the demo book; `make test` passes every test.
# Both need nothing but Python 3.11+ on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench profile loadtest demo setup clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m insight_engine ensure-demo

run: demo
	$(BIN)/streamlit run app.py

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench.run

profile: $(STAMP)
	$(BIN)/python -m bench.profile

# N new browser sessions at once on the M book (LOADTEST_ARGS="--sessions 5 --profile").
loadtest: $(STAMP)
	$(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) data/demo data/*.db
