"""The second pre-registered experiment's report: tables, verdicts and figures from its committed records.

    python scripts/prereg2_report.py                    # figures/prereg2/writing -> report.md and the figures
    python scripts/prereg2_report.py --root runs/prereg2   # the same from a run folder (nothing committed)

Writes <root>/<family>/report.md, ask_by_step.png (the rollouts' P(ask) per type, 8-step moving mean) and
decision_by_step.png (held-out P(ask action) every 8 steps), and prints the report.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gtalign_lite import plots, twins  # noqa: E402

ARM_ORDER = ["welfare", "control", "decision"]


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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default="figures/prereg2")
    ap.add_argument("--family", default="writing")
    a = ap.parse_args(argv)
    folder = ROOT / a.root / a.family
    lines = [f"# Second pre-registered experiment: {a.family}", "",
             f"Printed by `python scripts/prereg2_report.py --root {a.root} --family {a.family}` from the records in "
             f"`{a.root}/{a.family}/seed-N/`.", ""]
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
        smooth = push.sort_values(["arm", "seed", "step"]).copy()
        for kind in ("vague", "clear"):
            smooth[f"p_ask_{kind}"] = smooth.groupby(["arm", "seed"])[f"ask_rate_{kind}"].transform(
                lambda x: x.rolling(8, min_periods=1).mean())
        smooth = smooth[smooth.arm.isin(ARM_ORDER)].sort_values("arm", key=lambda s: s.map(ARM_ORDER.index), kind="stable")
        plots.ask_by_type(smooth, folder / "ask_by_step.png",
                          title=f"{a.family}: how often GRPO's own replies ask (8-step moving mean, 4 per type a step)")
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
                          title=f"{a.family}: held-out twins, P(the thinking block chooses to ask)")
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
    print("\n".join(lines))


if __name__ == "__main__":
    main()
