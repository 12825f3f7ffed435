# entryphone: every target works on a fresh machine with only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck unit demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# The SIP server and test phones (Debian packages), only as root and only when missing.
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! { command -v kamailio && command -v baresip \
	    && ls /usr/lib/*/kamailio/modules/http_client.so /usr/lib/*/kamailio/modules/jansson.so; } >/dev/null 2>&1; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kamailio \
	    kamailio-utils-modules kamailio-extra-modules kamailio-postgres-modules baresip-core sip-tester >/dev/null \
	    || echo "warning: could not install kamailio/baresip; tests/sip will be skipped"; \
	fi
	@touch $(STAMP)

# The main job on the embedded default: SQLite under ./var, no other server.
# Ports and panel count: `make run PORT=8001 PANEL_PORT=9180 PANELS=5` (or the same names in the
# environment); unset, the demo's defaults apply (8000 or ENTRYPHONE_PORT, 9080, 3).
# Ctrl-C is the way to stop it: the demo exits 0 then, so make reports no error.
PORT ?=
PANEL_PORT ?=
PANELS ?=
run: install
	$(BIN)/entryphone demo $(if $(PORT),--port $(PORT)) $(if $(PANEL_PORT),--panel-port $(PANEL_PORT)) \
		$(if $(PANELS),--panels $(PANELS))

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q

# The whole suite (SQLite and PostgreSQL), lint and type checks.
test: install lint typecheck unit

bench: install
	$(BIN)/python bench/city.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
