"""The second pre-registered experiment (docs/preregistration-2.md): can GRPO teach the model to ask when a request
is vague and answer its clear twin?

The completion is decision-first and compact but keeps GTAlign's four blocks: <thinking> copies the words of the
request that decide its type, then names the type and the action; <payoff> holds integer cells; <analyze> names the
chosen cell; <response> carries it out. The prompt is the request alone (no instruction block): SFT teaches the
format. Every GRPO step holds vague/clear twin pairs of one template, so a push earned on one type is weighed
against its twin in the same step.
"""
from __future__ import annotations

import math
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .behaviour import ASKS
from .behaviour import asks as reply_asks
from .parse import parse_completion
from .prompts import build_messages
from . import suite
from .traces import draw_action, render, response_for, sample_payoff

FAMILIES = ("writing", "ambiguous_qa")  # one family per run; their first-experiment margins lean opposite ways
ARMS = {"welfare": ("cobb_douglas", "prereg2"),  # arm a: Cobb-Douglas welfare, the paper's rubric as registered
        "control": ("cobb_douglas", "prereg1"),  # arm b: the first experiment's rubric (predicted to collapse)
        "decision": ("decision", "prereg2")}  # arm c: positive control, a reward on the decision alone
ASK_ACTION, ANSWER_ACTION = "CQ", "DA"
TWINS = {"writing": suite._writing, "ambiguous_qa": suite._ambiguous_qa}  # (clear, vague) pairs of a split


def cue(item: dict) -> str:
    """The words of the request that decide its type, copied from it (writing: 'about <topic>' or 'about it';
    ambiguous_qa: the second town's clause)."""
    q = item["question"]
    if item["family"] == "writing":
        m = re.search(r"\b(about .+?) for\b", q)
    elif item["family"] == "ambiguous_qa":
        m = re.search(r"; ((?:another|a) town called \w+)", q)
    else:
        raise ValueError(f"no cue rule for family {item['family']!r}; this experiment runs {FAMILIES}")
    if not m:
        raise ValueError(f"no cue found in {q!r}")
    return m.group(1)


def prompt(item: dict) -> list[dict]:
    """The chat prompt: the request alone, as the compact format's SFT teaches."""
    return build_messages(item["question"], style="decision")


def thinking_prefix(item: dict) -> str:
    """The thinking block up to the action, with the true cue and type: where the decision token comes next."""
    return f'<thinking>Cue: "{cue(item)}". Type: {item["question_type"]}. Action:'


def trace(item: dict, action: str, rng: random.Random) -> str:
    """A decision-first completion carrying out `action`: cue, type and action, integer payoffs on which the solver
    picks that cell, the cell named, the reply."""
    key = f"{item['question_type']}_{action}"
    thinking = f'Cue: "{cue(item)}". Type: {item["question_type"]}. Action: {action}.'
    return render(thinking, sample_payoff(key, rng), f"I choose {key}.", response_for(item, action), compact=True)


def sft_rows(items: list[dict], seed: int) -> list[dict]:
    """Prompt-completion rows, each action drawn independently of the type (action-balanced)."""
    rng = random.Random(seed)
    rows = []
    for it in items:
        action = draw_action(it, rng)
        rows.append({"prompt": prompt(it), "completion": [{"role": "assistant", "content": trace(it, action, rng)}],
                     "question_type": it["question_type"], "action": action})
    return rows


def twin_pairs(family: str, split: str, seed: int) -> list[tuple[dict, dict]]:
    """Every (vague, clear) twin pair of a family's split, shuffled by seed."""
    if family not in FAMILIES:
        raise ValueError(f"this experiment runs {FAMILIES}, not {family!r}")
    pairs = [(vq, dq) for dq, vq in TWINS[family](split)]
    random.Random(seed).shuffle(pairs)
    return pairs


