"""Print the pre-registered experiment's tables (Markdown) and each hypothesis's verdict, read off the committed CSVs.

    python scripts/prereg_report.py            # figures/prereg (arm A) and figures/prereg-harmful+... (arm B)

The verdict rules are docs/preregistration.md's: a difference whose 95% interval lies above 0 confirms; below 0, or
inside [-MARGIN, +MARGIN], refutes; anything else is inconclusive; a family that fails a gate is not testable.
"""
import sys
from pathlib import Path

import pandas as pd

from gtalign_lite.evaluate import CAPABILITY_GATE, markdown
from gtalign_lite.probe import PROBE_GATE
from gtalign_lite.runs import grpo_method
from gtalign_lite.stats import fmt_interval

ROOT = Path(__file__).resolve().parents[1] / "figures"
ARM_A, ARM_B = ROOT / "prereg", ROOT / "prereg-harmful+families=['safety'],grpo_steps=20"
MARGIN = 0.05  # the pre-registered equivalence margin


def verdict(lo: float, hi: float) -> str:
    """The pre-registered reading of a difference's 95% interval."""
    if lo > 0:
        return "confirmed"
    if hi < 0 or (-MARGIN <= lo and hi <= MARGIN):
        return "refuted"
    return "inconclusive"


def fmt(r, name, digits=3):
    """The row's estimate `name` and its interval, signed."""
    return fmt_interval(r[name], r[name + "_lo"], r[name + "_hi"], digits, signed=True)


def gates() -> pd.DataFrame:
    """Per family: the perception gate (probe accuracy on validation >= PROBE_GATE) and the capability gate (each
    seed's SFT right on >= CAPABILITY_GATE of its direct answers to clear validation items)."""
    probe = pd.read_csv(ROOT / "gates" / "probe.csv").set_index("family")
    caps = [pd.read_csv(p).assign(seed=p.parent.name) for p in sorted(ARM_A.glob("seed-*/gate_capability.csv"))]
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


def h1(g: pd.DataFrame) -> pd.DataFrame:
    """H1 per family: SFT's and GRPO's ask gap and their difference, with the verdict."""
    t = pd.read_csv(ARM_A / "sweep_ask_gap.csv")
    ok = g.set_index("family")
    rows = []
    for family, d in t.groupby("family"):
        sft, grpo = d[d.method == "sft"].iloc[0], d[d.method == grpo_method("cobb_douglas")].iloc[0]
        passes = bool(ok.loc[family, "perception"]) and ok.loc[family, "capability"] is True
        rows.append({"family": family, "seeds": grpo.seeds, "prompts (vague/clear)": f"{grpo.vague_prompts}/{grpo.clear_prompts}",
                     "SFT ask vague/clear": f"{sft.ask_vague:.2f}/{sft.ask_clear:.2f}",
                     "GRPO ask vague/clear": f"{grpo.ask_vague:.2f}/{grpo.ask_clear:.2f}",
                     "SFT gap": fmt(sft, "gap"), "GRPO gap": fmt(grpo, "gap"),
                     "GRPO - SFT": fmt(grpo, "minus_ref"),
                     "H1": verdict(grpo.minus_ref_lo, grpo.minus_ref_hi) if passes else "not testable (gate)"})
    return pd.DataFrame(rows)


def h2() -> pd.DataFrame:
    """H2: win-win share on harmful requests per method, minus SFT."""
    t = pd.read_csv(ARM_B / "sweep_harmful_game.csv")
    want = {grpo_method("cobb_douglas"): "above 0", grpo_method("user"): "above 0", grpo_method("llm"): "contains 0"}
    rows = []
    for _, r in t.iterrows():
        row = {"method": r.method, "seeds": r.seeds, "prompts": r.prompts, "win-win": f"{r.win_win:.2f}",
               "no help": f"{r.no_help:.2f}", "unsafe": f"{r.unsafe:.2f}", "asks": f"{r.asks:.2f}"}
        if r.method in want:
            row["minus SFT"] = fmt(r, "minus_ref")
            holds = r.minus_ref_lo > 0 if want[r.method] == "above 0" else r.minus_ref_lo <= 0 <= r.minus_ref_hi
            row["predicted"] = want[r.method]
            row["as predicted"] = bool(holds)
        rows.append(row)
    return pd.DataFrame(rows)


def main():
    g = gates()
    print("### Gates (validation only)\n\n" + markdown(g.set_index("family")))
    if (ARM_A / "sweep_ask_gap.csv").exists():
        print("### H1: the ask gap, per family (arm A)\n\n" + markdown(h1(g).set_index("family")))
        auc = pd.read_csv(ARM_A / "sweep_type_auc.csv").pivot(index="family", columns="method", values="auc").round(3)
        print("### Decision-token AUC of P(\"VQ\") (secondary)\n\n" + markdown(auc))
        agree = pd.read_csv(ARM_A / "sweep_stated_agreement.csv")
        print("### Stated choice = reply's behaviour (secondary)\n\n"
              + markdown(agree.pivot(index="family", columns="method", values="stated_matches").round(3)))
    else:
        print("Arm A: no seed evaluated yet.\n")
    if (ARM_B / "sweep_harmful_game.csv").exists():
        print("### H2: the harmful game (arm B)\n\n" + markdown(h2().set_index("method")))
    else:
        print("Arm B: no seed evaluated yet.")


if __name__ == "__main__":
    sys.exit(main())
