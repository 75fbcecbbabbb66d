"""Run the notebooks with papermill for a profile: python -m gtalign_lite.runner --profile smoke"""
from __future__ import annotations

import argparse
import ast
import copy
import shutil
import threading
import time
from pathlib import Path

import yaml

from .config import PARAMS_DIR, load_profile, profiles

ROOT = PARAMS_DIR.parent
NOTEBOOKS = ("01_data", "02_payoff_prompting", "03_sft", "04_grpo_welfare", "05_evaluation", "06_pricing_adaptation",
             "07_reference_runs")
# Notebooks that read the authors' published files from a local folder by default; without it (and with no
# network to download them) the runner skips them and says so. Set the parameter to None to download instead.
LOCAL_INPUTS = {"07_reference_runs": ("runs_root", "labels_path")}


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

    def __init__(self, every: float = 0.2):
        self.every, self.peak, self._stop = every, 0, threading.Event()

    def _poll(self):
        import psutil  # installed with ipython (the notebooks extra)

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:  # the child ended between listing and reading
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run(profile: str, run_dir: str | None = None, only=None, overrides: dict | None = None, store: bool = False,
        figures: bool = True) -> list[tuple[str, float, float]]:
    """Execute the notebooks in order into the run folder, print time and peak RSS per notebook, copy figures."""
    import nbformat
    import papermill as pm

    params = {**load_profile(profile), **(overrides or {})}
    if run_dir:
        params["run_dir"] = run_dir
    out_dir = Path(params["run_dir"])
    (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    times = []
    for name in only or NOTEBOOKS:
        if name not in NOTEBOOKS:
            raise ValueError(f"unknown notebook {name!r}; valid: {', '.join(NOTEBOOKS)}")
        src, dst = ROOT / "notebooks" / f"{name}.ipynb", out_dir / "notebooks" / f"{name}.ipynb"
        declared = pm.inspect_notebook(str(src))  # pass only what this notebook's parameters cell declares
        defaults = {k: ast.literal_eval(v["default"]) for k, v in declared.items() if k in LOCAL_INPUTS.get(name, ())}
        missing = missing_inputs(name, {**defaults, **params})
        if missing:
            print(f"SKIPPED {name}: {', '.join(missing)} not found here (a copy of the authors' published files); "
                  f"pass -p {missing[0].split('=')[0]} null to download them, or copy them there.", flush=True)
            continue
        print(f"[{time.strftime('%H:%M:%S')}] {name} ...", flush=True)
        start = time.time()
        with PeakRSS() as mem:
            pm.execute_notebook(str(src), str(dst), parameters={k: v for k, v in params.items() if k in declared},
                                kernel_name="python3", cwd=str(ROOT),
                                progress_bar=False, log_output=False)
        times.append((name, time.time() - start, mem.peak / 2**30))
        print(f"[{time.strftime('%H:%M:%S')}] {name} done in {times[-1][1]:.0f} s, peak RSS {times[-1][2]:.2f} GiB",
              flush=True)
        if store:
            nbformat.write(clean(nbformat.read(dst, as_version=4)), src)
    if figures:
        target = ROOT / "figures" / params["profile"]
        target.mkdir(parents=True, exist_ok=True)
        for png in sorted((out_dir / "figures").glob("*.png")):
            shutil.copy2(png, target / png.name)
    print("\nseconds and peak RSS (GiB, the kernel and its children) per notebook (profile %s):" % params["profile"])
    for name, secs, gib in times:
        print(f"  {name:<24} {secs:7.0f} {gib:7.2f}")
    print(f"  {'total / max':<24} {sum(t[1] for t in times):7.0f} {max((t[2] for t in times), default=0):7.2f}")
    return times


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--profile", default="smoke", help=f"one of: {', '.join(profiles())}")
    ap.add_argument("--run-dir", default=None, help="output folder (default: the profile's run_dir)")
    ap.add_argument("--only", nargs="*", default=None, help="run only these notebooks, e.g. 04_grpo_welfare")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"),
                    help="override a parameter (value read as YAML), as papermill -p")
    ap.add_argument("--store", action="store_true", help="write the executed notebooks back to notebooks/ (for nbval)")
    args = ap.parse_args(argv)
    if args.profile not in profiles():
        ap.error(f"unknown profile {args.profile!r}; valid: {', '.join(profiles())}")
    overrides = {k: yaml.safe_load(v) for k, v in args.p}
    run(args.profile, args.run_dir, args.only, overrides, args.store)


if __name__ == "__main__":
    main()