def twin_steps(pairs: list[tuple[dict, dict]], steps: int, pairs_per_step: int, seed: int) -> list[dict]:
    """GRPO rows in step order: each step holds `pairs_per_step` twin pairs (vague, then clear) of one template."""
    rng = random.Random(seed)
    by_template: dict = {}
    for v, c in pairs:
        by_template.setdefault(v["template"], []).append((v, c))
    templates = sorted(by_template)
    rows = []
    for step in range(steps):
        pool = by_template[templates[rng.randrange(len(templates))]]
        for v, c in rng.sample(pool, min(pairs_per_step, len(pool))):
            rows += [v, c]
    return rows


def asks(text: str) -> bool | None:
    """Whether a completion's reply asks (CQ or AQ), read off the <response> block; None when there is none."""
    return reply_asks(parse_completion(text).response)


def read_rows(items: list[dict], texts: list[str], **extra) -> pd.DataFrame:
    """One row per completion: its pair, true and written type, whether the reply asks, well formed."""
    rows = []
    for it, t in zip(items, texts):
        c = parse_completion(t)
        rows.append({"pair": it["pair"], "question_type": it["question_type"], "written_type": c.question_type,
                     "asks": reply_asks(c.response), "format_ok": c.format_ok, **extra})
    return pd.DataFrame(rows)


def sample(model, tok, items: list[dict], n: int, temperature: float, max_new_tokens: int, seed: int,
           batch_size: int = 32) -> tuple[list[dict], list[str]]:
    """n completions per item (greedy when temperature is 0), closed at </response>."""
    from .generate import generate

    rep = [it for it in items for _ in range(n)]
    texts = generate(model, tok, [prompt(it) for it in rep], max_new_tokens=max_new_tokens, batch_size=batch_size,
                     stop="</response>", temperature=temperature, seed=seed, progress=False)
    return rep, texts


def ask_rates(rows: pd.DataFrame) -> dict:
    """P(ask | vague), P(ask | clear), their gap, and the share of well-formed replies."""
    r = {t: float(rows.loc[rows.question_type == t, "asks"].fillna(False).astype(float).mean()) for t in ("VQ", "DQ")}
    return {"p_ask_vague": r["VQ"], "p_ask_clear": r["DQ"], "gap": r["VQ"] - r["DQ"],
            "format_ok": float(rows.format_ok.mean()), "n": int(len(rows))}


