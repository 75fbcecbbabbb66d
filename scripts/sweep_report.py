"""Print the sweep tables of docs/results.md from a committed sweep folder, so every number there is read off a CSV.

    python scripts/sweep_report.py figures/cpu-sweep
"""
import json
import sys
from pathlib import Path

import pandas as pd

from gtalign_lite.evaluate import markdown
from gtalign_lite.runs import grpo_method, stage_times
from gtalign_lite.stats import fmt_interval

FOCUS = grpo_method("cobb_douglas")
HEADLINE = ["format_rate", "action_acc", "da_on_dq", "cq_on_vq", "win_win", "answer", "U", "L", "W",
            "response_tokens", "reasoning_tokens", "judge_fail_rate"]


def with_interval(table: pd.DataFrame, name: str, digits: int = 3) -> pd.Series:
    """'point [lo, hi]' strings of one figure."""
    f = f"{{:.{digits}f}}"
    return table.apply(lambda r: f"{f.format(r[name])} [{f.format(r[name + '_lo'])}, {f.format(r[name + '_hi'])}]",
                       axis=1)


def pricing_summary(own: pd.DataFrame, seed: str) -> dict:
    """What the solver picks on the model's own matrices at the lowest and highest serving cost, and whether the
    model's continued replies move with the repriced matrix at all."""
    cost = own[(own.axis == "serving cost") & (own.rule == "welfare")]
    lo, hi = cost[cost.value == cost.value.min()], cost[cost.value == cost.value.max()]
    return {"seed": seed, "matrices": own["item"].nunique(),
            f"solver CQ at cost {lo.value.iloc[0]:g}": round((lo.predicted == "CQ").mean(), 2),
            f"solver CQ at cost {hi.value.iloc[0]:g}": round((hi.predicted == "CQ").mean(), 2),
            "replies CQ": round((own.replied == "CQ").mean(), 2),
            "items whose reply changes": int((own.groupby("item").replied.nunique() > 1).sum()),
            "reply = solver's pick": round((own.replied == own.predicted).mean(), 2)}


def main(folder: Path):
    seed_dirs = sorted(folder.glob("seed-*"))
    pooled = pd.read_csv(folder / "sweep_aggregate.csv")
    suite = pooled[pooled.eval_set == "suite"].set_index("method")
    seeds = sorted({s for ss in suite.seeds.astype(str) for s in ss.split(",")})
    print(f"## Pooled over seeds {', '.join(seeds)} (sweep_aggregate.csv, suite items, 95% bootstrap intervals)\n")
    print(markdown(pd.DataFrame({"n": suite.n, **{m: with_interval(suite, m) for m in HEADLINE}})))

    per_seed = pd.read_csv(folder / "sweep_aggregate_per_seed.csv")
    w = per_seed[per_seed.eval_set == "suite"].pivot(index="method", columns="seed", values="W").round(3)
    print("\n## W per seed (sweep_aggregate_per_seed.csv)\n")
    print(markdown(w.rename(columns=lambda s: f"seed {s}")))
    acts = per_seed[per_seed.eval_set == "suite"].pivot(index="method", columns="seed", values=["da_on_dq", "cq_on_vq"])
    per_seed_seeds = sorted(per_seed.seed.unique())
    print("\n## Direct answers on clear (DQ) and clarifying questions on vague (VQ) requests, per seed "
          "(sweep_aggregate_per_seed.csv)\n")
    print(markdown(acts.apply(lambda r: pd.Series({f"seed {s}": f"{r['da_on_dq', s]:.2f} / {r['cq_on_vq', s]:.2f}"
                                                    for s in per_seed_seeds}), axis=1)))

    paired = pd.read_csv(folder / "sweep_paired.csv")
    paired = paired[(paired.eval_set == "suite") & (paired.a == FOCUS)]
    cells = paired.assign(cell=[f"{fmt_interval(d, lo, hi, signed=True)} p={p:.3f}" for d, lo, hi, p in
                                zip(paired.mean_diff, paired.lo, paired.hi, paired.p_value)])
    print(f"\n## {FOCUS} minus each method on the same items (sweep_paired.csv, paired permutation test)\n")
    table = cells.pivot(index="b", columns="metric", values="cell")
    table["pairs"] = paired.groupby("b").n_pairs.first()
    print(markdown(table))

    pareto = pd.read_csv(folder / "sweep_pareto_vs.csv")
    pareto = pareto[pareto.eval_set == "suite"]
    rows = []
    for opponent, d in pareto.groupby("opponent", sort=False):
        me, other = d.set_index("method").loc[FOCUS], d.set_index("method").loc[opponent]
        rows.append({"opponent": opponent, "items": int(me.n_items), "dominates": int(me.dominates),
                     "dominated_by": int(me.dominated_by), "eps_coverage": f"{me.eps_coverage:.3f} vs {other.eps_coverage:.3f}",
                     "hypervolume": f"{me.hypervolume:.3f} vs {other.hypervolume:.3f}"})
    print(f"\n## Pareto: {FOCUS} against each method alone (sweep_pareto_vs.csv)\n")
    print(markdown(pd.DataFrame(rows).set_index("opponent")))

    print("\n## Signal per seed (seed-N/sft_sampled_format.json, seed-N/grpo_<variant>_signal.json)\n")
    rows = []
    for seed_dir in seed_dirs:
        sampled = json.loads((seed_dir / "sft_sampled_format.json").read_text())
        for sig in sorted(seed_dir.glob("grpo_*_signal.json")):
            s = json.loads(sig.read_text())
            rows.append({"seed": seed_dir.name, "variant": sig.stem.removeprefix("grpo_").removesuffix("_signal"), "SFT well formed": round(sampled["well_formed_and_closed"], 3),
                         "zero-std groups": round(s["zero_std_groups"], 3), "clipped": round(s["clipped"], 4),
                         "W first third": round(s["welfare_first_third"], 3), "W last third": round(s["welfare_last_third"], 3)})
    print(markdown(pd.DataFrame(rows).set_index("seed")))

    print("\n## Pricing on the trained model per seed (seed-N/pricing_on_model.csv, welfare rule)\n")
    print(markdown(pd.DataFrame([pricing_summary(pd.read_csv(d / "pricing_on_model.csv"), d.name)
                                 for d in seed_dirs]).set_index("seed")))

    times = stage_times(folder)  # the committed records' done/times.csv
    stopped = times.stage.str.endswith(":interrupted")
    print(f"\nsweep time over every sitting: {times.seconds.sum():.0f} s ({times.seconds.sum() / 3600:.2f} h), "
          f"{stopped.sum()} stopped part(s) of {times.seconds[stopped].sum():.0f} s, peak {times.peak_gib.max():.2f} GiB")
    for run, t in times.groupby("run", sort=True):
        print(f"  {run}: {t.seconds.sum():.0f} s; " + ", ".join(f"{n} {v:.0f}" for n, v in zip(t.stage, t.seconds)))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "figures/cpu-sweep"))
