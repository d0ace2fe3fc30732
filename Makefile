# One task runner for students, instructors and CI (.ci/run calls `make test`).
# Every target sets up its own virtual environment (.venv) from the pinned
# requirements; run `make help` for the list.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist workers for `make test` and `make check` (default: one per CPU; the long
# suites run serially).
TEST_WORKERS ?= auto
# The assignment most targets work on (`make grade ASSIGNMENT=L1W2`).
ASSIGNMENT ?= L1W3
# Every assignment's source notebook (nbval and goldens cover them all).
SOURCE_NBS := $(wildcard source/*/*.ipynb)

# The course's private files (source, grading specs, gradebook, submissions, feedback, the course
# secret, the grade exports): group and others lose access before every grading run and after
# every target that writes them (grader/course/privacy.py); the grader refuses to grade otherwise.
SECURE = $(BIN)/python -m grader secure
# The engine's byte code, brought up to date before a run: where PYTHONDONTWRITEBYTECODE is set
# (this project's machines set it) Python compiles every module it imports on each run, about
# 40 ms of a grading run's start.  pip compiles what it installs; this is the same for ours.
COMPILE = $(BIN)/python -m compileall -q grader

# nbgrader runs alembic as a subprocess: the venv's bin must be on PATH.
export PATH := $(BIN):$(PATH)
# The source notebooks' hidden-test cells import the trusted `grader` package.
export PYTHONPATH := $(CURDIR)
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.PHONY: help venv release goldens demo grade submissions table export test check \
        validate clean reset system-deps mutation lint format secure \
        feedback report collect roster bench render-tools test-long test-field

help:
	@echo "make demo      release, grade three sample submissions, print the scores"
	@echo "make test      what every change must pass (about 4 minutes on 2 cores)"
	@echo "make test-long the long suites: adversarial, mutation, browser, exchange, robustness (CI runs both)"
	@echo "make test-field the hostile cases that hurt neighbours (fork bomb, memory, tmpfs, survivor) graded"
	@echo "               on this machine as you: prints the protections and whether each neighbour kept its points"
	@echo "make check     the linter, the format check and the unit tests (the edit loop, under a minute)"
	@echo "make format    let ruff fix the imports and the formatting that make check refuses"
	@echo "make secure    make the course's private files unreadable by other users (the grading targets do)"
	@echo "make release   regenerate notebooks/ (the student release) from source/"
	@echo "make grade     autograde every submission in submitted/ (WORKERS=n, default: CPU count;"
	@echo "               ALLOW_UNISOLATED=1 grades where bubblewrap cannot isolate, printing the risk)"
	@echo "make feedback  feedback pages for every graded student"
	@echo "make report    class report reports/L1W3.html and grades_by_exercise.csv"
	@echo "make collect ZIP=downloads.zip [LMS=canvas|moodle] [TIMEZONE=Asia/Shanghai]   file an LMS download into"
	@echo "               submitted/ (TIMEZONE: the zone of the zip's file times, default UTC)"
	@echo "make roster CSV=roster.csv   import students' names (id,first_name,last_name,email)"
	@echo "make bench     stock nbgrader autograde against make grade (warm, cold, Dask) on 20, 200 and 1,000 submissions"
	@echo "make validate NB=path/to/notebook.ipynb   run the public self-checks"
	@echo "make goldens   re-execute the source notebook and store its outputs"
	@echo "make mutation  grade the catalog of buggy and equivalent submissions, print the table"
	@echo "make reset     remove every grading output (submissions, gradebook, autograded, feedback,"
	@echo "               reports, CSVs, the course-local exchange): a fresh course; keeps the venv"
	@echo "make clean     make reset, then also remove the venv, build/ and the caches (a rebuild takes minutes)"

# Students' requirements plus the instructors' extras (requirements-instructor.txt
# includes requirements.txt), all pinned by constraints.txt.
$(STAMP): requirements.txt requirements-instructor.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	    -r requirements-instructor.txt -c constraints.txt
	touch $(STAMP)

venv: $(STAMP)

release: $(STAMP)
	$(BIN)/python -m grader release

# Golden outputs: the source notebook's stored outputs, checked by nbval.  Every cell runs,
# the exploratory ones too: their tag `skip-execution` is for the validate paths, and an
# empty skip tag matches no cell.  No timestamps are recorded (nothing of the run but its outputs).
goldens: $(STAMP)
	for nb in $(SOURCE_NBS); do \
	    $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	        --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.skip_cells_with_tag= \
	        --ExecutePreprocessor.record_timing=False "$$nb" || exit 1; \
	done
	$(BIN)/python -m grader release

secure: $(STAMP)
	$(SECURE)

submissions: $(STAMP)
	$(BIN)/python -m grader demo-submissions $(ASSIGNMENT)
	$(SECURE)

grade: $(STAMP)
	@$(COMPILE)
	$(SECURE)
	$(BIN)/python -m grader grade $(ASSIGNMENT) $(if $(WORKERS),--workers $(WORKERS)) \
	    $(if $(ALLOW_UNISOLATED),--allow-unisolated)

table: $(STAMP)
	$(BIN)/python -m grader table $(ASSIGNMENT)

export: $(STAMP)
	$(BIN)/nbgrader export --to grades.csv
	$(SECURE)

demo: $(STAMP)
	@$(COMPILE)
	$(BIN)/python -m grader release
	$(BIN)/python -m grader demo-submissions $(ASSIGNMENT)
	$(SECURE)
	$(BIN)/python -m grader grade $(ASSIGNMENT)
	$(BIN)/nbgrader export --to grades.csv --log-level=WARN
	@echo "grades.csv written"
	$(BIN)/python -m grader table $(ASSIGNMENT)
	$(BIN)/python -m grader feedback $(ASSIGNMENT)
	$(BIN)/python -m grader report $(ASSIGNMENT)
	$(SECURE)
	@echo
	@echo "Class report:   reports/$(ASSIGNMENT).html"
	@echo "Feedback pages: feedback/<student>/$(ASSIGNMENT)/$(basename $(notdir $(wildcard source/$(ASSIGNMENT)/*.ipynb))).html"
	@echo "make reset removes the demo's students and every grading output (the venv stays)."

feedback: $(STAMP)
	$(BIN)/python -m grader feedback $(ASSIGNMENT)
	$(SECURE)

report: $(STAMP)
	$(BIN)/python -m grader report $(ASSIGNMENT)
	$(SECURE)

# An LMS download (Canvas or Moodle file names: see grader/lms/collect.py).  TIMEZONE is the
# zone the zip's file times are in (the LMS server's; default UTC).  Not TZ: that is the
# shell's own zone, which make would pass on unasked and which need not be the LMS's.
collect: $(STAMP)
	@test -n "$(ZIP)" || { echo "usage: make collect ZIP=downloads.zip [LMS=canvas|moodle] [TIMEZONE=Asia/Shanghai]"; exit 2; }
	$(BIN)/python -m grader collect "$(ZIP)" --assignment $(ASSIGNMENT) $(if $(LMS),--lms "$(LMS)") \
	    $(if $(TIMEZONE),--timezone "$(TIMEZONE)")

# Students' names and emails from a roster CSV (id,first_name,last_name,email).
roster: $(STAMP)
	@test -n "$(CSV)" || { echo "usage: make roster CSV=roster.csv"; exit 2; }
	$(BIN)/python -m grader roster "$(CSV)"

# Stock nbgrader against this grader, in one run (bench/run.py says how).
bench: $(STAMP)
	@$(COMPILE)
	$(BIN)/python bench/run.py

validate: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make validate NB=path/to/notebook.ipynb"; exit 2; }
	$(BIN)/python -m grader validate "$(NB)"

# Everything a change must pass, in one pytest session spread over the CPUs (pytest-xdist;
# one test file per worker at a time, so module fixtures are built once): the grader and
# material tests without the long suites, nbval on every source notebook against its stored
# outputs, the committed release rebuilt and compared, and the release with the solutions
# filled in run from top to bottom (grader_tests/material/test_release_built.py).  Temporary files
# stay in this checkout's build/: no test depends on, or is disturbed by, another test run on
# the machine (pytest's default basetemp is shared by every run of a user).
test: system-deps $(STAMP) render-tools lint
	$(SECURE)
	mkdir -p build
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -p no:cacheprovider \
	    --basetemp=$(CURDIR)/build/pytest grader_tests/unit grader_tests/integration grader_tests/material \
	    --nbval $(SOURCE_NBS) --nbval-sanitize-with grader_tests/nbval_sanitize.cfg --nbval-cell-timeout=600

# The long suites (grader_tests/long/, marked `long` by its conftest): the adversarial catalog, the
# mutation catalog, real Jupyter servers in a real browser, the exchange, kill/rerun and
# concurrent writers, and the nbgrader paths' equivalence.  About 8 minutes on 2 cores;
# .ci/run runs them after `make test`.
test-long: system-deps $(STAMP) render-tools
	$(SECURE)
	mkdir -p build
	$(BIN)/python -m pytest grader_tests/long -p no:cacheprovider --basetemp=$(CURDIR)/build/pytest-long

# The hostile cases that could cost a neighbour points (fork bomb, memory, tmpfs bytes and
# inodes, a detached survivor), each graded beside an innocent submission on this machine, as
# whoever runs it (root, a normal user, cgroup v1 or v2): prints the protections table and per
# case whether the neighbour kept its points and whether a process was left.  Exit 1 if not;
# 2 where the grader refuses to run students' code (GRADER_ALLOW_UNISOLATED=1 runs it anyway).
test-field: $(STAMP)
	mkdir -p build
	$(BIN)/python -m grader_tests.helpers.field --base $(CURDIR)/build

# The edit loop: the linter, the format check and every unit test (no kernel, no notebook
# execution, no server); under a minute on 2 cores.
check: $(STAMP) lint
	mkdir -p build
	$(BIN)/python -m pytest grader_tests/unit -q -p no:cacheprovider \
	    -n $(TEST_WORKERS) --dist loadfile --basetemp=$(CURDIR)/build/pytest-check

# ruff (ruff.toml): pyflakes, import order, unused arguments, and the code's formatting.
# `make format` rewrites what the format check refuses.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

system-deps:
	./scripts/system-deps.sh

mutation: $(STAMP)
	$(BIN)/python -m grader_tests.helpers.mutation

# The markdown/formula checker's node packages (marked, MathJax), pinned by
# grader_tests/render/package-lock.json; grader_tests/material/test_markdown.py runs it.
render-tools:
	npm ci --prefix grader_tests/render --no-audit --no-fund

# A fresh course without rebuilding the environment: everything grading writes (the demo's
# students included) goes, the sources, the release and the venv stay.  It needs no venv.
reset:
	find autograded -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf submitted downloaded feedback reports exchange gradebook.db gradebook.db-journal \
	    grades.csv grades_by_exercise.csv

clean: reset
	rm -rf build .pytest_cache
	rm -rf $(VENV)
