# The two commands of the README. Both set up .venv on first use (idempotent: pip runs again
# only when pyproject.toml or constraints.txt change) and install from constraints.txt, which
# pins torch to the CPU wheel.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

.PHONY: setup grade test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("pytorch-katas needs Python >= 3.11, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[instructor]'
	@touch $(STAMP)

# Grade your exercises with the hidden tests and print the scoreboard.
grade: setup
	$(BIN)/python -m grader grade exercises

# Every test: the kit is consistent, solutions pass the public and hidden tests, the mistakes
# corpus is caught, and the grader's own tests. pytest's exit 5 (no test ran) fails too.
# forge_plugin: each hidden check must also refuse observations with a container emptied.
test: setup
	$(BIN)/python -m grader build --check
	$(BIN)/python -m grader lint --corpus
	$(PYTEST) -q -p tests.grader.forge_plugin tests/public tests/hidden tests/grader \
		--submission solutions

bench: setup
	$(BIN)/python benchmarks/bench_grade.py

clean:
	rm -rf $(VENV)
