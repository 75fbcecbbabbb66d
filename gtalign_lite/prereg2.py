"""The second pre-registered experiment (docs/preregistration-2.md) for one family and seed: SFT, gates, margins, GRPO
per arm, evaluation and the report. Each stage writes into the seed's run folder and is skipped when its output exists,
so a stopped run resumes (GRPO from its last checkpoint). Notebooks 03-05 (design "twins") and scripts/prereg2.py call
the same stages."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import yaml

from . import plots, twins
from .config import save_json
from .schema import PARAMS_DIR

SETTINGS = PARAMS_DIR / "experiments" / "prereg2.yaml"


def settings(profile: str) -> dict:
    """The experiment's fixed settings (params/experiments/prereg2.yaml), one profile of it (full or smoke)."""
    return yaml.safe_load(SETTINGS.read_text())[profile]


def for_notebook(P: dict) -> dict:
    """The settings of a notebook running design twins: the sizes of its `experiment` and its family."""
    return {**settings(P["experiment"]), "family": P["family"]}


def splits(family: str, seed: int) -> dict[str, list[dict]]:
    """Every twin pair of each split as items (vague, then clear), each with the prompt the compact format uses."""
    return {split: [{**x, "uid": f"{x['pair']}/{x['question_type']}", "prompt": twins.prompt(x)}
                    for pair in twins.twin_pairs(family, split, seed) for x in pair]
            for split in ("train", "validation", "test")}


def timed(run: Path, stage: str):
    """A context manager that appends the stage's wall time to run/times.csv."""
    class T:
        def __enter__(self):
            self.t = time.time()
            print(f"[{time.strftime('%H:%M:%S')}] {stage} ...", flush=True)

        def __exit__(self, *exc):
            if exc[0] is None:
                row = pd.DataFrame([{"stage": stage, "seconds": round(time.time() - self.t, 1),
                                     "threads": os.environ.get("OMP_NUM_THREADS", "")}])
                row.to_csv(run / "times.csv", mode="a", header=not (run / "times.csv").exists(), index=False)
                print(f"[{time.strftime('%H:%M:%S')}] {stage} done", flush=True)
    return T()


def load(S: dict, seed: int, adapter: str | None = None, trainable: bool = True):
    from .models import load_model

    return load_model("embedded", {"seed": seed, "lora_r": S["lora_r"], "lora_alpha": S["lora_alpha"]},
                      lora=trainable, adapter=adapter)


def sft_stage(S, run, seed):
    from datasets import Dataset

    from . import train as tr

    pairs = twins.twin_pairs(S["family"], "train", seed)[:S["sft_pairs"]]
    rows = twins.sft_rows([x for p in pairs for x in p], seed)
    pd.DataFrame(rows)[["question_type", "action"]].value_counts().rename("rows").to_csv(run / "sft_mix.csv")
    model, tok = load(S, seed)
    params = tr.SFTParams(seed=seed, batch_size=S["sft_batch_size"], grad_accum=1, epochs=S["sft_epochs"],
                          lr=S["sft_lr"], max_seq_length=320, save_steps=S["save_steps"], device="cpu")
    trainer = tr.sft(model, tok, Dataset.from_list(rows), run / "sft", params)
    trainer.save_model(str(run / "sft" / "adapter"))
    tr.log_frame(trainer).to_csv(run / "sft" / "log.csv", index=False)


