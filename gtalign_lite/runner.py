"""Run the notebooks with papermill for a profile, or a sweep over parameters, resuming what finished.

    python -m gtalign_lite.runner --profile smoke
    python -m gtalign_lite.runner --profile cpu --sweep reward_variant=cobb_douglas,linear,llm,user seed=0,1,2
"""
from __future__ import annotations

import argparse
import copy
import itertools
import json
import shutil
import threading
import time
from pathlib import Path

import yaml

from .config import PARAMS_DIR, load_params, profiles
from .records import copy_figures, keep_seed, may_commit, restore_seed, same_sft, seed_stages
from .runs import Run, grpo_method, per_item_files, seed_folder, stage_name, stage_times, sweep_folder
from .schema import for_notebook

ROOT = PARAMS_DIR.parent
FIGURES = ROOT / "figures"  # committed: tables and plots of runs on the project's own data only
NOTEBOOKS = ("01_data", "02_payoff_prompting", "03_sft", "04_grpo_welfare", "05_evaluation", "06_pricing_adaptation",
             "07_reference_runs")
# Notebooks that read the authors' published files from a local folder by default; without it (and with no
# network to download them) the runner skips them and says so. Set the parameter to None to download instead.
LOCAL_INPUTS = {"07_reference_runs": ("runs_root", "labels_path")}
# a sweep's pooled tables copied to figures/<sweep>/sweep_<name>.csv (stats.primary_tables writes the last four)
PRIMARY_TABLES = ("paired", "pareto_vs", "ask_gap", "harmful_game", "type_auc", "stated_agreement")


def missing_inputs(name: str, params: dict) -> list[str]:
    """The local input folders or files a notebook's parameters name that do not exist here."""
    out = []
    for key in LOCAL_INPUTS.get(name, ()):
        where = params.get(key)
        if where is not None and not str(where).startswith("http") and not (ROOT / str(where)).exists():
            out.append(f"{key}={where}")
    return out


def clean(nb):
    """A notebook as we commit it: tags kept, papermill's metadata, timings and injected cell removed."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("papermill", None)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    for c in nb.cells:
        c.metadata.pop("papermill", None)
        c.metadata.pop("execution", None)
        if c.cell_type == "code":
            for out in c.get("outputs", []):
                out.get("metadata", {}).pop("papermill", None)
    return nb


class PeakRSS:
    """Peak resident memory of this process's children (the papermill kernel and what it starts), polled."""

    def __init__(self, every: float = 0.2, beat: Path | None = None, beat_every: float = 30.0):
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self.beat, self.beat_every, self.start = beat, beat_every, time.time()

    def _poll(self):
        import psutil  # installed with ipython (the notebooks extra)

        me, last_beat = psutil.Process(), self.start
        while not self._stop.is_set():
            if self.beat is not None and time.time() - last_beat >= self.beat_every:  # for Run.record_interrupted
                last_beat = time.time()
                self.beat.write_text(json.dumps({"seconds": last_beat - self.start, "peak_gib": self.peak / 2**30}))
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:  # the child ended between listing and reading
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self):
        self.start = time.time()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _report(times, label):
    print(f"\nseconds and peak RSS (GiB, the kernel and its children) per notebook ({label}):")
    for name, secs, gib in times:
        print(f"  {name:<32} {secs:7.0f} {gib:7.2f}")
    print(f"  {'total / max':<32} {sum(t[1] for t in times):7.0f} {max((t[2] for t in times), default=0):7.2f}")


