"""Run folders: where each stage writes, how sweep points are named, and which stages already finished.

One run folder holds one seed's chain: data/, sft/, grpo-<variant>/ (one per reward variant), eval/, figures/.
A sweep puts each seed's run in <sweep>/seed-<s>/ and keys the sweep folder by any parameter set on top of the
profile, so two sweeps never share a folder. A stage that finished leaves done/<stage>.json with its parameters;
the runner skips it when they match, and an interrupted training resumes from its last checkpoint.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

GRPO = "grpo-"  # a GRPO model's method name and run folder: GRPO + its reward variant, e.g. grpo-cobb_douglas


def grpo_method(variant: str) -> str:
    """The method name (and run folder) of GRPO with this reward variant."""
    return f"{GRPO}{variant}"


def variant_of(method: str) -> str | None:
    """The reward variant of a GRPO method name, None for base and sft."""
    return method[len(GRPO):] if method.startswith(GRPO) else None


@dataclass(frozen=True)
class Run:
    """Paths inside one run folder."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    def __truediv__(self, other) -> Path:
        return self.root / other

    def __fspath__(self) -> str:
        return str(self.root)

    def data(self, name: str) -> Path:
        return self.root / "data" / name

    @property
    def sft(self) -> Path:
        return self.root / "sft"

    def grpo(self, variant: str) -> Path:
        return self.root / grpo_method(variant)

    @property
    def eval(self) -> Path:
        return self.root / "eval"

    def adapter(self, method: str) -> Path | None:
        """The adapter folder of a method name as tables show it: base (None), sft, grpo-<variant>."""
        if method == "base":
            return None
        if method != "sft" and variant_of(method) is None:
            raise ValueError(f"unknown method {method!r}; valid: base, sft, grpo-<variant>")
        return self.root / method / "adapter"

    def methods(self) -> list[str]:
        """base, then sft and every grpo-<variant> whose adapter exists here or whose evaluation was restored."""
        found = ["sft"] * (self.sft / "adapter").exists()
        grpo = {p.parent.name for p in self.root.glob(f"{GRPO}*/adapter")} | set(self.restored())
        return ["base"] + found + sorted(grpo)

    def restored(self) -> list[str]:
        """Methods trained in an earlier sitting whose evaluation rows a committed sweep record put back here
        (records.restore_seed): their adapters are gone, their rows in eval/methods/ stand for them."""
        path = self.eval / "methods" / "restored.json"
        return json.loads(path.read_text()) if path.exists() else []

    def done_path(self, stage: str) -> Path:
        return self.root / "done" / f"{stage}.json"

    def is_done(self, stage: str, params: dict) -> bool:
        """True when `stage` finished here with the same parameters, counting only those that change a result
        (not run_dir, save_steps, batch sizes for generation...: schema.Param.result), so a copied or moved run
        folder still counts as done."""
        path = self.done_path(stage)
        if not path.exists():
            return False
        try:
            saved = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is damaged ({e}): delete it, and {stage} runs again") from None
        return _results_only(saved) == _results_only(params)

    def upstream_newer(self, stage: str) -> list[str]:
        """Stages of earlier notebooks that finished after `stage` last did: its inputs changed since, so a later
        sitting must run it again (a sweep stopped between 04 and 05 would otherwise skip the evaluation)."""
        mine = self.done_path(stage)
        if not mine.exists():
            return []
        notebook = stage.split("-")[0]  # 04_grpo_welfare-linear -> 04_grpo_welfare; names sort in run order
        return sorted(p.stem for p in mine.parent.glob("*.json")
                      if p.stem.split("-")[0] < notebook and p.stat().st_mtime > mine.stat().st_mtime)

    def training_folder(self, stage: str) -> Path | None:
        """Where a training stage keeps its checkpoints (03: sft/, 04-<variant>: grpo-<variant>/), else None."""
        if stage == "03_sft":
            return self.sft
        if stage.startswith("04_grpo_welfare-"):
            return self.grpo(stage.split("-", 1)[1])
        return None

    def mark_done(self, stage: str, params: dict, seconds: float | None = None, peak_gib: float | None = None) -> None:
        """Write the stage's marker; its wall time goes to done/times.csv, one row per finished sitting, so a
        sweep spread over several sittings can still say how long it took (stage_times)."""
        path = self.done_path(stage)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(params, indent=1, sort_keys=True, default=str))
        if seconds is not None:
            self.log_time(stage, seconds, peak_gib)
        self.running_path(stage).unlink(missing_ok=True)

    def running_path(self, stage: str) -> Path:
        """Heartbeat of a stage in progress (elapsed seconds, peak GiB), rewritten by the runner every half minute."""
        return self.root / "done" / f"{stage}.running"

    def log_time(self, stage: str, seconds: float, peak_gib: float | None) -> None:
        """One row of done/times.csv."""
        times = self.root / "done" / "times.csv"
        times.parent.mkdir(parents=True, exist_ok=True)
        new = not times.exists()
        with times.open("a") as f:
            f.write("stage,seconds,peak_gib,finished\n" * new)
            f.write(f"{stage},{seconds:.0f},{peak_gib or 0:.2f},{time.strftime('%Y-%m-%dT%H:%M:%S')}\n")

    def record_interrupted(self, stage: str) -> float:
        """Seconds a stopped sitting spent in `stage` (its last heartbeat), logged as '<stage>:interrupted' so the
        sweep's total counts that work too; 0 when there is no heartbeat."""
        beat = self.running_path(stage)
        if not beat.exists():
            return 0.0
        last = json.loads(beat.read_text())
        self.log_time(f"{stage}:interrupted", last["seconds"], last["peak_gib"])
        beat.unlink()
        return float(last["seconds"])