def gates_stage(S, run, seed):
    model, tok = load(S, seed, str(run / "sft" / "adapter"))
    val = twins.twin_pairs(S["family"], "validation", seed)[:S["gate_pairs"]]
    items = [x for p in val for x in p]
    greedy = twins.read_rows(*twins.sample(model, tok, items, 1, 0.0, S["max_completion_length"], seed))
    sampled = twins.read_rows(*twins.sample(model, tok, items, S["gate_samples"], 1.0, S["max_completion_length"], seed))
    greedy.assign(kind="greedy").to_csv(run / "gate_rows.csv", index=False)
    sampled.assign(kind="sampled").to_csv(run / "gate_rows.csv", mode="a", header=False, index=False)
    probe = twins.transfer_probe(model, tok, val[:S["probe_pairs"]])
    rates = twins.ask_rates(sampled)
    type_acc = float((greedy.written_type == greedy.question_type).mean())
    gates = {"type_accuracy": type_acc, "type_gate": type_acc >= 0.9,
             **{k: rates[k] for k in ("p_ask_vague", "p_ask_clear")},
             "ask_rate_gate": all(0.35 <= rates[k] <= 0.65 for k in ("p_ask_vague", "p_ask_clear")),
             "format_ok_sampled": rates["format_ok"], **{f"probe_{k}": v for k, v in probe.items()},
             "probe_gate": probe["kappa"] >= 0.03}
    gates["passed"] = bool(gates["type_gate"] and gates["ask_rate_gate"] and gates["probe_gate"])
    save_json(gates, run / "gates.json")
    print(gates)


def margins_stage(S, run, seed):
    from .rewards import decision_reward, score_completion

    model, tok = load(S, seed, str(run / "sft" / "adapter"))
    pairs = twins.twin_pairs(S["family"], "train", seed + 1000)[:S["margin_pairs"]]
    items = [x for p in pairs for x in p]
    rep, texts = twins.sample(model, tok, items, S["margin_samples"], 1.0, S["max_completion_length"], seed)
    rows = []
    for arm in twins.ARMS:
        rewards = twins.rewards_for(arm)
        for i, (it, t) in enumerate(zip(rep, texts)):
            b = score_completion(it, t, rewards.judge, rewards.variant)
            w = decision_reward(it, t) if rewards.decision else b.welfare
            rows.append({"arm": arm, "item": it["pair"] + "/" + it["question_type"], "question_type": it["question_type"],
                         "asks": twins.asks(t), "W": w, "format_ok": b.format})
    scored = pd.DataFrame(rows)
    scored.to_csv(run / "margin_rows.csv", index=False)
    m = twins.margins(scored)
    m.to_csv(run / "margins.csv", index=False)
    print(m.round(3).to_string(index=False))


def same_run(S, run, arm) -> str | None:
    """The finished arm whose rollouts this arm's reward paid exactly as its own at every one of the registered steps,
    or None. From the same seed, data and sampling, equal rewards give equal advantages and updates: the same run."""
    for other in twins.ARMS:
        f = run / f"grpo-{other}" / "arms_on_rollouts.csv"
        if other != arm and f.exists():
            d = pd.read_csv(f)
            if f"equal_{arm}" in d and len(d) == S["grpo_steps"] and d[f"equal_{arm}"].all():
                return other
    return None


def grpo_stage(S, run, seed, arm):
    from . import train as tr

    out = run / f"grpo-{arm}"
    if other := same_run(S, run, arm):
        out.mkdir(parents=True, exist_ok=True)
        save_json({"same_as": other, "steps": S["grpo_steps"], "why": f"{arm}'s reward equalled {other}'s on every "
                   f"rollout of every step (grpo-{other}/arms_on_rollouts.csv)"}, out / "same_as.json")
        print(f"{arm}: the same run as {other} (equal rewards on every rollout); not trained again")
        return
    model, tok = load(S, seed, str(run / "sft" / "adapter"))
    rewards = twins.rewards_for(arm)
    pairs = twins.twin_pairs(S["family"], "train", seed)
    rows = twins.twin_steps(pairs, S["grpo_steps"], S["pairs_per_step"], seed)
    dataset = tr.grpo_dataset([{**it, "prompt": twins.prompt(it)} for it in rows], rewards.judge)
    held_out = twins.twin_pairs(S["family"], "test", seed)[:S["curve_pairs"]]
    curve = twins.DecisionCurve(held_out, tok, out / "decision_curve.csv", every=S["curve_every"])
    out.mkdir(parents=True, exist_ok=True)
    params = tr.GRPOParams(seed=seed, batch_size=S["pairs_per_step"] * 2 * S["num_generations"],
                           num_generations=S["num_generations"], max_completion_length=S["max_completion_length"],
                           steps=S["grpo_steps"], lr=S["grpo_lr"], beta=0.0, temperature=S["temperature"],
                           scale_rewards="none", save_steps=S["save_steps"], device="cpu", shuffle=False)
    trainer = tr.grpo(model, tok, dataset, rewards, out, params, callbacks=[curve.callback()])
    trainer.save_model(str(out / "adapter"))
    tr.log_frame(trainer).to_csv(out / "log.csv", index=False)
    history = pd.DataFrame(rewards.history)
    history.drop(columns=[c for c in history if c.startswith("text")]).to_csv(out / "rewards.csv", index=False)
    groups_per_step = S["pairs_per_step"] * 2
    twins.push_table(history, S["num_generations"], groups_per_step).to_csv(out / "push.csv", index=False)
    twins.arms_on_rollouts(history, groups_per_step, S["num_generations"]).to_csv(out / "arms_on_rollouts.csv",
                                                                                  index=False)