def gap_table(rows: pd.DataFrame, reference: str = "sft", n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per arm: P(ask | vague), P(ask | clear), the gap, and the gap's change against `reference`, each with a 95%
    interval from one cluster bootstrap over (seed, twin pair), the same resamples for every arm (rows: arm, seed,
    pair, question_type, asks)."""
    t = rows.assign(a=rows.asks.fillna(False).astype(float), cluster=rows.seed.astype(str) + "|" + rows.pair)
    clusters = sorted(t.cluster.unique())
    rng = np.random.default_rng(seed)
    w = np.vstack([np.ones(len(clusters)), rng.multinomial(len(clusters), np.full(len(clusters), 1 / len(clusters)),
                                                           n_resamples)])

    def rate(d, qtype):
        g = d[d.question_type == qtype].groupby("cluster").a.agg(["sum", "count"]).reindex(clusters, fill_value=0)
        with np.errstate(all="ignore"):
            return (w @ g["sum"].to_numpy()) / (w @ g["count"].to_numpy())

    def ci(v):
        lo, hi = np.nanpercentile(v[1:], [2.5, 97.5])
        return float(v[0]), float(lo), float(hi)

    gaps = {arm: (rate(d, "VQ"), rate(d, "DQ")) for arm, d in t.groupby("arm")}
    out = []
    for arm, (v, c) in gaps.items():
        row = {"arm": arm, "seeds": int(t[t.arm == arm].seed.nunique()), "pairs": int(t[t.arm == arm].pair.nunique())}
        for name, vec in (("p_ask_vague", v), ("p_ask_clear", c), ("gap", v - c)):
            row[name], row[f"{name}_lo"], row[f"{name}_hi"] = ci(vec)
        if reference in gaps and arm != reference:  # the reference on this arm's own seeds and pairs
            ref = t[(t.arm == reference) & t.cluster.isin(set(t[t.arm == arm].cluster))]
            rv, rc = rate(ref, "VQ"), rate(ref, "DQ")
            for name, vec in (("gap_change", (v - c) - (rv - rc)), ("clear_change", c - rc)):
                row[name], row[f"{name}_lo"], row[f"{name}_hi"] = ci(vec)
        out.append(row)
    return pd.DataFrame(out)


def verdicts(gaps: pd.DataFrame, gates: pd.DataFrame, margins: pd.DataFrame, push: pd.DataFrame, n_seeds: int) -> dict:
    """Each hypothesis's verdict by the rules of docs/preregistration-2.md, from the sampled gap table (gap_table),
    the gates (one row per seed), the margins and the per-step push table (both with arm). Where a gate failed every
    hypothesis is not testable; what its rule alone would read is said beside it (exploratory)."""
    g = gaps.set_index("arm")
    gates_ok = bool(len(gates)) and bool(gates.passed.all())
    out = {}
    if "welfare" in g.index and "gap_change" in g:
        r = g.loc["welfare"]
        if r.gap_change_lo > 0 and r.gap >= 0.15:
            out["H1"] = "confirmed"
        else:
            wm = margins[(margins.arm == "welfare")]
            symmetric = bool(len(wm)) and abs(wm.d_V_plus_d_D.iloc[0]) <= 0.1
            kappa_ok = bool((gates.probe_kappa >= 0.04).all())
            mixed = push[push.arm == "welfare"].mixed_share.mean() if len(push) else float("nan")
            refuted = r.gap_hi < 0.15 and symmetric and kappa_ok and mixed >= 0.6
            out["H1"] = "refuted" if refuted else "inconclusive"
    if "control" in g.index and "clear_change" in g:
        r = g.loc["control"]
        out["H2"] = ("confirmed" if r.clear_change >= 0.1 and r.gap_hi < 0.15 else
                     "refuted" if r.clear_change < 0.1 else "inconclusive")
    if "decision" in g.index:
        r = g.loc["decision"]
        out["H3"] = "confirmed" if r.gap_lo > 0.3 else "refuted" if r.gap_hi < 0.15 else "inconclusive"
    if not gates_ok:
        out = {k: f"not testable: a gate failed (its rule alone reads {v})" for k, v in out.items()}
    arm_of = {"H1": "welfare", "H2": "control", "H3": "decision"}
    seeds_of = {h: int(g.loc[arm_of[h], "seeds"]) if "seeds" in g else n_seeds for h in out}  # each arm's own seeds
    return {k: v + (f" (partial: {seeds_of[k]} of 3 seeds)" if seeds_of[k] < 3 else "") for k, v in out.items()}


# ---- the transfer probe: does a push on vague items stay with them? ----------------------------------------------

def _action_logits(model, tok, items: list[dict]):
    """log P(ask action) - log P(answer action) after the true thinking prefix, per item (a tensor, with grad)."""
    import torch

    from .generate import chat_text

    scores = []
    for it in items:
        base = chat_text(tok, prompt(it), thinking_prefix(it))
        n = len(tok(base, add_special_tokens=False)["input_ids"])
        lp = []
        for action in (ASK_ACTION, ANSWER_ACTION):
            ids = tok(base + f" {action}.", add_special_tokens=False, return_tensors="pt")["input_ids"]
            logp = torch.log_softmax(model(input_ids=ids).logits[0, :-1].float(), -1)
            lp.append(logp[torch.arange(n - 1, ids.shape[1] - 1), ids[0, n:]].sum())
        scores.append(lp[0] - lp[1])
    return torch.stack(scores)


def transfer_probe(model, tok, pairs: list[tuple[dict, dict]], lr: float = 1e-3) -> dict:
    """One plain SGD step raising the ask action on the vague twins; the clear twins' change against the vague ones'
    gives kappa = (1 - rho) / (1 + rho), the share of an update that stays with its own type (0: none, 1: all).
    The trainable weights are put back afterwards."""
    import torch

    vague, clear = [v for v, _ in pairs], [c for _, c in pairs]
    params = [p for p in model.parameters() if p.requires_grad]
    saved = [p.detach().clone() for p in params]
    model.eval()
    with torch.no_grad():
        v0, c0 = _action_logits(model, tok, vague), _action_logits(model, tok, clear)
    loss = -torch.nn.functional.logsigmoid(_action_logits(model, tok, vague)).mean()
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
        v1, c1 = _action_logits(model, tok, vague), _action_logits(model, tok, clear)
        for p, s in zip(params, saved):
            p.copy_(s)
    model.zero_grad()
    dv, dc = float((v1 - v0).mean()), float((c1 - c0).mean())
    rho = dc / dv if dv else math.nan
    return {"delta_vague": dv, "delta_clear": dc, "rho": rho, "kappa": (1 - rho) / (1 + rho),
            "ask_logit_vague": float(v0.mean()), "ask_logit_clear": float(c0.mean()), "pairs": len(pairs)}


# ---- margins: what the reward pays for asking rather than answering, per type ------------------------------------

def margins(scored: pd.DataFrame) -> pd.DataFrame:
    """Per arm and type: d = mean W(ask) - mean W(answer) within items sampled both ways, averaged over such items
    (d_V on vague, d_D on clear), with how many items had both; and d_V + d_D, the shared push."""
    rows = []
    scored = scored.dropna(subset=["asks"]).astype({"asks": bool})  # a reply-less completion neither asks nor answers
    for (arm, qtype), d in scored.groupby(["arm", "question_type"]):
        per = d.groupby("item").apply(lambda x: x.W[x.asks].mean() - x.W[~x.asks].mean(), include_groups=False)
        per = per.dropna()
        rows.append({"arm": arm, "question_type": qtype, "d": float(per.mean()) if len(per) else math.nan,
                     "se": float(per.std(ddof=1) / math.sqrt(len(per))) if len(per) > 1 else math.nan,
                     "items_both": int(len(per)), "items": int(d["item"].nunique())})
    out = pd.DataFrame(rows, columns=["arm", "question_type", "d", "se", "items_both", "items"])
    shared = out.groupby("arm").d.sum(min_count=2).rename("d_V_plus_d_D")
    return out.merge(shared, on="arm")


def arm_reward(arm: str):
    """f(item, text): the scalar one arm's GRPO maximises for a completion."""
    from .judges import RuleJudge
    from .rewards import decision_reward, score_completion

    variant, rubric = ARMS[arm]
    if variant == "decision":
        return decision_reward
    judge = RuleJudge(rubric=rubric)
    return lambda item, text: score_completion(item, text, judge, variant).welfare


def rewards_for(arm: str):
    """The RewardFunctions of one arm (the welfare of U and L, or the decision-only control); every arm's reward is
    also logged per completion (reward_<arm>), so what another arm would have paid the same rollouts is on record."""
    from .judges import RuleJudge
    from .rewards import RewardFunctions

    variant, rubric = ARMS[arm]
    return RewardFunctions(RuleJudge(rubric=rubric), variant, shadows={a: arm_reward(a) for a in ARMS})


def arms_on_rollouts(history: pd.DataFrame, groups_per_step: int, group_size: int) -> pd.DataFrame:
    """Per GRPO step, the mean reward every arm would have paid this run's rollouts, and whether each arm's rewards
    equal the trained arm's on every rollout of the step (then its advantages and update would be the same)."""
    h = history.reset_index(drop=True)
    h["step"] = h.index // (groups_per_step * group_size) + 1
    out = h.groupby("step").agg(reward=("reward", "mean"), **{
        f"mean_{a}": (f"reward_{a}", "mean") for a in ARMS if f"reward_{a}" in h})
    for a in ARMS:
        if f"reward_{a}" in h:
            out[f"equal_{a}"] = (h[f"reward_{a}"] - h["reward"]).abs().lt(1e-9).groupby(h["step"]).all()
    return out.reset_index()


# ---- what GRPO did per step: mixed groups and the push per type --------------------------------------------------

def push_table(history: pd.DataFrame, group_size: int, groups_per_step: int) -> pd.DataFrame:
    """Per GRPO step: the share of groups holding both an ask and an answer, and per type the push on asking,
    sum over asking replies of (reward - group mean): what the policy gradient adds to the ask logit."""
    h = history.reset_index(drop=True).assign(group=lambda d: d.index // group_size)
    h["step"] = h.group // groups_per_step + 1
    h["asks"] = h.behaviour.isin(ASKS)
    h["adv"] = h.reward - h.groupby("group").reward.transform("mean")
    g = h.groupby("group").agg(step=("step", "first"), qtype=("question_type", "first"),
                               mixed=("asks", lambda a: 0 < a.sum() < len(a)))
    push = h[h.asks].groupby(["step", "question_type"]).adv.sum().unstack(fill_value=0.0)
    out = g.groupby("step").agg(mixed_share=("mixed", "mean"))
    out["push_vague"] = push.get("VQ", pd.Series(dtype=float)).reindex(out.index, fill_value=0.0)
    out["push_clear"] = push.get("DQ", pd.Series(dtype=float)).reindex(out.index, fill_value=0.0)
    rate = h.groupby(["step", "question_type"]).asks.mean().unstack()
    out["ask_rate_vague"] = rate.get("VQ", pd.Series(dtype=float)).reindex(out.index)
    out["ask_rate_clear"] = rate.get("DQ", pd.Series(dtype=float)).reindex(out.index)
    out["reward"] = h.groupby("step").reward.mean()
    out["format_ok"] = h.groupby("step").format.mean()
    return out.reset_index()


class DecisionCurve:
    """A TrainerCallback factory: every `every` steps (and before the first), P(ask action | the request and the true
    cue and type) on held-out twin pairs, from one forward pass each (no sampling), appended to a CSV that a resumed
    run keeps. The replies' own behaviour per step comes from the rollouts (push_table) and the final evaluation."""

    def __init__(self, pairs: list[tuple[dict, dict]], tok, path, every: int = 8):
        self.pairs, self.tok, self.path, self.every = pairs, tok, Path(path), every

    def done_steps(self) -> set:
        return set(pd.read_csv(self.path).step) if self.path.exists() else set()

    def measure(self, model, step: int) -> dict:
        """Append one point of the curve."""
        import torch

        was_training = model.training
        model.eval()
        with torch.no_grad():
            v = torch.sigmoid(_action_logits(model, self.tok, [v for v, _ in self.pairs]))
            c = torch.sigmoid(_action_logits(model, self.tok, [c for _, c in self.pairs]))
        model.train(was_training)
        row = {"step": step, "p_ask_vague": float(v.mean()), "p_ask_clear": float(c.mean()),
               "gap": float((v - c).mean()), "pairs": len(self.pairs)}
        pd.DataFrame([row]).to_csv(self.path, mode="a", header=not self.path.exists(), index=False)
        return row

    def callback(self):
        from transformers import TrainerCallback

        curve = self

        class Curve(TrainerCallback):
            def on_train_begin(self, args, state, control, model=None, **kw):
                if state.global_step not in curve.done_steps():
                    print("decision curve:", curve.measure(model, state.global_step), flush=True)

            def on_step_end(self, args, state, control, model=None, **kw):
                if state.global_step % curve.every == 0 and state.global_step not in curve.done_steps():
                    print("decision curve:", curve.measure(model, state.global_step), flush=True)

        return Curve()
