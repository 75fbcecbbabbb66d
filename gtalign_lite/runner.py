"""Run the six notebooks with papermill for a profile: python -m gtalign_lite.runner --profile smoke"""
from __future__ import annotations

import argparse
import copy
import shutil
import time
from pathlib import Path

import yaml

from .config import PARAMS_DIR, load_profile, profiles

ROOT = PARAMS_DIR.parent
NOTEBOOKS = ("01_data", "02_payoff_prompting", "03_sft", "04_grpo_welfare", "05_evaluation", "06_pricing_adaptation")


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


def run(profile: str, run_dir: str | None = None, only=None, overrides: dict | None = None, store: bool = False,
        figures: bool = True) -> list[tuple[str, float]]:
    """Execute the notebooks in order into the run folder, print the time per notebook, copy figures."""
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
        print(f"[{time.strftime('%H:%M:%S')}] {name} ...", flush=True)
        start = time.time()
        declared = pm.inspect_notebook(str(src))  # pass only what this notebook's parameters cell declares
        pm.execute_notebook(str(src), str(dst), parameters={k: v for k, v in params.items() if k in declared},
                            kernel_name="python3", cwd=str(ROOT),
                            progress_bar=False, log_output=False)
        times.append((name, time.time() - start))
        print(f"[{time.strftime('%H:%M:%S')}] {name} done in {times[-1][1]:.0f} s", flush=True)
        if store:
            nbformat.write(clean(nbformat.read(dst, as_version=4)), src)
    if figures:
        target = ROOT / "figures" / params["profile"]
        target.mkdir(parents=True, exist_ok=True)
        for png in sorted((out_dir / "figures").glob("*.png")):
            shutil.copy2(png, target / png.name)
    print("\nseconds per notebook (profile %s):" % params["profile"])
    for name, secs in times:
        print(f"  {name:<24} {secs:7.0f}")
    print(f"  {'total':<24} {sum(s for _, s in times):7.0f}")
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