def eval_stage(S, run, seed, arm):
    same = run / f"grpo-{arm}" / "same_as.json"
    if arm != "sft" and same.exists():
        other = json.loads(same.read_text())["same_as"]
        pd.read_csv(run / f"eval-{other}.csv").assign(arm=arm).to_csv(run / f"eval-{arm}.csv", index=False)
        return
    adapter = run / "sft" / "adapter" if arm == "sft" else run / f"grpo-{arm}" / "adapter"
    model, tok = load(S, seed, str(adapter), trainable=False)
    test = twins.twin_pairs(S["family"], "test", seed)[:S["eval_pairs"]]
    items = [x for p in test for x in p]
    greedy = twins.read_rows(*twins.sample(model, tok, items, 1, 0.0, S["max_completion_length"], seed), kind="greedy")
    sampled = twins.read_rows(*twins.sample(model, tok, items, S["eval_samples"], 1.0, S["max_completion_length"],
                                            seed + 1), kind="sampled")
    rows = pd.concat([greedy, sampled]).assign(arm=arm, seed=seed)
    rows.to_csv(run / f"eval-{arm}.csv", index=False)
    print(arm, {k: twins.ask_rates(d) for k, d in rows.groupby("kind")})


KEEP = ("times.csv", "sft_mix.csv", "control_vs_welfare.csv", "gates.json", "gate_rows.csv", "margins.csv",
        "margin_rows.csv", "eval-*.csv", "grpo-*/push.csv", "grpo-*/same_as.json", "grpo-*/rewards.csv",
        "grpo-*/arms_on_rollouts.csv", "grpo-*/decision_curve.csv", "grpo-*/log.csv", "sft/log.csv")
NOTEBOOK_KEEP = ("*.csv", "examples-*.md", "figures/*.png", "done/times.csv")  # what notebooks 01-06 write beside them


def keep(run: Path, figures: Path, patterns=KEEP) -> None:
    """Copy the run's tables (no model weights) to its committed record."""
    for pattern in patterns:
        for f in run.glob(pattern):
            dest = figures / f.relative_to(run)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)


ARM_ORDER = ["welfare", "control", "decision"]


def smoothed(push: pd.DataFrame, window: int = 8) -> pd.DataFrame:
    """The rollouts' ask rate per type (push.csv rows) as a moving mean over `window` steps of each arm and seed,
    arms in ARM_ORDER: what plots.ask_by_type draws."""
    smooth = push.sort_values(["arm", "seed", "step"]).copy()
    for kind in ("vague", "clear"):
        smooth[f"p_ask_{kind}"] = smooth.groupby(["arm", "seed"])[f"ask_rate_{kind}"].transform(
            lambda x: x.rolling(window, min_periods=1).mean())
    return smooth[smooth.arm.isin(ARM_ORDER)].sort_values("arm", key=lambda s: s.map(ARM_ORDER.index), kind="stable")


def seeds(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("seed-*") if p.is_dir())


