"""Evaluation tables, Pareto comparison, price sweeps, plots and parameter checks (no model needed)."""
import math
import random

import pandas as pd
import pytest

import gtalign_lite as gl
from gtalign_lite import adapt, config, plots
from gtalign_lite.evaluate import markdown, score_texts, summary
from gtalign_lite.pareto import pareto_comparison
from gtalign_lite.traces import gold_key, make_sft_trace, sample_payoff


def frame():
    items = gl.offline_items("test", 2)
    gold = [make_sft_trace(it, random.Random(i), action=it["gold_action"]) for i, it in enumerate(items)]
    bad = ["no blocks"] * len(items)
    return pd.concat([score_texts(items, gold, gl.RuleJudge(), "gold"), score_texts(items, bad, gl.RuleJudge(), "broken")])


def test_summary_and_pareto_comparison():
    df = frame()
    s = summary(df)
    assert s.loc["gold", "format_rate"] == 1.0 and s.loc["gold", "action_acc"] == 1.0 and s.loc["gold", "type_acc"] == 1.0
    assert s.loc["broken", "W"] == 0.0 and s.loc["broken", "judge_fail_rate"] == 0.0
    p = pareto_comparison(df)  # items paired by uid (suite rows have no 'id')
    n = len(df) // 2
    assert p.loc["gold", "dominates"] == n and p.loc["broken", "dominated_by"] == n
    assert p.loc["broken", "tie_or_incomparable"] == 0 and p.excluded_items.tolist() == [0, 0]
    gold = df[df.method == "gold"]
    # Broken completions score (0, 0) = the pooled reference point: no area, off the joint front (built from
    # gold points only), and regret >= the smallest gold U over the largest (every front point is that far right).
    assert p.loc["broken", "hypervolume"] == 0.0 and p.loc["broken", "eps_coverage"] == 0.0
    assert p.loc["broken", "regret"] >= gold.user.min() / gold.user.max()
    # Gold points: the union of their rectangles from (0, 0) lies between the largest single one and the box.
    assert (gold.user * gold.llm).max() <= p.loc["gold", "hypervolume"] <= gold.user.max() * gold.llm.max()
    assert p.loc["gold", "hypervolume_reference_style"] <= p.loc["gold", "hypervolume"]
    assert p.loc["gold", "nsw"] == pytest.approx(s.loc["gold", "W"], abs=1e-4)  # W is sqrt(U L) per item
    assert p.loc["broken", "nsw"] == pytest.approx(0.0, abs=1e-4)
    assert markdown(s).startswith("| method | n |") and markdown(s).count("\n") == 4


def test_price_sweep_transfer_vs_cost():
    items = gl.offline_items("test", 4)
    mats = [sample_payoff(gold_key(it), random.Random(i)) for i, it in enumerate(items)]
    types = [it["question_type"] for it in items]
    tokens = {"DA": 300, "CQ": 40, "AQ": 220}
    base = adapt.price_sweep(mats, types, {"none": gl.PricingPolicy()}, tokens)
    transfer = adapt.price_sweep(mats, types, {"p": gl.PricingPolicy(price_per_1k=50.0)}, tokens)
    w0, w1 = base[base.rule == "welfare"], transfer[transfer.rule == "welfare"]
    assert list(w0.key) == list(w1.key)  # a pure transfer never moves the welfare pick
    assert list(w0.welfare) == pytest.approx(list(w1.welfare))
    n0, n1 = base[base.rule == "nash"], transfer[transfer.rule == "nash"]
    assert list(n0.key) != list(n1.key)  # but the Nash pick moves with the price
    cost = adapt.price_sweep(mats, types, {"c": gl.PricingPolicy(payer="provider", cost_per_1k=40.0)}, tokens)
    assert (cost[cost.rule == "welfare"].action == "DA").sum() < (w0.action == "DA").sum()


def test_reprice_and_stage_two_prefill_shape():
    item = gl.offline_items("test", 2)[1]
    trace = make_sft_trace(item, random.Random(0))
    head = trace[: trace.index("</payoff>") + len("</payoff>")]
    orig, priced, key = adapt.reprice(head, gl.PricingPolicy(price_per_1k=4.0), {"DA": 300, "CQ": 40, "AQ": 220})
    assert key.startswith(item["question_type"]) and priced["VQ_DA"].user < orig["VQ_DA"].user
    assert adapt.reprice("<thinking>x</thinking><payoff>{oops</payoff>", gl.PricingPolicy()) is None
    assert key in adapt.analyze_for(priced, key)


def test_plots_write_files(tmp_path):
    df = frame()
    m = sample_payoff(gold_key(gl.offline_items("test", 2)[0]), random.Random(0))
    plots.payoff_scatter(m, "DQ_DA", "DQ", path=tmp_path / "a.png")
    plots.action_shares(df, path=tmp_path / "b.png")
    plots.type_confusion(df, path=tmp_path / "c.png")
    plots.methods_plane(summary(df), path=tmp_path / "d.png")
    log = pd.DataFrame({"step": [1, 2], "loss": [1.0, 0.5]})
    plots.curves(log, {"loss": "loss", "missing": "ignored"}, "t", path=tmp_path / "e.png")
    sweep = adapt.price_sweep([m], ["DQ"], {"x": gl.PricingPolicy()}).assign(price=0.0)
    plots.pricing_sweep(sweep, "price", path=tmp_path / "f.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{c}.png" for c in "abcdef"]
    assert all(p.stat().st_size > 5000 for p in tmp_path.iterdir())


@pytest.mark.parametrize("bad, needle", [
    ({"profile": "fast"}, "valid profiles"), ({"reward_variant": "nash"}, "cobb_douglas"),
    ({"model_name": "llama-9000"}, "local model folder"), ({"prompt_style": "long"}, "compact, paper"),
    ({"select_rule": "max"}, "welfare, nash"),
])
def test_check_lists_valid_values(bad, needle):
    with pytest.raises(ValueError, match=needle):
        config.check({**config.load_profile("smoke"), **bad})


def test_require_names_the_notebook(tmp_path):
    with pytest.raises(FileNotFoundError, match="run notebooks/03_sft.ipynb first.*sft_adapter"):
        config.require(tmp_path / "sft", "03_sft.ipynb", "sft_adapter")
    items = gl.offline_items("train", 2)
    config.save_items(items, tmp_path / "x.jsonl")
    back = config.load_items(tmp_path / "x.jsonl")
    assert back == items and back[0]["min_words"] is None and not math.isnan(back[1]["max_words"] or 0)
