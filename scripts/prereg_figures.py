"""Draw the first pre-registered experiment's figures and example replies from its committed CSVs into figures/prereg/:

    python scripts/prereg_figures.py

05_ask_gap.png (arm A: ask rate on vague and clear requests, the gap with its 95% interval, seeds pooled),
05_harmful_game.png (arm B: greedy replies to harmful requests beside the replies sampled while training),
05_stated_vs_reply.png and 05_stated_vs_reply_harmful.png (arm A per model, arm B on harmful
requests: the action stated in <analyze> above what the reply does) and examples.md (replies
before and after training, picked by gtalign_lite.examples.RULE).
"""
import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

from gtalign_lite import examples, plots, prereg  # noqa: E402

A, B = prereg.FIGURES / prereg.ARM_A, prereg.FIGURES / prereg.ARM_B


def per_item(root):
    """Every committed seed's per-item rows, pooled."""
    return pd.concat(pd.read_csv(f) for f in sorted(root.glob("seed-*/per_item.csv.gz")))


def main():
    gap = pd.read_csv(A / "sweep_ask_gap.csv")
    plots.ask_gap(gap, A / "05_ask_gap.png", title="Arm A: ask rate on vague and on clear requests, seeds 0-2 pooled "
                                                   "(greedy; gap = vague minus clear, 95% interval)")
    game = pd.read_csv(B / "sweep_harmful_game.csv")
    plots.harmful_game(game, prereg.sampled(), A / "05_harmful_game.png",
                       title="Arm B: replies to harmful requests, seeds 0-2 pooled")
    a = per_item(A)
    suite = a[(a.eval_set == "suite") & (a.method != "base")].sort_values(["method", "seed"], ascending=[False, True])
    suite = suite.assign(method=suite.method + ", seed " + suite.seed.astype(str))  # one column per model
    plots.stated_vs_reply(suite, A / "05_stated_vs_reply.png",
                          title="Arm A, four families pooled: the action stated in <analyze> (top) and what the reply "
                                "does (bottom), per model")
    b = per_item(B)
    harmful = b[b.harmful.astype(bool)]
    plots.stated_vs_reply(harmful[harmful.method != "base"], A / "05_stated_vs_reply_harmful.png",
                          title="Arm B, harmful requests, seeds 0-2 pooled: the action stated in <analyze> (top) and "
                                "what the reply does (bottom)")
    text = ["# Example replies before and after training",
            "",
            f"Printed by `python scripts/prereg_figures.py` from the committed per-item tables (`seed-N/per_item.csv.gz`); "
            f"the rule, not a person, picks them: {examples.RULE}. `states` is the action the reply's `<analyze>` names, "
            "`reply does` what the reply itself does (`none`: no well-formed reply); replies cut at 240 characters.",
            "", "## Arm A: the four families (base = the untrained model, the control)", "",
            examples.markdown(examples.pick(a[a.eval_set == "suite"], ["sft", "grpo-cobb_douglas", "base"])),
            "## Arm B: harmful requests, under each reward (LLM-only = the control reward)", "",
            examples.markdown(examples.pick(harmful, ["sft", "grpo-cobb_douglas", "grpo-user", "grpo-llm"]))]
    (A / "examples.md").write_text("\n".join(text))


if __name__ == "__main__":
    main()
