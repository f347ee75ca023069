# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)

.PHONY: run demo-validate test lint ci-check

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

run: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo
	@$(MAKE) --no-print-directory demo-validate
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

# Findings for the demo from the start. The demo has errors on purpose, so `validate` exits 1: say
# that it is expected. Any other failure (exit 2: the validation could not run) shows what validate
# printed and stops `make run`.
VALIDATE ?= DJANGO_DEBUG=1 $(BIN)/python manage.py validate
demo-validate:
	@out=$$($(VALIDATE) 2>&1); status=$$?; \
	if [ $$status -eq 0 ]; then \
	  printf '%s\n' "$$out" | grep '^Sweep #' || true; \
	  echo "The demo environment was validated: no errors found."; \
	elif [ $$status -eq 1 ]; then \
	  printf '%s\n' "$$out" | grep '^Sweep #' || true; \
	  echo "The demo environment was validated and has errors ON PURPOSE, for the console to show"; \
	  echo "(dashboard, TLS readiness, connection review). 'manage.py validate' exits 1 when it finds"; \
	  echo "errors: that is expected here, nothing is broken."; \
	else \
	  printf '%s\n' "$$out"; \
	  echo "make run: validating the demo environment failed (exit status $$status), see above." >&2; \
	  exit $$status; \
	fi

# `make test` runs the tests in two pytest-xdist workers, each with its own test database
# (pytest-django adds _gw0, _gw1). A worker takes a whole file at a time (--dist loadfile: a module's
# Redis, Celery worker or benchmark runs start once), in collection order (--no-loadscope-reorder: the
# few long files start first). Two, for the 2-core machines CI runs on: with a free core they win
# (524 tests on PostgreSQL, back to back: load 3.5-5, 144 s in one process, 113 s in two), on a machine
# busy with other work they lose (load 5-8: 178 s / 233 s): there, `make test PYTEST_WORKERS=0`.
PYTEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

lint: $(STAMP)
	$(BIN)/ruff check .