def run(profile: str, run_dir: str | None = None, only=None, overrides: dict | None = None, store: bool = False,
        figures: bool = False, resume: bool = True, report: bool = True,
        log_output: bool = False) -> list[tuple[str, float, float]]:
    """Execute the notebooks in order into the run folder, print time and peak RSS per notebook.

    Everything stays in the run folder; figures=True also copies its figures and tables to the committed
    figures/<profile>/ (a maintainer's choice: it replaces the record there). resume: a stage that finished here with the same parameters (done/<stage>.json) is skipped; once one stage
    runs, every later one runs too, since its inputs changed. log_output: papermill logs what each cell prints
    (progress inside a long stage; notebooks/00_colab.ipynb turns it on)."""
    import nbformat
    import papermill as pm

    params = load_params(profile, {**(overrides or {}), **({"run_dir": str(run_dir)} if run_dir else {})})
    out_dir = Path(params["run_dir"])
    (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    folder, times, rerun = Run(out_dir), [], not resume
    for name in only or NOTEBOOKS:
        if name not in NOTEBOOKS:
            raise ValueError(f"unknown notebook {name!r}; valid: {', '.join(NOTEBOOKS)}")
        declared = for_notebook(name)
        passed = {k: v for k, v in params.items() if k in declared}
        stage = stage_name(name, params)
        src, dst = ROOT / "notebooks" / f"{name}.ipynb", out_dir / "notebooks" / f"{stage}.ipynb"
        missing = missing_inputs(name, {**declared, **passed})
        if missing:
            print(f"SKIPPED {name}: {', '.join(missing)} not found here (a copy of the authors' published files); "
                  f"pass -p {missing[0].split('=')[0]} null to download them, or copy them there.", flush=True)
            continue
        newer = folder.upstream_newer(stage)
        if not rerun and folder.is_done(stage, passed) and not newer:
            print(f"[{time.strftime('%H:%M:%S')}] {stage}: done before with these parameters, skipped "
                  f"(--fresh runs it again)", flush=True)
            continue
        if newer:
            print(f"{stage}: runs again, {', '.join(newer)} finished after it did", flush=True)
        # finished before with other parameters or inputs, or --fresh: its checkpoints must not be resumed from
        stale = not resume or (folder.done_path(stage).exists() and (rerun or bool(newer)
                                                                      or not folder.is_done(stage, passed)))
        checkpoints = folder.training_folder(stage)
        if stale and checkpoints is not None and checkpoints.exists():
            print(f"{stage}: removing {checkpoints} to train afresh (--fresh, or finished before with other parameters "
                  "or inputs)", flush=True)
            shutil.rmtree(checkpoints)
        rerun = True
        lost = folder.record_interrupted(stage)
        if lost:
            print(f"{stage}: an earlier sitting ran it for {lost:.0f} s before it was stopped (in done/times.csv)")
        print(f"[{time.strftime('%H:%M:%S')}] {stage} ...", flush=True)
        start = time.time()
        folder.running_path(stage).parent.mkdir(parents=True, exist_ok=True)
        with PeakRSS(beat=folder.running_path(stage)) as mem:
            pm.execute_notebook(str(src), str(dst), parameters=passed, kernel_name="python3", cwd=str(ROOT),
                                progress_bar=False, log_output=log_output)
        times.append((stage, time.time() - start, mem.peak / 2**30))
        folder.mark_done(stage, passed, *times[-1][1:])
        print(f"[{time.strftime('%H:%M:%S')}] {stage} done in {times[-1][1]:.0f} s, peak RSS {times[-1][2]:.2f} GiB",
              flush=True)
        if store:
            nbformat.write(clean(nbformat.read(dst, as_version=4)), src)
    if figures and may_commit(params, out_dir):
        copy_figures(out_dir, FIGURES / params["profile"])
    if report:
        _report(times, f"profile {params['profile']}, {out_dir}")
    return times


def store_executed(run_dir, names=None, notebooks: Path | None = None) -> list[Path]:
    """Write the notebooks already executed in a run folder (<run_dir>/notebooks/<stage>.ipynb) back to notebooks/,
    cleaned as --store cleans them, without running anything; a notebook with no executed copy there is an error."""
    import nbformat

    folder, notebooks = Path(run_dir) / "notebooks", Path(notebooks or ROOT / "notebooks")
    written = []
    for name in names or NOTEBOOKS:
        found = sorted(folder.glob(f"{name}.ipynb")) + sorted(folder.glob(f"{name}-*.ipynb"))
        if not found:
            raise ValueError(f"no executed {name} in {folder}: run it there first")
        if len(found) > 1:
            raise ValueError(f"several executed copies of {name} in {folder} ({', '.join(p.name for p in found)}): "
                             "name one stage with --only")
        nbformat.write(clean(nbformat.read(found[0], as_version=4)), notebooks / f"{name}.ipynb")
        written.append(notebooks / f"{name}.ipynb")
    return written


def sweep(profile: str, grid: dict, run_dir: str | None = None, overrides: dict | None = None,
          resume: bool = True) -> Path:
    """Every point of the grid, one folder per seed: data and SFT once per seed, GRPO once per reward variant,
    then evaluation of every method found and its aggregate over the seeds done so far (notebook 05).

    Grid keys other than seed and reward_variant key the sweep folder (sweep_folder), as -p overrides do."""
    base = load_params(profile, overrides)
    seeds = grid.pop("seed", [base["seed"]])
    variants = grid.pop("reward_variant", [base["reward_variant"]])
    load_params(profile, {**(overrides or {}), **{k: v[0] for k, v in grid.items()}})  # names a bad key now
    root = Path(run_dir or f"{base['run_dir']}-sweep")
    times = []
    for combo in itertools.product(*grid.values()) if grid else [()]:
        extra = {**(overrides or {}), **dict(zip(grid, combo))}
        folder = sweep_folder(root, extra)
        print(f"\n=== sweep folder {folder}: seeds {seeds}, reward variants {variants}", flush=True)
        target = FIGURES / folder.name
        commit = may_commit({**base, **extra}, folder)
        for seed in seeds:
            point = {**extra, "seed": seed, "run_dir": str(seed_folder(folder, seed))}
            last = {**point, "reward_variant": variants[0], "sweep_dir": str(folder)}
            here, kept = seed_folder(folder, seed), target / f"seed-{seed}"
            if resume and commit and restore_seed(here, kept, seed_stages(profile, point, last, variants)):
                continue
            restored = Run(here).restored()
            upstream = run(profile, None, ["01_data", "03_sft"], point, figures=False, resume=resume, report=False)
            if restored and upstream:
                same_sft(here, kept)
            ran, todo = list(upstream), [v for v in variants if grpo_method(v) not in restored]
            for v in variants:  # each variant depends on data and SFT only
                if v not in todo:
                    print(f"04_grpo_welfare-{v}: restored from {kept}, not trained again", flush=True)
                    continue
                trained = run(profile, None, ["04_grpo_welfare"], {**point, "reward_variant": v}, figures=False,
                              resume=resume and not upstream, report=False)
                ran += trained
                if trained and commit and v != todo[-1]:  # evaluate it now, so its rows reach the seed's record
                    ran += run(profile, None, ["05_evaluation"], {**point, "reward_variant": variants[0]},
                               figures=False, resume=False, report=False)  # even if the session ends mid-seed
                    keep_seed(here, kept, finished=False)
            # evaluation again whenever something upstream ran (it re-evaluates only what changed)
            ran += run(profile, None, ["05_evaluation", "06_pricing_adaptation"], last, figures=False,
                       resume=resume and not ran, report=False)
            times += ran
            if commit:  # after every seed, so a session that ends mid-sweep still commits the seeds it finished
                keep_seed(here, kept, finished=True)
                copy_figures(here, target, tables=False)  # 05 drew the plots pooled over every seed so far
                for table in [*sorted(folder.glob("aggregate*")), *[folder / f"{n}.csv" for n in PRIMARY_TABLES]]:
                    if table.exists():
                        shutil.copy2(table, target / f"sweep_{table.name}")
        print(f"evaluation tables under {folder}: {len(per_item_files(folder))} (aggregate: {folder}/aggregate.csv)")
    _report(times, f"sweep of profile {profile}, this sitting")
    spent = stage_times(root)
    stopped = spent.stage.str.endswith(":interrupted")
    print(f"sweep of profile {profile}, every sitting so far: {spent.seconds.sum():.0f} s over {(~stopped).sum()} "
          f"finished stages and {stopped.sum()} stopped part(s) ({spent.seconds[stopped].sum():.0f} s), peak "
          f"{spent.peak_gib.max():.2f} GiB (done/times.csv under {root})")
    return root


def parse_grid(items: list[str]) -> dict:
    """['reward_variant=cobb_douglas,linear', 'seed=0,1,2'] -> {'reward_variant': [...], 'seed': [0, 1, 2]}."""
    grid = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not values:
            raise ValueError(f"--sweep takes key=v1,v2,... ; got {item!r}")
        grid[key] = [yaml.safe_load(v) for v in values.split(",")]
    return grid


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--profile", default="smoke", help=f"one of: {', '.join(profiles())}")
    ap.add_argument("--run-dir", default=None, help="output folder (default: the profile's run_dir)")
    ap.add_argument("--only", nargs="*", default=None, help="run only these notebooks, e.g. 04_grpo_welfare")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                    help="override a parameter (value read as YAML), as papermill -p")
    ap.add_argument("--store", action="store_true", help="write the executed notebooks back to notebooks/ (for nbval)")
    ap.add_argument("--store-from", default=None, metavar="RUN_DIR",
                    help="write the notebooks already executed in RUN_DIR/notebooks/ back to notebooks/, running nothing")
    ap.add_argument("--figures", action="store_true",
                    help="also copy the run's figures and tables to the committed figures/<profile>/ (off: the run "
                         "folder only)")
    ap.add_argument("--sweep", nargs="+", default=None, metavar="KEY=V1,V2",
                    help="run every combination, e.g. reward_variant=cobb_douglas,linear seed=0,1,2")
    ap.add_argument("--fresh", action="store_true", help="run every stage again, even those done with these parameters")
    args = ap.parse_args(argv)
    if args.profile not in profiles():
        ap.error(f"unknown profile {args.profile!r}; valid: {', '.join(profiles())}")
    overrides = {k: yaml.safe_load(v) for k, v in args.p}
    try:
        if args.store_from:
            for path in store_executed(args.store_from, args.only):
                print(f"stored {path}")
        elif args.sweep:
            sweep(args.profile, parse_grid(args.sweep), args.run_dir, overrides, resume=not args.fresh)
        else:
            run(args.profile, args.run_dir, args.only, overrides, args.store, figures=args.figures,
                resume=not (args.fresh or args.store))
    except ValueError as e:  # a bad parameter: say which, no traceback
        ap.error(str(e))


if __name__ == "__main__":
    main()
