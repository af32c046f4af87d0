# One command to run the app, one to run every test; both set everything up first
# and are safe to repeat.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
TFJS := vendor/tfjs-4.22.0/tf.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run dev test test-quick setup setup-test system-packages test-system-packages lint format zoo bench load embeddings label-issues clean

run: setup
	$(PY) -m streamlit run app.py --server.port $(PORT)

# For people editing the code: reload on save (a file watcher; costs CPU for every open tab).
dev: setup
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.fileWatcherType auto --server.runOnSave true

# Three pytest workers (pytest-xdist) on 2 cores: the browser tests mostly wait on their servers. tests/conftest.py
# keeps each test file in one worker (Ray's together) and sends the browser files first. `make test TEST_WORKERS=`
# runs everything in one process.
TEST_WORKERS ?= -n 3

test: setup-test
	$(PY) -m pytest $(TEST_WORKERS)

# While editing: the unit tests, every page through AppTest and the lint, without the browser, Ray or anything
# marked slow (markers in pyproject.toml), in the same workers. `make test` runs everything.
test-quick: setup-test
	$(PY) -m pytest $(TEST_WORKERS) tests/unit tests/app tests/test_lint.py -m "not e2e and not slow and not ray"

setup: system-packages $(VENV)/.runtime-installed $(TFJS)
setup-test: test-system-packages $(VENV)/.dev-installed $(TFJS)

# The dataset from Debian/Ubuntu (skipped where apt is missing: then set FASHION_MNIST_DIR).
system-packages:
	@if command -v apt-get >/dev/null && ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; fi

# Tests also need Debian's chromium for the browser tests; its colour emoji font draws the page icons in
# screenshots and is one source of recipes/world_pictures/.
# PostgreSQL for the database run store's tests, which start a throw-away server of their own (tests/conftest.py).
test-system-packages: system-packages
	@if command -v apt-get >/dev/null && ! (dpkg -s chromium && dpkg -s fonts-noto-color-emoji && dpkg -s libcairo2 && dpkg -s postgresql) >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji libcairo2 postgresql; fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# TensorFlow.js for training in the browser: npm's own tarballs, hash-checked, served by the app (server/tfjs.py).
# Without the npm registry the app still runs; the Train page then offers only the server (and says why).
$(TFJS): server/tfjs.py core/training/browser_runtime.py | $(VENV)/bin/python
	-$(PY) -m server.tfjs

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt requirements-ray.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-dev.txt -r requirements-ray.txt
	touch $@ $(VENV)/.runtime-installed

lint: setup-test
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

format: setup-test
	$(PY) -m ruff check --fix . && $(PY) -m ruff format .

# Remake what artifacts/ ships (recipes/ says how; hours on 2 cores): the zoo's models missing there, a lead model
# trained anew gets its top refit on the tuning drawings (once), the garment check is trained on its features, and
# every model's embedding map is remade (a retrained or refit model's map would be stale). setup-test: the tuning
# drawings need cairosvg and Debian's emoji font.
zoo: setup-test
	$(PY) -m recipes.train_zoo
	$(PY) -m recipes.refit_lead
	$(PY) -m recipes.train_garment_check
	$(PY) -m recipes.embeddings

# The embedding map of every shipped model (artifacts/<id>/embedding.npz), timed in bench/results/embedding.md.
embeddings: setup-test
	$(PY) -m recipes.embeddings

# k-fold out-of-sample probabilities of the 60,000 training images (artifacts/train_oof_probabilities.npz),
# then the label-issue ranking and its benchmark (bench/results/label_issues.md).
label-issues: setup-test
	$(PY) -m core.understand.label_issues
	$(PY) -m bench.bench_label_issues

# Rerun the benchmarks (well over an hour); bench/run_all.py lists them and says which it leaves to `make load`
# and `make cloud-rehearsal`.
bench: setup-test
	$(PY) -m bench.run_all

# Classroom load: simulated sessions over Streamlit's websocket protocol plus one training run
# (bench/loadgen.py; several minutes), then the pages with 100 runs on disk (bench/bench_scale.py).
load: setup-test
	$(PY) -m bench.loadgen --sessions 30 100 --arrival 60 --runs-on-disk 100 --epochs 12 --json bench/results/load.json
	$(PY) -m bench.bench_scale --runs 100 --json bench/results/scale.json
	$(PY) -m bench.bench_scale --runs 100 --pages home predict compare evaluate --read 10 --json bench/results/scale-from-dataset.json

clean:
	rm -rf $(VENV) vendor .pytest_cache .ruff_cache tests/e2e/output

# Streamlit Community Cloud rehearsed here (bench/cloud_rehearsal.py, several minutes): a clean clone of HEAD, uv on
# Python 3.12, Cloud's forced options, a 2.7 GB memory cgroup, every page and a training run; appends its figures
# to bench/results/cloud-rehearsal.md. Quicker reruns: REHEARSAL_ARGS="--keep", then "--skip-install --env DIR".
.PHONY: cloud-rehearsal
cloud-rehearsal: setup-test
	@$(PY) -c "import uv" 2>/dev/null || $(PY) -m pip install -q uv
	$(PY) -m bench.cloud_rehearsal $(REHEARSAL_ARGS)
