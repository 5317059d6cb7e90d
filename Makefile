# make demo  - the main job on the bundled demo data (offline, no token, no GPU); installs only
#              requirements-demo.txt (no torch)
# make test  - lint and the whole test suite (no GPU, network or keys needed); installs the rest
PYTHON_BOOT ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
DEMO_OUT := ../results_demo
RUN := cd inference_and_evaluation && ../$(PY)
# .venv/bin/python works from the scripts' folder too
LINK := ln -sfn ../$(VENV) inference_and_evaluation/$(notdir $(VENV))

.PHONY: venv demo test lint format clean-demo

venv: $(STAMP)

# Everything (requirements-dev.txt includes every other set); it also satisfies the demo's set.
$(STAMP): requirements.txt requirements-eval.txt requirements-demo.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(LINK)
	touch $(DEMO_STAMP) $(STAMP)

# Only what the demo needs: the scripts run from their folder, so no package install either.
$(DEMO_STAMP): requirements-demo.txt
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-compile -r requirements-demo.txt
	$(LINK)
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(RUN) inference_baselines.py --dataset demo --baseline all --inference_mode ICL --task_format open --output-dir ../results --no-progress
	$(RUN) inference_baselines.py --dataset demo --baseline all --inference_mode ICL --task_format mcqa --output-dir ../results --no-progress
	$(RUN) inference_baselines.py --dataset demo --baseline majority --inference_mode ICL --task_format open --num-icl 1 --output-dir ../results --no-progress
	$(RUN) evaluate_EM.py $(DEMO_OUT)
	$(RUN) variance_analysis.py $(DEMO_OUT) --generate_table --figures-dir ../figures
	$(RUN) stratify.py $(DEMO_OUT) --eval_type em --figures-dir ../figures
	$(RUN) stratify.py $(DEMO_OUT) --eval_type mcqa --figures-dir ../figures
	$(RUN) report.py $(DEMO_OUT)
	@echo "demo results, evaluations, tables (evaluation_results.*, latex_table.tex, ablations.*, icl_gain.*),"
	@echo "stratification and report.html are in results_demo/; figures are in figures/"

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean-demo:
	rm -rf results_demo
