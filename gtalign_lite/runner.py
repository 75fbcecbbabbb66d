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
from .runs import Run, per_item_files, seed_folder, stage_name, stage_times, sweep_folder
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


# the tables behind the README's numbers, copied next to the figures: run-folder glob -> name under figures/<profile>/
TABLES = {"eval/results_ci.csv": "results_ci.csv", "eval/results.md": "results.md",
          "eval/results_by_family.csv": "results_by_family.csv", "eval/pareto.csv": "pareto.csv",
          "eval/paired.csv": "paired.csv", "sft/log.csv": "sft_log.csv",
          "sft/sampled_format.json": "sft_sampled_format.json", "grpo-*/log.csv": "{parent}_log.csv",
          "grpo-*/signal.json": "{parent}_signal.json", "grpo-*/groups.csv": "{parent}_groups.csv",
          "pricing_*.csv": "{name}", "sft/gate_capability.csv": "gate_capability.csv",
          **{f"eval/{n}.csv": f"{n}.csv" for n in ("ask_gap", "harmful_game", "type_auc", "stated_agreement")}}


def _may_commit(params: dict, where) -> bool:
    """False (and says so) for a run on the authors' rows: its tables and plots derive from their data, which
    must not be committed, so they stay in the run folder instead of going to figures/."""
    if params.get("use_paper_data"):
        print(f"figures and tables NOT copied to figures/: this run used the authors' data (use_paper_data), and "
              f"nothing derived from it is committed; they are in {where}", flush=True)
        return False
    return True


def _copy_figures(run_dir, target, pngs: bool = True, tables: bool = True):
    """The run's figures and result tables (TABLES; no per-item text) into figures/<profile>/."""
    target.mkdir(parents=True, exist_ok=True)
    for png in sorted((Path(run_dir) / "figures").glob("*.png")) if pngs else []:
        shutil.copy2(png, target / png.name)
    for pattern, name in TABLES.items() if tables else []:
        for path in sorted(Path(run_dir).glob(pattern)):
            shutil.copy2(path, target / name.format(parent=path.parent.name.replace("-", "_"), name=path.name))


def _report(times, label):
    print(f"\nseconds and peak RSS (GiB, the kernel and its children) per notebook ({label}):")
    for name, secs, gib in times:
        print(f"  {name:<32} {secs:7.0f} {gib:7.2f}")
    print(f"  {'total / max':<32} {sum(t[1] for t in times):7.0f} {max((t[2] for t in times), default=0):7.2f}")


def run(profile: str, run_dir: str | None = None, only=None, overrides: dict | None = None, store: bool = False,
        figures: bool = True, resume: bool = True, report: bool = True,
        log_output: bool = False) -> list[tuple[str, float, float]]:
    """Execute the notebooks in order into the run folder, print time and peak RSS per notebook, copy figures.

    resume: a stage that finished here with the same parameters (done/<stage>.json) is skipped; once one stage
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
    if figures and _may_commit(params, out_dir):
        _copy_figures(out_dir, FIGURES / params["profile"])
    if report:
        _report(times, f"profile {params['profile']}, {out_dir}")
    return times


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
        commit = _may_commit({**base, **extra}, folder)
        for seed in seeds:
            point = {**extra, "seed": seed, "run_dir": str(seed_folder(folder, seed))}
            last = {**point, "reward_variant": variants[0], "sweep_dir": str(folder)}
            here, kept = seed_folder(folder, seed), target / f"seed-{seed}"
            if resume and commit and restore_seed(here, kept, seed_stages(profile, point, last, variants)):
                continue
            restored = Run(here).restored()
            upstream = run(profile, None, ["01_data", "03_sft"], point, figures=False, resume=resume, report=False)
            if restored and upstream:
                _same_sft(here, kept)
            ran, todo = list(upstream), [v for v in variants if f"grpo-{v}" not in restored]
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
                _copy_figures(here, target, tables=False)  # 05 drew the plots pooled over every seed so far
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


def seed_stages(profile: str, point: dict, last: dict, variants: list) -> dict[str, dict]:
    """Every stage a sweep runs in one seed's folder, with the parameters the runner passes it (as run() does)."""
    out = {}
    for name, over in [("01_data", point), ("03_sft", point),
                       *[("04_grpo_welfare", {**point, "reward_variant": v}) for v in variants],
                       ("05_evaluation", last), ("06_pricing_adaptation", last)]:
        params = load_params(profile, over)
        out[stage_name(name, params)] = {k: v for k, v in params.items() if k in for_notebook(name)}
    return out


def keep_seed(here: Path, kept: Path, finished: bool) -> None:
    """A seed's record for figures/<sweep>/seed-N/, meant to be committed: run folders do not outlive a session here.

    It holds the seed's tables, done markers, stage times and the SFT adapter's hash; its per-item evaluation rows
    (gzipped): all of them once the seed finished, else each evaluated method's (eval/methods/), so a later sitting
    on a fresh checkout trains only what is missing (restore_seed)."""
    import gzip

    here = Path(here)
    if not (here / "eval" / ("per_item.csv" if finished else "methods")).exists():
        return
    _copy_figures(here, kept, pngs=False)
    (kept / "done").mkdir(parents=True, exist_ok=True)
    for marker in sorted((here / "done").glob("*.json")) + [here / "done" / "times.csv"]:
        if marker.exists():
            shutil.copy2(marker, kept / "done" / marker.name)
    weights = here / "sft" / "adapter" / "adapter_model.safetensors"
    if weights.exists():
        (kept / "sft_adapter.sha256").write_text(_sha256(weights))
    shutil.rmtree(kept / "eval", ignore_errors=True)
    sources = [here / "eval" / "per_item.csv"] if finished else sorted((here / "eval" / "methods").glob("*.csv"))
    for src in sources:
        dst = kept / ("per_item.csv.gz" if finished else f"eval/methods/{src.name}.gz")
        dst.parent.mkdir(parents=True, exist_ok=True)
        with open(src, "rb") as f, gzip.open(dst, "wb") as g:
            shutil.copyfileobj(f, g)
    for meta in [] if finished else sorted((here / "eval" / "methods").glob("*.json")):
        shutil.copy2(meta, kept / "eval" / "methods" / meta.name)


