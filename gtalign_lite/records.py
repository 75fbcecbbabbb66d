"""Sweep records: what a run or a finished seed leaves in figures/ (tables and plots, meant to be committed), and how
a later sitting on a fresh checkout restores a seed's record so that only what is missing runs again."""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

from .config import load_params
from .runs import GRPO, Run, grpo_method, stage_name
from .schema import for_notebook

# the tables behind the README's numbers, copied next to the figures: run-folder glob -> name under figures/<profile>/
TABLES = {"eval/results_ci.csv": "results_ci.csv", "eval/results.md": "results.md",
          "eval/results_by_family.csv": "results_by_family.csv", "eval/pareto.csv": "pareto.csv",
          "eval/paired.csv": "paired.csv", "sft/log.csv": "sft_log.csv",
          "sft/sampled_format.json": "sft_sampled_format.json", f"{GRPO}*/log.csv": "{parent}_log.csv",
          f"{GRPO}*/signal.json": "{parent}_signal.json", f"{GRPO}*/groups.csv": "{parent}_groups.csv",
          f"{GRPO}*/rewards.csv": "{parent}_rewards.csv",
          "pricing_*.csv": "{name}", "sft/gate_capability.csv": "gate_capability.csv",
          **{f"eval/{n}.csv": f"{n}.csv" for n in ("ask_gap", "harmful_game", "type_auc", "stated_agreement")}}


def may_commit(params: dict, where) -> bool:
    """False (and says so) for a run on the authors' rows: its tables and plots derive from their data, which
    must not be committed, so they stay in the run folder instead of going to figures/."""
    if params.get("use_paper_data"):
        print(f"figures and tables NOT copied to figures/: this run used the authors' data (use_paper_data), and "
              f"nothing derived from it is committed; they are in {where}", flush=True)
        return False
    return True


def copy_figures(run_dir, target, pngs: bool = True, tables: bool = True):
    """The run's figures and result tables (TABLES; no per-item text) into figures/<profile>/."""
    target.mkdir(parents=True, exist_ok=True)
    for png in sorted((Path(run_dir) / "figures").glob("*.png")) if pngs else []:
        shutil.copy2(png, target / png.name)
    for pattern, name in TABLES.items() if tables else []:
        for path in sorted(Path(run_dir).glob(pattern)):
            shutil.copy2(path, target / name.format(parent=path.parent.name.replace("-", "_"), name=path.name))



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
    copy_figures(here, kept, pngs=False)
    (kept / "done").mkdir(parents=True, exist_ok=True)
    for marker in sorted((here / "done").glob("*.json")) + [here / "done" / "times.csv"]:
        if marker.exists():
            shutil.copy2(marker, kept / "done" / marker.name)
    weights = here / "sft" / "adapter" / "adapter_model.safetensors"
    if weights.exists():
        (kept / "sft_adapter.sha256").write_text(sha256(weights))
    shutil.rmtree(kept / "eval", ignore_errors=True)
    sources = [here / "eval" / "per_item.csv"] if finished else sorted((here / "eval" / "methods").glob("*.csv"))
    for src in sources:
        dst = kept / ("per_item.csv.gz" if finished else f"eval/methods/{src.name}.gz")
        dst.parent.mkdir(parents=True, exist_ok=True)
        with open(src, "rb") as f, gzip.GzipFile(dst, "wb", mtime=0) as g:  # no time stamp: same table, same bytes
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
    begun = [m for m in (here / "done").glob("*") if m.suffix in (".json", ".running")]  # a restore leaves times.csv
    if begun or not (kept / "done").exists():  # a stage begun in this checkout already, or no record
        return False
    same = {stage for stage, params in stages.items() if record.is_done(stage, params)}
    if (kept / "per_item.csv.gz").exists() and same == set(stages):
        (here / "eval").mkdir(parents=True, exist_ok=True)
        with gzip.open(kept / "per_item.csv.gz", "rb") as f, open(here / "eval" / "per_item.csv", "wb") as g:
            shutil.copyfileobj(f, g)
        restore_times(here, kept)
        print(f"[{time.strftime('%H:%M:%S')}] {here.name}: every stage finished in an earlier sitting; its per-item "
              f"rows and times restored from {kept} (--fresh runs it again)", flush=True)
        return True
    cached = kept / "eval" / "methods"
    grpo = [grpo_method(stage.split('-', 1)[1]) for stage in sorted(same) if stage.startswith("04_")]
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
    restore_times(here, kept)
    print(f"[{time.strftime('%H:%M:%S')}] {here.name}: {', '.join(grpo)} trained and evaluated in an earlier sitting; "
          f"their rows restored from {kept}; 01 and 03 run again for the rest", flush=True)
    return False


def restore_times(here: Path, kept: Path) -> None:
    """The record's stage times, so the sweep's printed total still counts what earlier sittings spent."""
    (here / "done").mkdir(parents=True, exist_ok=True)
    shutil.copy2(kept / "done" / "times.csv", here / "done" / "times.csv")


def sha256(path: Path) -> str:
    """The file's SHA-256, hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def same_sft(here: Path, kept: Path) -> None:
    """After 03 ran again for a partly restored seed: is its adapter the one the restored variants started from?"""
    want = kept / "sft_adapter.sha256"
    weights = here / "sft" / "adapter" / "adapter_model.safetensors"
    if not want.exists() or not weights.exists():
        return
    same = sha256(weights) == want.read_text().strip()
    (here / "done" / "sft_rerun.json").write_text(json.dumps({"identical_to_record": same}))
    print(f"{here.name}: SFT trained again is {'bit-identical to' if same else 'NOT identical to (numerics differ)'} "
          f"the SFT the restored variants started from", flush=True)
