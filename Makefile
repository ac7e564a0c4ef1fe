# BoneFit: `make run` to try it, `make test` to test it. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint format bench createtherapist audit clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=true $(BIN)/python manage.py seed_demo
	DJANGO_DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check --quiet .
	DJANGO_DEBUG=true $(BIN)/python manage.py check
	DJANGO_DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest --timeout 300 -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "make bench needs wrk: apt-get install -y wrk" >&2; exit 2; }
	$(BIN)/python bench/run.py 8
	$(BIN)/python bench/concurrent_writes.py --writers 20 --writes 25

createtherapist: $(STAMP)
	@test -n "$(USERNAME)" || (echo "Usage: make createtherapist USERNAME=name" >&2; exit 2)
	DJANGO_DEBUG=true $(BIN)/python manage.py createtherapist "$(USERNAME)"

# Known-vulnerable dependencies: every installed (pinned) package against PyPI's advisories.
# Needs the network, so it is not part of `make test`; run it before a release and weekly.
audit: $(STAMP)
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

clean:
	rm -rf $(VENV) staticfiles test-artifacts
