"""The second pre-registered experiment (docs/preregistration-2.md), one family and seed: SFT, gates, margins, then
GRPO per arm and the evaluation. Each stage writes into the run folder and is skipped when its output exists, so a
stopped run resumes (GRPO from its last checkpoint). --keep copies the tables (no model) to figures/prereg2/.

    python scripts/prereg2.py --family writing --seeds 0 1 2 --jobs 2     # everything, two stages at a time
    python scripts/prereg2.py --family writing --seed 0 --stage before     # SFT, gates, margins
    python scripts/prereg2.py --family writing --seed 0 --stage grpo --arm welfare
    python scripts/prereg2.py --family writing --seed 0 --stage eval --arm welfare --keep
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gtalign_lite import twins  # noqa: E402
from gtalign_lite.config import save_json  # noqa: E402

SETTINGS = ROOT / "params" / "experiments" / "prereg2.yaml"


def settings(profile: str) -> dict:
    """The experiment's fixed settings (params/experiments/prereg2.yaml), one profile of it (full or smoke)."""
    return yaml.safe_load(SETTINGS.read_text())[profile]


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
    import gtalign_lite as gl

    return gl.load_model("embedded", {"seed": seed, "lora_r": S["lora_r"], "lora_alpha": S["lora_alpha"]},
                         lora=trainable, adapter=adapter)


def sft_stage(S, run, seed):
    from datasets import Dataset

    from gtalign_lite import train as tr

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
    from gtalign_lite.rewards import decision_reward, score_completion

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
    from gtalign_lite import train as tr

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


KEEP = ("times.csv", "sft_mix.csv", "control_vs_welfare.csv", "gates.json", "gate_rows.csv", "margins.csv", "margin_rows.csv", "eval-*.csv",
        "grpo-*/push.csv", "grpo-*/same_as.json", "grpo-*/rewards.csv", "grpo-*/arms_on_rollouts.csv", "grpo-*/decision_curve.csv", "grpo-*/log.csv", "sft/log.csv")


def keep(run: Path, figures: Path) -> None:
    """Copy the run's tables (no model weights) to its committed record."""
    for pattern in KEEP:
        for f in run.glob(pattern):
            dest = figures / f.relative_to(run)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)


def jobs_for(seeds, arms) -> list[tuple[str, list[str], list[str]]]:
    """(name, stage arguments, names it waits for) for every stage of these seeds and arms, in the order to run."""
    out = []
    for seed in seeds:
        before = f"s{seed}-before"
        out.append((before, ["--seed", str(seed), "--stage", "before"], []))
        first = "welfare" if "welfare" in arms else arms[0]
        out += [(f"s{seed}-grpo-{arm}", ["--seed", str(seed), "--stage", "grpo", "--arm", arm],
                 [before] if arm == first else [before, f"s{seed}-grpo-{first}"]) for arm in arms]
        out.append((f"s{seed}-eval-sft", ["--seed", str(seed), "--stage", "eval", "--arm", "sft"], [before]))
        out += [(f"s{seed}-eval-{arm}", ["--seed", str(seed), "--stage", "eval", "--arm", arm],
                 [f"s{seed}-grpo-{arm}"] if arm == first else [f"s{seed}-grpo-{arm}", f"s{seed}-eval-{first}"])
                for arm in arms]
    return out


def run_all(a) -> int:
    """Every stage of the seeds and arms, `--jobs` at a time (one torch thread each, or `--jobs` threads for a stage
    that runs alone), each as soon as what it needs has finished; one log per stage in the run folder. Returns the
    number of failed stages."""
    import subprocess

    todo, running, done, failed = jobs_for(a.seeds, a.arms), {}, set(), set()
    logs = ROOT / a.runs / a.family
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    while todo or running:
        for name, proc in list(running.items()):
            if proc.poll() is not None:
                (done if proc.returncode == 0 else failed).add(name)
                print(f"[{time.strftime('%H:%M:%S')}] {name}: {'done' if proc.returncode == 0 else 'FAILED'}", flush=True)
                del running[name]
        for job in [j for j in todo if set(j[2]) & failed]:  # what waits on a failed stage cannot run
            print(f"[{time.strftime('%H:%M:%S')}] {job[0]}: skipped ({', '.join(set(job[2]) & failed)} failed)")
            failed.add(job[0])
            todo.remove(job)
        ready = [j for j in todo if set(j[2]) <= done]
        while ready and len(running) < a.jobs:
            name, args, _ = ready.pop(0)
            todo.remove((name, args, _))
            cmd = [sys.executable, __file__, "--family", a.family, "--profile", a.profile, "--runs", a.runs, *args]
            # a stage alone on the machine (a seed's SFT before anything else can start) gets every core's thread
            alone = not running and not [j for j in todo if set(j[2]) <= done]
            env["OMP_NUM_THREADS"] = str(a.jobs if alone else 1)
            if a.keep:
                cmd.append("--keep")
            log = open(logs / f"{name}.log", "a")
            running[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
            print(f"[{time.strftime('%H:%M:%S')}] {name}: started (log {logs / (name + '.log')})", flush=True)
        time.sleep(2)
    return len(failed)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", default="writing", choices=twins.FAMILIES)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stage", choices=["before", "grpo", "eval", "keep", "all"], default="all",
                    help="all (default): every stage of --seeds and --arms, --jobs at a time")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--arms", nargs="+", default=list(twins.ARMS), choices=list(twins.ARMS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--arm", choices=list(twins.ARMS) + ["sft"])
    ap.add_argument("--profile", default="full", choices=["full", "smoke"])
    ap.add_argument("--runs", default="runs/prereg2")
    ap.add_argument("--keep", action="store_true", help="copy the tables to figures/prereg2/<family>/seed-N")
    a = ap.parse_args(argv)
    if a.keep and (a.profile != "full" or a.runs != "runs/prereg2"):
        sys.exit("--keep copies a run of the registered design (profile full, --runs runs/prereg2) to figures/prereg2/")
    if a.stage == "all":
        failed = run_all(a)
        if failed:
            sys.exit(f"{failed} stage(s) failed: see their logs in {ROOT / a.runs / a.family}")
        return
    S = {**settings(a.profile), "family": a.family}
    run = ROOT / a.runs / a.family / f"seed-{a.seed}"
    run.mkdir(parents=True, exist_ok=True)
    if a.stage == "before":
        for name, fn, done in (("sft", sft_stage, run / "sft" / "adapter" / "adapter_config.json"),
                               ("gates", gates_stage, run / "gates.json"), ("margins", margins_stage, run / "margins.csv")):
            if not done.exists():
                with timed(run, name):
                    fn(S, run, a.seed)
    elif a.stage == "grpo":
        if not any((run / f"grpo-{a.arm}" / f).exists() for f in ("adapter/adapter_config.json", "same_as.json")):
            with timed(run, f"grpo-{a.arm}"):
                grpo_stage(S, run, a.seed, a.arm)
    elif a.stage == "eval":
        if not (run / f"eval-{a.arm}.csv").exists():
            with timed(run, f"eval-{a.arm}"):
                eval_stage(S, run, a.seed, a.arm)
    if a.keep or a.stage == "keep":
        keep(run, ROOT / "figures" / "prereg2" / a.family / f"seed-{a.seed}")


if __name__ == "__main__":
    main()