def restore_seed(here: Path, kept: Path, stages: dict[str, dict]) -> bool:
    """Put a committed record (keep_seed) back into a fresh checkout's seed folder; True when the seed is complete.

    Only the record's stages that finished with these parameters count. A finished seed's per-item rows go to
    eval/per_item.csv, for 05 to pool. Otherwise each GRPO variant evaluated in an earlier sitting gets its rows
    back in eval/methods/ and is listed in eval/methods/restored.json, and the sweep trains only the others
    (01 and 03 run again: their outputs are not kept). The record's stage times are added to done/times.csv."""
    import gzip

    here, record = Path(here), Run(kept)
    if (here / "done").exists() or not (kept / "done").exists():  # begun in this checkout already, or no record
        return False
    same = {stage for stage, params in stages.items() if record.is_done(stage, params)}
    if (kept / "per_item.csv.gz").exists() and same == set(stages):
        (here / "eval").mkdir(parents=True, exist_ok=True)
        with gzip.open(kept / "per_item.csv.gz", "rb") as f, open(here / "eval" / "per_item.csv", "wb") as g:
            shutil.copyfileobj(f, g)
        _restore_times(here, kept)
        print(f"[{time.strftime('%H:%M:%S')}] {here.name}: every stage finished in an earlier sitting; its per-item "
              f"rows and times restored from {kept} (--fresh runs it again)", flush=True)
        return True
    cached = kept / "eval" / "methods"
    grpo = [f"grpo-{stage.split('-', 1)[1]}" for stage in sorted(same) if stage.startswith("04_")]
    grpo = [m for m in grpo if list(cached.glob(f"{m}-*.csv.gz"))]
    if not grpo or not {"01_data", "03_sft"} <= same:
        print(f"{kept}: not reused (nothing evaluated there with these parameters)", flush=True)
        return False
    (here / "eval" / "methods").mkdir(parents=True, exist_ok=True)
    for src in sorted(cached.glob("*.csv.gz")):
        with gzip.open(src, "rb") as f, open(here / "eval" / "methods" / src.name[:-3], "wb") as g:
            shutil.copyfileobj(f, g)
    for meta in sorted(cached.glob("*.json")):
        key = json.loads(meta.read_text())
        if "adapter_mtime" in key:  # a record written before the cache was keyed by content: base keeps its rows
            key["adapter_sha256"] = None if key.pop("adapter_mtime") is None else "unknown"
        if any(meta.name.startswith(f"{m}-") for m in grpo):
            key["adapter_sha256"] = None  # its adapter stays behind; evaluate_method reuses the rows without it
        (here / "eval" / "methods" / meta.name).write_text(json.dumps(key))
    (here / "eval" / "methods" / "restored.json").write_text(json.dumps(grpo))
    _restore_times(here, kept)
    print(f"[{time.strftime('%H:%M:%S')}] {here.name}: {', '.join(grpo)} trained and evaluated in an earlier sitting; "
          f"their rows restored from {kept}; 01 and 03 run again for the rest", flush=True)
    return False


def _restore_times(here: Path, kept: Path) -> None:
    """The record's stage times, so the sweep's printed total still counts what earlier sittings spent."""
    (here / "done").mkdir(parents=True, exist_ok=True)
    shutil.copy2(kept / "done" / "times.csv", here / "done" / "times.csv")


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _same_sft(here: Path, kept: Path) -> None:
    """After 03 ran again for a partly restored seed: is its adapter the one the restored variants started from?"""
    want = kept / "sft_adapter.sha256"
    weights = here / "sft" / "adapter" / "adapter_model.safetensors"
    if not want.exists() or not weights.exists():
        return
    same = _sha256(weights) == want.read_text().strip()
    (here / "done" / "sft_rerun.json").write_text(json.dumps({"identical_to_record": same}))
    print(f"{here.name}: SFT trained again is {'bit-identical to' if same else 'NOT identical to (numerics differ)'} "
          f"the SFT the restored variants started from", flush=True)


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
    ap.add_argument("--sweep", nargs="+", default=None, metavar="KEY=V1,V2",
                    help="run every combination, e.g. reward_variant=cobb_douglas,linear seed=0,1,2")
    ap.add_argument("--fresh", action="store_true", help="run every stage again, even those done with these parameters")
    args = ap.parse_args(argv)
    if args.profile not in profiles():
        ap.error(f"unknown profile {args.profile!r}; valid: {', '.join(profiles())}")
    overrides = {k: yaml.safe_load(v) for k, v in args.p}
    try:
        if args.sweep:
            sweep(args.profile, parse_grid(args.sweep), args.run_dir, overrides, resume=not args.fresh)
        else:
            run(args.profile, args.run_dir, args.only, overrides, args.store, resume=not (args.fresh or args.store))
    except ValueError as e:  # a bad parameter: say which, no traceback
        ap.error(str(e))


if __name__ == "__main__":
    main()