def read(folder: Path, pattern: str) -> pd.DataFrame:
    """The CSV named by pattern in every seed folder, with seed (and arm, from grpo-<arm>/ or eval-<arm>.csv)."""
    frames = []
    for s in seeds(folder):
        for f in sorted(s.glob(pattern)):
            d = pd.read_csv(f).assign(seed=int(s.name.split("-")[1]))
            arm = f.parent.name.removeprefix("grpo-") if f.parent != s else f.stem.removeprefix("eval-")
            frames.append(d.assign(arm=arm) if "arm" not in d else d)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def fmt(r, name, digits=2, signed=False):
    f = f"{{:{'+' if signed else ''}.{digits}f}}"
    return f"{f.format(r[name])} [{f.format(r[name + '_lo'])}, {f.format(r[name + '_hi'])}]"


def report(folder: Path, family: str, source: str) -> str:
    """The experiment's report from the seed folders under folder (<root>/<family>): gates, margins, ask rates with
    intervals, what GRPO saw, verdicts and stage times; writes report.md, the tables it prints and its two figures."""
    folder = Path(os.path.abspath(folder))  # links kept: the path as the user gave it
    shown = folder.relative_to(PARAMS_DIR.parent) if folder.is_relative_to(PARAMS_DIR.parent) else folder
    lines = [f"# Second pre-registered experiment: {family}", "", f"Printed by {source} from the records in "
             f"`{shown}/seed-N/`.", ""]
    gates = pd.DataFrame([{**json.loads((s / "gates.json").read_text()), "seed": int(s.name.split("-")[1])}
                          for s in seeds(folder) if (s / "gates.json").exists()])
    if len(gates):
        lines += ["## Gates (validation twins, after SFT)", "", "| seed | written type = true type | P(ask) vague / clear "
                  "(sampled) | kappa (probe) | passed |", "|---|---|---|---|---|"]
        lines += [f"| {r.seed} | {r.type_accuracy:.2f} | {r.p_ask_vague:.2f} / {r.p_ask_clear:.2f} | "
                  f"{r.probe_kappa:.3f} | {'yes' if r.passed else 'no'} |" for r in gates.itertuples()]
        lines.append("")
    margins = read(folder, "margins.csv")
    if len(margins):
        lines += ["## Margins on SFT samples (W(ask) - W(answer) within an item)", "",
                  "| seed | arm | d_V | d_D | d_V + d_D | items with both (vague / clear) |", "|---|---|---|---|---|---|"]
        for (seed, arm), d in margins.groupby(["seed", "arm"]):
            v, c = d.set_index("question_type").loc["VQ"], d.set_index("question_type").loc["DQ"]
            lines.append(f"| {seed} | {arm} | {v.d:+.3f} | {c.d:+.3f} | {v.d + c.d:+.3f} | {v.items_both} / {c.items_both} |")
        lines.append("")
    rows = read(folder, "eval-*.csv")
    push = read(folder, "grpo-*/push.csv")
    gaps = pd.DataFrame()
    if len(rows):
        lines += ["## Ask rates on held-out twins (cluster bootstrap over seeds and twin pairs)", ""]
        for kind in ("sampled", "greedy"):
            t = twins.gap_table(rows[rows.kind == kind])
            t = t.set_index("arm").loc[[a for a in ["sft"] + ARM_ORDER if a in set(t.arm)]].reset_index()
            t.to_csv(folder / f"gap_{kind}.csv", index=False)
            if kind == "sampled":
                gaps = t
            lines += [f"**{kind}** ({'4 samples per item at T = 1' if kind == 'sampled' else 'greedy'}):", "",
                      "| arm | seeds | pairs | P(ask \\| vague) | P(ask \\| clear) | gap | gap - SFT's |",
                      "|---|---|---|---|---|---|---|"]
            for r in t.to_dict("records"):
                change = fmt(r, "gap_change", signed=True) if "gap_change" in r and pd.notna(r.get("gap_change")) else ""
                lines.append(f"| {r['arm']} | {r['seeds']} | {r['pairs']} | {fmt(r, 'p_ask_vague')} | "
                             f"{fmt(r, 'p_ask_clear')} | {fmt(r, 'gap', signed=True)} | {change} |")
            lines.append("")
    if len(rows):
        per = rows[rows.kind == "sampled"].assign(a=lambda d: d.asks.fillna(False).astype(float)).pivot_table(
            index=["seed", "arm"], columns="question_type", values="a", aggfunc="mean")
        per = per.reindex(sorted(per.index, key=lambda k: (k[0], (["sft"] + ARM_ORDER).index(k[1]))))
        per.rename(columns={"VQ": "p_ask_vague", "DQ": "p_ask_clear"}).round(3).to_csv(folder / "ask_per_seed.csv")
        lines += ["**Per seed** (sampled; pooled rates can average seeds that settled on opposite behaviours):", "",
                  "| seed | arm | P(ask \\| vague) | P(ask \\| clear) |", "|---|---|---|---|"]
        lines += [f"| {seed} | {arm} | {r.VQ:.2f} | {r.DQ:.2f} |" for (seed, arm), r in per.iterrows()] + [""]
    if len(push):
        lines += ["## What GRPO saw (rollouts, mean over steps)", "", "| seed | arm | steps | groups holding an ask and an "
                  "answer | push on asking, vague / clear (sum per step) |", "|---|---|---|---|---|"]
        summary = push.groupby(["seed", "arm"]).agg(steps=("step", "size"), mixed_share=("mixed_share", "mean"),
                                                    push_vague=("push_vague", "mean"), push_clear=("push_clear", "mean"))
        summary.round(3).to_csv(folder / "grpo_summary.csv")
        for (seed, arm), d in push.groupby(["seed", "arm"]):
            lines.append(f"| {seed} | {arm} | {len(d)} | {d.mixed_share.mean():.2f} | {d.push_vague.mean():+.3f} / "
                         f"{d.push_clear.mean():+.3f} |")
        lines.append("")
        smooth = smoothed(push)
        plots.ask_by_type(smooth, folder / "ask_by_step.png",
                          title=f"{family}: how often GRPO's own replies ask (8-step moving mean, 4 per type a step)")
        lines += ["![ask rate by step](ask_by_step.png)", ""]
    same = read(folder, "grpo-*/arms_on_rollouts.csv")
    if len(same):
        lines += ["## Every arm's reward on each run's rollouts", "", "Each completion a GRPO run sampled is scored by "
                  "every arm's reward too. Where another arm's rewards equal the trained arm's on every rollout of a "
                  "step, its advantages and update would be the same, so from the same seed it would be the same run.",
                  "", "| seed | trained arm | steps | steps where the rewards equal the ... arm's on every rollout |",
                  "|---|---|---|---|"]
        for (seed, arm), d in same.groupby(["seed", "arm"]):
            equal = ", ".join(f"{a} {int(d[f'equal_{a}'].sum())}" for a in ARM_ORDER if a != arm and f"equal_{a}" in d)
            lines.append(f"| {seed} | {arm} | {len(d)} | {equal} |")
        lines.append("")
        for s in seeds(folder):
            for f in sorted(s.glob("grpo-*/same_as.json")):
                same = json.loads(f.read_text())
                lines.append(f"- seed {s.name.split('-')[1]}, arm {f.parent.name.removeprefix('grpo-')}: the same run as "
                             f"{same['same_as']} ({same['why']}; docs/preregistration-2.md, amendment 1)")
        lines.append("")
    curve = read(folder, "grpo-*/decision_curve.csv")
    if len(curve):
        curve = curve[curve.arm.isin(ARM_ORDER)].sort_values("arm", key=lambda s: s.map(ARM_ORDER.index))
        plots.ask_by_type(curve, folder / "decision_by_step.png", ylabel="P(ask action | request, cue, type)",
                          title=f"{family}: held-out twins, P(the thinking block chooses to ask)")
        lines += ["![decision probability by step](decision_by_step.png)", ""]
    if len(gaps):
        n_seeds = int(rows.seed.nunique())
        lines += ["## Verdicts (rules of docs/preregistration-2.md)", ""]
        lines += [f"- **{h}**: {v}" for h, v in twins.verdicts(gaps, gates, margins, push, n_seeds).items()]
        lines.append("")
    times = read(folder, "times.csv")
    if len(times):
        lines += ["## Stage times (wall seconds as run: one torch thread each, other stages sharing the 2 cores)", "", "| seed | stage | seconds |",
                  "|---|---|---|"] + [f"| {r.seed} | {r.stage} | {r.seconds:.0f} |" for r in times.itertuples()] + [""]
    (folder / "report.md").write_text("\n".join(lines))
    return "\n".join(lines)


