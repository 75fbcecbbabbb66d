"""Notebook parameters: profiles in params/*.yaml, validation with clear errors, versions, seeds, run folders."""
from __future__ import annotations

import json
import platform
import random
from pathlib import Path

from .schema import PARAMS_DIR, SCHEMA, load_profile, profiles, validate  # noqa: F401 (profiles live with the table)


def check(P: dict) -> dict:
    """Stop early, listing valid values, on an unknown parameter, profile, reward variant, model name or choice."""
    if "profile" not in P:
        raise ValueError(f"no profile given; valid profiles: {', '.join(profiles())}")
    return validate(P)


def load_params(profile: str, overrides: dict | None = None) -> dict:
    """A profile's parameters with overrides on top, checked against the schema (an unknown key is an error)."""
    return check({**load_profile(profile), **(overrides or {})})


def injected(params: dict) -> set[str]:
    """Names papermill (or the runner) injected into this kernel: the assignments of its '# Parameters' cell,
    found in IPython's input history `In`; empty outside papermill."""
    import ast

    names = set()
    for source in params.get("In") or []:
        if isinstance(source, str) and source.lstrip().startswith("# Parameters"):
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            names |= {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                      if isinstance(t, ast.Name)}
    return names


def resolve(params: dict) -> dict:
    """The values a notebook runs with, lowest to highest precedence: the parameters cell's defaults (the smoke
    profile), the chosen profile's params/<profile>.yaml, then every value set explicitly, i.e. changed in the
    parameters cell (differs from its default) or passed by papermill -p/-f or the runner. Only the keys the
    notebook declares are returned, checked against the schema."""
    given = {k: v for k, v in params.items() if k in SCHEMA}
    profile = given.get("profile", SCHEMA["profile"].default)
    check({"profile": profile})  # an unknown profile names the valid ones before its file is looked for
    chosen = load_profile(profile)
    explicit = injected(params) | {k for k, v in given.items() if v != SCHEMA[k].default}
    return check({k: v if k in explicit or k not in chosen else chosen[k] for k, v in given.items()})


def versions() -> dict:
    """Versions of what the results depend on, and the device."""
    import importlib.metadata as md

    import torch

    out = {"python": platform.python_version()}
    for pkg in ("gtalign-lite", "torch", "transformers", "trl", "datasets", "peft"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    out["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"cpu ({torch.get_num_threads()} threads)"
    return out


def setup(params: dict) -> dict:
    """First cell of every notebook: resolve the parameters (config.resolve: cell defaults < profile file < values
    set explicitly), validate, seed, print versions, cd to the repo root."""
    import os
    import warnings

    import numpy as np
    import torch
    from tqdm import TqdmWarning

    import types

    warnings.filterwarnings("ignore", category=TqdmWarning)  # "IProgress not found": text bars work without ipywidgets
    # a papermill -p the notebook does not declare arrives as one more global: name it instead of ignoring it
    ipython = {"In", "Out", "exit", "quit", "get_ipython", "display"}
    stray = sorted(k for k, v in params.items() if k not in SCHEMA and not k.startswith("_") and k not in ipython
                   and not isinstance(v, (types.ModuleType, types.FunctionType, type)) and not callable(v))
    if stray:
        raise ValueError(f"unknown parameter(s) {', '.join(stray)}: not in gtalign_lite/schema.py "
                         "(python -m gtalign_lite.schema --list shows the valid ones)")
    P = resolve(params)
    from_file = sorted(k for k in P if P[k] != params[k])
    if from_file:
        print(f"profile {P['profile']}: {', '.join(from_file)} from params/{P['profile']}.yaml")
    params.update(P)  # the notebook's own variables agree with P
    if P.get("use_unsloth") and torch.cuda.is_available():
        from .models import check_gpu

        check_gpu()  # a P100 gets a clear message, not Unsloth's CUDA error
        try:  # Unsloth patches transformers, TRL and peft: imported before they are (generate, evaluate import them)
            import unsloth  # noqa: F401
        except ImportError:
            pass  # models.load_model stops with the install command
    try:  # peft's first import lets bitsandbytes print its notes (on AVX512-BF16 CPUs: no optional 4-bit kernel
        import peft  # noqa: F401  package): they show in this set-up cell, not in the middle of a notebook
    except ImportError:
        pass
    if PARAMS_DIR.exists():
        os.chdir(PARAMS_DIR.parent)  # run folders are relative to the repository root
    random.seed(P["seed"])
    np.random.seed(P["seed"])
    torch.manual_seed(P["seed"])
    Path(P["run_dir"]).mkdir(parents=True, exist_ok=True)
    print("versions:", ", ".join(f"{k} {v}" for k, v in versions().items()))
    if "design" in P:
        design_magic(P["design"])
    return P


def design_magic(design: str) -> None:
    """Register the cell magic `%%design NAME`: the cell runs only when the notebook's design is NAME (first or
    twins), so one notebook holds both designs and a cell of the other design stays empty."""
    from IPython import get_ipython

    ipython = get_ipython()
    if ipython is None:
        return

    def run_if(line, cell):
        if line.strip() not in SCHEMA["design"].allowed:
            raise ValueError(f"%%design takes one of {SCHEMA['design'].allowed}, got {line.strip()!r}")
        if line.strip() == design:
            ipython.run_cell(cell).raise_error()  # an error in the cell fails it, as papermill and nbval expect

    ipython.register_magic_function(run_if, "cell", "design")


def previous_run(profile: str, inputs="/kaggle/input") -> Path | None:
    """A previous Kaggle version's run folder for `profile` among the notebook's inputs (a saved version's output,
    added with Add input > Your Work), or None: <input>/gtalign-lite/runs/<profile> or <input>/runs/<profile>."""
    found = [*Path(inputs).glob(f"*/gtalign-lite/runs/{profile}"), *Path(inputs).glob(f"*/runs/{profile}")]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def restore_run(previous, run_dir) -> int:
    """Copy a previous session's run folder into run_dir, keeping every file run_dir already has (the copies are
    writable: Kaggle's inputs are read-only); returns how many files were copied. Finished notebooks are then
    skipped and training resumes from the copied checkpoint."""
    import shutil

    previous, run_dir, copied = Path(previous), Path(run_dir), 0
    for src in sorted(previous.rglob("*")):
        dst = run_dir / src.relative_to(previous)
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        elif not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            shutil.copystat(src, dst)  # mtimes: the runner compares them to tell what is newer
            dst.chmod(0o644)
            copied += 1
    return copied


def require(path, notebook: str, param: str | None = None) -> Path:
    """A previous stage's output, or an error that names the notebook to run first."""
    path = Path(path)
    if not path.exists():
        hint = f", or set {param} to a published artefact" if param else ""
        raise FileNotFoundError(f"{path} is missing: run notebooks/{notebook} first with the same run_dir{hint}.")
    return path


def save_json(obj, path) -> Path:
    """Write JSON (made folders included) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, default=str))
    return path


def load_json(path):
    return json.loads(Path(path).read_text())


def save_items(items: list[dict], path) -> Path:
    """Items as JSON lines (types kept exactly, unlike a DataFrame round trip)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(it) + "\n" for it in items))
    return path


def load_items(path) -> list[dict]:
    """Items saved by save_items."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def figure_path(run_dir, name: str) -> Path:
    """run_dir/figures/name, folder made; the runner copies these to figures/<profile>/."""
    folder = Path(run_dir) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