def damaged(folder, required=()) -> str | None:
    """What is wrong with a saved checkpoint or adapter folder, or None when every file in it reads whole: JSON
    parses, safetensors headers cover their files, torch archives (*.pt, *.pth, *.bin) pass their CRCs. A kill
    mid-save leaves such files cut short; `required` names files that must be there."""
    import zipfile

    from safetensors import safe_open

    folder = Path(folder)
    if not folder.is_dir():
        return f"{folder} is missing"
    missing = [name for name in required if not (folder / name).is_file()]
    if missing:
        return f"{folder} lacks {', '.join(missing)}"
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            if path.suffix == ".json":
                json.loads(path.read_text())
            elif path.suffix == ".jsonl":
                [json.loads(line) for line in path.read_text().splitlines() if line]
            elif path.suffix == ".safetensors":
                with safe_open(str(path), "np") as f:
                    f.keys()
            elif path.suffix in (".pt", ".pth", ".bin"):
                with zipfile.ZipFile(path) as z:
                    bad = z.testzip()
                if bad:
                    raise ValueError(f"{bad} fails its checksum")
        except Exception as e:  # noqa: BLE001  (any reader's error means the same: this file cannot be used)
            return f"{path} is damaged ({type(e).__name__}: {e})"
    return None


def content_hash(folder) -> str:
    """sha256 over the names and bytes of every file in a folder (or of one file): a cache key that changes when
    a file is rewritten in place, which a folder's mtime does not."""
    folder, h = Path(folder), hashlib.sha256()
    for path in sorted(p for p in ([folder] if folder.is_file() else folder.rglob("*")) if p.is_file()):
        h.update(str(path.relative_to(folder) if path != folder else path.name).encode() + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _results_only(params: dict) -> dict:
    from .schema import SCHEMA

    kept = {k: v for k, v in params.items() if k not in SCHEMA or SCHEMA[k].result}
    return json.loads(json.dumps(kept, default=str))


def stage_name(notebook: str, params: dict) -> str:
    """04 runs once per reward variant, the other notebooks once per run folder."""
    return f"{notebook}-{params['reward_variant']}" if notebook == "04_grpo_welfare" else notebook


def sweep_folder(base: str | Path, overrides: dict) -> Path:
    """<base> for the profile as shipped; <base>+<k=v,...> (or a short hash when long) with overrides on top."""
    if not overrides:
        return Path(base)
    key = ",".join(f"{k}={overrides[k]}" for k in sorted(overrides))
    if len(key) > 60 or any(c in key for c in "/\\ :"):
        key = hashlib.sha1(key.encode()).hexdigest()[:10]
    return Path(f"{base}+{key}")


def seed_folder(sweep: str | Path, seed: int) -> Path:
    return Path(sweep) / f"seed-{seed}"


def stage_times(folder: str | Path):
    """Every finished stage's wall time under a run or sweep folder (each done/times.csv), with its seed folder:
    what a sweep cost over all its sittings (a stopped sitting's part of a stage is a '<stage>:interrupted' row)."""
    import pandas as pd

    files = sorted(Path(folder).glob("**/done/times.csv"))
    frames = [pd.read_csv(f).assign(run=str(f.parent.parent.relative_to(folder))) for f in files]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["stage", "seconds", "peak_gib",
                                                                                     "finished", "run"])


def per_item_files(sweep: str | Path) -> list[Path]:
    """Every evaluation table under a sweep folder (seed-*/eval/per_item.csv), in seed order."""
    return sorted(Path(sweep).glob("seed-*/eval/per_item.csv"), key=lambda p: int(p.parts[-3].split("-")[1]))