def run_stage(S: dict, run: Path, seed: int, stage: str, arm: str | None = None) -> None:
    """One stage of a seed (before: SFT, gates and margins; grpo or eval of an arm), skipped where its output exists;
    each part's wall time goes to run/times.csv."""
    run = Path(run)
    run.mkdir(parents=True, exist_ok=True)
    if stage == "before":
        for name, fn, done in (("sft", sft_stage, run / "sft" / "adapter" / "adapter_config.json"),
                               ("gates", gates_stage, run / "gates.json"), ("margins", margins_stage, run / "margins.csv")):
            if not done.exists():
                with timed(run, name):
                    fn(S, run, seed)
    elif stage == "grpo":
        if not any((run / f"grpo-{arm}" / f).exists() for f in ("adapter/adapter_config.json", "same_as.json")):
            with timed(run, f"grpo-{arm}"):
                grpo_stage(S, run, seed, arm)
    elif stage == "eval":
        if not (run / f"eval-{arm}.csv").exists():
            with timed(run, f"eval-{arm}"):
                eval_stage(S, run, seed, arm)
    else:
        raise ValueError(f"unknown stage {stage!r}; valid: before, grpo, eval")


EXAMPLE_PAIRS = 2  # held-out twin pairs shown per model


def examples(seed_dir: Path, family: str, seed: int, out: Path, max_new_tokens: int = 192) -> list[Path]:
    """Greedy completions of the first EXAMPLE_PAIRS held-out twin pairs (a rule, not a choice) from the SFT adapter and
    each trained arm in seed_dir, one Markdown file per arm in out (examples-<arm>.md); returns the files written."""
    from .models import load_model

    items = [x for p in twins.twin_pairs(family, "test", seed)[:EXAMPLE_PAIRS] for x in p]
    written = []
    for arm, adapter in [("sft", seed_dir / "sft" / "adapter")] + [
            (p.name.removeprefix("grpo-"), p / "adapter") for p in sorted(seed_dir.glob("grpo-*"))]:
        if not (adapter / "adapter_config.json").exists():
            continue
        model, tok = load_model("embedded", {"seed": seed}, lora=False, adapter=str(adapter))
        rep, texts = twins.sample(model, tok, items, 1, 0.0, max_new_tokens, seed)
        lines = [f"## seed {seed}, {arm}", ""]
        for it, t in zip(rep, texts):
            lines += [f"**{it['question_type']}** {it['question']} (asks: {twins.asks(t)})", "", "```", t, "```", ""]
        out.mkdir(parents=True, exist_ok=True)
        written.append(out / f"examples-{arm}.md")
        written[-1].write_text("\n".join(lines).rstrip("\n") + "\n")
    return written


def keep_family(folder: Path, dest: Path) -> None:
    """Copy a family's run (<root>/<family>: every seed's tables, the report, its tables and figures, the notebooks'
    tables) to a committed record, model weights left out."""
    folder, dest = Path(folder), Path(dest)
    for seed_dir in seeds(folder):
        keep(seed_dir, dest / seed_dir.name, KEEP + NOTEBOOK_KEEP)
    for f in [*folder.glob("*.csv"), *folder.glob("*.png"), folder / "report.md"]:
        if f.exists():
            shutil.copy2(f, dest / f.name)
