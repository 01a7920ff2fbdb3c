# Puente: `make run` serves the demo, `make test` runs everything. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The room: listen on every address so phones reach the laptop (HOST=127.0.0.1 keeps it
# private); ROOM_ADDRESS picks the address phones are sent to when the laptop has several.
HOST ?= 0.0.0.0
PORT ?= 8000
ROOM_ADDRESS ?=

.PHONY: run test setup browser lint format messages clean bench

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 13), "Python 3.13 is required (see .python-version); found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

run: setup
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_library
	$(BIN)/python manage.py seed_demo --port $(PORT)
	BIND_HOST=$(HOST) PORT=$(PORT) ROOM_ADDRESS=$(ROOM_ADDRESS) \
	  $(BIN)/python manage.py serve_room

# Debian's Chromium, poppler (PDF pages to PNG), gettext and iproute2 (the room's network
# test makes a second host with ip netns) for the tests (never a
# downloaded browser). Installs only what is missing; needs root (CI and dev machines are).
BROWSER_TOOLS := chromium:chromium pdftoppm:poppler-utils msgfmt:gettext ip:iproute2
browser:
	@missing=""; for pair in $(BROWSER_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    $$missing fonts-dejavu-core; fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: setup
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

test: setup browser lint
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# The benchmark of the live layer (bench/run.py, docs/performance.md): MODE=both|embedded|scaled,
# N=phones (default 100 embedded, 500 scaled), SOAK=30m. Scaled mode needs nginx (installed
# from Debian's packages when missing), PostgreSQL on 127.0.0.1:5432 and redis-server.
MODE ?= both
N ?=
SOAK ?= 0
PROCESSES ?=
bench: setup
	@if [ "$(MODE)" != embedded ] && ! command -v nginx >/dev/null 2>&1; then \
	  echo "Installing Debian's nginx"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; fi
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python bench/run.py --mode $(MODE) --n "$(N)" --soak "$(SOAK)" --processes "$(PROCESSES)"

clean:
	rm -rf $(VENV) var staticfiles
