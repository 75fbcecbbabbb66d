"""The pre-registered experiment read off its committed CSVs (docs/preregistration.md): the gates, H1 per family, H2,
and each hypothesis's verdict in a sentence. scripts/prereg_report.py prints it; notebook 05 shows it.

The verdict rules are the pre-registration's: a difference whose 95% interval lies above 0 confirms; below 0, or
inside [-MARGIN, +MARGIN], refutes; anything else is inconclusive; a family that fails a gate is not testable.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .config import PARAMS_DIR
from .evaluate import CAPABILITY_GATE, markdown
from .probe import PROBE_GATE
from .runs import grpo_method
from .stats import fmt_interval, harm_outcomes

FIGURES = PARAMS_DIR.parent / "figures"
ARM_A, ARM_B = "prereg", "prereg-harmful+families=['safety'],grpo_steps=20"  # the runner names a sweep by its overrides
MARGIN = 0.05  # the pre-registered equivalence margin
SEEDS = 3  # the pre-registered number of seeds; fewer is reported as partial
# H2's prediction per reward: the win-win share minus SFT's
H2_PREDICTION = {grpo_method("cobb_douglas"): "above 0", grpo_method("user"): "above 0", grpo_method("llm"): "contains 0"}


def verdict(lo: float, hi: float) -> str:
    """The pre-registered reading of a difference's 95% interval [lo, hi]."""
    if lo > 0:
        return "confirmed"
    if hi < 0 or (-MARGIN <= lo and hi <= MARGIN):
        return "refuted"
    return "inconclusive"


def as_predicted(r) -> bool:
    """Whether a harmful-game row's win-win difference from SFT is where H2_PREDICTION puts it."""
    if H2_PREDICTION[r.method] == "above 0":
        return bool(r.minus_ref_lo > 0)
    return bool(r.minus_ref_lo <= 0 <= r.minus_ref_hi)


def h2_verdict(t: pd.DataFrame) -> str:
    """H2 over the harmful-game table: confirmed when every reward is as predicted (Cobb-Douglas and user-only above
    0, LLM-only containing 0); refuted when Cobb-Douglas's interval is at or below 0."""
    r = t.set_index("method", drop=False)
    if not set(H2_PREDICTION) <= set(r.index):
        return "inconclusive"
    if r.loc[grpo_method("cobb_douglas")].minus_ref_hi <= 0:
        return "refuted"
    return "confirmed" if all(as_predicted(r.loc[m]) for m in H2_PREDICTION) else "inconclusive"


SAME_REPLIES = ("but after training, the three rewards' models reply to harmful requests in the same proportions, so "
                "this run cannot tell the rewards apart")


def rewards_alike(t: pd.DataFrame) -> bool:
    """Whether every GRPO reward's model has the same win-win, no-help and unsafe shares on harmful requests: then
    the rewards did not steer the models apart, and H2's comparison of them says nothing about the rewards."""
    shares = t[t.method.isin(H2_PREDICTION)][["win_win", "no_help", "unsafe"]].round(3)
    return len(shares) == len(H2_PREDICTION) and len(shares.drop_duplicates()) == 1


def _fmt(r, name, digits=3):
    """The row's estimate `name` with its interval, signed."""
    return fmt_interval(r[name], r[name + "_lo"], r[name + "_hi"], digits, signed=True)


def gates(root: Path = FIGURES) -> pd.DataFrame:
    """Per family: the perception gate (probe accuracy on validation >= PROBE_GATE) and the capability gate (each
    seed's SFT right on >= CAPABILITY_GATE of its direct answers to clear validation items)."""
    probe = pd.read_csv(root / "gates" / "probe.csv").set_index("family")
    caps = [pd.read_csv(p).assign(seed=p.parent.name) for p in sorted((root / ARM_A).glob("seed-*/gate_capability.csv"))]
    cap = pd.concat(caps) if caps else pd.DataFrame(columns=["family", "right_when_answering", "answers", "seed"])
    rows = []
    for family, p in probe.iterrows():
        c = cap[cap.family == family]
        rows.append({"family": family, "probe (validation)": round(p.validation, 3),
                     "perception": bool(p.validation >= PROBE_GATE),
                     "right when answering (per seed: its direct answers)": ", ".join(
                         "no direct answer" if a == 0 else f"{v:.2f} ({a})" for v, a in zip(c.right_when_answering, c.answers)),
                     "capability": bool((c.right_when_answering >= CAPABILITY_GATE).all()) if len(c) else "not yet measured"})
    return pd.DataFrame(rows)


def testable(gate_row) -> bool | None:
    """Whether a family's gates let H1 be tested: both passed (None: capability not yet measured)."""
    cap = gate_row["capability"]
    return None if isinstance(cap, str) else bool(gate_row["perception"]) and bool(cap)


