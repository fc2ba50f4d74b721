# veille — two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast test-all install lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall when the project's metadata changes. pip is upgraded first: the pip that ships
# with Python 3.11 misses lxml's html_clean extra and trafilatura then fails to import.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/veille demo --out out

# The default run: everything but the tests marked slow (those run in CI: `make test-all`).
test: $(STAMP)
	$(PY) -m pytest $(if $(CI),,-m "not slow") $(PYTEST_ARGS)

test-all: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) out data .pytest_cache
