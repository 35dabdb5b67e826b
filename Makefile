# Two commands set up a fresh machine: `make test` and `make serve`. Both install what they need.
VENV   ?= .venv
PY     := $(VENV)/bin/python
TORCH  := torch==2.14.1 torchvision==0.29.1
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test lint serve bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: lint
	$(PY) -m pytest

serve: $(STAMP)
	$(VENV)/bin/cpbench serve

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
