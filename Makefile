# The two commands the README opens with:
#   make demo   set up a virtualenv and run the main job (check + grade task 8.1 on the reference solution)
#   make test   set up everything the tests need (Debian packages included) and run the whole suite
SHELL := /bin/bash
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= $(if $(TUTOR_DATA_DIR),$(TUTOR_DATA_DIR),$(abspath ../shared/data))
APT_PACKAGES := python3-venv tmux bubblewrap slurmctld slurmd slurm-client slurmdbd munge mariadb-server passwd acl util-linux

.PHONY: venv demo test test-fast deb bench clean frameworks zoo class-install

# Debian packages first (python3-venv among them). A failed pip install fails make (pipefail)
# and removes the stamp, so the next make installs again instead of using a half-installed venv.
$(BIN)/tutor: pyproject.toml | deb
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "venv: tutor needs Python >= 3.11, $(PY) is $$($(PY) -V 2>&1); run make PY=/path/to/python3.11"; exit 2; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV) || { rm -rf $(VENV); echo "venv: $(PY) -m venv failed (Debian: apt-get install python3-venv, or make deb)"; exit 1; }
	set -o pipefail; $(BIN)/pip install -q --disable-pip-version-check --upgrade pip hatchling editables 2>&1 | { grep -v "^WARNING: Location" || true; } || { rm -f $(BIN)/tutor; exit 1; }
	set -o pipefail; $(BIN)/pip install -q --disable-pip-version-check --no-build-isolation -e '.[tf,dev]' 2>&1 | { grep -v "^WARNING: Location" || true; } || { rm -f $(BIN)/tutor; exit 1; }
	test -x $(BIN)/tutor
	touch $(BIN)/tutor

venv: $(BIN)/tutor

# Debian packages the tests drive for real (SLURM, munge, MariaDB, tmux, useradd).
deb:
	@if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi; \
	else echo "deb: not root or no apt-get; SLURM/tmux tests will skip locally (never in CI)"; fi

# The main job on a bundled example, in a throw-away state dir (.demo/): browse the course,
# check the untouched 8.1 starter (it is the baseline, so it fails and shows the layer
# comparison), check the reference solution, train it for one epoch and grade it.
DEMO := $(abspath .demo)
DEMO_ENV := TUTOR_DATA_DIR=$(DATA) TUTOR_HOME=$(DEMO)/state TUTOR_WORKSPACE_ROOT=$(DEMO)/work TUTOR_CONFIG=$(DEMO)/tutor.toml
demo: venv
	rm -rf $(DEMO) && mkdir -p $(DEMO) && echo '# demo course config' > $(DEMO)/tutor.toml
	$(DEMO_ENV) $(BIN)/tutor list
	$(DEMO_ENV) $(BIN)/tutor start task8.1
	$(DEMO_ENV) $(BIN)/tutor check task8.1 || true
	cp solutions/task8.1/* $(DEMO)/work/task8.1/
	$(DEMO_ENV) $(BIN)/tutor check task8.1
	$(DEMO_ENV) $(BIN)/tutor train task8.1 --epochs 1
	$(DEMO_ENV) $(BIN)/tutor grade task8.1
	$(DEMO_ENV) $(BIN)/tutor list

# The compatibility matrix's framework environments (TF 2.11, TF 2.15, Keras 3 on torch), built
# once outside the repo: $(TUTOR_FRAMEWORKS_DIR), default ~/.cache/tutor-frameworks.
frameworks:
	bash tests/frameworks/build.sh

# Regenerate the committed artifact zoo (tests/fixtures/zoo/) with every framework version in
# tests/zoo/envs.py, each in a throwaway virtualenv under ~/.cache/tutor-zoo. Not part of `make
# test`: CI grades the committed artifacts. `make zoo ZOO="tf2.8 tf2.20"` remakes only those.
zoo: venv
	$(BIN)/python tests/zoo/make_zoo.py --build $(ZOO)

test: deb venv frameworks
	TUTOR_DATA_DIR=$(DATA) $(BIN)/python -m pytest -p no:cacheprovider --durations=25 $(PYTEST_ARGS)

test-fast: venv
	TUTOR_DATA_DIR=$(DATA) $(BIN)/python -m pytest -p no:cacheprovider -m "not slow and not slurm" $(PYTEST_ARGS)

bench: venv
	TUTOR_DATA_DIR=$(DATA) $(BIN)/python bench/run_all.py

# A class install: tutor in one shared prefix that every student can run (README: "Class
# install"). The base Python must be readable by all (a venv links to it): the system
# python3 by default, never one under a private home such as /root/.pyenv.
CLASS_PREFIX ?= /opt/tutor
CLASS_PYTHON ?= /usr/bin/python3
CLASS_EXTRAS ?= tf
class-install:
	@py=$$(readlink -f "$(CLASS_PYTHON)") && test -x "$$py" || { echo "class-install: no Python at $(CLASS_PYTHON); set CLASS_PYTHON=/path/to/python3 (>=3.11, readable by all)"; exit 2; }
	@"$(CLASS_PYTHON)" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' || { echo "class-install: $(CLASS_PYTHON) is older than 3.11 or lacks venv/ensurepip (Debian: apt-get install python3-venv)"; exit 2; }
	@py=$$(readlink -f "$(CLASS_PYTHON)"); d=$$py; while [ "$$d" != / ]; do \
	  if [ -d "$$d" ] && [ "$$(stat -c %A "$$d" | cut -c10)" != x ] && [ "$$(stat -c %A "$$d" | cut -c10)" != t ]; then \
	    echo "class-install: $$d is not traversable by other users, so students could not run $$py: install a Python under /opt or /usr/local (or set CLASS_PYTHON)"; exit 2; fi; \
	  d=$$(dirname "$$d"); done
	umask 022 && "$(CLASS_PYTHON)" -m venv --clear "$(CLASS_PREFIX)"
	umask 022 && "$(CLASS_PREFIX)/bin/pip" install -q --disable-pip-version-check --upgrade pip
	umask 022 && "$(CLASS_PREFIX)/bin/pip" install -q --disable-pip-version-check --no-cache-dir ".[$(CLASS_EXTRAS)]"
	chmod -R a+rX,go-w "$(CLASS_PREFIX)"
	"$(CLASS_PREFIX)/bin/tutor" --help >/dev/null
	@echo "Installed tutor in $(CLASS_PREFIX): students run $(CLASS_PREFIX)/bin/tutor (or add $(CLASS_PREFIX)/bin to PATH)"

clean:
	rm -rf $(VENV) build dist *.egg-info
