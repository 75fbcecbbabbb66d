"""Every notebook parameter in one table: default (the smoke profile), allowed values, which notebooks read it.

The notebooks' `parameters` cells, the profiles in params/*.yaml, config.check and the runner all follow this
table; `python -m gtalign_lite.schema` rewrites the parameters cells from it (a test checks they agree).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

PARAMS_DIR = Path(__file__).resolve().parents[1] / "params"


def profiles() -> list[str]:
    """Names of the shipped profiles (params/*.yaml)."""
    return sorted(p.stem for p in PARAMS_DIR.glob("*.yaml"))


def load_profile(name: str) -> dict:
    """One profile's parameters; an unknown name lists the valid ones."""
    path = PARAMS_DIR / f"{name}.yaml"
    if not path.exists():
        raise ValueError(f"unknown profile {name!r}; valid profiles: {', '.join(profiles())}")
    return yaml.safe_load(path.read_text())


ALL = ("01_data", "02_payoff_prompting", "03_sft", "04_grpo_welfare", "05_evaluation", "06_pricing_adaptation",
       "07_reference_runs")
TWINS = ("01_data", "03_sft", "04_grpo_welfare", "05_evaluation")  # read the twins design
MODEL = ("02_payoff_prompting", "03_sft", "04_grpo_welfare", "05_evaluation", "06_pricing_adaptation")  # load a model
KNOWN_MODELS = ("embedded", "Qwen/Qwen2.5-3B-Instruct", "unsloth/Qwen2.5-3B-Instruct-bnb-4bit",
                "Qwen/Qwen2.5-0.5B-Instruct", "unsloth/Qwen2.5-0.5B-Instruct", "HuggingFaceTB/SmolLM2-135M-Instruct",
                "HuggingFaceTB/SmolLM2-360M-Instruct")


@dataclass(frozen=True)
class Range:
    """Where a number may lie: low <= x (low < x when low_open), x <= high; for a list or dict, every element."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False

    def __contains__(self, x) -> bool:
        return ((self.low is None or (x > self.low if self.low_open else x >= self.low))
                and (self.high is None or x <= self.high))

    def __str__(self) -> str:
        lo = f"{'>' if self.low_open else '>='} {self.low:g}" if self.low is not None else ""
        hi = f"<= {self.high:g}" if self.high is not None else ""
        return " and ".join(s for s in (lo, hi) if s)


POSITIVE, AT_LEAST_1, NON_NEGATIVE = Range(0, low_open=True), Range(1), Range(0)


@dataclass(frozen=True)
class Param:
    """One parameter: its default, what it may be (a tuple of values or a type), who reads it, what it does."""

    default: object
    allowed: object
    notebooks: tuple
    help: str
    result: bool = True  # changes a result, so it keys run folders (run_dir and profile do not)
    range: Range | None = None  # valid numbers (config validation names the key and this range)


def _variants():
    from .rewards import VARIANTS

    return tuple(VARIANTS)


SCHEMA = {
    "profile": Param("smoke", "profiles", ALL, "parameter file in params/ (smoke, cpu, colab_t4)", False),
    "run_dir": Param("runs/smoke", str, ALL, "folder every stage reads and writes", False),
    "seed": Param(0, int, ALL, "seeds data sampling, traces, training and sampling", range=NON_NEGATIVE),
    "design": Param("first", ("first", "twins"), ALL[:6], "first: four families, four blocks (docs/method.md); twins: "
                    "one family, vague/clear twins (docs/preregistration-2.md)"),
    "family": Param("writing", ("writing", "ambiguous_qa"), TWINS, "design twins: the family trained and evaluated"),
    "arms": Param(["welfare", "control"], list, TWINS[2:], "design twins: GRPO arms (welfare, control, decision)"),
    "experiment": Param("smoke", ("full", "smoke"), TWINS[1:], "design twins: sizes from params/experiments/prereg2.yaml"),
    "prompt_style": Param("compact", ("compact", "paper"), ALL[:6], "system prompt: short, or the paper's long one"),
    "model_name": Param("embedded", "models", MODEL, "embedded SmolLM2, a Hub id in KNOWN_MODELS or a local folder"),
    "device": Param("cpu", ("auto", "cpu", "cuda"), MODEL, "where the model runs"),
    "use_unsloth": Param(False, bool, MODEL, "load through Unsloth (GPU only)"),
    "load_in_4bit": Param(False, bool, MODEL, "4-bit base weights (Unsloth, GPU)"),
    "max_seq_length": Param(640, int, MODEL, "longest prompt + completion in training", range=AT_LEAST_1),
    "lora_r": Param(16, int, MODEL, "LoRA rank", range=AT_LEAST_1),
    "lora_alpha": Param(32, int, MODEL, "LoRA scale", range=AT_LEAST_1),
    "n_train_per_family": Param(8, int, ("01_data",), "offline suite training items per family", range=AT_LEAST_1),
    "n_test_per_family": Param(2, int, ("01_data",), "offline suite held-out items per family", range=AT_LEAST_1),
    "n_val_per_family": Param(2, int, ("01_data",), "offline suite validation items per family (gates, pilots)",
                              range=AT_LEAST_1),
    "families": Param(None, (list, type(None)), ("04_grpo_welfare", "05_evaluation"),
                      "suite families GRPO trains on and 05 evaluates (None: all four)"),
    "use_paper_data": Param(False, bool, ("01_data", "04_grpo_welfare", "05_evaluation"),
                            "also the paper's rows: GRPO on them (04), evaluate on test and OOD samples (05)"),
    "paper_data_path": Param(None, (str, type(None)), ("01_data",),
                             "None: the GTAlign repository on GitHub; or a local copy of its data/ folder"),
    "paper_train_per_source": Param(8, int, ("01_data",), "paper training rows per source", range=AT_LEAST_1),
    "paper_test_per_source": Param(2, int, ("01_data",), "paper test rows per source (stratified)", range=AT_LEAST_1),
    "paper_ood_per_source": Param(2, int, ("01_data",), "rows per OOD set", range=AT_LEAST_1),
    "prompting_items": Param(4, int, ("02_payoff_prompting",), "items the untrained model is prompted with",
                             range=AT_LEAST_1),
    "prompting_max_new_tokens": Param(96, int, ("02_payoff_prompting",), "token cap when prompting", range=AT_LEAST_1),
    "select_rule": Param("welfare", ("welfare", "nash"), ("02_payoff_prompting", "06_pricing_adaptation"),
                         "how the solver picks a cell: highest LLM+user, or highest Nash product"),
    "sft_examples": Param(12, int, ("03_sft",), "SFT traces (balanced over families and question types)",
                          range=AT_LEAST_1),
    "sft_epochs": Param(1, int, ("03_sft",), "passes over the SFT traces", range=AT_LEAST_1),
    "sft_mix": Param("balanced", ("balanced", "gold"), ("03_sft",),
                     "trace actions drawn 50/50 independently of the question type, or the gold action"),
    "sft_lr": Param(0.0005, float, ("03_sft",), "SFT learning rate", range=POSITIVE),
    "sft_batch_size": Param(4, int, ("03_sft",), "SFT batch size", range=AT_LEAST_1),
    "sft_grad_accum": Param(1, int, ("03_sft",), "SFT gradient accumulation", range=AT_LEAST_1),
    "sft_eval_items": Param(4, int, ("03_sft",), "validation items scored before and after SFT (the capability gate)",
                            range=AT_LEAST_1),
    "save_steps": Param(1, int, ("03_sft", "04_grpo_welfare"), "checkpoint every this many steps (resume)", False,
                        range=AT_LEAST_1),
    "eval_max_new_tokens": Param(96, int, ("03_sft", "05_evaluation"), "token cap of greedy evaluation",
                                 range=AT_LEAST_1),
    "eval_batch_size": Param(4, int, ("03_sft", "05_evaluation"), "prompts per generation batch", False,
                             range=AT_LEAST_1),
    "gen_dtype": Param("auto", ("auto", "float32", "bfloat16", "float16"), MODEL,
                       "weights when generating; auto: bfloat16 where native, else float16 on a GPU, float32 on a CPU"),
    "start_from": Param("sft", ("sft", "base"), ("04_grpo_welfare",), "GRPO from the SFT adapter or a fresh LoRA"),
    "reward_variant": Param("cobb_douglas", "variants", ("04_grpo_welfare", "05_evaluation", "06_pricing_adaptation"),
                            "welfare of (U, L) that GRPO maximises (05 scores every method with it)"),
    "grpo_steps": Param(2, int, ("04_grpo_welfare",), "GRPO optimiser steps", range=AT_LEAST_1),
    "grpo_batch_size": Param(4, int, ("04_grpo_welfare",), "completions per step (prompts x num_generations)",
                             range=Range(2)),
    "num_generations": Param(4, int, ("03_sft", "04_grpo_welfare"), "completions per prompt (the group)",
                             range=Range(2)),
    "max_completion_length": Param(64, int, ("03_sft", "04_grpo_welfare"), "token cap of a rollout", range=AT_LEAST_1),
    "grpo_lr": Param(0.00001, float, ("04_grpo_welfare",), "GRPO learning rate", range=POSITIVE),
    "grpo_beta": Param(0.0, float, ("04_grpo_welfare",), "KL weight to the starting policy", range=NON_NEGATIVE),
    "scale_rewards": Param("none", ("none", "group", "batch"), ("04_grpo_welfare",),
                           "divide advantages by the reward std of the group or batch (none keeps reward margins)"),
    "temperature": Param(1.0, float, ("03_sft", "04_grpo_welfare"), "sampling temperature of rollouts", range=POSITIVE),
    "methods": Param("auto", (str, list), ("05_evaluation",), '"auto" (base, sft, every grpo-*) or a list'),
    "eval_items_per_family": Param(1, int, ("05_evaluation",), "held-out suite items per family", range=AT_LEAST_1),
    "sweep_dir": Param(None, (str, type(None)), ("05_evaluation",),
                       "a sweep's folder: also aggregate every run under it (the runner sets it)", False),
    "pricing_model": Param("auto", ("auto", "grpo", "sft", "base"), ("06_pricing_adaptation",),
                           "model whose own payoffs are repriced"),
    "pricing_items": Param(2, int, ("06_pricing_adaptation",), "items repriced", range=AT_LEAST_1),
    "pricing_max_new_tokens": Param(96, int, ("06_pricing_adaptation",), "token cap when repricing", range=AT_LEAST_1),
    "price_grid": Param([0.0, 2.0, 4.0, 8.0, 16.0], list, ("06_pricing_adaptation",), "prices per 1k tokens swept",
                        range=NON_NEGATIVE),
    "serving_cost": Param(2.0, float, ("06_pricing_adaptation",), "provider cost per 1k tokens", range=NON_NEGATIVE),
    "expected_tokens": Param({"DA": 300, "CQ": 40, "AQ": 220}, dict, ("06_pricing_adaptation",),
                             "expected reply tokens per action, for pricing", range=NON_NEGATIVE),
    "runs_root": Param("../shared/gtalign-runs", (str, type(None)), ("07_reference_runs",),
                       "the authors' generations: local folder, or None to download"),
    "labels_path": Param("../shared/gtalign-data/data/gamellm_wildbreak_math_medium_abgqa/test.parquet",
                         (str, type(None)), ("07_reference_runs",), "the test rows with labels"),
    "sources": Param(None, (list, type(None)), ("07_reference_runs",), "sources to read (None: all)"),
    "rewards": Param(None, (list, type(None)), ("07_reference_runs",), "reward runs to read (None: all)"),
    "steps": Param(None, (list, type(None)), ("07_reference_runs",), "training steps to read (None: all)"),
    "judge_cases": Param("tests/judge_cases/cases.jsonl", str, ("07_reference_runs",), "labelled judge cases"),
    "data_root": Param("../shared/gtalign-data/data", (str, type(None)), ("07_reference_runs",), "the paper's data"),
    "bootstrap_samples": Param(500, int, ("07_reference_runs",), "bootstrap resamples for intervals", range=AT_LEAST_1),
    "tables_dir": Param("figures/reference_runs", str, ("07_reference_runs",), "where 07 writes its tables", False),
}
PROFILE_ONLY = ("design", "family", "arms", "experiment", "runs_root", "labels_path", "sources", "rewards", "steps", "judge_cases", "data_root",
                "bootstrap_samples", "tables_dir", "sweep_dir", "methods", "pricing_model", "price_grid",
                "serving_cost", "expected_tokens")  # notebook defaults suffice; profiles need not list them


def for_notebook(name: str) -> dict:
    """{parameter: default} that notebook `name` declares, in schema order."""
    if name not in ALL:
        raise ValueError(f"unknown notebook {name!r}; valid: {', '.join(ALL)}")
    return {k: p.default for k, p in SCHEMA.items() if name in p.notebooks}


def _allowed(key: str):
    a = SCHEMA[key].allowed
    return {"profiles": tuple(profiles()), "variants": _variants(), "models": KNOWN_MODELS}.get(a, a) if isinstance(a, str) else a


def validate(params: dict) -> dict:
    """The parameters, or a ValueError naming an unknown key or a bad value and listing what is valid."""
    unknown = sorted(set(params) - set(SCHEMA))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(SCHEMA)} "
                         "(python -m gtalign_lite.schema --list says what each does)")
    for key, value in params.items():
        allowed = _allowed(key)
        if isinstance(allowed, tuple) and not all(isinstance(a, type) for a in allowed):
            ok = value in allowed or (key == "model_name" and Path(str(value)).is_dir())
            if not ok:
                extra = ", or a local model folder" if key == "model_name" else ""
                what = "profile" if key == "profile" else key
                raise ValueError(f"unknown {what} {value!r}; valid{' profiles' if key == 'profile' else ''}: "
                                 f"{', '.join(map(str, allowed))}{extra}")
        else:
            types = allowed if isinstance(allowed, tuple) else (allowed,)
            if float in types:
                types = (*types, int)
            if isinstance(value, bool) and bool not in types or not isinstance(value, types):
                raise ValueError(f"{key} must be {' or '.join(t.__name__ for t in types)}, got {value!r}")
        rng = SCHEMA[key].range
        numbers = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
        if rng is not None and value is not None and not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and x in rng for x in numbers):
            each = " (each element)" if isinstance(value, (list, dict)) else ""
            raise ValueError(f"{key} must be {rng}{each}, got {value!r}")
    if {"grpo_batch_size", "num_generations"} <= set(params) and params["grpo_batch_size"] % params["num_generations"]:
        raise ValueError(f"grpo_batch_size ({params['grpo_batch_size']}) must be a multiple of num_generations "
                         f"({params['num_generations']}): each step samples whole groups")
    return params


def cell_source(name: str) -> str:
    """The parameters cell of notebook `name`, written from the schema."""
    lines = []
    for key, default in for_notebook(name).items():
        lines.append(f"{key} = {default!r}".replace("'", '"') + f"  # {SCHEMA[key].help}")
    return "\n".join(lines)


def write_cells(folder=None) -> list[str]:
    """Rewrite every notebook's parameters cell from the schema; returns the notebooks changed."""
    import nbformat

    folder = Path(folder or Path(__file__).resolve().parents[1] / "notebooks")
    changed = []
    for name in ALL:
        path = folder / f"{name}.ipynb"
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        if cell.source != cell_source(name):
            cell.source = cell_source(name)
            nbformat.write(nb, path)
            changed.append(name)
    return changed


if __name__ == "__main__":
    import sys

    if "--list" in sys.argv:
        for k, p in SCHEMA.items():
            print(f"{k:<24} default {p.default!r:<14} read by {', '.join(n[:2] for n in p.notebooks):<22} {p.help}")
    else:
        print("rewrote the parameters cell of:", write_cells() or "none (all up to date)")