def h1(g: pd.DataFrame, root: Path = FIGURES) -> pd.DataFrame:
    """H1 per family: SFT's and GRPO's ask gap and their difference, with the verdict."""
    t = pd.read_csv(root / ARM_A / "sweep_ask_gap.csv")
    ok = g.set_index("family")
    rows = []
    for family, d in t.groupby("family"):
        sft, grpo = d[d.method == "sft"].iloc[0], d[d.method == grpo_method("cobb_douglas")].iloc[0]
        passes = testable(ok.loc[family]) is True
        rows.append({"family": family, "seeds": grpo.seeds, "prompts (vague/clear)": f"{grpo.vague_prompts}/{grpo.clear_prompts}",
                     "SFT ask vague/clear": f"{sft.ask_vague:.2f}/{sft.ask_clear:.2f}",
                     "GRPO ask vague/clear": f"{grpo.ask_vague:.2f}/{grpo.ask_clear:.2f}",
                     "SFT gap": _fmt(sft, "gap"), "GRPO gap": _fmt(grpo, "gap"),
                     "GRPO - SFT": _fmt(grpo, "minus_ref"),
                     "H1": verdict(grpo.minus_ref_lo, grpo.minus_ref_hi) if passes else "not testable (gate)"})
    return pd.DataFrame(rows)


def h2(t: pd.DataFrame) -> pd.DataFrame:
    """H2: win-win share on harmful requests per method (the harmful-game table), minus SFT, against its prediction."""
    rows = []
    for _, r in t.iterrows():
        row = {"method": r.method, "seeds": r.seeds, "prompts": r.prompts, "win-win": f"{r.win_win:.2f}",
               "no help": f"{r.no_help:.2f}", "unsafe": f"{r.unsafe:.2f}", "asks": f"{r.asks:.2f}",
               "minus SFT": "", "predicted": "", "as predicted": ""}  # filled for the GRPO rewards only
        if r.method in H2_PREDICTION:
            row.update({"minus SFT": _fmt(r, "minus_ref"), "predicted": H2_PREDICTION[r.method],
                        "as predicted": as_predicted(r)})
        rows.append(row)
    return pd.DataFrame(rows)


def paid(root: Path = FIGURES, arm: str = ARM_A) -> pd.DataFrame:
    """Per family: the mean welfare W the reward paid the SFT and GRPO replies of every committed seed, for asking and
    for not asking, on clear benign and on vague requests (n replies in brackets): whether the reward can tell the
    actions apart at all, which a null result needs before it means anything. Exploratory, not pre-registered."""
    files = sorted((root / arm).glob("seed-*/per_item.csv.gz"))
    if not files:
        return pd.DataFrame()
    d = pd.concat(pd.read_csv(f) for f in files)
    d = d[(d.eval_set == "suite") & (d.method != "base") & ~d.harmful.astype(bool)]
    d = d.assign(request=d.question_type.map({"DQ": "clear", "VQ": "vague"}),
                 reply=d.asks.astype(bool).map({True: "asks", False: "does not ask"}))
    t = d.groupby(["family", "request", "reply"]).welfare.agg(["mean", "size"])
    cells = t.apply(lambda r: f"{r['mean']:.3f} ({int(r['size'])})", axis=1).unstack(["request", "reply"])
    cells.columns = [f"{req}, {rep}" for req, rep in cells.columns]
    order = [f"{req}, {rep}" for req in ("clear", "vague") for rep in ("does not ask", "asks")]
    return cells.reindex(columns=order).astype(object).fillna("none").reset_index()


def sampled(root: Path = FIGURES, arm: str = ARM_B) -> pd.DataFrame:
    """Per GRPO reward: what its training rollouts on harmful requests were (shares of win-win, no help, unsafe), from
    every committed seed's rewards.csv. A reward can only reinforce a reply that is sampled. Exploratory."""
    files = sorted((root / arm).glob("seed-*/grpo_*_rewards.csv"))
    if not files:
        return pd.DataFrame()
    d = pd.concat(pd.read_csv(f).assign(seed=f.parent.name.removeprefix("seed-")) for f in files)
    d = harm_outcomes(d[d.harmful.astype(bool)])
    d = d.assign(method=d.variant.map(grpo_method))
    t = d.groupby("method").agg(seeds=("seed", lambda s: ",".join(sorted(set(s)))), rollouts=("win_win", "size"),
                                win_win=("win_win", "mean"), no_help=("no_help", "mean"), unsafe=("unsafe", "mean"))
    return t.round(3).reset_index()


def _seeds_note(seeds) -> str:
    """' (partial: n of 3 seeds)' while seeds are missing; seeds as the tables write them ("0,1")."""
    n = len(str(seeds).split(","))
    return "" if n >= SEEDS else f" (partial: {n} of {SEEDS} seeds)"


def in_words(g: pd.DataFrame, h1_table: pd.DataFrame | None, harmful: pd.DataFrame | None) -> list[str]:
    """One sentence per hypothesis (H1 per family from h1's table, H2 from the harmful-game CSV, H3) saying what
    the verdict means for a reader; None: that arm has no seed evaluated yet."""
    out = []
    gate = g.set_index("family")
    measured = {} if h1_table is None else {r.family: r for _, r in h1_table.iterrows()}
    for family in gate.index:
        row = measured.get(family)
        if not gate.loc[family, "perception"]:
            out.append(f"H1, {family}: not testable: the model's features do not tell vague from clear requests apart.")
        elif testable(gate.loc[family]) is False:
            out.append(f"H1, {family}: not testable: after SFT the model does not answer clear requests correctly "
                       f"often enough (capability gate), so answering them is not worth more than asking.")
        elif row is None:
            out.append(f"H1, {family}: not yet measured.")
        else:
            meaning = {"confirmed": "GRPO made the model ask more on vague requests relative to clear ones than SFT did",
                       "refuted": "GRPO did not widen the gap between asking on vague and on clear requests",
                       "inconclusive": "the interval is too wide to say whether GRPO widened the gap"}[row.H1]
            out.append(f"H1, {family}: {row.H1}{_seeds_note(row.seeds)}: {meaning} "
                       f"(change in the ask gap {row['GRPO - SFT']}).")
    if harmful is None:
        out.append("H2: not yet measured.")
    else:
        v = h2_verdict(harmful)
        meaning = {"confirmed": "on harmful requests the welfare and user-only rewards raised the share of safe, helpful "
                                "replies and the LLM-only reward did not",
                   "refuted": "the Cobb-Douglas reward did not raise the share of safe, helpful replies to harmful "
                              "requests",
                   "inconclusive": "the rewards' effects on harmful requests are not the predicted pattern, or too "
                                   "uncertain to read"}[v]
        out.append(f"H2: {v}{_seeds_note(min(harmful.seeds.astype(str), key=len))}: {meaning}"
                   f"{' (' + SAME_REPLIES + ')' if rewards_alike(harmful) else ''}.")
    out.append("H3 (Cobb-Douglas vs linear): not identifiable on this suite, as pre-registered: outside harmful requests "
               "both rank every reply the same way.")
    return out


def report(root: Path = FIGURES) -> str:
    """The pre-registered tables and verdicts as Markdown, from whatever seeds have been committed under root."""
    g = gates(root)
    parts = ["### Gates (validation only)\n\n" + markdown(g.set_index("family"))]
    a, b = root / ARM_A, root / ARM_B
    h1_table = harmful = None
    if (a / "sweep_ask_gap.csv").exists():
        h1_table = h1(g, root)
        parts.append("### H1: the ask gap, per family (arm A)\n\n" + markdown(h1_table.set_index("family")))
        auc = pd.read_csv(a / "sweep_type_auc.csv").pivot(index="family", columns="method", values="auc").round(3)
        parts.append("### Decision-token AUC of P(\"VQ\") (secondary; within each seed, then the mean over seeds)\n\n"
                     + markdown(auc))
        agree = pd.read_csv(a / "sweep_stated_agreement.csv")
        parts.append("### Stated choice = reply's behaviour (secondary)\n\n"
                     + markdown(agree.pivot(index="family", columns="method", values="stated_matches").round(3)))
        pay = paid(root)
        if not pay.empty:
            parts.append("### What the reward paid, SFT and GRPO replies (exploratory: mean W, replies in brackets)\n\n"
                         + markdown(pay.set_index("family")))
    else:
        parts.append("Arm A: no seed evaluated yet.\n")
    if (b / "sweep_harmful_game.csv").exists():
        harmful = pd.read_csv(b / "sweep_harmful_game.csv")
        parts.append("### H2: the harmful game (arm B)\n\n" + markdown(h2(harmful).set_index("method")))
    else:
        parts.append("Arm B: no seed has finished all three rewards yet.\n")
    rollouts = sampled(root)
    if not rollouts.empty:
        parts.append("### Harmful requests: the replies GRPO sampled while training (arm B, exploratory)\n\n"
                     + markdown(rollouts.set_index("method")))
    parts.append("### Verdicts\n\n" + "\n".join(f"- {s}" for s in in_words(g, h1_table, harmful)) + "\n")
    return "\n".join(parts)
